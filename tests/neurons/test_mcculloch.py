"""McCulloch-Pitts neuron: fixed gates, the perceptron rule on AND/OR/NOT, XOR's failure, and
the separating line on 2-D data."""

import numpy as np
import pytest

from engines.compiler import CompileError, compile_graph
from engines.events import Image, Points, Scalar, Text
from engines.session import Session
from graph.model import Edge, Graph, Node


def mp_graph(data: dict, neuron: dict):
    graph = Graph("mp")
    graph.add_node(Node("data", "neurons.logic", data))
    graph.add_node(Node("mp", "neurons.mcculloch_pitts", neuron))
    graph.connect(Edge("data", "x", "mp", "x"))
    graph.connect(Edge("data", "t", "mp", "t"))
    return graph


def run(registry, data, neuron, epochs=30, seed=0):
    program = compile_graph(mp_graph(data, neuron), registry, seed=seed)
    events = Session(program, epochs=epochs).run()
    errors = [e.value for e in events if isinstance(e, Scalar) and e.tag == "train/errors"]
    weights = program.params[("mp", "w")].value.astype(float)
    threshold = float(program.params[("mp", "w0")].value[0])
    return errors, weights, threshold, events


@pytest.mark.parametrize("gate, weights, threshold, expected", [
    ("and", [1.0, 1.0], 1.5, [0, 0, 0, 1]),
    ("or", [1.0, 1.0], 0.5, [0, 1, 1, 1]),
    ("not", [-1.0], -0.5, [1, 0]),
])
def test_hand_set_weights_compute_the_gate(registry, gate, weights, threshold, expected):
    errors, _, _, events = run(registry, {"set": gate}, {"weights": weights,
                                                         "threshold": threshold,
                                                         "learn": False}, epochs=1)
    assert errors == [0.0]
    table = [e.text for e in events if isinstance(e, Text)][-1]
    assert [int(line.split("|")[1]) for line in table.splitlines()[1:]] == expected


@pytest.mark.parametrize("gate", ["and", "or", "not", "nand", "nor"])
def test_perceptron_rule_learns_every_linearly_separable_gate(registry, gate):
    errors, _, _, _ = run(registry, {"set": gate}, {"learning_rate": 0.1})
    assert errors[-1] == 0.0 and errors[0] > 0.0


def test_perceptron_never_solves_xor(registry):
    errors, _, _, _ = run(registry, {"set": "xor"}, {"learning_rate": 0.1}, epochs=50)
    assert min(errors) > 0.0


def test_separating_line_splits_the_2d_classes(registry):
    errors, weights, threshold, events = run(
        registry, {"set": "separable_2d", "count": 60, "batch_size": 1}, {}, epochs=40)
    assert errors[-1] == 0.0
    data = [e for e in events if isinstance(e, Points) and e.tag == "mp/mp/data"][-1]
    side = data.xy @ weights - threshold >= 0
    assert np.array_equal(side, data.labels == 1)
    lines = [e for e in events if isinstance(e, Points) and e.tag == "mp/mp/line"]
    assert len(lines) >= 2 and lines[-1].xy.shape == (2, 2)
    ends = lines[-1].xy @ weights - threshold
    assert np.allclose(ends, 0.0, atol=1e-6)  # both ends lie on w . x = w_0
    assert not np.allclose(lines[0].xy, lines[-1].xy)  # the line moved while it learned
    regions = [e for e in events if isinstance(e, Image) and e.tag == "mp/mp/regions"][-1]
    assert set(np.unique(regions.array)) == {0.0, 1.0}
    x0, x1, y0, y1 = regions.extent  # row 0 is the bottom edge y0, column 0 the left edge x0
    for row, col, corner in ((0, 0, (x0, y0)), (-1, 0, (x0, y1)), (0, -1, (x1, y0))):
        assert regions.array[row, col] == float(np.dot(corner, weights) - threshold >= 0)


def test_wrong_number_of_weights_is_named(registry):
    with pytest.raises(CompileError, match="one weight per input") as error:
        compile_graph(mp_graph({"set": "and"}, {"weights": [1.0, 1.0, 1.0]}), registry)
    assert error.value.node_id == "mp"
