"""Probe history: the last snapshots of a wire can be scrubbed back over while reads go on."""

from __future__ import annotations

import numpy as np

from gui.probe import HISTORY, ProbeDock


def _dock(qtbot) -> ProbeDock:
    dock = ProbeDock()
    qtbot.addWidget(dock)
    return dock


def test_scrubbing_back_shows_an_older_snapshot_and_holds_it(qtbot):
    dock = _dock(qtbot)
    for step in range(5):
        dock.record(np.full((2, 3), float(step)), step, "w")
    assert dock.live and dock.stats["mean"] == 4.0
    dock.scrub.setValue(1)
    assert not dock.live and dock.stats["mean"] == 1.0
    assert dock.scrub_label.text() == "step 1 (2/5)"
    dock.record(np.full((2, 3), 5.0), 5, "w")  # a new read does not yank the view forward
    assert dock.stats["mean"] == 1.0 and dock.scrub.maximum() == 5
    dock.scrub.setValue(dock.scrub.maximum())
    assert dock.live and dock.stats["mean"] == 5.0 and dock.scrub_label.text() == "step 5 (live)"


def test_history_is_bounded_and_a_held_snapshot_stays_put(qtbot):
    dock = _dock(qtbot)
    for step in range(HISTORY):
        dock.record(np.full(3, float(step)), step, "w")
    dock.scrub.setValue(10)
    dock.record(np.full(3, 99.0), 999, "w")  # the oldest snapshot is dropped
    assert len(dock.history) == HISTORY
    assert dock.history[dock.scrub.value()][0] == 10 and dock.stats["mean"] == 10.0


def test_rereading_a_paused_step_keeps_one_snapshot_and_a_new_graph_clears_them(qtbot):
    dock = _dock(qtbot)
    dock.record(np.zeros(3), 7, "w")
    dock.record(np.ones(3), 7, "w")
    assert len(dock.history) == 1 and dock.stats["mean"] == 1.0
    dock.attach(None)
    assert len(dock.history) == 0 and dock.scrub_label.text() == "live"
