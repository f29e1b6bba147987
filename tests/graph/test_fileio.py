"""Graph files: round trips, every kind of load error, atomic saves, and fuzzing."""

import copy
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.fileio import (
    FORMAT_NAME,
    FORMAT_VERSION,
    GraphFileError,
    graph_from_dict,
    graph_from_json,
    graph_to_dict,
    graph_to_json,
    load_graph,
    save_graph,
)
from graph.model import Edge, Graph, Node
from graph.registry import BrokenPack

from .conftest import make_graph


@pytest.fixture
def rich_graph():
    graph = make_graph(
        [("src", "toy.source", {"features": 7, "kind": "b"}),
         ("h.1", "toy.layer", {"units": 5, "rate": 0.25, "sizes": [3, 4], "name": "é [x], \"q\""}),
         ("p", "toy.pair", {}), ("loss", "toy.loss", {}), ("opt", "toy.optimizer", {"lr": 1})],
        ["src.y -> p.a"], name="rich")
    graph.connect(Edge("src", "y", "h.1", "x"))  # a node id with a dot in it
    graph.connect(Edge("h.1", "y", "loss", "pred"))
    graph.connect(Edge("src", "y", "loss", "target"))
    graph.connect(Edge("loss", "loss", "opt", "loss"))
    graph.set_title("p", "Pair one")
    graph.move_node("p", (-12.5, 3e3))
    graph.settings.update({"epochs": 12, "seed": 3, "engine": "numpy"})
    graph.description = "Everything a file can hold."
    return graph


def test_round_trip_preserves_everything(tmp_path, rich_graph, toy_registry):
    path = tmp_path / "rich.dgraph"
    save_graph(rich_graph, path)
    loaded = load_graph(path, toy_registry)
    assert loaded.snapshot() == rich_graph.snapshot()
    assert loaded.nodes["opt"].params["lr"] == 1.0 and isinstance(loaded.nodes["opt"].params["lr"],
                                                                   float)
    save_graph(loaded, tmp_path / "again.dgraph")  # saving a loaded graph is a fixed point
    again = tmp_path / "again.dgraph"
    assert graph_to_json(load_graph(again, toy_registry)) == again.read_text()


def test_document_layout(rich_graph):
    document = json.loads(graph_to_json(rich_graph))
    assert document["format"] == FORMAT_NAME and document["version"] == FORMAT_VERSION
    assert document["settings"] == {"epochs": 12, "seed": 3, "engine": "numpy"}
    assert document["description"] == "Everything a file can hold."
    assert document["nodes"][2] == {"id": "p", "type": "toy.pair", "title": "Pair one",
                                    "params": {}, "position": [-12.5, 3000.0]}
    assert {"from": "h.1.y", "to": "loss.pred"} in document["edges"]
    assert graph_to_dict(rich_graph) == document


def test_core_graph_round_trip(tmp_path, registry):
    graph = Graph("xor")
    graph.add_node(Node("data", "core.dataset", {"batch_size": 4}))
    graph.add_node(Node("hidden", "core.dense", {"units": 3}))
    graph.connect(Edge("data", "x", "hidden", "x"))
    save_graph(graph, tmp_path / "xor.dgraph")
    assert load_graph(tmp_path / "xor.dgraph", registry).snapshot() == graph.snapshot()


def test_missing_name_and_settings_take_defaults(toy_registry):
    graph = graph_from_dict({"format": FORMAT_NAME, "version": 1}, toy_registry,
                            default_name="stem")
    assert graph.name == "stem" and graph.nodes == {} and graph.description == ""
    assert "description" not in graph_to_dict(graph)  # left out when empty
    assert graph.settings == {"epochs": 100, "seed": 0, "engine": "auto"}


# -- load errors -------------------------------------------------------------------------------
def valid_document(graph):
    return json.loads(graph_to_json(graph))


def load_error(document, registry) -> str:
    text = document if isinstance(document, (str, bytes)) else json.dumps(document)
    with pytest.raises(GraphFileError) as info:
        graph_from_json(text, registry, source="my.dgraph")
    message = str(info.value)
    assert message.startswith("my.dgraph: ")
    return message


def test_unreadable_file_names_it(tmp_path, toy_registry):
    with pytest.raises(GraphFileError, match="nope.dgraph: cannot be read"):
        load_graph(tmp_path / "nope.dgraph", toy_registry)
    with pytest.raises(GraphFileError, match="cannot be read"):
        load_graph(tmp_path, toy_registry)  # a folder


