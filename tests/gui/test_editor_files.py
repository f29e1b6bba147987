"""Files from the user's side: save and reopen, a malformed file, unsaved-changes prompts,
autosave to a recovery file and restoring it after a crash."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QFileDialog, QMessageBox

from graph import commands
from tests.gui.conftest import xor_graph


def test_save_and_reopen_round_trip(make_window, tmp_path, monkeypatch):
    window = make_window()
    window.set_graph(xor_graph(), None)
    window.undo_stack.push(commands.SetParam("hidden", "units", 9))
    window.undo_stack.push(commands.SetTitle("act", "squash"))
    assert window.isWindowModified()
    path = tmp_path / "mine.dgraph"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    window.actions_by_name["save"].trigger()
    assert path.exists() and not window.isWindowModified()
    assert window.graph_path == str(path)
    other = make_window()
    assert other.files.open(str(path), ask=False)
    assert other.graph.snapshot() == window.graph.snapshot()
    assert other.undo_stack.is_clean()
    assert other.files.recent_files()[0] == str(path.resolve())


def test_opening_a_malformed_file_explains_and_keeps_the_graph(window, dialogs, tmp_path):
    window.set_graph(xor_graph(), None)
    before = window.graph.snapshot()
    bad = tmp_path / "broken.dgraph"
    bad.write_text('{"format": "dendrite-graph", "version": 1, "nodes": [{"id": 3}]')
    assert not window.files.open(str(bad))
    kind, title, text = dialogs.shown[-1]
    assert kind == "warning" and title == "Cannot open graph"
    assert "broken.dgraph" in text and "Traceback" not in text
    assert window.graph.snapshot() == before


def test_unsaved_changes_prompt_cancel_keeps_the_graph(window, dialogs):
    window.set_graph(xor_graph(), None)
    window.undo_stack.push(commands.SetParam("hidden", "units", 9))
    dialogs.answer = QMessageBox.StandardButton.Cancel
    assert not window.files.new()
    assert "hidden" in window.graph.nodes
    assert dialogs.shown[-1][1] == "Unsaved changes"
    dialogs.answer = QMessageBox.StandardButton.Discard
    assert window.files.new()
    assert window.graph.nodes == {}


def test_autosave_writes_recovery_and_restart_restores_it(make_window, dialogs):
    window = make_window()
    window.set_graph(xor_graph(), None)
    assert not window.files.autosave()  # nothing unsaved, nothing written
    window.canvas.graph_scene.add_node("core.relu", window.canvas.mapToScene(QPoint(50, 50)))
    assert window.files.autosave()
    assert window.files.recovery_path.exists()
    edited = window.graph.snapshot()
    # a crash: no clean exit is recorded; the next start offers the autosaved graph
    restarted = make_window()
    assert restarted.files.recovery_available()
    dialogs.answer = QMessageBox.StandardButton.Yes
    assert restarted.files.offer_recovery()
    assert dialogs.shown[-1][1] == "Restore unsaved work?"
    assert restarted.graph.snapshot()["nodes"] == edited["nodes"]
    assert restarted.graph.snapshot()["edges"] == edited["edges"]
    assert restarted.isWindowModified()  # restored work still needs saving


def test_clean_exit_means_no_recovery_offer(make_window):
    window = make_window()
    window.set_graph(xor_graph(), None)
    window.undo_stack.push(commands.SetParam("hidden", "units", 9))
    window.files.autosave()
    window.undo_stack.set_clean()
    window.close()  # a normal quit
    assert not window.files.recovery_path.exists()
    assert not make_window().files.recovery_available()
