"""Classifier views: confusion matrix and per-class scores (checked against scikit-learn),
and the decision-region monitor of 2-D data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from engines.compiler import compile_graph
from engines.events import Image, Points
from engines.session import Session
from graph.fileio import load_graph
from plugins.core.class_report import class_scores
from plugins.core.regions import class_labels, grid_over, scores

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_class_scores_match_scikit_learn():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 5, 300)
    guess = np.where(rng.random(300) < 0.6, truth, rng.integers(0, 5, 300))
    guess[guess == 4] = 3  # class 4 never predicted: precision and F1 are 0, not NaN
    counts = confusion_matrix(truth, guess, labels=range(5))
    precision, recall, f1, _ = precision_recall_fscore_support(
        truth, guess, labels=range(5), zero_division=0)
    assert np.allclose(class_scores(counts), np.stack([precision, recall, f1], axis=1))


def test_digits_confusion_matrix_counts_every_validation_sample_once(registry):
    graph = load_graph(EXAMPLES / "digits_mlp.dgraph", registry)
    program = compile_graph(graph, registry, seed=0)
    events = Session(program, 2).run()
    confusions = [e for e in events if isinstance(e, Image) and e.tag == "confusion/loss"]
    scores_ = [e for e in events if isinstance(e, Image) and e.tag == "class_scores/loss"]
    assert len(confusions) == 2 and len(scores_) == 2
    n_val = program.feeds[0].n_val
    last = confusions[-1].array
    assert last.shape == (10, 10) and last.sum() == n_val
    accuracy = np.trace(last) / n_val
    assert abs(accuracy - program_val_accuracy(events)) < 1e-6
    assert np.allclose(scores_[-1].array, class_scores(last), atol=1e-6)


def program_val_accuracy(events) -> float:
    return [e.value for e in events if getattr(e, "tag", "") == "val/accuracy"][-1]


def test_decision_regions_cover_the_data_and_follow_the_network(registry):
    graph = load_graph(EXAMPLES / "xor_mlp.dgraph", registry)
    program = compile_graph(graph, registry, seed=0)
    events = Session(program, 300).run()
    regions = [e for e in events if isinstance(e, Image) and e.tag == "regions/data"]
    points = [e for e in events if isinstance(e, Points) and e.tag == "points/data"]
    assert regions and points
    final = regions[-1]
    x0, x1, y0, y1 = final.extent
    xy = points[-1].xy
    assert x0 < xy[:, 0].min() and x1 > xy[:, 0].max() and y0 < xy[:, 1].min()
    assert final.array.shape == (40, 40) and 0 <= final.array.min() <= final.array.max() <= 1
    # the picture is the network's own answer: at each XOR corner it agrees with the label
    grid, _extent = grid_over(xy)
    for (x, y), label in zip(xy, points[-1].labels):
        nearest = np.argmin(((grid - (x, y)) ** 2).sum(axis=1))
        assert (final.array.ravel()[nearest] > 0.5) == bool(label)


def test_labels_and_scores_read_one_hot_and_single_outputs():
    assert class_labels(np.array([[0.2], [0.9]])).tolist() == [0, 1]
    assert class_labels(np.eye(3)[[2, 0]]).tolist() == [2, 0]
    assert scores(np.array([[0.1, 0.9, 0.0], [5.0, 0.0, 0.0]])).tolist() == [0.5, 0.0]


def test_the_regions_pass_leaves_the_batch_as_it_was(registry):
    graph = load_graph(EXAMPLES / "xor_mlp.dgraph", registry)
    program = compile_graph(graph, registry, seed=0)
    program.train_step(0)
    before = {key: program.peek(*key) for key in program.outputs}
    monitor = next(m for m in program.monitors if m.node_id == "data")
    assert monitor.run(program.phase)  # it drew the regions
    for key, value in before.items():
        assert np.array_equal(program.peek(*key), value), key


def test_the_final_picture_is_drawn_however_slow_the_first_was(registry, monkeypatch):
    """The redraws are spaced to keep their share of the run small; a slow first pass (a
    kernel compiling) once spaced them past the run's end, leaving the step-1 picture."""
    from plugins.core import regions
    monkeypatch.setattr(regions, "SHARE", 1e-9)  # any pass now spaces the next past the end
    graph = load_graph(EXAMPLES / "xor_mlp.dgraph", registry)
    program = compile_graph(graph, registry, seed=0)
    events = Session(program, 20).run()
    steps = [e.step for e in events if isinstance(e, Image) and e.tag == "regions/data"]
    assert steps == [1, program.phase.step]