def test_malformed_json_gives_line_and_column(toy_registry):
    message = load_error('{\n  "format": "dendrite-graph",\n  "version": 1,,\n}', toy_registry)
    assert "not valid JSON" in message and "line 3, column 16" in message


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d.update(format="other"), "not a Dendrite graph file"),
    (lambda d: d.pop("format"), "not a Dendrite graph file"),
    (lambda d: d.update(version=FORMAT_VERSION + 1),
     f"newer Dendrite (format version {FORMAT_VERSION + 1})"),
    (lambda d: d.update(version=0), "unknown format version 0"),
    (lambda d: d.update(version="1"), "unknown format version '1'"),
    (lambda d: d.update(version=True), "unknown format version True"),
    (lambda d: d.update(extra=1), "unknown field(s) 'extra'"),
    (lambda d: d.update(name=3), "'name' must be text"),
    (lambda d: d.update(description=["x"]), "'description' must be text"),
    (lambda d: d.update(settings=[]), "'settings' must be an object"),
    (lambda d: d["settings"].update(epochs=0), "setting 'epochs'"),
    (lambda d: d["settings"].update(turbo=True), "no run setting 'turbo'"),
    (lambda d: d.update(nodes={}), "'nodes' must be a list"),
    (lambda d: d["nodes"].append(7), "nodes[5] must be an object"),
    (lambda d: d["nodes"][0].update(id=""), "nodes[0] needs a non-empty text 'id'"),
    (lambda d: d["nodes"][0].pop("type"), "node 'src' needs a text 'type'"),
    (lambda d: d["nodes"][0].update(type="vision.conv"), "node 'src': Unknown node type "
                                                         "'vision.conv'"),
    (lambda d: d["nodes"][1]["params"].update(units=0), "node 'h.1' (toy.layer): parameter "
                                                        "'units' must lie in [1, 100]"),
    (lambda d: d["nodes"][1]["params"].update(units="5"), "parameter 'units' must be a whole"),
    (lambda d: d["nodes"][1]["params"].update(speed=2), "node 'h.1' (toy.layer) has no "
                                                        "parameter 'speed'"),
    (lambda d: d["nodes"][1].update(params=[1]), "'params' must be an object"),
    (lambda d: d["nodes"][1].update(title=None), "'title' must be text"),
    (lambda d: d["nodes"][1].update(position=[1]), "'position' must be [x, y]"),
    (lambda d: d["nodes"][1].update(position=[1, 1e400]), "not valid JSON"),  # Infinity
    (lambda d: d["nodes"][1].update(colour="red"), "node 'h.1' has unknown field(s)"),
    (lambda d: d["nodes"].append(copy.deepcopy(d["nodes"][0])), "two nodes have the id 'src'"),
    (lambda d: d.update(edges="all"), "'edges' must be a list"),
    (lambda d: d["edges"].append({"from": "ghost.y", "to": "p.b"}), "node 'ghost' that the "
                                                                    "file does not define"),
    (lambda d: d["edges"].append({"from": "src.y", "to": "p.zz"}), "(Pair) has no input 'zz'"),
    (lambda d: d["edges"].append({"from": "p.zz", "to": "p.b"}), "(Pair) has no output 'zz'"),
    (lambda d: d["edges"].append({"from": "srcy", "to": "p.b"}), "'from' must be text like"),
    (lambda d: d["edges"].append({"from": "src.y", "to": 3}), "'to' must be text like"),
    (lambda d: d["edges"].append({"from": "src.y"}), "'to' must be text like"),
    (lambda d: d["edges"].append(["src.y", "p.b"]), "edges[5] must be an object"),
    (lambda d: d["edges"].append(dict(d["edges"][0])), "appears twice"),
    (lambda d: d["edges"].append({"from": "p.y", "to": "loss.pred"}), "already has a wire"),
])
def test_each_bad_document_names_the_culprit(rich_graph, toy_registry, mutate, expected):
    document = valid_document(rich_graph)
    mutate(document)
    assert expected in load_error(document, toy_registry)


