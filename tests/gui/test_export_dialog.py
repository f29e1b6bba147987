"""File > Export on the real MainWindow: after a run its weights are exported; an
unexportable graph says why, marks the node and writes nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from engines.export import ExportFormat
from gui.export_dialog import FILTERS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _choose(monkeypatch, path, fmt):
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (str(path), FILTERS[fmt]))
    shown = []
    monkeypatch.setattr(QMessageBox, "information",
                        lambda parent, title, text, *args: shown.append(text))
    return shown


def test_export_after_a_run_uses_the_run_weights(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the run's record goes to ./runs
    assert window.files.open(str(EXAMPLES / "xor_mlp.dgraph"), ask=False)
    controller = window.run_controller
    controller.run_bar.epochs_spin.setValue(20)
    QTest.mouseClick(controller.run_bar.button(controller.run_bar.start_action),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.session is not None and controller.session.done
                    and not controller.timer.isActive(), timeout=30_000)
    trained = controller.session.program.weights_to_host()

    shown = _choose(monkeypatch, tmp_path / "xor_model.py", ExportFormat.NUMPY)
    window.actions_by_name["export"].trigger()
    exported = np.load(tmp_path / "xor_model.npz")
    for key in exported.files:
        np.testing.assert_array_equal(exported[key], trained[key])
    message = window.statusBar().currentMessage()
    assert "last run's weights" in message and "max abs difference" in message
    assert shown == [message]


def test_unexportable_graph_is_refused_by_name(window, tmp_path, monkeypatch, dialogs):
    assert window.files.open(str(EXAMPLES / "hopfield_letters.dgraph"), ask=False)
    _choose(monkeypatch, tmp_path / "memory.onnx", ExportFormat.ONNX)
    window.actions_by_name["export"].trigger()
    kind, title, text = dialogs.shown[-1]
    assert kind == "warning" and "Hopfield" in text and "Nothing was exported" in text
    assert window.canvas.last_mark[0] == "memory"
    assert list(tmp_path.glob("memory*")) == []
