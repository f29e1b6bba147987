"""The command line: subcommands through a real subprocess, dispatch and fallbacks in-process."""

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

import main
from graph.fileio import save_graph
from graph.model import Edge, Graph, Node

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=None):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=120, env=env,
                          cwd=cwd or ROOT, stdin=subprocess.DEVNULL)


def xor_graph(hidden=3, wire_output=True):
    graph = Graph("xor")
    graph.add_node(Node("data", "core.dataset", {"dataset": "xor", "batch_size": 4}))
    graph.add_node(Node("hidden", "core.dense", {"units": hidden}))
    graph.add_node(Node("act", "core.tanh"))
    graph.add_node(Node("out", "core.dense", {"units": 1}))
    graph.connect(Edge("data", "x", "hidden", "x"))
    graph.connect(Edge("hidden", "y", "act", "x"))
    if wire_output:
        graph.connect(Edge("act", "y", "out", "x"))
    return graph


def test_nodes_lists_types_with_docs_and_params():
    result = cli("nodes")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "core.dense" in out and "Fully connected" in out
    assert "units (int, default 32" in out
    assert out.index("Layers") < out.index("core.dense")


def test_nodes_category_filter_and_unknown_category():
    result = cli("nodes", "--category", "losses")
    assert result.returncode == 0 and "core.mse" in result.stdout
    assert "core.dense" not in result.stdout
    result = cli("nodes", "--category", "Nope")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Layers" in result.stderr


def test_validate_ok_counts_nodes_wires_and_parameters(tmp_path):
    path = tmp_path / "xor.dgraph"
    save_graph(xor_graph(hidden=3), path)
    result = cli("validate", path)
    assert result.returncode == 0, result.stdout + result.stderr
    # dense 2->3 (6 + 3) and dense 3->1 (3 + 1)
    assert result.stdout.strip() == "OK: 4 nodes, 3 wires, 13 parameters"


def test_validate_broken_graph_prints_problem_and_exits_1(tmp_path):
    path = tmp_path / "broken.dgraph"
    save_graph(xor_graph(wire_output=False), path)
    result = cli("validate", path)
    assert result.returncode == 1
    assert "[out]" in result.stdout and "needs a wire into its 'x' input" in result.stdout
    assert "1 problem" in result.stderr


@pytest.mark.parametrize("content, expected", [
    ('{"format": "dendrite-graph", "version": 1,,}', "not valid JSON"),
    ('{"format": "dendrite-graph", "version": 9}', "newer Dendrite"),
    ('{"format": "dendrite-graph", "version": 1, "nodes": [{"id": "a", "type": "x.y"}]}',
     "Unknown node type 'x.y'"),
])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_file_gives_one_line_and_no_traceback(tmp_path, content, expected, command):
    path = tmp_path / "bad.dgraph"
    path.write_text(content)
    extra = ["--runs-dir", tmp_path / "runs"] if command == "run" else []
    result = cli(command, path, *extra)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.dgraph" in lines[0] and expected in lines[0]


def test_missing_file_is_one_line(tmp_path):
    result = cli("validate", tmp_path / "nope.dgraph")
    assert result.returncode == 1 and "cannot be read" in result.stderr
    assert "Traceback" not in result.stderr
    result = cli("run", tmp_path / "nope.dgraph")
    assert result.returncode == 1 and "no such graph file" in result.stderr


def test_bad_option_is_a_usage_error():
    result = cli("run", "x.dgraph", "--epochs", "0")
    assert result.returncode == 2 and "must be at least 1" in result.stderr


# -- in-process: dispatch to the headless runner and the GUI -----------------------------------
@pytest.fixture
def fake_headless(monkeypatch):
    calls = []

    def run_graph_file(path, registry, engine="auto", epochs=None, seed=None, runs_dir="runs",
                       quiet=False):
        assert "core.dense" in registry  # main.py hands the loaded packs down
        calls.append(dict(path=path, engine=engine, epochs=epochs, seed=seed,
                          runs_dir=runs_dir, quiet=quiet))
        return 0

    module = types.ModuleType("engines.headless")
    module.run_graph_file = run_graph_file
    monkeypatch.setitem(sys.modules, "engines.headless", module)
    return calls


def test_run_forwards_options(tmp_path, fake_headless):
    path = tmp_path / "g.dgraph"
    path.write_text("{}")
    code = main.main(["run", str(path), "--engine", "numpy", "--epochs", "7", "--seed", "3",
                      "--runs-dir", str(tmp_path / "r"), "--quiet"])
    assert code == 0
    assert fake_headless == [dict(path=str(path), engine="numpy", epochs=7, seed=3,
                                  runs_dir=str(tmp_path / "r"), quiet=True)]


def test_without_display_the_example_runs_headless(monkeypatch, capsys, fake_headless):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(main.sys, "platform", "linux")
    assert main.main([]) == 0
    notice = capsys.readouterr().out.strip().splitlines()
    assert len(notice) == 1 and "no display" in notice[0] and "headless" in notice[0]
    assert fake_headless[0]["path"] == str(main.DEFAULT_GRAPH)


def test_with_display_the_gui_opens_the_graph(monkeypatch, tmp_path, fake_headless):
    opened = []
    app = types.ModuleType("gui.app")
    app.main = lambda graph_path, registry: opened.append(graph_path) or \
        (0 if "core.dense" in registry else 1)
    monkeypatch.setitem(sys.modules, "gui.app", app)
    monkeypatch.setenv("DISPLAY", ":0")
    path = tmp_path / "mine.dgraph"
    assert main.main([str(path)]) == 0
    assert main.main([]) == 0
    assert opened == [str(path), None] and fake_headless == []  # None: the GUI's own default


@pytest.mark.parametrize("env, platform, usable", [
    ({}, "linux", False),
    ({"DISPLAY": ":1"}, "linux", True),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux", True),
    ({"QT_QPA_PLATFORM": "xcb"}, "linux", False),
    ({}, "darwin", True),
    ({}, "win32", True),
])
def test_display_detection(env, platform, usable):
    assert main.display_available(env, platform)[0] is usable


def test_run_trains_the_xor_example_and_writes_a_record(tmp_path):
    result = cli("run", ROOT / "examples" / "xor_mlp.dgraph", "--epochs", "3", "--engine",
                 "numpy", "--quiet", "--runs-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(list(tmp_path.iterdir())) == 1  # one run record
