"""File parameters in a graph file are relative to the file's folder, not to the cwd."""

from __future__ import annotations

import json
import os

from graph.fileio import load_graph, save_graph
from graph.model import Graph, Node
from plugins import default_registry


def _graph_with(path_value: str) -> Graph:
    graph = Graph("files")
    graph.registry = default_registry()
    graph.add_node(Node("data", "core.numpy_file", {"path": path_value}))
    return graph


def test_relative_path_resolves_against_the_graph_folder_from_any_cwd(tmp_path, monkeypatch):
    (tmp_path / "graphs" / "data").mkdir(parents=True)
    graph_file = tmp_path / "graphs" / "g.dgraph"
    save_graph(_graph_with("data/set.npz"), graph_file)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    loaded = load_graph(graph_file, default_registry())
    assert loaded.nodes["data"].params["path"] == str(tmp_path / "graphs" / "data" / "set.npz")


def test_saving_writes_paths_inside_the_folder_relative_and_others_as_they_are(tmp_path):
    (tmp_path / "g").mkdir()
    inside = tmp_path / "g" / "data" / "set.npz"
    graph = _graph_with(str(inside))
    graph.add_node(Node("other", "core.numpy_file", {"path": "/elsewhere/x.npz"}))
    save_graph(graph, tmp_path / "g" / "graph.dgraph")
    document = json.loads((tmp_path / "g" / "graph.dgraph").read_text())
    paths = {node["id"]: node["params"]["path"] for node in document["nodes"]}
    assert paths == {"data": "data/set.npz", "other": "/elsewhere/x.npz"}
    # moving graph and data together keeps the link
    os.rename(tmp_path / "g", tmp_path / "moved")
    again = load_graph(tmp_path / "moved" / "graph.dgraph", default_registry())
    assert again.nodes["data"].params["path"] == str(tmp_path / "moved" / "data" / "set.npz")
