"""Headless runs: a graph file in, a progress line, a summary table and a run record out;
bad input gives exit code 1 and one line on stderr."""

import json
import shutil
from pathlib import Path

from engines.headless import run_graph_file
from engines.records import list_runs, load_run
from graph.fileio import load_graph

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _graph_file(tmp_path, nodes, edges, name="g", settings=None):
    document = {"format": "dendrite-graph", "version": 1, "name": name,
                "settings": settings or {"epochs": 20, "seed": 0, "engine": "numpy"},
                "nodes": [{"id": i, "type": t, "params": p, "position": [k * 100.0, 0.0]}
                          for k, (i, t, p) in enumerate(nodes)],
                "edges": [{"from": a, "to": b} for a, b in edges]}
    path = tmp_path / f"{name}.dgraph"
    path.write_text(json.dumps(document))
    return path


def test_runs_an_example_and_writes_its_record(tmp_path, capsys, registry):
    code = run_graph_file(EXAMPLES / "xor_mlp.dgraph", registry, engine="numpy", epochs=30, seed=2,
                          runs_dir=tmp_path, quiet=True)
    out = capsys.readouterr().out
    assert code == 0
    assert "NumPy backend" in out and "train loss" in out and "samples/s" in out
    (folder,) = list_runs(tmp_path)
    assert str(folder) in out
    record = load_run(folder)
    assert record.summary["reason"] == "completed" and record.summary["epochs"] == 30
    assert record.summary["seed"] == 2 and record.summary["engine"] == "numpy"
    assert len(record.metrics["train/loss"][0]) == 30
    ran = load_graph(record.graph_path, registry)  # the recorded graph is the one that ran
    assert ran.settings == {"epochs": 30, "seed": 2, "engine": "numpy"}


def test_settings_come_from_the_file_and_initial_weights_from_beside_it(tmp_path, capsys, registry):
    for suffix in (".dgraph", ".npz"):
        shutil.copy(EXAMPLES / f"vanishing_gradient_chain{suffix}", tmp_path)
    code = run_graph_file(tmp_path / "vanishing_gradient_chain.dgraph", registry,
                          runs_dir=tmp_path / "r", quiet=True)
    out = capsys.readouterr().out
    assert code == 0 and "Initial weights" in out
    record = load_run(list_runs(tmp_path / "r")[0])
    assert record.summary["epochs"] == 200  # from the file's settings
    first_loss = record.metrics["train/loss"][1][0]
    assert abs(first_loss - 0.5 * (0.576159944190332 - 0.5) ** 2) < 1e-6


def test_progress_bar_is_drawn_unless_quiet(tmp_path, capsys, registry):
    run_graph_file(EXAMPLES / "xor_mlp.dgraph", registry, engine="numpy", epochs=5,
                   runs_dir=tmp_path)
    err = capsys.readouterr().err
    assert "5/5" in err and "epoch" in err


def _assert_one_line_error(capsys, *needles):
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "Traceback" not in captured.err + captured.out
    for needle in needles:
        assert needle in lines[0]


def test_invalid_graph_exits_1_with_one_line(tmp_path, capsys, registry):
    path = _graph_file(tmp_path, [("d", "core.dense", {"units": 3})], [])
    assert run_graph_file(path, registry, runs_dir=tmp_path / "r", quiet=True) == 1
    _assert_one_line_error(capsys, "'d'", "x")
    assert list_runs(tmp_path / "r") == []


def test_unreadable_file_exits_1_with_one_line(tmp_path, capsys, registry):
    path = tmp_path / "broken.dgraph"
    path.write_text("{not json")
    assert run_graph_file(path, registry, runs_dir=tmp_path, quiet=True) == 1
    _assert_one_line_error(capsys, "broken.dgraph")
    assert run_graph_file(tmp_path / "missing.dgraph", registry, runs_dir=tmp_path,
                          quiet=True) == 1
    _assert_one_line_error(capsys, "missing.dgraph")


def test_divergence_exits_1_naming_the_node(tmp_path, capsys, registry):
    path = _graph_file(tmp_path, [
        ("data", "core.dataset", {"dataset": "sine", "batch_size": 16, "samples": 64}),
        ("d1", "core.dense", {"units": 8}), ("t1", "core.tanh", {}),
        ("d2", "core.dense", {"units": 1}), ("loss", "core.mse", {}),
        ("opt", "core.sgd", {"lr": 1000.0})],
        [("data.x", "d1.x"), ("d1.y", "t1.x"), ("t1.y", "d2.x"), ("d2.y", "loss.pred"),
         ("data.y", "loss.target"), ("loss.loss", "opt.loss")], name="diverges")
    assert run_graph_file(path, registry, runs_dir=tmp_path / "r", quiet=True) == 1
    _assert_one_line_error(capsys, "diverged", "'d1'")
    record = load_run(list_runs(tmp_path / "r")[0])
    assert record.summary["reason"] == "failed" and record.summary["node_id"] == "d1"


def test_unusable_cupy_exits_1_with_the_reason(tmp_path, capsys, monkeypatch, registry):
    import engines.backend as backend
    monkeypatch.setattr(backend, "cupy_backend", lambda: (None, "CuPy is not installed"))
    assert run_graph_file(EXAMPLES / "xor_mlp.dgraph", registry, engine="cupy", runs_dir=tmp_path,
                          quiet=True) == 1
    _assert_one_line_error(capsys, "CuPy", "not installed")
