"""The dataset nodes' class filter, and the notes' one-class RBM: trained on the 2s alone, it
reconstructs other digits as 2s."""

import numpy as np
import pytest

from engines.compiler import CompileError, compile_graph
from engines.reproduce import Context, Verdict
from graph.model import Graph, Node
from plugins import default_registry
from plugins.core.data import class_filter
from plugins.energy.experiments import one_class_rbm

REGISTRY = default_registry()


def digits_feed(**params):
    graph = Graph("class filter")
    graph.add_node(Node("data", "core.dataset", {"dataset": "digits", "batch_size": 10,
                                                 "val_split": 0.2, **params}))
    return compile_graph(graph, REGISTRY, seed=0).feeds[0]


def test_the_class_filter_keeps_only_the_named_classes():
    feed = digits_feed(classes=[2, 7])
    targets = np.concatenate([np.asarray(feed.y["train"]), np.asarray(feed.y["val"])])
    assert set(np.unique(targets.argmax(axis=1))) == {2, 7}
    assert len(targets) == 177 + 179  # the 2s and 7s of the 1,797 digits
    everything = digits_feed()
    assert len(everything.y["train"]) + len(everything.y["val"]) == 1797


def test_the_class_filter_reads_a_single_label_column():
    x = np.arange(12.0).reshape(6, 2)
    y = np.array([[0.0], [1.0], [2.0], [1.0], [0.0], [2.0]])
    kept_x, kept_y = class_filter(x, y, [1], "data")
    assert kept_y[:, 0].tolist() == [1.0, 1.0] and kept_x[:, 0].tolist() == [2.0, 6.0]


def test_a_class_with_no_samples_is_one_clear_message():
    with pytest.raises(CompileError, match="no samples of class 12; its classes are 0, 1"):
        digits_feed(classes=[12])


def test_the_one_class_rbm_reconstructs_other_digits_as_twos(registry):
    outcome = one_class_rbm(Context(True, registry))
    share = float(outcome.figure.split("%")[0])
    assert share >= 50, outcome.figure
    assert outcome.verdict is Verdict.AGREES
    assert "the inputs themselves: 0.7%" in outcome.figure
