"""`main.py export`: files written and checked, one-line errors, run weights, missing extra."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from engines.export.check import import_file
from engines.records import list_runs
from main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_export_onnx_prints_the_check(tmp_path, capsys):
    out = tmp_path / "spirals"
    assert main(["export", str(EXAMPLES / "spirals_mlp.dgraph"), "--format", "onnx",
                 "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert (tmp_path / "spirals.onnx").is_file()
    assert "checked with onnxruntime" in printed and "max abs difference" in printed
    assert "initial (untrained) weights" in printed


def test_unexportable_graph_is_one_line_naming_the_node(tmp_path, capsys):
    code = main(["export", str(EXAMPLES / "hopfield_letters.dgraph"), "--format", "torch",
                 "-o", str(tmp_path / "hopfield")])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert len(err.splitlines()) == 1
    assert "Hopfield memory (pseudo-inverse)" in err and "Nothing was written" in err
    assert list(tmp_path.iterdir()) == []


def test_missing_onnx_names_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx -> ImportError
    code = main(["export", str(EXAMPLES / "xor_mlp.dgraph"), "--format", "onnx",
                 "-o", str(tmp_path / "xor")])
    err = capsys.readouterr().err
    assert code == 1
    assert "'export' extra" in err and "pip install" in err
    assert list(tmp_path.iterdir()) == []


def test_weights_from_a_run_record(tmp_path, capsys):
    runs = tmp_path / "runs"
    assert main(["run", str(EXAMPLES / "xor_mlp.dgraph"), "--epochs", "30", "--quiet",
                 "--runs-dir", str(runs)]) == 0
    (run,) = list_runs(runs)
    capsys.readouterr()
    out = tmp_path / "xor_trained"
    assert main(["export", str(EXAMPLES / "xor_mlp.dgraph"), "--format", "numpy",
                 "-o", str(out), "--weights", str(run)]) == 0
    printed = capsys.readouterr().out
    assert str(run / "weights.npz") in printed
    trained = np.load(run / "weights.npz")
    exported = np.load(tmp_path / "xor_trained.npz")
    assert sorted(exported.files) == ["hidden/W", "hidden/b", "output/W", "output/b"]
    for key in exported.files:
        np.testing.assert_array_equal(exported[key], trained[key])
    module = import_file(tmp_path / "xor_trained.py")
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    hidden = np.tanh(x @ trained["hidden/W"] + trained["hidden/b"])
    expected = 1 / (1 + np.exp(-(hidden @ trained["output/W"] + trained["output/b"])))
    np.testing.assert_allclose(module.predict(x), expected, atol=1e-6)


def test_weights_of_another_graph_are_refused(tmp_path, capsys):
    np.savez(tmp_path / "other.npz", **{"somewhere/W": np.zeros((2, 2), np.float32)})
    code = main(["export", str(EXAMPLES / "xor_mlp.dgraph"), "--format", "numpy",
                 "-o", str(tmp_path / "xor"), "--weights", str(tmp_path / "other.npz")])
    err = capsys.readouterr().err
    assert code == 1 and "somewhere/W" in err and "this graph lacks" in err
    assert not (tmp_path / "xor.py").exists()


@pytest.mark.parametrize("args, message", [
    (["--format", "keras"], "invalid choice"),
])
def test_bad_format_is_an_argument_error(args, message, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["export", str(EXAMPLES / "xor_mlp.dgraph"), "-o", str(tmp_path / "m"), *args])
    assert message in capsys.readouterr().err
