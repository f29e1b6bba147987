"""Undoable commands: each one reverts exactly; random edit sequences undo to the start."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.commands import (
    AddNode,
    Compound,
    Connect,
    Disconnect,
    MoveNode,
    RemoveNode,
    SetParam,
    SetSettings,
    SetTitle,
    UndoStack,
)
from graph.model import Edge, GraphError, Node

from .conftest import SPECS, make_graph


def round_trip(graph, command):
    """Push command, undo, redo; return (before, after) snapshots after checking both."""
    stack = UndoStack(graph)
    before = graph.snapshot()
    stack.push(command)
    after = graph.snapshot()
    assert after != before
    assert stack.undo() and graph.snapshot() == before
    assert stack.redo() and graph.snapshot() == after
    return before, after


@pytest.mark.parametrize("command", [
    AddNode(Node("new", "toy.layer", {"units": 3}, (5.0, 6.0))),
    AddNode(Node("first", "toy.source"), index=0),
    RemoveNode("h"),
    Disconnect(Edge("src", "y", "h", "x")),
    SetParam("h", "units", 7),
    SetParam("h", "rate", 0.25),  # not set before: undo removes it again
    MoveNode("out", (100.0, -3.0)),
    SetTitle("h", "Hidden"),
    SetSettings({"epochs": 7, "engine": "numpy"}),
    Compound([RemoveNode("out"), AddNode(Node("out2", "toy.layer")),
              Connect(Edge("h", "y", "out2", "x"))], "Replace"),
], ids=lambda c: type(c).__name__)
def test_each_command_undoes_and_redoes_exactly(chain, command):
    round_trip(chain, command)


def test_connect_undoes_and_redoes(chain):
    chain.add_node(Node("side", "toy.pair"))
    round_trip(chain, Connect(Edge("src", "y", "side", "a")))


def test_remove_node_undo_restores_wire_order(chain):
    chain.add_node(Node("side", "toy.pair"))
    chain.connect(Edge("src", "y", "side", "a"))
    chain.connect(Edge("h", "y", "side", "b"))
    round_trip(chain, RemoveNode("h"))


def test_failed_compound_rolls_back(chain):
    before = chain.snapshot()
    stack = UndoStack(chain)
    bad = Compound([SetParam("h", "units", 9), AddNode(Node("h", "toy.layer"))])
    with pytest.raises(GraphError):
        stack.push(bad)
    assert chain.snapshot() == before and not stack.can_undo()


def test_failed_settings_leave_settings_unchanged(chain):
    before = chain.snapshot()
    with pytest.raises(GraphError, match="epochs"):
        UndoStack(chain).push(SetSettings({"seed": 3, "epochs": -1}))
    assert chain.snapshot() == before


def test_stack_texts_clean_state_and_limit(chain):
    stack = UndoStack(chain, limit=2)
    assert not stack.undo() and not stack.redo()
    stack.push(SetParam("h", "units", 1))
    stack.set_clean()
    assert stack.is_clean()
    stack.push(SetTitle("h", "A"))
    stack.push(MoveNode("h", (1, 1)))
    assert not stack.is_clean()
    assert stack.undo_text() == "Move h"
    assert stack.undo() and stack.undo() and not stack.undo()  # limit kept two steps
    assert stack.redo_text() == "Rename h"
    assert chain.nodes["h"].params["units"] == 1
    stack.push(SetTitle("h", "B"))
    assert not stack.can_redo()
    stack.clear()
    assert not stack.can_undo() and stack.is_clean()


# -- random edit sequences ---------------------------------------------------------------------
TYPES = [spec.type_id for spec in SPECS]
OPS = ["add", "remove", "connect", "disconnect", "param", "move", "title", "settings",
       "compound"]


def make_command(graph, op, a, b, c):
    """A command for op chosen by the integers a, b, c against the graph as it is now, or
    None when op cannot apply (e.g. no nodes to remove)."""
    ids = list(graph.nodes)
    spec_of = {spec.type_id: spec for spec in SPECS}
    if op == "add":
        type_id = TYPES[a % len(TYPES)]
        return AddNode(Node(graph.new_id(type_id.split(".")[1]), type_id, {}, (a, b)),
                       index=b % (len(ids) + 1) if c % 2 else None)
    if not ids:
        return None
    node_id = ids[a % len(ids)]
    spec = spec_of[graph.nodes[node_id].type_id]
    if op == "remove":
        return RemoveNode(node_id)
    if op == "connect":
        dst = ids[b % len(ids)]
        dst_spec = spec_of[graph.nodes[dst].type_id]
        if not spec.outputs or not dst_spec.inputs:
            return None
        port = dst_spec.inputs[c % len(dst_spec.inputs)].name
        edge = Edge(node_id, spec.outputs[0].name, dst, port)
        if edge in graph.edges or graph.source_of(dst, port) is not None:
            return None
        return Connect(edge)
    if op == "disconnect":
        return Disconnect(graph.edges[b % len(graph.edges)]) if graph.edges else None
    if op == "param":
        if not spec.params:
            return None
        param = spec.params[b % len(spec.params)]
        return SetParam(node_id, param.name, [c] if param.type.value == "ints" else c)
    if op == "move":
        return MoveNode(node_id, (float(b), float(c)))
    if op == "title":
        return SetTitle(node_id, f"t{b}")
    if op == "settings":
        return SetSettings({"epochs": 1 + b, "seed": c})
    return Compound([SetTitle(node_id, "c"), MoveNode(node_id, (c, b)), RemoveNode(node_id)])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 30), st.integers(0, 30),
                          st.integers(0, 30)), max_size=25))
def test_random_edits_undo_to_the_exact_start_and_redo_to_the_end(ops):
    graph = make_graph(
        [("src", "toy.source", {"features": 3}), ("h", "toy.layer", {"units": 5}),
         ("d", "toy.delay", {})],
        ["src.y -> h.x", "h.y -> d.x"])
    stack = UndoStack(graph)
    start = graph.snapshot()
    pushed = 0
    for op, a, b, c in ops:
        command = make_command(graph, op, a, b, c)
        if command is not None:
            stack.push(command)
            pushed += 1
    end = graph.snapshot()
    for _ in range(pushed):
        assert stack.undo()
    assert not stack.can_undo()
    assert graph.snapshot() == start
    for _ in range(pushed):
        assert stack.redo()
    assert graph.snapshot() == end
