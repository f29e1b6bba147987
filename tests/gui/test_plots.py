"""Plot docks: decimation keeps extremes, tags reach the right dock, images show the latest."""

from __future__ import annotations

import numpy as np
import pytest

from gui.plots import PlotDocks
from gui.plots.curves import CurveSet
from gui.plots.decimate import Series, minmax_decimate
from gui.plots.docks import make_plot


def test_short_histories_are_drawn_unchanged():
    x, y = np.arange(10.0), np.arange(10.0) ** 2
    dx, dy = minmax_decimate(x, y, 2000)
    assert dx is x and dy is y


@pytest.mark.parametrize("n", [2001, 4097, 100_000, 100_003])
def test_decimation_keeps_every_bucket_extreme_and_both_ends(n):
    rng = np.random.default_rng(n)
    x = np.arange(n, dtype=float)
    y = rng.normal(size=n)
    y[rng.integers(n)] = 50.0  # a spike must survive
    y[rng.integers(n)] = -50.0
    dx, dy = minmax_decimate(x, y, 2000)
    assert len(dx) <= 2003
    assert dy.max() == y.max() and dy.min() == y.min()
    assert dx[0] == 0 and dx[-1] == n - 1
    assert np.all(np.diff(dx) > 0)
    assert np.array_equal(dy, y[dx.astype(int)])  # points are real samples, not averages


def test_decimation_ignores_nan_when_choosing_extremes():
    y = np.ones(10_000)
    y[::7] = np.nan
    y[5000] = 3.0
    _, dy = minmax_decimate(np.arange(10_000.0), y, 1000)
    assert np.nanmax(dy) == 3.0


def test_series_keeps_every_point_as_it_grows():
    series = Series(capacity=4)
    for i in range(1000):
        series.append(i, 2 * i)
    series.extend([1000, 1001], [7, 8])
    assert len(series) == 1002
    assert np.array_equal(series.x[:1000], np.arange(1000))
    assert np.array_equal(series.y[-3:], [1998, 7, 8])


def test_a_100k_point_curve_is_drawn_with_at_most_about_2000_points(qtbot):
    plot = make_plot("loss")
    qtbot.addWidget(plot)
    curves = CurveSet(plot.getPlotItem())
    values = np.exp(-np.arange(100_000) / 20_000.0)
    for step, value in enumerate(values):
        curves.append("train/loss", step, value)
    curves.refresh()
    x, y = curves.curves["train/loss"].getData()
    assert len(curves.series["train/loss"]) == 100_000
    assert len(x) <= 2003
    assert y[0] == values[0] and y[-1] == values[-1] and x[-1] == 99_999


@pytest.fixture
def docks(qtbot):
    """View docks in a shown window for a graph whose node declares a loss and an energy
    view (the declarations the core and energy packs use)."""
    from PySide6.QtWidgets import QMainWindow

    from graph.model import Graph, Node
    from graph.registry import Registry
    from graph.spec import NodeSpec
    from graph.views import View, ViewKind
    window = QMainWindow()
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    registry = Registry()
    registry.register(NodeSpec("t.n", "N", "Test", "doc", views=(
        View(ViewKind.CURVES, "Error history", ("train/loss", "val/loss")),
        View(ViewKind.CURVES, "Energy", ("energy",)))))
    graph = Graph("g")
    graph.add_node(Node("n", "t.n", {}, (0, 0), "net"))
    docks = PlotDocks(window)
    docks.add_to(window)
    docks.prepare(graph, registry)
    return docks


def test_curves_appear_on_first_sight_and_redraw_only_on_refresh(docks):
    docks.scalar("train/loss", 1, 0.5)
    docks.refresh()
    docks.scalar("train/loss", 2, 0.25)
    curve = docks.dock("Error history").curve("train/loss")
    assert list(curve.getData()[1]) == [0.5]  # stored, not drawn yet
    docks.refresh()
    assert list(curve.getData()[1]) == [0.5, 0.25]
    docks.scalar("train/loss", 3, 0.125)
    assert list(docks.curve("train/loss").getData()[1]) == [0.5, 0.25, 0.125]  # on demand


