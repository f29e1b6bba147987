"""CurveViewDock: the Scalar tags of one declared view on one shared y axis.

The axis comes from the declaration (label, unit, fixed range, log scale). The legend is a
wrapping Qt label above the plot with a colour swatch per curve, so it never clips and never
covers a curve; entries are node titles ('hidden'), not ids.
"""

from __future__ import annotations

import csv
import html
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engines.events import Scalar
from graph.views import Axis, ViewKind
from gui.plots.curves import FIXED_COLOURS, PALETTE, CurveSet, split_of
from gui.plots.docks import LogFriendlyAxis
from gui.plots.view_dock import DOCK_KINDS, ViewDock


def axis_title(axis: Axis, default: str = "") -> str:
    """'loss', 'time (ms)': the label with its unit in brackets (no SI rescaling)."""
    text = axis.label or default
    return f"{text} ({axis.unit})" if axis.unit else text


def make_axes_plot(y: Axis, x: Axis) -> pg.PlotWidget:
    """A plot whose axes follow a view's declaration. No grid (3x cheaper painting)."""
    left = LogFriendlyAxis("left")
    plot = pg.PlotWidget(axisItems={"left": left})
    for side, axis in (("left", y), ("bottom", x)):
        item = plot.getAxis(side)
        item.enableAutoSIPrefix(False)  # "5·10² (x0.001)" is unreadable; units are declared
        plot.setLabel(side, axis_title(axis))
    plot.setLogMode(x=x.log, y=y.log)
    if y.range is not None:
        low, high = y.range
        if y.log:
            low, high = np.log10(max(low, 1e-300)), np.log10(max(high, 1e-300))
        plot.setYRange(low, high, padding=0.02)
        plot.getPlotItem().enableAutoRange(y=False)
    if x.range is not None:
        plot.setXRange(*x.range, padding=0.0)
        plot.getPlotItem().enableAutoRange(x=False)
    plot.setMinimumSize(220, 140)
    return plot


def legend_above(dock, plot) -> QLabel:
    """Make dock's widget a wrapping rich-text legend line above plot; returns the legend."""
    legend = QLabel()
    legend.setWordWrap(True)
    legend.setTextFormat(Qt.TextFormat.RichText)
    legend.setObjectName("legend")
    body = QWidget()
    layout = QVBoxLayout(body)
    layout.setContentsMargins(2, 2, 2, 2)
    layout.setSpacing(1)
    layout.addWidget(legend)
    layout.addWidget(plot, 1)
    dock.setWidget(body)
    return legend


def swatch_html(colour: str, label: str, dashed: bool) -> str:
    """One legend entry: a thick line in the curve's colour, then its label."""
    line = "&#9476;&#9476;" if dashed else "&#9473;&#9473;"
    return (f'<span style="color:{colour}; font-weight:bold">{line}</span>'
            f"&nbsp;{html.escape(label)}")


@DOCK_KINDS.register(ViewKind.CURVES)
class CurveViewDock(ViewDock):
    """Curves keyed by tag on one plot; each tag's legend label comes from the plan."""

    EVENTS = (Scalar,)

    def __init__(self, planned, parent=None):
        super().__init__(planned, parent)
        self.labels: dict[str, str] = {}
        self.plot = make_axes_plot(self.view.y, self.view.x)
        self.groups: dict[str, int] = {}  # node title -> colour index (several loss nodes)
        self.curves = CurveSet(self.plot.getPlotItem(), label_of=self.labels.get,
                               colour_of=self._colour)
        self.legend = legend_above(self, self.plot)
        self._step = 0
        self._legend_size = 0

    def add_scalars(self, tag: str, label: str, steps, values) -> None:
        self.labels.setdefault(tag, label)
        self.curves.extend(tag, steps, values)
        self.mark()

    def _colour(self, tag: str) -> str:
        """Train and val of one node share a colour (val dashed): fixed colours for the one
        loss node of a graph, one palette colour per node title where several report."""
        split = split_of(tag)
        label = self.labels.get(tag, "")
        if split and label.endswith(split) and label != split:
            group = label[:-len(split)].strip()
            index = self.groups.setdefault(group, len(self.groups))
            return PALETTE[index % len(PALETTE)]
        return FIXED_COLOURS.get(split, PALETTE[len(self.curves.curves) % len(PALETTE)])

    def curve(self, tag: str):
        """The PlotDataItem drawing tag, or None."""
        return self.curves.curves.get(tag)

    def legend_entries(self) -> list[str]:
        return [self.labels[tag] for tag in self.curves.curves]

    def set_step(self, step: int) -> None:
        self._step = step

    def draw(self) -> None:
        self.curves.refresh()
        if len(self.curves.curves) != self._legend_size:
            self._update_legend()
        self._keep_up()

    def _keep_up(self) -> None:
        """Stretch the x axis to the run's current step: epoch metrics arrive once an epoch,
        so without this the axis would lag the step counter by up to an epoch."""
        if self.view.x.range is not None or self.view.x.log or not self.curves.series:
            return
        last = max((s.x[-1] for s in self.curves.series.values() if len(s)), default=None)
        if last is None or self._step <= last:
            self.plot.getPlotItem().enableAutoRange(x=True)
            return
        first = min(s.x[0] for s in self.curves.series.values() if len(s))
        self.plot.setXRange(first, self._step, padding=0.02)

    def _update_legend(self) -> None:
        self._legend_size = len(self.curves.curves)
        entries = []
        for tag, item in self.curves.curves.items():
            pen = item.opts["pen"]
            colour = pg.mkPen(pen).color().name()
            dashed = pg.mkPen(pen).style() == Qt.PenStyle.DashLine
            entries.append(swatch_html(colour, self.labels[tag], dashed))
        self.legend.setText("&nbsp;&nbsp; ".join(entries))
        self.legend.setVisible(bool(entries))

    def clear(self) -> None:
        super().clear()
        self.curves.clear()
        self.labels.clear()
        self.groups.clear()
        self._legend_size = 0
        self._step = 0
        self.legend.setText("")

    def graphics_item(self):
        return self.plot.getPlotItem()

    def write_csv(self, path: Path) -> None:
        """One row per point: label, tag, step, value."""
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["curve", "tag", self.view.x.label or "step",
                             self.view.y.label or "value"])
            for tag, series in self.curves.series.items():
                for x, y in zip(series.x.tolist(), series.y.tolist()):
                    writer.writerow([self.labels.get(tag, tag), tag, x, y])
