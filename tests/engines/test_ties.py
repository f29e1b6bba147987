"""Weight ties compiled: one buffer, gradients of every user summed into it (finite
differences over the whole program), transposed ties, saved weights once, clear errors."""

import numpy as np
import pytest

from engines.compiler import CompileError, compile_graph
from engines.session import Session
from graph.ties import Tie
from tests.engines.graphs import build


def chain_graph():
    """x -> a (3 units) -> tanh -> b (3 units, tied to a) -> MSE against x."""
    graph = build("tied chain", [
        ("data", "core.dataset", {"dataset": "pca3d", "samples": 12, "batch_size": 12}),
        ("a", "core.dense", {"units": 3}),
        ("t", "core.tanh", {}),
        ("b", "core.dense", {"units": 3}),
        ("loss", "core.mse", {}),
    ], ["data.x -> a.x", "a.y -> t.x", "t.y -> b.x", "b.y -> loss.pred",
        "data.y -> loss.target"])
    graph.set_tie("b", Tie("b", "a"))
    return graph


def autoencoder_graph(optimizer=False):
    """x -> enc (2 units) -> dec (3 units, W = enc.W^T, own bias) -> MSE against x."""
    nodes = [
        ("data", "core.dataset", {"dataset": "pca3d", "samples": 10, "batch_size": 10}),
        ("enc", "core.dense", {"units": 2}),
        ("dec", "core.dense", {"units": 3}),
        ("loss", "core.mse", {}),
    ]
    edges = ["data.x -> enc.x", "enc.y -> dec.x", "dec.y -> loss.pred", "data.y -> loss.target"]
    if optimizer:
        nodes.append(("opt", "core.adam", {"lr": 0.01}))
        edges.append("loss.loss -> opt.loss")
    graph = build("tied autoencoder", nodes, edges)
    graph.set_tie("dec", Tie("dec", "enc", transpose=True))
    return graph


def loss_and_grads(program):
    program.load("train", 0)
    program.forward()
    program.backward()
    return float(program.outputs[("loss", "loss")].value[0])


def numeric_grad(program, buf, eps=1e-6):
    grad = np.zeros_like(buf.value)
    flat, flat_grad = buf.value.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        values = []
        for step in (eps, -eps):
            flat[i] = saved + step
            program.forward()
            values.append(float(program.outputs[("loss", "loss")].value[0]))
        flat[i] = saved
        flat_grad[i] = (values[0] - values[1]) / (2 * eps)
    return grad


def test_tied_nodes_read_one_buffer_and_sum_their_gradients(registry):
    program = compile_graph(chain_graph(), registry, dtype=np.float64)
    W = program.params[("a", "W")]
    assert ("b", "W") not in program.params  # saved once, under the owner
    assert sum(buf is W for buf in program.trainable) == 1
    loss_and_grads(program)
    analytic = W.grad.copy()
    np.testing.assert_allclose(analytic, numeric_grad(program, W), rtol=1e-6, atol=1e-9)
    # the same net with two copies of the weights: the tied gradient is the copies' sum
    untied = chain_graph()
    untied.set_tie("b", None)
    copies = compile_graph(untied, registry, dtype=np.float64)
    for name in ("W", "b"):
        for node in ("a", "b"):
            copies.params[(node, name)].value[...] = program.params[("a", name)].value
    loss_and_grads(program)
    loss_and_grads(copies)
    a_grad, b_grad = copies.params[("a", "W")].grad, copies.params[("b", "W")].grad
    assert np.abs(a_grad).max() > 1e-3 and np.abs(b_grad).max() > 1e-3
    np.testing.assert_allclose(W.grad, a_grad + b_grad, rtol=1e-10, atol=1e-12)


def test_transposed_tie_shares_the_matrix_and_keeps_own_biases(registry):
    program = compile_graph(autoencoder_graph(), registry, dtype=np.float64)
    W = program.params[("enc", "W")]
    assert W.value.shape == (3, 2)
    assert program.params[("dec", "b")].value.shape == (3,)
    loss_and_grads(program)
    np.testing.assert_allclose(W.grad.copy(), numeric_grad(program, W), rtol=1e-6, atol=1e-9)
    bias = program.params[("dec", "b")]
    loss_and_grads(program)
    np.testing.assert_allclose(bias.grad.copy(), numeric_grad(program, bias), rtol=1e-6,
                               atol=1e-9)


def test_training_keeps_tied_weights_identical(registry):
    graph = autoencoder_graph(optimizer=True)
    graph.settings["epochs"] = 5
    program = compile_graph(graph, registry)
    Session(program, epochs=5).run()
    enc = program.peek("enc", "W")
    dec_view = [b for b in program.trainable if b.name == "enc/W"]
    assert len(dec_view) == 1
    # the decoder's kernel reads the optimizer's current (flat) buffer, transposed
    program.forward()
    x = program.peek("enc", "y")
    b = program.peek("dec", "b")
    np.testing.assert_allclose(program.peek("dec", "y"), x @ enc.T + b, rtol=1e-5, atol=1e-6)


def test_incompatible_tie_is_one_message_naming_the_node(registry):
    graph = chain_graph()
    graph.set_param("b", "units", 4)
    with pytest.raises(CompileError) as error:
        compile_graph(graph, registry)
    messages = [(node, msg) for node, msg in error.value.problems if "shares" in msg]
    assert messages and messages[0][0] == "b"
    assert "make the layer sizes match" in messages[0][1]


def test_tie_between_different_types_is_refused(registry):
    graph = chain_graph()
    graph.set_tie("b", None)
    graph.set_tie("t", Tie("t", "a"))
    with pytest.raises(CompileError) as error:
        compile_graph(graph, registry)
    assert any(node == "t" and "same type" in msg for node, msg in error.value.problems)
