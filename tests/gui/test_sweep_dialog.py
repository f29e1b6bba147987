"""Run > Sweep... on the real MainWindow: parameters chosen from the graph's nodes, a bad value
refused before anything starts, a 2x2 sweep run on Ray, its trials ranked in a sortable table,
overlaid in the runs panel, and a trial's graph opened from the table."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from gui.sweep_dialog import SweepDialog, suggested_values

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "xor_mlp.dgraph"


def open_dialog(window) -> SweepDialog:
    (action,) = [a for a in window.menus["Run"].actions() if a.text() == "S&weep..."]
    action.trigger()
    return window.sweep_dialog


def test_parameters_come_from_the_graph_and_bad_values_are_refused(window, tmp_path,
                                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert window.files.open(str(EXAMPLE), ask=False)
    dialog = open_dialog(window)
    keys = [key for key, _label, _value in dialog.choices]
    assert "opt.lr" in keys and "hidden.units" in keys
    assert not any(key.endswith(".path") for key in keys)
    assert dialog.param_arguments() == ["opt.lr=0.05,0.5,5"]  # x0.1, x1, x10 of the lr
    editor = dialog.params.cellWidget(0, 1)
    editor.setText("0.5,-2")
    QTest.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert "must lie in" in dialog.error.text() and not dialog.running()
    assert dialog.process is None


def test_suggestions_around_the_current_value():
    assert suggested_values(0.01) == "0.001,0.01,0.1"
    assert suggested_values(32) == "16,32,64"
    assert suggested_values(True) == "false,true"


@pytest.mark.slow
def test_a_two_by_two_sweep_from_the_gui(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert window.files.open(str(EXAMPLE), ask=False)
    dialog = open_dialog(window)
    dialog.params.cellWidget(0, 1).setText("0.5,2")
    dialog.add_row("hidden.units", "2,4")
    dialog.epochs.setValue(20)
    dialog.workers.setValue(2)
    QTest.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.running() and dialog.progress.maximum() == 4
    qtbot.waitUntil(lambda: not dialog.running(), timeout=240_000)
    assert dialog.error.text() == "", dialog.log.toPlainText()
    assert dialog.progress.value() == 4
    table = dialog.results
    assert table.rowCount() == 4
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers[:3] == ["rank", "opt.lr", "hidden.units"] and "train/loss" in headers
    loss_column = headers.index("train/loss")
    losses = [table.item(r, loss_column).data(Qt.ItemDataRole.DisplayRole) for r in range(4)]
    assert losses == sorted(losses)  # ranked best first
    table.sortItems(loss_column, Qt.SortOrder.DescendingOrder)  # a click on the header
    resorted = [table.item(r, loss_column).data(Qt.ItemDataRole.DisplayRole) for r in range(4)]
    assert resorted == sorted(losses, reverse=True)
    ticked = window.run_controller.runs_panel.ticked_dirs()
    assert len(ticked) == 4  # every trial's curves overlaid in the runs panel
    worst = table.item(0, 0)
    lr = table.item(0, 1).data(Qt.ItemDataRole.DisplayRole)
    units = table.item(0, 2).data(Qt.ItemDataRole.DisplayRole)
    dialog.open_trial(worst)
    assert window.graph.nodes["opt"].params["lr"] == lr
    assert window.graph.nodes["hidden"].params["units"] == units
