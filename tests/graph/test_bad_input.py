"""Input that used to get through: integer literals over Python's digit limit in a graph
file, and invalid values set on a graph from code."""

import math
from pathlib import Path

import pytest

from graph.commands import MoveNode, SetParam, UndoStack
from graph.fileio import GraphFileError, graph_from_json, graph_to_json, load_graph
from graph.model import MISSING, Graph, GraphError, Node
from plugins import default_registry

XOR = Path(__file__).resolve().parents[2] / "examples" / "xor_mlp.dgraph"


def test_integer_literal_over_the_digit_limit_gives_a_clean_message():
    text = ('{"format": "dendrite-graph",\n "version": 1,\n "settings": {"epochs": '
            + "7" * 5000 + "}}")
    with pytest.raises(GraphFileError) as caught:
        graph_from_json(text, default_registry(), source="big.dgraph")
    message = str(caught.value)
    assert message == ("big.dgraph: has a number with more than 4300 digits at line 3; no value "
                       "in a graph needs that many.")
    assert "ValueError" not in message and "sys.set_int_max_str_digits" not in message


# -- values set from code go through the spec -------------------------------------------------
@pytest.fixture
def xor():
    return load_graph(XOR, default_registry())


@pytest.mark.parametrize("name, value, pattern", [
    ("lr", math.nan, r"'lr' of 'SGD \+ momentum': must be a finite number; got nan"),
    ("lr", math.inf, r"must be a finite number; got inf"),
    ("lr", MISSING, r"'lr' of 'SGD \+ momentum': it needs a value"),
    ("lr", object(), r"must be plain data .*got object"),
    ("lr", 10**5000, r"more than 4,000 digits"),
    ("lr", -1.0, r"^SGD 'SGD \+ momentum': parameter 'lr' must lie in"),
    ("lr", "fast", r"parameter 'lr' must be a number; got 'fast'"),
    ("nope", 1, r"parameter 'nope' is not a parameter of SGD"),
], ids=["nan", "inf", "missing", "object", "huge_int", "range", "text", "unknown"])
def test_set_param_refuses_bad_values_and_stores_nothing(xor, name, value, pattern):
    before = xor.snapshot()
    seen = []
    xor.changed.connect(seen.append)
    with pytest.raises(GraphError, match=pattern):
        xor.set_param("opt", name, value)
    stack = UndoStack(xor)
    with pytest.raises(GraphError):
        stack.push(SetParam("opt", name, value))
    assert not stack.can_undo() and seen == [] and xor.snapshot() == before
    graph_to_json(xor)  # still saves


def test_set_param_stores_the_coerced_value_and_undo_restores_missing(xor):
    stack = UndoStack(xor)
    stack.push(SetParam("hidden", "units", 7))
    stack.push(SetParam("opt", "weight_decay", 1))  # an int for a float parameter
    assert xor.nodes["opt"].params["weight_decay"] == 1.0
    assert isinstance(xor.nodes["opt"].params["weight_decay"], float)
    stack.undo()
    assert "weight_decay" not in xor.nodes["opt"].params  # back to the default
    stack.undo()
    assert xor.nodes["hidden"].params["units"] == 4


def test_without_a_registry_plain_data_is_still_enforced():
    graph = Graph()
    graph.add_node(Node("a", "any.type"))
    graph.set_param("a", "sizes", [1, 2.5, "x", None, True])
    for bad in (math.nan, [1, math.inf], MISSING, {"a": 1}):
        with pytest.raises(GraphError, match="Cannot set parameter"):
            graph.set_param("a", "p", bad)
    assert graph.nodes["a"].params == {"sizes": [1, 2.5, "x", None, True]}


@pytest.mark.parametrize("position", [(math.nan, 0.0), (0.0, math.inf), "ab", (1.0,),
                                      (1.0, 2.0, 3.0), None, ("x", 1.0)])
def test_move_node_refuses_what_is_not_two_finite_numbers(xor, position):
    before = xor.nodes["hidden"].position
    stack = UndoStack(xor)
    with pytest.raises(GraphError, match="Cannot move 'Hidden \\(4\\)' to .*two finite numbers"):
        stack.push(MoveNode("hidden", position))
    assert xor.nodes["hidden"].position == before and not stack.can_undo()
    stack.push(MoveNode("hidden", (1, -2)))
    assert xor.nodes["hidden"].position == (1.0, -2.0)
