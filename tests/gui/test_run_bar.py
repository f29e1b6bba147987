"""Run bar: which actions each run state allows, shortcuts, settings, progress text."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from gui.run_bar import RunBar, format_duration


@pytest.fixture
def bar(qtbot):
    bar = RunBar(cupy_usable=False, cupy_reason="CuPy is not installed")
    qtbot.addWidget(bar)
    return bar


@pytest.mark.parametrize("seconds, text", [(None, ""), (float("nan"), ""), (4.4, "4 s"),
                                           (247, "4:07"), (3909, "1:05:09")])
def test_durations_read_like_clocks(seconds, text):
    assert format_duration(seconds) == text


def test_engine_choice_offers_cupy_only_when_usable(qtbot, bar):
    items = lambda b: [b.engine_combo.itemText(i) for i in range(b.engine_combo.count())]  # noqa: E731
    assert items(bar) == ["Auto", "NumPy"]
    assert "not installed" in bar.engine_combo.toolTip()
    with_gpu = RunBar(cupy_usable=True)
    qtbot.addWidget(with_gpu)
    assert items(with_gpu) == ["Auto", "NumPy", "CuPy"]
    with_gpu.load_settings({"engine": "auto"})
    assert with_gpu.engine == "auto"
    with_gpu.load_settings({"engine": "numpy"})
    assert with_gpu.engine == "numpy"
    # a graph asking for CuPy on a CPU-only machine says so: Start then explains why not
    bar.load_settings({"engine": "cupy"})
    assert bar.engine == "cupy"


def test_a_user_edit_is_reported_once_and_loading_reports_none(qtbot, bar):
    edits = []
    bar.settings_edited.connect(edits.append)
    bar.load_settings({"epochs": 250, "seed": 7, "engine": "numpy"})
    assert edits == []  # showing the graph's settings is not an edit
    bar.epochs_spin.setValue(300)
    bar.seed_spin.setValue(8)
    bar.engine_combo.setCurrentText("Auto")
    assert edits == [{"epochs": 300}, {"seed": 8}, {"engine": "auto"}]


def test_settings_fill_epochs_and_seed(bar):
    bar.load_settings({"epochs": 250, "seed": 7})
    assert (bar.epochs_spin.value(), bar.seed_spin.value()) == (250, 7)
    bar.load_settings({})
    assert (bar.epochs_spin.value(), bar.seed_spin.value()) == (250, 7)


def test_states_enable_the_actions_that_make_sense(bar):
    enabled = lambda: tuple(a.isEnabled() for a in bar.actions_in_order())  # noqa: E731
    assert enabled() == (True, False, True, False)  # idle: start or single-step
    bar.set_state("running")
    assert enabled() == (False, True, False, True)
    assert bar.pause_action.text() == "Pause" and not bar.epochs_spin.isEnabled()
    bar.set_state("paused")
    assert enabled() == (False, True, True, True)
    assert bar.pause_action.text() == "Resume"
    bar.set_state("idle")
    assert enabled() == (True, False, True, False) and bar.seed_spin.isEnabled()


def test_shortcuts_are_window_wide_and_space_is_free_between_runs(bar):
    keys = {a.text(): a.shortcut() for a in bar.actions_in_order()}
    assert keys["Start"] == QKeySequence("F5") and keys["Step"] == QKeySequence("F10")
    assert keys["Pause"] == QKeySequence("Space")
    assert all(a.shortcutContext() == Qt.ShortcutContext.WindowShortcut
               for a in bar.actions_in_order())
    assert not bar.pause_action.isEnabled()  # idle: Space belongs to the canvas (pan, search)


def test_progress_shows_epoch_step_loss_and_eta(bar):
    bar.show_progress(3, 10, 120, 0.012345, 75.0)
    assert bar.progress.format() == "epoch 3/10"
    assert (bar.progress.value(), bar.progress.maximum()) == (3, 10)
    assert bar.status_label.text() == "step 120   loss 0.01235   ETA 1:15"
    bar.show_progress(0, 10, 0, None, None)
    assert bar.status_label.text() == "step 0"
