"""Groups as data: grouping, ungrouping, nesting and deleting undo exactly; files keep groups
(version 3) and every earlier version still loads; the library stores copies; a grouped graph
trains bit for bit like the flat one."""

import json
from pathlib import Path

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.session import Session
from graph.commands import UndoStack
from graph.fileio import (
    FORMAT_VERSION,
    GraphFileError,
    anchor_paths,
    graph_from_json,
    graph_to_json,
    load_graph,
)
from graph.group_commands import delete_items, group_items, ungroup
from graph.groups import boundary_ports, leaves, level_members, wire_ends
from graph.library import entries, insert_entry, read_entry, save_group
from graph.model import GraphError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def mlp(registry):
    return load_graph(EXAMPLES / "digits_mlp.dgraph", registry)


def test_group_makes_one_card_with_named_boundary_ports_and_undoes(mlp):
    stack = UndoStack(mlp)
    before = mlp.snapshot()
    command, group_id = group_items(mlp, ["hidden", "hidden_act", "output"], None, "MLP")
    stack.push(command)
    assert level_members(mlp, None) == ["data", "loss", "opt", "stop", group_id]
    ports = boundary_ports(mlp, group_id)
    assert [(p.name, p.is_input) for p in ports] == [("hidden.x", True), ("output.y", False)]
    edge = mlp.source_of("hidden", "x")
    assert wire_ends(mlp, edge, None) == (("data", "x"), (group_id, "hidden.x"))
    assert wire_ends(mlp, mlp.source_of("output", "x"), None) is None  # inside the card
    assert wire_ends(mlp, mlp.source_of("output", "x"), group_id) == (
        ("hidden_act", "y"), ("output", "x"))
    stack.undo()
    assert mlp.snapshot() == before
    stack.redo()
    stack.push(ungroup(mlp, group_id))
    assert mlp.groups == {}
    stack.undo()
    assert group_id in mlp.groups


def test_nested_groups_ungroup_into_the_enclosing_group_and_delete_everything(mlp):
    stack = UndoStack(mlp)
    before = mlp.snapshot()
    outer_cmd, outer = group_items(mlp, ["hidden", "hidden_act", "output"], None, "Net")
    stack.push(outer_cmd)
    inner_cmd, inner = group_items(mlp, ["hidden", "hidden_act"], outer, "Layer 1")
    stack.push(inner_cmd)
    assert level_members(mlp, outer) == ["output", inner]
    assert leaves(mlp, outer) == ["hidden", "hidden_act", "output"]
    assert wire_ends(mlp, mlp.source_of("hidden", "x"), None) == (
        ("data", "x"), (outer, "hidden.x"))
    assert wire_ends(mlp, mlp.source_of("output", "x"), outer) == (
        (inner, "hidden_act.y"), ("output", "x"))
    stack.push(ungroup(mlp, inner))
    assert set(level_members(mlp, outer)) == {"output", "hidden", "hidden_act"}
    stack.undo()
    from graph.commands import Compound
    stack.push(Compound(delete_items(mlp, [outer]), "Delete"))
    assert not mlp.groups and set(mlp.nodes) == {"data", "loss", "opt", "stop"}
    while stack.undo():
        pass
    assert mlp.snapshot() == before


def test_grouping_refuses_a_node_twice_and_nodes_of_another_level(mlp):
    stack = UndoStack(mlp)
    command, group_id = group_items(mlp, ["hidden", "hidden_act"], None)
    stack.push(command)
    with pytest.raises(GraphError, match="shown at this level"):
        group_items(mlp, ["hidden", "output"], None)
    with pytest.raises(GraphError, match="Select"):
        group_items(mlp, [], None)


