"""Adam's compiled one-pass update equals its NumPy passes bit for bit (float32 and float64)."""

from __future__ import annotations

import numpy as np
import pytest

from plugins.core import fused
from plugins.core.fused import KERNELS
from tests.engines.graphs import build, trained


def _train(dtype: str, steps: int = 15) -> dict:
    graph = build("wide", [
        ("data", "core.dataset", {"dataset": "digits", "batch_size": 64, "val_split": 0.0}),
        ("d1", "core.dense", {"units": 300}),
        ("t1", "core.tanh", {}),
        ("d2", "core.dense", {"units": 10}),
        ("loss", "core.softmax_cross_entropy", {}),
        ("opt", "core.adam", {"lr": 0.003}),
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
