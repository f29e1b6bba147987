"""Branching from a checkpoint in the runs panel, as a user does: a run keeps checkpoints,
Branch… goes on from one paused, Resume continues; without edits the branch ends exactly
where its parent did (NumPy); with a live edit made while paused it differs and records the
edit; the panel draws the branch under its parent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QInputDialog

from engines.checkpoint import list_checkpoints
from engines.records import load_run

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "xor_mlp.dgraph"
WAIT_MS = 60_000


def _idle(qtbot, controller):
    qtbot.waitUntil(lambda: controller.state == "idle" and not controller.timer.isActive(),
                    timeout=WAIT_MS)


def _branch_from(qtbot, window, monkeypatch, run_name, epoch):
    controller = window.run_controller
    panel = controller.runs_panel
    panel.refresh()
    panel.run_list.setCurrentItem(panel.item(run_name))
    monkeypatch.setattr(QInputDialog, "getItem",
                        lambda *a, **k: (f"after epoch {epoch}", True))
    QTest.mouseClick(panel.branch_button, Qt.MouseButton.LeftButton)
    assert controller.state == "paused"


def test_branch_without_edits_ends_like_its_parent_and_with_an_edit_differs(
        qtbot, window, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    controller = window.run_controller
    assert window.files.open(str(EXAMPLE), ask=False)
    window.graph.settings.update(checkpoint_every=5, engine="numpy")
    controller.run_bar.epochs_spin.setValue(20)
    assert controller.start()
    _idle(qtbot, controller)
    parent = controller.runs_panel.run_names()[0]
    folder = Path("runs") / parent
    assert [e for e, _ in list_checkpoints(folder / "checkpoints")] == [5, 10, 15, 20]

    _branch_from(qtbot, window, monkeypatch, parent, 10)
    controller.resume()
    _idle(qtbot, controller)
    panel = controller.runs_panel
    panel.refresh()
    branch = next(n for n in panel.run_names() if n != parent)
    record = load_run(Path("runs") / branch)
    assert record.summary["parent"] == {"run": parent, "epoch": 10}
    first, second = load_run(folder).weights(), record.weights()
    assert all(np.array_equal(first[k], second[k]) for k in first)
    assert "↳" in panel.item(branch).text()
    assert panel.run_names().index(branch) == panel.run_names().index(parent) + 1

    _branch_from(qtbot, window, monkeypatch, parent, 10)
    window.inspector.show_node("opt")
    window.inspector.editors["lr"].field.setValue(0.05)  # a live edit while paused
    controller.resume()
    _idle(qtbot, controller)
    panel.refresh()
    edited = load_run(Path("runs") / next(n for n in panel.run_names()
                                          if n not in (parent, branch)))
    assert [(e.node_id, e.name, e.new) for e in edited.edits] == [("opt", "lr", 0.05)]
    assert edited.edits[0].step == 10  # XOR takes one step an epoch
    third = edited.weights()
    assert any(not np.array_equal(first[k], third[k]) for k in first)
