"""Whole graphs of core nodes: the lecture notes' five-sigmoid chain and a digits MLP."""

from __future__ import annotations

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.session import Session
from plugins import default_registry
from tests.engines.graphs import build

REGISTRY = default_registry()  # the engine takes its node types from the caller

CHAIN_WEIGHTS = [1.0, -2.0, -2.0, -2.0, 1.0]
CHAIN_OUTPUTS = [0.731058578630005, 0.188143725087062, 0.407022630083087, 0.307029145835665,
                 0.576159944190332]
# dE/dw5 ... dE/dw1 from MODELS.md section B (vanishing gradients)
CHAIN_GRADIENTS = [0.00571019949926838, 0.0016105892898339, -0.00035937069569135,
                   0.000426583433503455, -0.000229451909878624]


def test_five_sigmoid_chain_reproduces_the_lecture_numbers():
    nodes = [("x", "core.constant", {"values": [1.0]}),
             ("t", "core.constant", {"values": [0.5]})]
    edges, previous = [], "x.x"
    for i in range(1, 6):
        nodes += [(f"w{i}", "core.dense", {"units": 1, "bias": False}),
                  (f"s{i}", "core.sigmoid", {})]
        edges += [f"{previous} -> w{i}.x", f"w{i}.y -> s{i}.x"]
        previous = f"s{i}.y"
    nodes += [("loss", "core.mse", {}), ("opt", "core.sgd", {"lr": 0.0})]
    edges += [f"{previous} -> loss.pred", "t.x -> loss.target", "loss.loss -> opt.loss"]
    program = compile_graph(build("chain", nodes, edges), REGISTRY, dtype=np.float64, batch_size=1)
    for i, w in enumerate(CHAIN_WEIGHTS, start=1):
        program.params[(f"w{i}", "W")].value[...] = w
    program.forward()
    program.backward()
    outputs = [program.outputs[(f"s{i}", "y")].value[0, 0] for i in range(1, 6)]
    np.testing.assert_allclose(outputs, CHAIN_OUTPUTS, rtol=1e-12)
    grads = [program.params[(f"w{i}", "W")].grad[0, 0] for i in range(5, 0, -1)]
    np.testing.assert_allclose(grads, CHAIN_GRADIENTS, rtol=1e-10)


def digits_graph(optimizer="core.adam", params=None, extra_layer=("core.relu", {})):
    return build("digits", [
        ("data", "core.dataset", {"dataset": "digits", "batch_size": 64, "val_split": 0.2}),
        ("d1", "core.dense", {"units": 64, "init": "he_uniform", "l2": 1e-4}),
        ("act", extra_layer[0], extra_layer[1]),
        ("drop", "core.dropout", {"rate": 0.1}),
        ("d2", "core.dense", {"units": 10}),
        ("loss", "core.softmax_cross_entropy", {}),
        ("opt", optimizer, params or {"lr": 0.01}),
    ], ["data.x -> d1.x", "d1.y -> act.x", "act.y -> drop.x", "drop.y -> d2.x",
        "d2.y -> loss.pred", "data.y -> loss.target", "loss.loss -> opt.loss"])


def train(program, epochs):
    for epoch in range(epochs):
        for feed in program.feeds:
            feed.begin_epoch(epoch)
        for batch in range(program.steps_per_epoch()):
            program.train_step(batch)
        train_metrics = program.read_metrics()
    return train_metrics, program.evaluate("val")


def test_digits_mlp_with_relu_dropout_cross_entropy_and_adam_learns():
    program = compile_graph(digits_graph(), REGISTRY, seed=0)
    train_metrics, val = train(program, epochs=4)
    assert val["accuracy"] > 0.9, val
    assert train_metrics["penalty"] > 0
    assert train_metrics["loss"] < 0.5


def test_a_softmax_node_then_mse_also_trains():
    graph = build("digits_mse", [
        ("data", "core.dataset", {"dataset": "digits", "batch_size": 32, "val_split": 0.2}),
        ("d1", "core.dense", {"units": 32}),
        ("act", "core.elu", {}),
        ("d2", "core.dense", {"units": 10}),
        ("soft", "core.softmax", {}),
        ("loss", "core.mse", {}),
        ("opt", "core.rmsprop", {"lr": 0.005}),
    ], ["data.x -> d1.x", "d1.y -> act.x", "act.y -> d2.x", "d2.y -> soft.x",
        "soft.y -> loss.pred", "data.y -> loss.target", "loss.loss -> opt.loss"])
    _, val = train(compile_graph(graph, REGISTRY, seed=0), epochs=4)
    assert val["accuracy"] > 0.8, val


def test_validation_warns_when_a_threshold_blocks_the_gradient(registry):
    from graph.validate import validate
    graph = build("mp", [
        ("data", "core.dataset", {"dataset": "and", "batch_size": 4}),
        ("d1", "core.dense", {"units": 1}),
        ("step", "core.threshold", {}),
        ("loss", "core.mse", {}),
        ("opt", "core.sgd", {}),
    ], ["data.x -> d1.x", "d1.y -> step.x", "step.y -> loss.pred", "data.y -> loss.target",
        "loss.loss -> opt.loss"])
    warnings = [p for p in validate(graph, registry) if p.severity == "warning"]
    assert [p.node_id for p in warnings] == ["step"]
    assert "'d1'" in warnings[0].message
    graph.nodes["step"].type_id = "core.sigmoid"
    assert not [p for p in validate(graph, registry) if p.severity == "warning"]


@pytest.mark.parametrize("loss_type", ["core.mse", "core.binary_cross_entropy",
                                       "core.softmax_cross_entropy", "core.kl_divergence"])
def test_report_accuracy_off_leaves_only_the_loss(loss_type):
    """A regression or reconstruction loss can drop the accuracy metric; the loss stays."""
    def metrics(report):
        graph = build("acc", [
            ("data", "core.dataset", {"dataset": "xor", "val_split": 0.0}),
            ("d", "core.dense", {"units": 1}),
            ("s", "core.sigmoid", {}),
            ("loss", loss_type, {"report_accuracy": report}),
            ("opt", "core.sgd", {"lr": 0.1}),
        ], ["data.x -> d.x", "d.y -> s.x", "s.y -> loss.pred", "data.y -> loss.target",
            "loss.loss -> opt.loss"])
        session = Session(compile_graph(graph, REGISTRY, seed=0), epochs=2)
        session.run()
        return session.history[-1]

    with_accuracy, without = metrics(True), metrics(False)
    assert "train/accuracy" in with_accuracy and "train/accuracy" not in without
    assert without["train/loss"] == with_accuracy["train/loss"]
