"""Compiler and Program: delays and loops, parameter counts, float64 gradients, peek,
gradient norms, metric keys, errors that name the node."""

import numpy as np
import pytest

from engines.compiler import CompileError, compile_graph
from engines.imaging import tile_grid, weight_tiles
from engines.program import Step
from graph.registry import Registry
from graph.spec import NodeSpec, PortKind, PortSpec, no_params_same_shape
from plugins.loader import load_all
from tests.engines.graphs import build, xor_mlp


def test_param_counts_per_node(registry):
    program = compile_graph(xor_mlp(hidden=4), registry)
    assert program.param_counts["d1"] == 2 * 4 + 4
    assert program.param_counts["d2"] == 4 * 1 + 1
    assert program.param_counts["t1"] == 0 and program.param_counts["data"] == 0


def test_float64_program_matches_finite_differences(registry):
    program = compile_graph(xor_mlp(), registry, seed=3, dtype=np.float64)
    W = program.params[("d1", "W")]
    assert W.value.dtype == np.float64
    program.load("train", 0)
    loss = program.outputs[("loss", "loss")]

    def loss_at():
        program.forward()
        return float(loss.value[0])

    program.forward()
    program.backward()
    analytic = W.grad.copy()
    numeric = np.zeros_like(analytic)
    eps = 1e-6
    for index in np.ndindex(W.value.shape):
        saved = W.value[index]
        W.value[index] = saved + eps
        up = loss_at()
        W.value[index] = saved - eps
        down = loss_at()
        W.value[index] = saved
        numeric[index] = (up - down) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-10)


def test_delay_outputs_the_previous_steps_input(registry):
    graph = build("delay", [
        ("data", "core.dataset", {"dataset": "xor", "batch_size": 1, "shuffle": False}),
        ("z", "core.delay", {}),
        ("t", "core.tanh", {}),
    ], ["data.x -> z.x", "z.y -> t.x"])
    program = compile_graph(graph, registry)
    assert np.all(program.peek("z", "y") == 0)  # zeros before the first step
    previous = np.zeros((1, 2))
    for batch in range(4):
        program.train_step(batch)
        seen_by_consumer = program.peek("t", "y")
        np.testing.assert_allclose(seen_by_consumer, np.tanh(previous), rtol=1e-6)
        previous = program.peek("data", "x")
        np.testing.assert_array_equal(program.peek("z", "y"), previous)


def test_loop_through_a_delay_iterates_the_map(registry):
    # z -> sigmoid -> z: the delay holds x_k, so x_{k+1} = sigmoid(x_k), x_0 = 0
    graph = build("loop", [("s", "core.sigmoid", {}), ("z", "core.delay", {"shape": [3]})],
                  ["z.y -> s.x", "s.y -> z.x"])
    program = compile_graph(graph, registry, dtype=np.float64)
    assert program.steps_per_epoch() == 1
    expected = np.zeros((1, 3))
    for _ in range(6):
        program.train_step(0)
        expected = 1 / (1 + np.exp(-expected))
        np.testing.assert_allclose(program.peek("z", "y"), expected, rtol=1e-12)


def test_loop_delay_without_shape_is_a_clear_error(registry):
    graph = build("loop", [("s", "core.sigmoid", {}), ("z", "core.delay", {})],
                  ["z.y -> s.x", "s.y -> z.x"])
    with pytest.raises(CompileError) as info:
        compile_graph(graph, registry)
    assert info.value.node_id == "z" and "'shape'" in str(info.value)


def test_loop_without_delay_is_rejected(registry):
    graph = build("loop", [("a", "core.sigmoid", {}), ("b", "core.tanh", {})],
                  ["a.y -> b.x", "b.y -> a.x"])
    with pytest.raises(CompileError, match="Delay"):
        compile_graph(graph, registry)


def test_delay_output_gets_no_gradient(registry):
    graph = build("rec", [
        ("data", "core.dataset", {"dataset": "xor", "batch_size": 4}),
        ("d1", "core.dense", {"units": 2}),
        ("z", "core.delay", {}),
        ("d2", "core.dense", {"units": 1}),
        ("loss", "core.mse", {}),
        ("opt", "core.sgd", {}),
    ], ["data.x -> d1.x", "d1.y -> z.x", "z.y -> d2.x", "d2.y -> loss.pred",
        "data.y -> loss.target", "loss.loss -> opt.loss"])
    program = compile_graph(graph, registry)
    assert program.outputs[("z", "y")].grad is None
    assert program.outputs[("d2", "y")].grad is not None
    program.train_step(0)
    assert np.all(program.params[("d1", "W")].grad == 0)  # nothing flows back through time


