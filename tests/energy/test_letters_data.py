"""The notes' letters node: the driver's three sets as train / val / test splits, and the
session's test split, evaluated once with the weights the run ends with."""

from __future__ import annotations

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.events import Finished, Log
from engines.session import Session
from plugins import default_registry
from plugins.energy.letters_data import letter_sets
from tests.engines.graphs import build

REGISTRY = default_registry()


def shallow(data: dict, stop: dict | None = None):
    nodes = [("data", "energy.letter_sets", data),
             ("d1", "core.dense", {"units": 20}), ("s1", "core.sigmoid", {}),
             ("d2", "core.dense", {"units": 26}),
             ("loss", "core.softmax_cross_entropy", {}),
             ("opt", "core.sgd", {"lr": 0.5, "momentum": 0.9})]
    edges = ["data.x -> d1.x", "d1.y -> s1.x", "s1.y -> d2.x", "d2.y -> loss.pred",
             "data.y -> loss.target", "loss.loss -> opt.loss"]
    if stop is not None:
        nodes.append(("stop", "core.early_stopping", stop))
        edges.append("loss.loss -> stop.loss")
    return build("letters", nodes, edges)


def test_the_node_serves_the_notes_sets_as_train_val_and_test():
    program = compile_graph(shallow({"batch_size": 0, "shuffle": False}), REGISTRY,
                            monitors=False)
    sets = letter_sets(0)
    feed = program.feeds[0]
    assert (feed.n_train, feed.n_val, feed.n_test) == (312, 312, 312)
    assert feed.batch_size == 312 and program.steps_per_epoch() == 1  # 0: full batch
    for split, (x, labels) in (("train", sets.train), ("val", sets.cv), ("test", sets.test)):
        program.load(split, 0)
        assert np.array_equal(program.outputs[("data", "x")].value, x)
        assert np.array_equal(program.outputs[("data", "y")].value.argmax(axis=1), labels)
    # the sets follow data_seed, not the run's seed
    other = compile_graph(shallow({"batch_size": 0, "shuffle": False}), REGISTRY, seed=5,
                          monitors=False)
    other.load("test", 0)
    assert np.array_equal(other.outputs[("data", "x")].value, sets.test[0])


def test_the_test_split_is_evaluated_once_at_the_end_with_the_restored_weights():
    program = compile_graph(shallow({"batch_size": 52}, {"stop_factor": 100.0,
                                                         "min_epochs": 0,
                                                         "restore_best": True}),
                            REGISTRY, monitors=False)
    session = Session(program, epochs=8)
    events = session.run()
    summary = [e for e in events if isinstance(e, Finished)][-1].summary
    assert not any(k.startswith("test/") for h in session.history for k in h)
    # the test figures are those of the weights the run ends with (the best epoch's)
    x, labels = letter_sets(0).test
    W1, b1, W2, b2 = (program.peek(n, p).astype(np.float64)
                      for n, p in (("d1", "W"), ("d1", "b"), ("d2", "W"), ("d2", "b")))
    logits = 1 / (1 + np.exp(-(x @ W1 + b1))) @ W2 + b2
    logits -= logits.max(axis=1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    assert summary["test/loss"] == pytest.approx(-log_p[np.arange(312), labels].mean(),
                                                 rel=1e-4)
    assert summary["test/accuracy"] == pytest.approx(np.mean(log_p.argmax(axis=1) == labels))
    assert any(e.message.startswith("Test split (312 rows") for e in events
               if isinstance(e, Log))


def test_a_graph_without_a_test_split_reports_none():
    graph = build("xor", [("data", "core.dataset", {"dataset": "xor"}),
                          ("d1", "core.dense", {"units": 1}),
                          ("loss", "core.mse", {}), ("opt", "core.sgd", {})],
                  ["data.x -> d1.x", "d1.y -> loss.pred", "data.y -> loss.target",
                   "loss.loss -> opt.loss"])
    events = Session(compile_graph(graph, REGISTRY, monitors=False), epochs=2).run()
    summary = [e for e in events if isinstance(e, Finished)][-1].summary
    assert not any(k.startswith("test/") for k in summary)
