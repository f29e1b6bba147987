"""The example graphs: they load, lay out left to right, train to their promised results, and
the vanishing-gradient chain reproduces the numbers printed in the notes."""

from pathlib import Path

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.records import load_initial_weights
from engines.session import Session
from graph.fileio import load_graph
from graph.validate import validate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAMES = ["xor_mlp", "spirals_mlp", "digits_mlp", "vanishing_gradient_chain"]


def _load(name, registry):
    return load_graph(EXAMPLES / f"{name}.dgraph", registry)


@pytest.mark.parametrize("name", NAMES)
def test_example_is_valid_and_reads_left_to_right(name, registry):
    graph = _load(name, registry)
    assert not [p for p in validate(graph, registry) if p.severity == "error"]
    assert {"epochs", "seed"} <= set(graph.settings)
    x = {node_id: node.position[0] for node_id, node in graph.nodes.items()}
    assert all(x[e.src] < x[e.dst] for e in graph.edges), "a wire runs right to left"
    positions = [tuple(node.position) for node in graph.nodes.values()]
    assert len(set(positions)) == len(positions), "two nodes on top of each other"


def _train(name, registry, seed=None, epochs=None):
    graph = _load(name, registry)
    program = compile_graph(graph, registry, seed=graph.settings["seed"] if seed is None
                            else seed)
    load_initial_weights(program, EXAMPLES / f"{name}.dgraph")
    session = Session(program, epochs=epochs or graph.settings["epochs"])
    events = session.run()
    return session, events


def test_xor_reaches_full_accuracy(registry):
    session, _ = _train("xor_mlp", registry)
    assert session.history[-1]["train/accuracy"] == 1.0
    assert session.history[-1]["train/loss"] < 0.01


def test_digits_reaches_95_percent_validation_accuracy(registry):
    session, events = _train("digits_mlp", registry)
    assert session.history[-1]["val/accuracy"] >= 0.95
    assert events[-1].reason in ("completed", "early_stopped")


def test_spirals_are_separated(registry):
    session, _ = _train("spirals_mlp", registry)
    assert session.history[-1]["train/accuracy"] >= 0.97
    assert session.history[-1]["val/accuracy"] >= 0.9


OUTPUTS = [0.731058578630005, 0.188143725087062, 0.407022630083087, 0.307029145835665,
           0.576159944190332]
GRADS_W5_TO_W1 = [0.00571019949926838, 0.0016105892898339, -0.00035937069569135,
                  0.000426583433503455, -0.000229451909878624]


def test_vanishing_gradient_chain_matches_the_notes(registry):
    graph = _load("vanishing_gradient_chain", registry)
    program = compile_graph(graph, registry, dtype=np.float64)
    assert load_initial_weights(program, EXAMPLES / "vanishing_gradient_chain.dgraph")
    weights = [float(program.peek(f"w{i}", "W")[0, 0]) for i in range(1, 6)]
    assert weights == [1.0, -2.0, -2.0, -2.0, 1.0]
    program.forward()
    program.backward()
    outputs = [float(program.peek(f"y{i}", "y")[0, 0]) for i in range(1, 6)]
    np.testing.assert_allclose(outputs, OUTPUTS, rtol=1e-12)
    loss = float(program.peek("loss", "loss")[0])
    assert loss == pytest.approx(0.5 * (OUTPUTS[-1] - 0.5) ** 2, rel=1e-12)
    grads = [float(program.params[(f"w{i}", "W")].grad[0, 0]) for i in range(5, 0, -1)]
    np.testing.assert_allclose(grads, GRADS_W5_TO_W1, rtol=1e-12)
    norms = program.grad_norms()  # the per-layer norms the editor plots
    np.testing.assert_allclose([norms[f"w{i}"] for i in range(5, 0, -1)],
                               np.abs(GRADS_W5_TO_W1), rtol=1e-12)
