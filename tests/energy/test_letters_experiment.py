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
from plugins.energy.letters_data import clean_glyphs, letter_sets, nearest_glyph_labels
from plugins.energy.letters_experiment import (
    ARMS,
    Arm,
    Yardstick,
    comparison,
    letters_dbn,
    nearest_glyph_yardstick,
)

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


def test_the_nearest_glyph_rule_is_the_hamming_nearest_template():
    templates, labels = clean_glyphs()
    assert len(templates) == 78
    np.testing.assert_array_equal(nearest_glyph_labels(templates), labels)
    rows = letter_sets(3).test[0]
    hamming = (rows[:, None, :] != templates[None, :, :]).sum(axis=2)
    # the linear form picks a template at the smallest true distance (ties may differ)
    chosen = nearest_glyph_labels(rows)
    nearest = hamming.min(axis=1)
    assert all(nearest[i] in hamming[i][labels == chosen[i]] for i in range(len(rows)))


def test_the_yardstick_counts_the_fourth_face_and_enters_the_verdicts_text():
    stick = nearest_glyph_yardstick(Context(False, REGISTRY), ARMS[0][0])
    x, y = letter_sets(0).test
    right = nearest_glyph_labels(x) == y
    assert (stick.wins, stick.total, stick.fourth_face_total) == (right.sum(), 312, 78)
    assert stick.fourth_face_wins == right.reshape(3, 4, 26)[:, 3].sum()
    assert stick.training_rows == 312

    def arms(*wins):
        return [Arm(str(w), w, 312, "9", (0.1, 0.9)) for w in wins]

    text = comparison(arms(220, 12, 150), False, Yardstick(291, 312, 59, 78, 312))
    assert "wins 291 of 312" in text and "59 of the 78" in text
    assert "more than any trained arm" in text
    text = comparison(arms(300, 12, 150), False, Yardstick(291, 312, 59, 78, 312))
    assert "more than any trained arm" not in text
    assert "Pretraining wins" in comparison(arms(220, 12, 260), False, stick)