def test_builder_crash_becomes_compile_error_naming_the_node():
    registry = load_all(Registry(), user_folders=[], entry_points=False)
    spec = NodeSpec("test.broken", "Broken", "Test", "", inputs=(PortSpec("x"),),
                    outputs=(PortSpec("y"),), infer_shapes=no_params_same_shape)

    def crash(ctx):
        raise RuntimeError("boom")

    registry.register(spec, crash, pack="test")
    graph = build("bad", [("data", "core.dataset", {"dataset": "xor"}),
                          ("b", "test.broken", {})], ["data.x -> b.x"])
    with pytest.raises(CompileError) as info:
        compile_graph(graph, registry)
    assert info.value.node_id == "b" and "boom" in str(info.value)


def test_peek_returns_a_copy_and_names_bad_ports(registry):
    program = compile_graph(xor_mlp(), registry)
    program.train_step(0)
    copy = program.peek("d1", "W")
    copy += 100
    assert not np.allclose(program.peek("d1", "W"), copy)
    assert program.peek("d1", "y").shape == (4, 4)
    with pytest.raises(KeyError, match="nope"):
        program.peek("d1", "nope")


def test_grad_norms_match_numpy(registry):
    program = compile_graph(xor_mlp(), registry, seed=2)
    program.train_step(0)
    norms = program.grad_norms()
    assert set(norms) == {"d1", "d2"}
    for node_id in ("d1", "d2"):
        grads = [buf.grad for buf in program.params_of(node_id)]
        expected = np.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads))
        assert norms[node_id] == pytest.approx(expected, rel=1e-5)


def test_two_loss_nodes_keep_separate_metrics(registry):
    graph = build("two", [
        ("data", "core.dataset", {"dataset": "xor", "batch_size": 4}),
        ("d1", "core.dense", {"units": 1}),
        ("l1", "core.mse", {}),
        ("l2", "core.mse", {}),
    ], ["data.x -> d1.x", "d1.y -> l1.pred", "data.y -> l1.target", "data.y -> l2.pred",
        "data.y -> l2.target"])
    program = compile_graph(graph, registry)
    program.train_step(0)
    metrics = program.read_metrics()
    assert metrics["l2.loss"] == 0.0  # pred == target
    assert metrics["loss"] > 0.0


def test_read_metrics_averages_over_rows_and_resets(registry):
    program = compile_graph(xor_mlp(), registry)
    program.train_step(0)
    first = float(program.outputs[("loss", "loss")].value[0])
    assert program.read_metrics()["loss"] == pytest.approx(first, rel=1e-6)
    assert program.read_metrics()["loss"] == 0.0


def test_after_step_hooks_run_once_per_step(registry):
    calls = []
    registry_ = load_all(Registry(), user_folders=[], entry_points=False)
    spec = NodeSpec("test.count", "Count", "Test", "", inputs=(PortSpec("x", PortKind.TENSOR),),
                    infer_shapes=lambda p, s: ({}, {}))
    registry_.register(spec, lambda ctx: Step(after_step=lambda: calls.append(1)), pack="t")
    graph = build("c", [("data", "core.dataset", {"dataset": "xor", "batch_size": 2}),
                        ("c", "test.count", {})], ["data.x -> c.x"])
    program = compile_graph(graph, registry_)
    for batch in range(program.steps_per_epoch()):
        program.train_step(batch)
    assert len(calls) == 2


def test_weight_tiles_lays_out_square_receptive_fields():
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(64, 3))
    image = weight_tiles(weights)
    assert image.shape == (2 * 8 + 1, 2 * 8 + 1)  # 2x2 grid of 8x8 tiles with 1-px gaps
    tile = weights[:, 1].reshape(8, 8)
    expected = (tile - tile.min()) / (tile.max() - tile.min())
    np.testing.assert_allclose(image[0:8, 9:17], expected, atol=1e-6)
    assert np.all(image[8, :] == 0) and np.all(image[9:, 9:] == 0)  # gap and empty cell
    assert weight_tiles(rng.normal(size=(2, 4))).shape == (2, 4)  # not square: whole matrix
    assert tile_grid(np.ones((5, 2, 3))).shape == (2 * 3 - 1, 3 * 4 - 1)
