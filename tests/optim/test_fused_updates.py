"""The optimizers' compiled one-pass updates equal their NumPy passes bit for bit (float32 and
float64), and flush averages that decay below the smallest normal number to zero."""

from __future__ import annotations

import numpy as np
import pytest

from plugins.core import fused
from plugins.core.fused import KERNELS
from tests.engines.graphs import build, trained


def _train(dtype: str, steps: int = 15, optimizer: tuple = ("core.adam", {"lr": 0.003})) -> dict:
    graph = build("wide", [
        ("data", "core.dataset", {"dataset": "digits", "batch_size": 64, "val_split": 0.0}),
        ("d1", "core.dense", {"units": 300}),
        ("t1", "core.tanh", {}),
        ("d2", "core.dense", {"units": 10}),
        ("loss", "core.softmax_cross_entropy", {}),
        ("opt", *optimizer),
    ], ["data.x -> d1.x", "d1.y -> t1.x", "t1.y -> d2.x", "d2.y -> loss.pred",
        "data.y -> loss.target", "loss.loss -> opt.loss"])
    graph.settings["dtype"] = dtype
    program = trained(graph, steps, seed=2)
    return {name: program.peek(name, "W") for name in ("d1", "d2")}


@pytest.mark.skipif(KERNELS.get() is None, reason="numba is a dependency; missing here")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_compiled_adam_equals_numpy_adam(monkeypatch, dtype):
    compiled = _train(dtype)
    assert compiled["d1"].dtype == np.dtype(dtype)
    original = fused.kernel  # NumPy's passes for Adam, every other kernel as it was
    monkeypatch.setattr(fused, "kernel", lambda name, backend="numpy":
                        None if name == "adam" else original(name, backend))
    plain = _train(dtype)
    for name in plain:
        np.testing.assert_array_equal(compiled[name], plain[name])


@pytest.mark.skipif(KERNELS.get() is None, reason="numba is a dependency; missing here")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_adam_flushes_subnormal_moments_to_zero(dtype):
    """A moment decaying under a zero gradient reaches zero instead of the subnormal range
    (x86 computes subnormals ~100x slower); normal moments follow the plain formula."""
    tiny = np.finfo(dtype).tiny
    avg = np.array([tiny * 1.5, -tiny * 1.5, 0.25, tiny / 4], dtype)
    sq_avg = np.array([tiny * 1.5, 1e-3, 0.5, tiny * 0.5], dtype)
    grad = np.zeros(4, dtype)
    value = np.ones(4, dtype)
    scalars = [dtype(s) for s in (0.5, 0.5, 1e-8, 0.1)]
    fused.kernel("adam")(value, grad, avg, sq_avg, *scalars, tiny)
    assert avg[0] == avg[1] == avg[3] == 0 and sq_avg[0] == sq_avg[3] == 0
    assert not np.any((avg != 0) & (np.abs(avg) < tiny))
    assert avg[2] == dtype(0.125) and sq_avg[1] == dtype(5e-4) and sq_avg[2] == dtype(0.25)
    expected = dtype(1) - dtype(0.125) / (np.sqrt(dtype(0.25)) + dtype(1e-8)) * dtype(0.1)
    assert value[2] == expected and value[0] == value[1] == value[3] == 1


UPDATES = [  # (kernel name, optimizer node): every branch of each kernel
    ("sgd", ("core.sgd", {"lr": 0.05})),
    ("sgd", ("core.sgd", {"lr": 0.05, "momentum": 0.9, "weight_decay": 1e-3})),
    ("sgd", ("core.sgd", {"lr": 0.05, "momentum": 0.8, "nesterov": True})),
    ("rmsprop", ("core.rmsprop", {"lr": 0.002, "decay": 0.95})),
    ("adagrad", ("core.adagrad", {"lr": 0.05})),
    ("adagrad", ("core.adagrad", {"lr": 0.05, "momentum": 0.5, "weight_decay": 1e-3})),
    ("adadelta", ("core.adadelta", {})),
    ("adadelta", ("core.adadelta", {"lr": 0.5, "momentum": 0.5, "weight_decay": 1e-3})),
]


@pytest.mark.skipif(KERNELS.get() is None, reason="numba is a dependency; missing here")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, optimizer", UPDATES,
                         ids=[f"{o[0]}{o[1]}" for _, o in UPDATES])
def test_compiled_update_equals_numpy_passes(monkeypatch, dtype, name, optimizer):
    compiled = _train(dtype, optimizer=optimizer)
    original = fused.kernel
    calls = []

    def without(kernel_name, backend="numpy"):
        calls.append(kernel_name)
        return None if kernel_name == name else original(kernel_name, backend)

    monkeypatch.setattr(fused, "kernel", without)
    plain = _train(dtype, optimizer=optimizer)
    assert name in calls  # the optimizer asked for its kernel, and ran its NumPy passes
    for layer in plain:
        assert not np.array_equal(plain[layer], _train(dtype, steps=0, optimizer=optimizer)[
            layer])  # the weights moved
        np.testing.assert_array_equal(compiled[layer], plain[layer])


@pytest.mark.skipif(KERNELS.get() is None, reason="numba is a dependency; missing here")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_updates_flush_decaying_averages_to_zero(dtype):
    """With a zero gradient each average decays; one that would fall below the smallest
    normal number becomes 0, a normal one follows the formula."""
    tiny = np.finfo(dtype).tiny
    kernels = KERNELS.get()
    zero = np.zeros(2, dtype)

    def arrays(*values):
        return np.array(values, dtype)

    value, velocity = arrays(1, 1), arrays(tiny * 1.5, 0.25)
    kernels["sgd"](value, zero, velocity, dtype(0.1), dtype(0), dtype(0.5), False, tiny)
    assert velocity[0] == 0 and velocity[1] == dtype(0.125) and value[1] == dtype(1.125)

    value, sq_grad = arrays(1, 1), arrays(tiny * 1.5, 0.5)
    kernels["rmsprop"](value, zero, sq_grad, dtype(0.1), dtype(0.5), dtype(0.5), dtype(1e-8),
                       tiny)
    assert sq_grad[0] == 0 and sq_grad[1] == dtype(0.25) and np.all(value == 1)

    value, sq_grad, sq_step, velocity = arrays(1, 1), arrays(tiny * 1.5, 0.5), \
        arrays(tiny * 1.5, 0.5), arrays(-tiny, 0.5)
    kernels["adadelta"](value, zero, sq_grad, sq_step, velocity, *(dtype(s) for s in (
        1, 0.5, 0.5, 0.5, 0.5, 1e-6, 0, 0.5)), tiny)
    assert sq_grad[0] == sq_step[0] == velocity[0] == 0
    assert sq_grad[1] == sq_step[1] == dtype(0.25) and velocity[1] == dtype(0.25)
