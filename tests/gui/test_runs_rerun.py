"""Runs panel, the way a user does it: Re-run a recorded run (its seed and graph, its live
edits replayed at their steps; bit for bit on NumPy), and tick two runs to read how their
graphs and settings differ beside the curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from engines.records import load_run
from tests.replay.test_replay import _record_run_with_live_edits

WAIT_MS = 60_000


def test_rerun_replays_edits_bit_for_bit_and_the_two_runs_compare(qtbot, window, registry,
                                                                  tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the controller records to ./runs
    original = _record_run_with_live_edits(registry, Path("runs"))
    controller = window.run_controller
    panel = controller.runs_panel
    panel.refresh()
    panel.run_list.setCurrentItem(panel.item(original.name))
    QTest.mouseClick(panel.rerun_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.state == "idle" and not controller.timer.isActive(),
                    timeout=WAIT_MS)
    assert controller.last_finish.reason == "completed"
    panel.refresh()
    names = panel.run_names()
    assert len(names) == 2
    again = load_run(Path("runs") / next(n for n in names if n != original.name))
    assert [(e.step, e.name, e.new) for e in again.edits] == [(e.step, e.name, e.new)
                                                              for e in original.edits]
    first, second = original.weights(), again.weights()
    assert first.keys() == second.keys()
    assert all(np.array_equal(first[k], second[k]) for k in first)
    # tick both: the box beside the curves says what differs (nothing but the run's name)
    for name in names:
        panel.set_ticked(name)
    text = panel.differences.toPlainText()
    assert "Same graph and settings." in text


def test_differences_name_the_changed_parameter(qtbot, window, registry, tmp_path,
                                                monkeypatch):
    monkeypatch.chdir(tmp_path)
    controller = window.run_controller
    assert window.files.open(str(Path(__file__).resolve().parents[2] / "examples"
                                 / "xor_mlp.dgraph"), ask=False)
    controller.run_bar.epochs_spin.setValue(5)
    for lr in (0.5, 0.25):
        window.graph.set_param("opt", "lr", lr)
        assert controller.start()
        qtbot.waitUntil(lambda: controller.state == "idle" and not controller.timer.isActive(),
                        timeout=WAIT_MS)
    panel = controller.runs_panel
    panel.refresh()
    for name in panel.run_names():
        panel.set_ticked(name)
    assert "opt.lr: 0.5 → 0.25" in panel.differences.toPlainText()
