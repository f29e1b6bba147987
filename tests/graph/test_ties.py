"""Weight ties in the graph model: edits, undo, validation, files (version 2) and migration."""

import json
from pathlib import Path

import pytest

from graph.commands import RemoveNode, SetTie, UndoStack
from graph.fileio import (
    FORMAT_VERSION,
    anchor_paths,
    graph_from_json,
    graph_to_json,
    load_graph,
)
from graph.model import GraphError
from graph.ties import Tie
from graph.validate import validate

from .conftest import make_graph

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def twins():
    """src -> a (4) and src -> b (4): b may share a's weights; dec (3) can mirror a."""
    return make_graph(
        [("src", "toy.source", {"features": 3}), ("a", "toy.layer", {"units": 4}),
         ("b", "toy.layer", {"units": 4}), ("dec", "toy.layer", {"units": 3})],
        ["src.y -> a.x", "src.y -> b.x", "a.y -> dec.x"])


def test_set_tie_is_undoable_and_refuses_loops(twins):
    stack = UndoStack(twins)
    before = twins.snapshot()
    stack.push(SetTie("b", Tie("b", "a")))
    assert twins.ties == {"b": Tie("b", "a")}
    assert twins.snapshot() != before
    with pytest.raises(GraphError, match="loop"):
        twins.set_tie("a", Tie("a", "b"))
    with pytest.raises(GraphError, match="no node 'ghost'"):
        twins.set_tie("a", Tie("a", "ghost"))
    stack.undo()
    assert twins.snapshot() == before
    stack.redo()
    assert twins.ties["b"].source == "a"


def test_removing_a_node_drops_its_ties_and_undo_restores_them(twins):
    stack = UndoStack(twins)
    stack.push(SetTie("b", Tie("b", "a")))
    stack.push(SetTie("dec", Tie("dec", "a", transpose=True)))
    tied = twins.snapshot()
    stack.push(RemoveNode("a"))
    assert twins.ties == {}
    stack.undo()
    assert twins.snapshot() == tied
    assert twins.copy().ties == twins.ties


def test_validation_names_the_node_of_a_bad_tie(twins, toy_registry):
    twins.set_tie("b", Tie("b", "a"))
    assert not [p for p in validate(twins, toy_registry) if p.severity == "error"]
    twins.set_param("b", "units", 5)
    problems = [p for p in validate(twins, toy_registry) if "shares" in p.message]
    assert len(problems) == 1 and problems[0].node_id == "b"
    assert "(3, 5)" in problems[0].message and "(3, 4)" in problems[0].message
    twins.set_param("b", "units", 4)
    twins.set_tie("dec", Tie("dec", "a", transpose=True))  # dec W (4, 3) = a W (3, 4)^T
    assert not [p for p in validate(twins, toy_registry) if p.severity == "error"]
    twins.set_tie("dec", Tie("dec", "src"))
    problems = [p for p in validate(twins, toy_registry) if "same type" in p.message]
    assert [p.node_id for p in problems] == ["dec"]


def test_ties_survive_a_file_round_trip(twins, toy_registry):
    twins.set_tie("b", Tie("b", "a"))
    twins.set_tie("dec", Tie("dec", "a", transpose=True))
    text = graph_to_json(twins)
    document = json.loads(text)
    assert document["version"] == FORMAT_VERSION >= 2
    assert {"node": "dec", "source": "a", "transpose": True} in document["ties"]
    again = graph_from_json(text, toy_registry)
    assert again.snapshot() == twins.snapshot()


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(ties=[{"node": "b", "source": "nowhere"}]), "must name a node"),
    (lambda d: d.update(ties=[{"node": "b", "source": "a", "transpose": 1}]), "true or false"),
    (lambda d: d.update(ties=[{"node": "b", "source": "a", "share": 1}]), "unknown field"),
    (lambda d: d.update(ties=[{"node": "b", "source": "a"}, {"node": "b", "source": "dec"}]),
     "two weight ties"),
    (lambda d: d.update(ties=[{"node": "a", "source": "b"}, {"node": "b", "source": "a"}]),
     "loop"),
    (lambda d: d.update(ties={}), "must be a list"),
    (lambda d: d.update(version=1, ties=[]), "version 1 files do not have"),
])
def test_bad_ties_in_a_file_name_the_culprit(twins, toy_registry, edit, message):
    from graph.fileio import GraphFileError
    document = json.loads(graph_to_json(twins))
    edit(document)
    with pytest.raises(GraphFileError, match=message):
        graph_from_json(json.dumps(document), toy_registry, source="bad.dgraph")


def test_every_shipped_example_loads_as_written_and_as_version_1(registry, tmp_path):
    """Each example loads; without ties, its text marked version 1 loads to the same graph
    (the migration); saved again it is version 2 and loads back equal."""
    paths = sorted(EXAMPLES.glob("*.dgraph"))
    assert len(paths) >= 8
    for path in paths:
        graph = load_graph(path, registry)
        document = json.loads(path.read_text())
        if not document.get("ties") and not document.get("groups"):
            document.pop("ties", None)
            document["version"] = 1
            old = graph_from_json(json.dumps(document), registry, default_name=path.stem)
            anchor_paths(old, registry, path.parent)  # as load_graph does
            assert old.snapshot() == graph.snapshot(), path.name
        resaved = json.loads(graph_to_json(graph))
        assert resaved["version"] == FORMAT_VERSION
        assert graph_from_json(json.dumps(resaved), registry).snapshot() == graph.snapshot()


def test_parameter_counts_count_shared_weights_once(registry):
    """A tied node's card counts only the parameters it owns; the graph total counts a
    shared matrix once (a transposed tie keeps its own bias)."""
    from graph.model import Edge, Graph, Node
    from graph.shapes import infer_shapes

    graph = Graph("tied")
    graph.registry = registry
    for node in (Node("data", "core.dataset", {"dataset": "digits"}),
                 Node("enc", "core.dense", {"units": 16}),
                 Node("dec", "core.dense", {"units": 64}),
                 Node("twin", "core.dense", {"units": 16})):
        graph.add_node(node)
    for src, dst in (("data", "enc"), ("enc", "dec"), ("data", "twin")):
        graph.connect(Edge(src, "x" if src == "data" else "y", dst, "x"))
    untied = infer_shapes(graph, registry).param_counts
    assert untied == {"enc": 64 * 16 + 16, "dec": 16 * 64 + 64, "twin": 64 * 16 + 16}
    graph.set_tie("dec", Tie("dec", "enc", transpose=True))
    graph.set_tie("twin", Tie("twin", "enc"))
    info = infer_shapes(graph, registry)
    assert info.param_counts == {"enc": 64 * 16 + 16, "dec": 64, "twin": 0}
    assert info.total_params() == 64 * 16 + 16 + 64
