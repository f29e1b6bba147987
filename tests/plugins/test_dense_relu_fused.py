"""Dense + ReLU fused (Step.fuse): the same training, values and gradients as the two nodes
run apart, on the small (one call) and the large (NumPy product) path; only where it is safe."""

from __future__ import annotations

import numpy as np
import pytest

from engines import compiler
from plugins.core import fused
from plugins.core.fused import KERNELS
from tests.engines.graphs import build, trained

pytestmark = pytest.mark.skipif(KERNELS.get() is None,
                                reason="numba is a dependency; missing here")


def _net(batch_size: int, hidden: int, second_reader: bool = False, l2: float = 0.0,
         frozen_middle: bool = False):
    nodes = [
        ("data", "core.dataset", {"dataset": "digits", "batch_size": batch_size,
                                  "val_split": 0.2}),
        ("d1", "core.dense", {"units": hidden, "l2": l2}),
        ("r1", "core.relu", {}),
        ("d2", "core.dense", {"units": 10}),
        ("loss", "core.softmax_cross_entropy", {}),
        ("opt", "core.adam", {"lr": 0.01}),
    ]
    edges = ["data.x -> d1.x", "d1.y -> r1.x", "r1.y -> d2.x", "d2.y -> loss.pred",
             "data.y -> loss.target", "loss.loss -> opt.loss"]
    if frozen_middle:  # d1 -> r1 -> dm (frozen) -> rm -> d2: d1 learns through dm
        nodes += [("dm", "core.dense", {"units": 12, "trainable": False}),
                  ("rm", "core.relu", {})]
        edges = [e.replace("r1.y -> d2.x", "r1.y -> dm.x") for e in edges]
        edges += ["dm.y -> rm.x", "rm.y -> d2.x"]
    if second_reader:  # d1.y also feeds a tanh whose output is summed in
        nodes += [("t1", "core.tanh", {}), ("sum", "core.add", {})]
        edges = [e.replace("r1.y -> d2.x", "r1.y -> sum.a") for e in edges]
        edges += ["d1.y -> t1.x", "t1.y -> sum.b", "sum.y -> d2.x"]
    graph = build("fused", nodes, edges)
    graph.settings["dtype"] = "float64"
    return graph


def _state(program) -> dict:
    """Weights, both layers' outputs and d1's output gradient after the last step."""
    state = {(n, p): program.peek(n, p) for n in ("d1", "d2") for p in ("W", "b")}
    state["d1.y"] = program.outputs[("d1", "y")].value.copy()
    state["r1.y"] = program.outputs[("r1", "y")].value.copy()
    state["d1.y grad"] = program.outputs[("d1", "y")].grad.copy()
    return state


@pytest.mark.parametrize("batch_size, hidden", [(32, 16), (256, 80)])
def test_fused_training_equals_the_two_nodes_apart(monkeypatch, batch_size, hidden):
    small = batch_size * 64 * hidden <= fused.SMALL_PRODUCT
    program = trained(_net(batch_size, hidden), 12, seed=5)
    assert set(program.fused) == {"d1"} and program.fused_away == {"r1"}
    assert any(node == "r1" for node, _ in program.forwards)  # kept for partial runs
    together = _state(program)
    program.read_metrics()
    together["val"] = program.evaluate("val")
    monkeypatch.setattr(compiler, "_fuse_elementwise_readers", lambda comp: None)
    program = trained(_net(batch_size, hidden), 12, seed=5)
    assert not program.fused
    apart = _state(program)
    program.read_metrics()
    apart["val"] = program.evaluate("val")
    assert together.pop("val") == pytest.approx(apart.pop("val"), rel=1e-12)
    for key, value in apart.items():
        np.testing.assert_allclose(together[key], value, rtol=1e-11, atol=1e-12,
                                   err_msg=f"{key} ({'small' if small else 'large'} path)")


def test_not_fused_where_the_output_has_another_reader_or_a_penalty():
    assert not trained(_net(32, 16, second_reader=True), 1, seed=0).fused
    assert not trained(_net(32, 16, l2=0.01), 1, seed=0).fused


def test_a_frozen_layer_stays_apart_and_passes_the_gradient_down(monkeypatch):
    program = trained(_net(32, 16, frozen_middle=True), 10, seed=3)
    assert set(program.fused) == {"d1"}  # dm is frozen: its input still needs a gradient
    together = _state(program)
    monkeypatch.setattr(compiler, "_fuse_elementwise_readers", lambda comp: None)
    apart = _state(trained(_net(32, 16, frozen_middle=True), 10, seed=3))
    for key, value in apart.items():
        np.testing.assert_allclose(together[key], value, rtol=1e-11, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_relu_keeps_nan_and_the_gradient_pass_matches_numpy(dtype):
    y = np.array([[1.0, -2.0, np.nan], [0.0, 3.0, -0.5]], dtype)
    b = np.array([0.5, 0.5, 0.5], dtype)
    out = np.empty_like(y)
    fused.kernel("bias_relu")(y, b, out)
    expected = np.maximum(np.array([[1.5, -1.5, np.nan], [0.5, 3.5, 0.0]], dtype), 0)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(y, np.array([[1.5, -1.5, np.nan], [0.5, 3.5, 0.0]], dtype))
    grad_out = np.arange(6, dtype=dtype).reshape(2, 3) + 1
    grad_y, grad_b = np.full_like(y, np.nan), np.full(3, np.nan, dtype)
    fused.kernel("relu_grad_bias")(out, grad_out, grad_y, grad_b)
    mask = out > 0
    np.testing.assert_array_equal(grad_y, np.where(mask, grad_out, 0))
    np.testing.assert_array_equal(grad_b, np.where(mask, grad_out, 0).sum(axis=0))
