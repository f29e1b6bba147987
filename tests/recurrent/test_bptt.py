"""Loops over time through a Delay (engines.scan): the unrolled graph's gradients equal PyTorch
autograd on the same computation (float64, 1e-10) and finite differences; truncated and
stateful runs; loops fed only by plain tensors; bad input named by node."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engines.compiler import CompileError, compile_graph
from tests.engines.graphs import build
from tests.recurrent.graphs import H, T, elman


def _program(graph, registry):
    program = compile_graph(graph, registry, dtype=np.float64, seed=3)
    rng = np.random.default_rng(5)
    for buf in program.trainable:
        buf.value[...] = rng.normal(0, 0.6, buf.value.shape)
    return program


def _step(program, batch=0):
    program.load("train", batch)
    program.forward()
    program.backward()
    return float(program.outputs[("loss", "loss")].value[0])


def _torch_loss(program, jordan=False, truncate=0, h_start=None, batch=0):
    """The same computation written directly in PyTorch (autograd gives the reference)."""
    params = {key: torch.tensor(program.params[key].value.copy(), requires_grad=True)
              for key in [("hidden", "W"), ("hidden", "b"), ("out", "W"), ("out", "b")]}
    program.load("train", batch)
    x = torch.tensor(program.outputs[("data", "x")].value.copy())
    target = torch.tensor(program.outputs[("data", "y")].value.copy())
    state = torch.zeros(x.shape[0], 1 if jordan else H, dtype=torch.float64) \
        if h_start is None else torch.tensor(h_start)
    loss = 0
    finals = None
    for t in range(x.shape[1]):
        if truncate and t and t % truncate == 0:
            state = state.detach()
        h = torch.tanh(torch.cat([x[:, t], state], 1) @ params[("hidden", "W")]
                       + params[("hidden", "b")])
        y = h @ params[("out", "W")] + params[("out", "b")]
        state = y if jordan else h
        finals = state
        loss = loss + 0.5 * ((y - target[:, t]) ** 2).sum()
    loss = loss / x.shape[0]
    loss.backward()
    grads = {k: v.grad.numpy() for k, v in params.items()}
    return float(loss.detach()), grads, finals.detach().numpy()


@pytest.mark.parametrize("jordan", [False, True], ids=["elman", "jordan"])
@pytest.mark.parametrize("truncate", [0, 2], ids=["full", "truncated"])
def test_unrolled_gradients_equal_pytorch_autograd(registry, jordan, truncate):
    program = _program(elman(truncate=truncate, jordan=jordan), registry)
    loss = _step(program)
    expected_loss, grads, _ = _torch_loss(program, jordan, truncate)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    for key, expected in grads.items():
        np.testing.assert_allclose(program.params[key].grad, expected, rtol=0, atol=1e-10,
                                   err_msg=str(key))


def test_truncation_changes_the_gradient(registry):
    full = _program(elman(), registry)
    _step(full)
    cut = _program(elman(truncate=2), registry)
    _step(cut)
    assert not np.allclose(full.params[("hidden", "W")].grad, cut.params[("hidden", "W")].grad)


def test_unrolled_gradients_match_finite_differences(registry):
    program = _program(elman(steps=4), registry)
    _step(program)
    W = program.params[("hidden", "W")]
    analytic = W.grad.copy()
    numeric = np.zeros_like(analytic)
    eps = 1e-6
    for index in np.ndindex(W.value.shape):
        saved = W.value[index]
        W.value[index] = saved + eps
        up = _step(program)
        W.value[index] = saved - eps
        down = _step(program)
        W.value[index] = saved
        numeric[index] = (up - down) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_stateful_loop_starts_from_the_last_batch(registry):
    program = _program(elman(stateful=True), registry)
    _step(program, 0)
    _, _, final = _torch_loss(program, batch=0)
    loss = _step(program, 1)
    expected, grads, _ = _torch_loss(program, h_start=final, batch=1)
    assert loss == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(program.params[("hidden", "W")].grad, grads[("hidden", "W")],
                               atol=1e-10)
    stateless = _program(elman(), registry)
    _step(stateless, 0)
    assert _step(stateless, 1) != pytest.approx(loss, rel=1e-6)


def test_loop_fed_by_plain_tensors_runs_the_delays_steps(registry):
    # h_k = tanh(h_{k-1} W + b) from a constant start, 7 steps per training step
    graph = build("free", [
        ("start", "core.constant", {"values": [0.3, -0.2]}),
        ("z", "core.delay", {"shape": [2], "steps": 7}),
        ("d", "core.dense", {"units": 2}),
        ("t", "core.tanh", {}),
        ("collect", "recurrent.collect", {}),
    ], ["start.x -> z.initial", "z.y -> d.x", "d.y -> t.x", "t.y -> z.x", "t.y -> collect.x"])
    program = compile_graph(graph, registry, dtype=np.float64)
    program.train_step(0)
    W, b = (program.params[("d", k)].value for k in "Wb")
    h, states = np.array([[0.3, -0.2]]), []
    for _ in range(7):
        h = np.tanh(h @ W + b)
        states.append(h[0])
    np.testing.assert_allclose(program.peek("collect", "y")[0], np.array(states), rtol=1e-12)


def _compile_error(graph, registry):
    with pytest.raises(CompileError) as caught:
        compile_graph(graph, registry)
    return caught.value


def test_mismatched_time_axes_name_the_node(registry):
    graph = elman()
    graph.nodes["data2"] = type(graph.nodes["data"])("data2", "recurrent.sequence_task",
                                                     {"task": "sine", "steps": T + 3})
    graph.nodes["steps2"] = type(graph.nodes["data"])("steps2", "recurrent.steps", {})
    graph.nodes["add"] = type(graph.nodes["data"])("add", "core.add", {})
    from graph.model import Edge
    graph.disconnect(graph.source_of("cat", "a"))
    for edge in [Edge("data2", "x", "steps2", "x"), Edge("steps", "y", "add", "a"),
                 Edge("steps2", "y", "add", "b"), Edge("add", "y", "cat", "a")]:
        graph.connect(edge)
    error = _compile_error(graph, registry)
    assert error.node_id == "steps2" and "same length" in str(error)


def test_truncation_longer_than_the_sequence_names_the_delay(registry):
    error = _compile_error(elman(truncate=T + 1), registry)
    assert error.node_id == "z" and "truncate" in str(error)


def test_loss_inside_the_loop_names_it(registry):
    graph = build("bad", [
        ("data", "recurrent.sequence_task", {"task": "sine", "steps": 5}),
        ("steps", "recurrent.steps", {}),
        ("target", "recurrent.last_step", {}),
        ("loss", "core.mse", {}),
    ], ["data.x -> steps.x", "data.y -> target.x", "steps.y -> loss.pred",
        "target.y -> loss.target"])
    error = _compile_error(graph, registry)
    assert error.node_id == "loss" and "Collect steps" in str(error)


def test_collect_outside_a_loop_names_it(registry):
    graph = build("bad", [
        ("data", "core.dataset", {"dataset": "sine"}),
        ("collect", "recurrent.collect", {}),
    ], ["data.x -> collect.x"])
    error = _compile_error(graph, registry)
    assert error.node_id == "collect" and "loop" in str(error)


def test_loop_delay_without_shape_names_the_delay(registry):
    graph = elman()
    graph.set_param("z", "shape", [])
    error = _compile_error(graph, registry)
    assert error.node_id == "z" and "'shape'" in str(error)


def test_cycle_without_a_delay_names_the_loop(registry):
    graph = elman()
    from graph.model import Edge
    graph.remove_node("z")
    graph.connect(Edge("act", "y", "cat", "b"))
    error = _compile_error(graph, registry)
    assert "Delay" in str(error) and error.node_id in {"cat", "hidden", "act"}


def test_sequence_length_zero_names_the_data_node(registry):
    graph = elman()
    graph.set_param("data", "steps", 0)
    error = _compile_error(graph, registry)
    assert error.node_id == "data" and "steps" in str(error)


@pytest.mark.parametrize("activation", ["core.leaky_relu", "core.elu", "core.sigmoid",
                                        "core.relu", "core.softplus"])
def test_activations_inside_a_loop_match_finite_differences(registry, activation):
    graph = elman(steps=4)
    graph.nodes["act"].type_id = activation
    program = _program(graph, registry)
    _step(program)
    W = program.params[("hidden", "W")]
    analytic = W.grad.copy()
    numeric = np.zeros_like(analytic)
    for index in np.ndindex(W.value.shape):
        saved = W.value[index]
        W.value[index] = saved + 1e-6
        up = _step(program)
        W.value[index] = saved - 1e-6
        down = _step(program)
        W.value[index] = saved
        numeric[index] = (up - down) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_dropout_inside_a_loop_is_refused_by_name(registry):
    graph = elman()
    from graph.model import Edge, Node
    graph.disconnect(graph.source_of("out", "x"))
    graph.add_node(Node("drop", "core.dropout", {"rate": 0.2}))
    graph.connect(Edge("act", "y", "drop", "x"))
    graph.connect(Edge("drop", "y", "out", "x"))
    error = _compile_error(graph, registry)
    assert error.node_id == "drop" and "Collect steps" in str(error)
