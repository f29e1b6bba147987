"""Runs panel: a finished run is listed, ticking overlays its recorded losses, reopening
redraws its curves in the plot docks."""

from __future__ import annotations

import numpy as np
import pytest

from engines.records import load_run
from gui.main_window import attach_run_side
from gui.runs_panel import display_name
from tests.gui._fake_window import FakeWindow, xor_graph

WAIT_MS = 30_000


@pytest.fixture
def finished_runs(qtbot, registry, tmp_path):
    """A window whose controller has finished two XOR runs (different learning rates)."""
    window = FakeWindow(registry, xor_graph(epochs=60, lr=0.5))
    qtbot.addWidget(window)
    controller = attach_run_side(window, runs_dir=tmp_path / "runs")
    window.show()
    for lr in (0.5, 2.0):
        window.graph.nodes["opt"].params["lr"] = lr
        assert controller.start()
        qtbot.waitUntil(lambda: not controller.timer.isActive(), timeout=WAIT_MS)
    return window, controller


def test_finished_runs_are_listed_newest_first(finished_runs):
    _, controller = finished_runs
    panel = controller.runs_panel
    names = panel.run_names()
    assert len(names) == 2 and all("xor" in name for name in names)
    shown = panel.run_list.item(0).text()  # '12:01:38 xor': the time, then the graph
    assert shown == display_name(names[0]) and " xor" in shown
    folders = sorted((controller.runs_dir).iterdir())
    assert names == [f.name for f in reversed(folders)]
    summary = load_run(folders[0]).summary
    assert summary["reason"] == "completed" and summary["seed"] == 0


def test_ticking_runs_overlays_their_recorded_losses(finished_runs):
    _, controller = finished_runs
    panel = controller.runs_panel
    first, second = panel.run_names()
    panel.set_ticked(first)
    panel.set_ticked(second)
    for name in (first, second):
        record = load_run(controller.runs_dir / name)
        steps, values = record.metrics["train/loss"]
        x, y = panel.curve(name, "train/loss").getData()
        assert np.array_equal(x, steps) and np.allclose(y, values)
        assert len(y) == 60
    finals = [panel.curve(n, "train/loss").getData()[1][-1] for n in (first, second)]
    assert finals[0] != finals[1]  # two different runs, two different curves
    assert panel.curve(first, "val/loss") is None  # no validation split in XOR
    panel.set_ticked(first, False)
    assert panel.curve(first, "train/loss") is None
    assert panel.curve(second, "train/loss") is not None
    panel.refresh()  # re-listing keeps the tick and the curve
    assert panel.ticked_dirs() == [str(controller.runs_dir / second)]


def test_double_clicking_a_run_redraws_it_in_the_plot_docks(qtbot, finished_runs):
    _, controller = finished_runs
    panel = controller.runs_panel
    older = panel.run_names()[-1]  # lr 0.5, not the run the plots show now
    panel.run_list.itemDoubleClicked.emit(panel.item(older))
    steps, values = load_run(controller.runs_dir / older).metrics["train/loss"]
    x, y = controller.plots.curve("train/loss").getData()
    assert np.array_equal(x, steps) and np.allclose(y, values)


def test_display_names_read_as_time_and_graph():
    assert display_name("20261123-120138-digits_mlp") == "12:01:38 digits_mlp"
    assert display_name("20261123-120138-xor-2") == "12:01:38 xor-2"
    assert display_name("my-run") == "my-run"
