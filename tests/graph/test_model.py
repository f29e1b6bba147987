"""Graph mutations, their errors, settings, snapshots and copies."""

import pytest

from graph.events import (
    EdgeAdded,
    EdgeRemoved,
    NodeAdded,
    NodeMoved,
    NodeRemoved,
    NodeRetitled,
    ParamSet,
    SettingSet,
)
from graph.model import DEFAULT_SETTINGS, MISSING, Edge, Graph, GraphError, Node, Signal

from .conftest import make_graph


def test_add_remove_restores_position_and_wires(chain):
    before = chain.snapshot()
    node, index, edges = chain.remove_node("h")
    assert "h" not in chain.nodes and chain.edges == []
    assert index == 1 and [e for _, e in edges] == [Edge("src", "y", "h", "x"),
                                                   Edge("h", "y", "out", "x")]
    chain.add_node(node, index)
    for edge_index, edge in edges:
        chain.connect(edge, edge_index)
    assert chain.snapshot() == before


def test_mutation_errors_name_the_culprit(chain):
    with pytest.raises(GraphError, match="'h' already exists"):
        chain.add_node(Node("h", "toy.layer"))
    with pytest.raises(GraphError, match="non-empty id"):
        chain.add_node(Node("", "toy.layer"))
    with pytest.raises(GraphError, match="no node 'ghost'"):
        chain.connect(Edge("ghost", "y", "h", "x"))
    with pytest.raises(GraphError, match="already exists"):
        chain.connect(Edge("src", "y", "h", "x"))
    with pytest.raises(GraphError, match="'x' of 'out' already has a wire"):
        chain.connect(Edge("src", "y", "out", "x"))
    with pytest.raises(GraphError, match="no wire"):
        chain.disconnect(Edge("src", "y", "out", "x"))


def test_set_param_returns_previous_and_missing_removes(chain):
    assert chain.set_param("h", "rate", 0.2) is MISSING
    assert chain.set_param("h", "rate", 0.3) == 0.2
    chain.set_param("h", "rate", MISSING, check=False)  # undo's road
    assert "rate" not in chain.nodes["h"].params
    sizes = [1, 2]
    chain.set_param("h", "sizes", sizes)
    sizes.append(3)  # the graph keeps its own copy
    assert chain.nodes["h"].params["sizes"] == [1, 2]


def test_new_id_counts_up():
    graph = make_graph([("dense", "toy.layer", {}), ("dense_2", "toy.layer", {})])
    assert graph.new_id("Dense") == "dense_3"
    assert graph.new_id("My Node") == "my_node"
    assert graph.new_id("") == "node"


def test_settings_default_validated_and_in_snapshot():
    graph = Graph()
    assert graph.settings == DEFAULT_SETTINGS and graph.settings is not DEFAULT_SETTINGS
    assert graph.set_setting("epochs", 5) == 100
    assert graph.snapshot()["settings"]["epochs"] == 5
    for key, value in [("epochs", 0), ("epochs", 2.5), ("seed", -1), ("engine", "tpu"),
                       ("speed", 3), ("seed", True)]:
        with pytest.raises(GraphError, match=key):
            graph.set_setting(key, value)


def test_copy_is_independent(chain):
    chain.set_setting("seed", 7)
    other = chain.copy()
    assert other.snapshot() == chain.snapshot()
    other.set_param("h", "units", 9)
    other.set_setting("seed", 8)
    other.disconnect(Edge("h", "y", "out", "x"))
    assert chain.nodes["h"].params["units"] == 5
    assert chain.settings["seed"] == 7 and len(chain.edges) == 2


def test_queries(chain):
    assert chain.source_of("out", "x") == Edge("h", "y", "out", "x")
    assert chain.source_of("src", "x") is None
    assert chain.edges_into("h") == [Edge("src", "y", "h", "x")]
    assert chain.edges_from("h") == [Edge("h", "y", "out", "x")]
    assert chain.node("h").label == "h"
    chain.set_title("h", "Hidden")
    assert chain.node("h").label == "Hidden"
    assert str(Edge("a", "y", "b", "x")) == "a.y -> b.x"


def test_every_edit_emits_one_typed_event_with_what_changed(chain):
    seen = []
    chain.changed.connect(seen.append)
    chain.set_param("h", "units", 6)
    chain.move_node("h", (1, 2))
    chain.set_title("h", "t")
    chain.set_setting("epochs", 3)
    chain.disconnect(Edge("h", "y", "out", "x"))
    chain.connect(Edge("h", "y", "out", "x"))
    chain.remove_node("out")
    chain.add_node(Node("n2", "toy.layer"))
    assert seen == [ParamSet("h", "units", 5, 6), NodeMoved("h"), NodeRetitled("h"),
                    SettingSet("epochs", 100, 3), EdgeRemoved(Edge("h", "y", "out", "x")),
                    EdgeAdded(Edge("h", "y", "out", "x")), NodeRemoved("out"), NodeAdded("n2")]
    assert chain.nodes["h"].position == (1.0, 2.0)


def test_a_guard_refuses_an_edit_before_it_happens(chain):
    seen, before = [], chain.snapshot()
    chain.changed.connect(seen.append)
    chain.guard = lambda event: "no wires now" if isinstance(event, (EdgeAdded, EdgeRemoved,
                                                                    NodeRemoved)) else None
    with pytest.raises(GraphError, match="no wires now"):
        chain.disconnect(Edge("h", "y", "out", "x"))
    with pytest.raises(GraphError, match="no wires now"):
        chain.remove_node("out")
    assert chain.snapshot() == before and seen == []
    chain.move_node("h", (5, 5))  # the guard lets this one through
    assert seen == [NodeMoved("h")]
    chain.guard = None
    chain.remove_node("out")
    assert "out" not in chain.nodes


def test_signal_disconnect():
    signal, calls = Signal(), []
    slot = calls.append
    signal.connect(slot)
    signal.emit(1)
    signal.disconnect(slot)
    signal.emit(2)
    assert calls == [1]
