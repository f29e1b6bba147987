"""Kosko BAM: storage rule, energy descent, recall of letter pairs, the capacity limit."""

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.events import Failed, Finished, FinishReason, Image, Points, Scalar
from engines.session import Session
from graph.model import Edge, Graph, Node
from plugins.selforg.bam import bam_weights, energy, recall_pass


def bam_graph(x_letters="EMO", y_letters="BAG", corrupt=0.1, values="bipolar"):
    graph = Graph("bam")
    graph.add_node(Node("xs", "energy.patterns", {"source": "letters", "letters": x_letters,
                                                  "size": 12, "values": values}))
    graph.add_node(Node("ys", "energy.patterns", {"source": "letters", "letters": y_letters,
                                                  "size": 7}))
    graph.add_node(Node("bam", "selforg.bam", {}))
    graph.connect(Edge("xs", "patterns", "bam", "x_patterns"))
    graph.connect(Edge("ys", "patterns", "bam", "y_patterns"))
    if corrupt is not None:
        graph.add_node(Node("noise", "energy.corrupt", {"fraction": corrupt}))
        graph.connect(Edge("xs", "patterns", "noise", "x"))
        graph.connect(Edge("noise", "y", "bam", "cue"))
    return graph


def test_weights_are_the_sum_of_outer_products():
    rng = np.random.default_rng(0)
    x = np.where(rng.random((3, 7)) < 0.5, -1.0, 1.0)
    y = np.where(rng.random((3, 4)) < 0.5, -1.0, 1.0)
    assert np.array_equal(bam_weights(x, y), sum(np.outer(a, b) for a, b in zip(x, y)))


@pytest.mark.parametrize("seed", range(5))
def test_recall_passes_never_raise_the_energy(seed):
    rng = np.random.default_rng(seed)
    x = np.where(rng.random((6, 30)) < 0.5, -1.0, 1.0)
    y = np.where(rng.random((6, 20)) < 0.5, -1.0, 1.0)
    weights = bam_weights(x, y)
    state_x = np.where(rng.random((10, 30)) < 0.5, -1.0, 1.0)
    state_y = np.where(state_x @ weights >= 0, 1.0, -1.0)
    before = energy(state_x, weights, state_y)
    for _ in range(10):
        stable = recall_pass(np, weights, state_x, state_y)
        after = energy(state_x, weights, state_y)
        assert np.all(after <= before + 1e-9)
        before = after
        if stable:
            break
    assert stable


def test_letter_pairs_are_recalled_from_corrupted_cues(registry):
    program = compile_graph(bam_graph(), registry, seed=1)
    events = Session(program, epochs=20).run()
    assert np.array_equal(program.outputs[("bam", "y")].value,
                          program.outputs[("ys", "patterns")].value)
    assert np.array_equal(program.outputs[("bam", "x")].value,
                          program.outputs[("xs", "patterns")].value)
    recall = [e.value for e in events if isinstance(e, Scalar) and e.tag == "bam/bam/recall"]
    assert recall[-1] == 1.0
    energies = [e.value for e in events if isinstance(e, Scalar) and e.tag == "bam/bam/energy"]
    assert all(b <= a for a, b in zip(energies, energies[1:]))
    assert [e.reason for e in events if isinstance(e, Finished)] == [FinishReason.CONVERGED]
    assert {"bam/bam/x", "bam/bam/y"} <= {e.tag for e in events if isinstance(e, Image)}


def test_capacity_sweep_shows_the_limit(registry):
    graph = Graph("capacity")
    graph.add_node(Node("cap", "selforg.bam_capacity", {"n": 40, "m": 40, "max_pairs": 16,
                                                        "trials": 10}))
    program = compile_graph(graph, registry, seed=0)
    events = Session(program, epochs=50).run()
    curve = np.array(program.extras["bam_capacity"]["cap"])
    assert curve[:, 0].tolist() == list(range(1, 17))
    assert np.all(curve[:3, 1] == 1.0)  # a few pairs are always recalled
    assert curve[-1, 1] < 0.2  # far past the limit almost none are
    assert curve[-1, 1] < curve[len(curve) // 2, 1] < 1.0
    points = [e for e in events if isinstance(e, Points)][-1]
    assert points.xy.shape == (16, 2)


def test_binary_patterns_are_refused_with_the_fix(registry):
    events = Session(compile_graph(bam_graph(values="binary", corrupt=None), registry),
                     epochs=2).run()
    failed = [e for e in events if isinstance(e, Failed)]
    assert failed and "bipolar" in failed[0].message and "x_patterns" in failed[0].message
    assert failed[0].node_id == "bam"
