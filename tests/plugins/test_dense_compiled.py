"""A small Dense layer's compiled kernels (plugins/core/fused.py) against NumPy's matmuls: same
products, gradients and training, to rounding; large layers keep NumPy's path."""

from __future__ import annotations

import numpy as np
import pytest

from engines.gradcheck import check_gradients
from plugins.core import fused
from plugins.core.fused import KERNELS
from tests.engines.graphs import build, trained

pytestmark = pytest.mark.skipif(KERNELS.get() is None,
                                reason="numba is a dependency; missing here")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernels_equal_numpy_products_in_every_input_gradient_mode(dtype):
    rng = np.random.default_rng(0)
    x, W = rng.standard_normal((7, 5)).astype(dtype), rng.standard_normal((5, 3)).astype(dtype)
    b, grad_y = rng.standard_normal(3).astype(dtype), rng.standard_normal((7, 3)).astype(dtype)
    tolerance = 1e-5 if dtype == np.float32 else 1e-13
    y = np.empty((7, 3), dtype)
    fused.kernel("dense_forward")(x, W, b, y)
    np.testing.assert_allclose(y, x @ W + b, rtol=tolerance, atol=tolerance)

    backward = fused.kernel("dense_backward")
    earlier = rng.standard_normal((7, 5)).astype(dtype)  # what a second reader added before
    for mode, start, expected in [(1, np.full((7, 5), np.nan, dtype), grad_y @ W.T),
                                  (2, earlier.copy(), earlier + grad_y @ W.T),
                                  (0, np.full((7, 5), 7.0, dtype), np.full((7, 5), 7.0))]:
        grad_W, grad_b = np.full((5, 3), np.nan, dtype), np.full(3, np.nan, dtype)
        grad_x, scratch = start, np.empty((7, 5), dtype)
        backward(x, W, grad_y, grad_W, grad_b, grad_x, scratch, mode)
        np.testing.assert_allclose(grad_W, x.T @ grad_y, rtol=tolerance, atol=tolerance)
        np.testing.assert_allclose(grad_b, grad_y.sum(axis=0), rtol=tolerance, atol=tolerance)
        np.testing.assert_allclose(grad_x, expected, rtol=tolerance, atol=tolerance)


def _net(batch_size: int, hidden: int):
    graph = build("small", [
        ("data", "core.dataset", {"dataset": "digits", "batch_size": batch_size,
                                  "val_split": 0.0}),
        ("d1", "core.dense", {"units": hidden}),
        ("t1", "core.tanh", {}),
        ("d2", "core.dense", {"units": 10}),
        ("loss", "core.softmax_cross_entropy", {}),
        ("opt", "core.adam", {"lr": 0.01}),
    ], ["data.x -> d1.x", "d1.y -> t1.x", "t1.y -> d2.x", "d2.y -> loss.pred",
        "data.y -> loss.target", "loss.loss -> opt.loss"])
    graph.settings["dtype"] = "float64"
    return graph


def _weights(program) -> dict:
    return {(name, p): program.peek(name, p) for name in ("d1", "d2") for p in ("W", "b")}


def test_training_through_the_kernels_equals_numpys_matmuls(monkeypatch):
    calls = []
    original = fused.kernel

    def counting(name, backend="numpy"):
        kernel = original(name, backend)
        if not name.startswith("dense") or kernel is None:
            return kernel
        return lambda *args: (calls.append(name), kernel(*args))

    monkeypatch.setattr(fused, "kernel", counting)
    compiled = _weights(trained(_net(32, 16), 30, seed=4))  # 1797 rows: a short last batch
    assert {"dense_forward", "dense_backward"} <= set(calls)
    monkeypatch.setattr(fused, "kernel", lambda name, backend="numpy":
                        None if name.startswith("dense") else original(name, backend))
    plain = _weights(trained(_net(32, 16), 30, seed=4))
    for key, value in plain.items():
        np.testing.assert_allclose(compiled[key], value, rtol=1e-12, atol=1e-12, err_msg=key)


def test_large_layers_keep_numpys_path(monkeypatch):
    asked = []
    original = fused.kernel
    monkeypatch.setattr(fused, "kernel", lambda name, backend="numpy":
                        (asked.append(name), original(name, backend))[1])
    trained(_net(256, 64), 1, seed=0)
    assert 256 * 64 * 64 > fused.SMALL_PRODUCT >= 256 * 64 * 10
    assert asked.count("dense_forward") == asked.count("dense_backward") == 1  # d2 only


def test_gradients_through_the_kernels_match_finite_differences(monkeypatch):
    calls = []
    original = fused.kernel
    monkeypatch.setattr(fused, "kernel", lambda name, backend="numpy": (
        lambda *args: (calls.append(name), original(name, backend)(*args))))
    for wrt in (("x",), ()):  # x's gradient added into its buffer, and none at all
        result = check_gradients("core.dense", {"x": (6, 5)}, {"units": 4}, wrt=wrt)
        assert set(result.errors) == {"W", "b", *wrt} and result.max_error < 1e-7, result
    assert {"dense_forward", "dense_backward"} <= set(calls)