@pytest.mark.parametrize("text, expected", [
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    ("", "not valid JSON"),
    ("[1, 2]", "holds a JSON list"),
    ('{"format": "dendrite-graph", "version": 1, "name": NaN}', "NaN is not allowed"),
    ('{"format": "dendrite-graph", "format": "x"}', "appears twice"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_bad_text_names_the_culprit(toy_registry, text, expected):
    assert expected in load_error(text, toy_registry)


def test_unknown_type_names_its_broken_pack(rich_graph, toy_registry):
    document = valid_document(rich_graph)
    document["nodes"][0]["type"] = "vision.conv"
    toy_registry.broken.append(BrokenPack("vision", "ImportError: scipy"))
    message = load_error(document, toy_registry)
    assert "'vision' failed to load (ImportError: scipy)" in message


def test_file_too_large(tmp_path, toy_registry, monkeypatch):
    import graph.fileio
    monkeypatch.setattr(graph.fileio, "MAX_FILE_BYTES", 10)
    path = tmp_path / "big.dgraph"
    path.write_text(" " * 11)
    with pytest.raises(GraphFileError, match="larger than"):
        load_graph(path, toy_registry)


# -- atomic saves ------------------------------------------------------------------------------
def test_failed_rename_leaves_old_file_and_no_temp(tmp_path, chain, monkeypatch):
    path = tmp_path / "g.dgraph"
    save_graph(chain, path)
    old = path.read_text()
    chain.set_param("h", "units", 9)

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(GraphFileError, match="g.dgraph: cannot be saved.*No space"):
        save_graph(chain, path)
    assert path.read_text() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dgraph"]


def test_failed_write_leaves_old_file(tmp_path, chain, monkeypatch):
    path = tmp_path / "g.dgraph"
    save_graph(chain, path)
    old = path.read_bytes()

    def broken_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(GraphFileError, match="Input/output error"):
        save_graph(chain, path)
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["g.dgraph"]


def test_unwritable_values_are_refused_before_touching_the_file(tmp_path, chain):
    path = tmp_path / "g.dgraph"
    save_graph(chain, path)
    old = path.read_text()
    chain.nodes["h"].params["units"] = object()
    with pytest.raises(GraphFileError, match="cannot be written as JSON"):
        save_graph(chain, path)
    chain.nodes["h"].params["units"] = float("nan")
    with pytest.raises(GraphFileError):
        save_graph(chain, path)
    assert path.read_text() == old


def test_save_into_missing_folder_fails_cleanly(tmp_path, chain):
    with pytest.raises(GraphFileError, match="cannot be saved"):
        save_graph(chain, tmp_path / "no" / "such" / "g.dgraph")


def test_save_keeps_file_permissions(tmp_path, chain):
    path = tmp_path / "g.dgraph"
    save_graph(chain, path)
    os.chmod(path, 0o640)
    save_graph(chain, path)
    assert path.stat().st_mode & 0o777 == 0o640


# -- fuzzing: only GraphFileError ever escapes -------------------------------------------------
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _valid_text():
    graph = make_graph(
        [("src", "toy.source", {"features": 7}), ("h", "toy.layer", {"units": 5, "sizes": [3]}),
         ("d", "toy.delay", {"shape": [5]}), ("loss", "toy.loss", {}), ("opt", "toy.optimizer",
                                                                        {})],
        ["src.y -> h.x", "h.y -> d.x", "h.y -> loss.pred", "src.y -> loss.target",
         "loss.loss -> opt.loss"])
    return graph_to_json(graph)


VALID_TEXT = _valid_text()


def loads_or_graph_file_error(data, registry):
    try:
        graph = graph_from_json(data, registry, source="fuzz.dgraph")
    except GraphFileError as exc:
        assert str(exc).startswith("fuzz.dgraph: ")
        return None
    assert isinstance(graph, Graph)
    return graph


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(toy_registry, data):
    loads_or_graph_file_error(data, toy_registry)


@FUZZ
@given(st.integers(0, len(VALID_TEXT)))
def test_truncated_files(toy_registry, cut):
    graph = loads_or_graph_file_error(VALID_TEXT[:cut], toy_registry)
    assert graph is None or cut >= len(VALID_TEXT.rstrip())


@FUZZ
@given(JSON_VALUES)
def test_random_json_values(toy_registry, value):
    loads_or_graph_file_error(json.dumps(value), toy_registry)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, prefix + (index,))


@FUZZ
@given(st.data())
def test_mutated_valid_documents(toy_registry, data):
    document = json.loads(VALID_TEXT)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in _paths(document) if p]
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        action = data.draw(st.sampled_from(["replace", "delete", "duplicate"]))
        if action == "replace":
            parent[path[-1]] = data.draw(JSON_VALUES)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
    graph = loads_or_graph_file_error(json.dumps(document), toy_registry)
    if graph is not None:  # whatever loads must save and load back to the same graph
        again = graph_from_json(graph_to_json(graph), toy_registry)
        assert again.snapshot() == graph.snapshot()