def test_groups_round_trip_through_the_file_and_old_versions_still_load(mlp, registry):
    UndoStack(mlp).push(group_items(mlp, ["hidden", "hidden_act"], None, "Hidden")[0])
    text = graph_to_json(mlp)
    document = json.loads(text)
    assert document["version"] == FORMAT_VERSION == 3
    assert document["groups"][0]["members"] == ["hidden", "hidden_act"]
    again = graph_from_json(text, registry)
    assert again.snapshot() == mlp.snapshot()
    document["version"] = 2
    with pytest.raises(GraphFileError, match="version 2 files do not have"):
        graph_from_json(json.dumps(document), registry)
    document["version"] = 3
    document["groups"][0]["members"] = ["hidden", "nowhere"]
    with pytest.raises(GraphFileError, match="groups\\[0\\].*'nowhere'"):
        graph_from_json(json.dumps(document), registry)


def test_every_shipped_example_loads_relabelled_version_2(registry):
    paths = sorted(EXAMPLES.glob("*.dgraph"))
    assert any("group" in p.name for p in paths)
    for path in paths:
        graph = load_graph(path, registry)
        document = json.loads(path.read_text())
        if document.get("groups"):
            continue
        document["version"] = 2
        old = graph_from_json(json.dumps(document), registry, default_name=path.stem)
        anchor_paths(old, registry, path.parent)  # as load_graph does
        assert old.snapshot() == graph.snapshot(), path.name


def test_library_entry_is_copied_into_the_graph(mlp, registry, tmp_path, monkeypatch):
    monkeypatch.setenv("DENDRITE_LIBRARY", str(tmp_path / "lib"))
    stack = UndoStack(mlp)
    command, group_id = group_items(mlp, ["hidden", "hidden_act"], None, "Relu layer")
    stack.push(command)
    from graph.group_commands import SetGroup
    from graph.groups import Group
    old = mlp.groups[group_id]
    stack.push(SetGroup(group_id, Group(old.id, old.title, old.members, old.position,
                                        (("hidden.x", "pixels"),))))
    path = save_group(mlp, group_id)
    assert path.parent == tmp_path / "lib"
    assert [e.title for e in entries()] == ["Relu layer"]
    document = read_entry(path, registry)
    insert, new_id = insert_entry(mlp, document, (500.0, 300.0))
    stack.push(insert)
    assert new_id != group_id and mlp.groups[new_id].position == (500.0, 300.0)
    copied = leaves(mlp, new_id)
    assert len(copied) == 2 and not set(copied) & {"hidden", "hidden_act"}
    assert mlp.groups[new_id].port_names == ((f"{copied[0]}.x", "pixels"),)
    assert mlp.source_of(copied[1], "x").src == copied[0]  # the inner wire came along
    # editing the library entry afterwards does not change the graph
    edited = json.loads(path.read_text())
    edited["nodes"][0]["params"]["units"] = 7
    path.write_text(json.dumps(edited))
    assert mlp.nodes[copied[0]].params["units"] == mlp.nodes["hidden"].params["units"] != 7
    stack.undo()
    assert new_id not in mlp.groups and not set(copied) & set(mlp.nodes)


def test_a_broken_library_file_is_one_message_naming_it(tmp_path):
    bad = tmp_path / "bad.dgroup"
    bad.write_text("{not json")
    with pytest.raises(GraphError, match="bad.dgroup"):
        read_entry(bad)


def _train(graph, registry):
    program = compile_graph(graph, registry)
    Session(program, epochs=2).run()
    return program.weights_to_host()


def test_grouped_graph_trains_bit_for_bit_like_the_flat_one(registry):
    flat = load_graph(EXAMPLES / "xor_mlp.dgraph", registry)
    grouped = load_graph(EXAMPLES / "xor_mlp.dgraph", registry)
    stack = UndoStack(grouped)
    outer_cmd, outer = group_items(grouped, ["hidden", "hidden_act", "output"], None)
    stack.push(outer_cmd)
    stack.push(group_items(grouped, ["hidden", "hidden_act"], outer)[0])
    grouped = graph_from_json(graph_to_json(grouped), registry)  # through the file, too
    assert len(grouped.groups) == 2
    flat.settings["engine"] = grouped.settings["engine"] = "numpy"
    a, b = _train(flat, registry), _train(grouped, registry)
    assert a.keys() == b.keys() and a
    for key in a:
        assert np.array_equal(a[key], b[key]), key