def test_refresh_one_redraws_one_pending_dock_per_call(docks, qtbot):
    docks.scalar("train/loss", 1, 0.5)
    docks.scalar("energy", 1, -2.0)
    qtbot.wait(50)  # both docks are placed side by side, shown and drawn
    docks.scalar("train/loss", 2, 0.4)
    docks.scalar("energy", 2, -1.0)
    assert docks.dock("Error history").pending and docks.dock("Energy").pending
    assert docks.refresh_one()
    assert sum(dock.pending for dock in docks.all) == 1
    assert docks.refresh_one()
    assert not any(dock.pending for dock in docks.all)
    assert not docks.refresh_one()
    assert list(docks.curve("energy").getData()[1]) == [-2.0, -1.0]


def test_pacer_slows_redraws_when_the_gui_thread_is_busy_and_speeds_up_when_idle(monkeypatch):
    from gui.plots import pacer as pacer_module
    cpu = {"t": 0.0}
    monkeypatch.setattr(pacer_module.time, "thread_time", lambda: cpu["t"])
    pacer = pacer_module.RedrawPacer(budget=0.04, min_interval_s=0.03, max_interval_s=2.0)
    pacer.reset(now=0.0)
    start = pacer.interval_s
    cpu["t"] = 0.2  # 20 % of the first second spent on the GUI thread
    assert pacer.due(1.0)
    assert pacer.share == pytest.approx(0.2) and pacer.interval_s > start
    for second in range(2, 40):
        cpu["t"] += 0.2
        pacer.due(float(second))
    assert pacer.interval_s == 2.0  # capped
    pacer.drawn(40.0)
    assert not pacer.due(41.0) and pacer.due(42.5)
    for second in range(43, 90):  # idle GUI thread: back to the fastest rate
        pacer.due(float(second))
    assert pacer.interval_s == pytest.approx(0.03)


@pytest.mark.parametrize("low, high", [(-2.0, 0.5), (-320.0, 2.0), (float("-inf"), 1.0),
                                       (1.0, 1.0), (float("nan"), 2.0)])
def test_log_axis_ticks_are_few_and_finite_for_any_view(qtbot, low, high):
    from gui.plots.docks import LogFriendlyAxis
    axis = LogFriendlyAxis("left")
    levels = axis.logTickValues(low, high, 120, [])
    values = [v for _spacing, level in levels for v in level]
    assert len(values) <= 20 and all(np.isfinite(values))
    if np.isfinite(low) and high > low:
        assert values and all(low <= v <= high for v in values)


def test_a_val_curve_is_dashed_wherever_its_tag_names_the_split(qtbot):
    import pyqtgraph as pg
    from PySide6.QtCore import Qt

    from gui.plots.curves import CurveSet, split_of
    assert [split_of(t) for t in ("val/loss", "free_energy/val", "run|val/loss", "energy",
                                  "interval/x")] == ["val", "val", "val", None, None]
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    curves = CurveSet(widget.getPlotItem())
    for tag in ("free_energy/train", "free_energy/val", "energy"):
        curves.append(tag, 1, 0.5)
    style = {tag: curves.curve(tag).opts["pen"].style() for tag in curves.curves}
    assert style["free_energy/val"] == Qt.PenStyle.DashLine
    assert style["free_energy/train"] == style["energy"] == Qt.PenStyle.SolidLine


def test_a_one_point_curve_shows_as_a_dot_until_it_has_a_line(qtbot):
    import pyqtgraph as pg

    from gui.plots.curves import CurveSet
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    curves = CurveSet(widget.getPlotItem())
    curves.append("train/loss", 1, 0.5)
    curves.refresh()
    assert curves.curve("train/loss").opts["symbol"] == "o"  # one epoch: still visible
    curves.append("train/loss", 2, 0.4)
    curves.refresh()
    assert curves.curve("train/loss").opts["symbol"] is None
