"""The letters experiment's example graphs against the NumPy driver (plugins/energy/
letters_notes.py): from the same initial weights the engine's arms take the driver's steps
(learning rates per sample, momentum, local gains, L2 on the mean error)."""

from __future__ import annotations

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.reproduce import Context
from engines.session import Session
from graph.fileio import load_graph
from plugins import default_registry
from plugins.energy import letters_notes as ln
from plugins.energy.letters_data import letter_sets
from plugins.energy.letters_experiment import ARMS, letters_dbn

REGISTRY = default_registry()
EXAMPLES = Context(True, REGISTRY).examples


def engine_losses(example: str, net: ln.FeedForward, epochs: int) -> list:
    """Validation losses of the example graph started from net's weights."""
    graph = load_graph(EXAMPLES / f"{example}.dgraph", REGISTRY)
    program = compile_graph(graph, REGISTRY, seed=0, dtype=np.float64, monitors=False)
    layers = sorted(node for node in graph.nodes if node.startswith("d"))
    weights = {}
    for layer, W, b in zip(layers, net.weights, net.biases):
        weights[f"{layer}/W"], weights[f"{layer}/b"] = W, b
    program.load_weights(weights)
    session = Session(program, epochs=epochs)
    session.run()
    return [h["val/loss"] for h in session.history]


@pytest.mark.parametrize("example, sizes, schedule, epochs", [
    ("letters_notes_shallow", ln.SHALLOW, ln.SHALLOW_SCHEDULE, 12),
    ("letters_notes_deep_random", ln.DEEP, ln.DEEP_RANDOM_SCHEDULE, 4),
])
def test_the_example_arms_take_the_drivers_steps(example, sizes, schedule, epochs):
    sets = letter_sets(0)
    start = ln.FeedForward.random(sizes, np.random.default_rng(1))
    driver = ln.FeedForward([w.copy() for w in start.weights], [b.copy() for b in start.biases])
    ln.train_feedforward(driver, sets, ln.Schedule(**{**schedule.__dict__,
                                                      "max_epochs": epochs, "min_epochs": 99}))
    expected = [h["val/loss"] for h in driver.history]
    np.testing.assert_allclose(engine_losses(example, start, epochs), expected, rtol=1e-6)
    assert max(expected) - min(expected) > 1e-3  # they trained


def test_the_pretrained_arm_is_the_deep_net_with_its_first_three_layers_as_rbms():
    graph = load_graph(EXAMPLES / "letters_notes_pretrained.dgraph", REGISTRY)
    dbn = graph.nodes["dbn"].params
    assert dbn["layers"] == [100, 300, 100] and dbn["stop_factors"] == [0.5, 0.1, 0.1]
    assert dbn["rbm_batch"] == 10 and dbn["k"] == 35 and dbn["error"] == "hamming"
    program = compile_graph(graph, REGISTRY, monitors=False)
    deep = compile_graph(load_graph(EXAMPLES / "letters_notes_deep_random.dgraph", REGISTRY),
                         REGISTRY, monitors=False)
    assert sum(program.param_counts.values()) == sum(deep.param_counts.values())


def test_the_quick_letters_row_runs_the_examples():  # about 6 s
    outcome = letters_dbn(Context(True, REGISTRY))
    assert outcome.figure.count("of 312") == 3 and "notes 231" in outcome.figure
    assert "RBMs 3/3/3, fine-tuning" in outcome.figure
    assert [name for _, name in ARMS][0] in outcome.figure
