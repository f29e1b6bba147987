"""Docks for traces, spike rasters, scatter plots and lattices, histograms, decision regions
and text: one class per family of events, each registered for the view kinds it draws."""

from __future__ import annotations

import csv
from collections import deque
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

from engines.events import Image, Points, Raster, Text, Trace
from graph.views import ViewKind
from gui.plots.curve_view import CurveViewDock, legend_above, make_axes_plot, swatch_html
from gui.plots.curves import PALETTE
from gui.plots.view_dock import DOCK_KINDS, ViewDock

MAX_RASTER_SPIKES = 20_000
MAX_TEXT_LINES = 200


@DOCK_KINDS.register(ViewKind.TRACES)
class TraceViewDock(CurveViewDock):
    """Signals against time: each Trace batch extends its tag's curve."""

    EVENTS = (Trace,)

    def set_step(self, step: int) -> None:
        """Traces run on their own time axis (ms), not the step counter: no stretching."""

    def add_trace(self, tag: str, label: str, times, values) -> None:
        times = np.asarray(times, dtype=float).ravel()
        values = np.asarray(values, dtype=float).reshape(len(times), -1)
        if values.shape[1] == 1:
            self.add_scalars(tag, label, times, values[:, 0])
        else:  # one curve per column of a multi-channel trace
            for column in range(values.shape[1]):
                self.add_scalars(f"{tag}#{column}", f"{label} {column}", times,
                                 values[:, column])


def labelled_brushes(labels, count: int) -> list:
    if labels is None:
        return [pg.mkBrush(PALETTE[0])] * count
    return [pg.mkBrush(PALETTE[int(v) % len(PALETTE)]) for v in np.asarray(labels).ravel()]


def _first_colour(event: Points) -> str:
    """The colour of an event's first point (its curve's, for scan.curves events)."""
    labels = None if event.labels is None else np.asarray(event.labels).ravel()
    return PALETTE[(int(labels[0]) if labels is not None and len(labels) else 0)
                   % len(PALETTE)]


class _PointsDock(ViewDock):
    """Base of docks drawing on one plot with the view's axes, under a legend: the view's
    named classes (a swatch per label colour), else one entry per node when several feed it."""

    def __init__(self, planned, parent=None):
        super().__init__(planned, parent)
        self.plot = make_axes_plot(self.view.y, self.view.x)
        self.labels: dict[str, str] = {}
        self.legend_tags: list[str] = []  # tags named in the legend (several nodes' points)
        self.legend = legend_above(self, self.plot)
        self.set_legend(self.class_entries())

    def class_entries(self) -> list:
        return [(PALETTE[index % len(PALETTE)], name)
                for index, name in enumerate(self.view.classes)]

    def set_legend(self, entries: list) -> None:
        """[(colour, name)] as swatches above the plot; hidden when empty."""
        self.legend.setText("&nbsp;&nbsp; ".join(swatch_html(colour, name, False)
                                                 for colour, name in entries))
        self.legend.setVisible(bool(entries))

    def legend_entries(self) -> list[str]:
        if self.view.classes:
            return list(self.view.classes)
        return [self.labels.get(tag, tag) for tag in self.legend_tags]

    def graphics_item(self):
        return self.plot.getPlotItem()


@DOCK_KINDS.register(ViewKind.RASTER)
class RasterViewDock(_PointsDock):
    """Spike times by neuron as dots; keeps the newest MAX_RASTER_SPIKES spikes."""

    EVENTS = (Raster,)

    def __init__(self, planned, parent=None):
        super().__init__(planned, parent)
        self.times: deque = deque(maxlen=MAX_RASTER_SPIKES)
        self.neurons: deque = deque(maxlen=MAX_RASTER_SPIKES)
        self.dots = pg.ScatterPlotItem(size=3, pen=None, brush=pg.mkBrush(PALETTE[0]))
        self.plot.addItem(self.dots)

    def add_raster(self, tag: str, label: str, times, neurons) -> None:
        self.times.extend(np.asarray(times, dtype=float).ravel().tolist())
        self.neurons.extend(np.asarray(neurons, dtype=float).ravel().tolist())
        self.mark()

    def draw(self) -> None:
        self.dots.setData(np.fromiter(self.times, float), np.fromiter(self.neurons, float))

    def clear(self) -> None:
        super().clear()
        self.times.clear()
        self.neurons.clear()
        self.dots.clear()

    def write_csv(self, path: Path) -> None:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["time", "neuron"])
            writer.writerows(zip(self.times, self.neurons))


@DOCK_KINDS.register(ViewKind.SCATTER, ViewKind.LATTICE)
class ScatterViewDock(_PointsDock):
    """The newest Points of each tag, coloured by label; edges drawn as lines (lattices)."""

    EVENTS = (Points,)

    def __init__(self, planned, parent=None):
        super().__init__(planned, parent)
        self.latest: dict[str, Points] = {}
        self.items: dict[str, tuple] = {}

    def add_points(self, tag: str, label: str, event: Points) -> None:
        self.labels.setdefault(tag, label)
        self.latest[tag] = event
        self.mark()

    def draw(self) -> None:
        if not self.view.classes and len(self.latest) > 1 and \
                list(self.latest) != self.legend_tags:
            self.legend_tags = list(self.latest)  # several nodes: name each by its colour
            self.set_legend([(_first_colour(event), self.labels.get(tag, tag))
                             for tag, event in self.latest.items()])
        elif not self.view.classes and len(self.latest) == 1 and \
                self.view.kind is ViewKind.SCATTER:
            self._class_legend(next(iter(self.latest.values())))
        for tag, event in self.latest.items():
            if tag not in self.items:
                lines = pg.PlotCurveItem(pen=pg.mkPen("#bbbbbb", width=1), connect="pairs")
                dots = pg.ScatterPlotItem(size=6, pen=None)
                self.plot.addItem(lines)
                self.plot.addItem(dots)
                self.items[tag] = (dots, lines)
            dots, lines = self.items[tag]
            xy = np.asarray(event.xy, dtype=float).reshape(-1, 2)
            dots.setData(xy[:, 0], xy[:, 1], brush=labelled_brushes(event.labels, len(xy)))
            if event.edges is not None and len(event.edges):
                pairs = xy[np.asarray(event.edges, dtype=np.intp).ravel()]
                lines.setData(pairs[:, 0], pairs[:, 1])

    def _class_legend(self, event: Points) -> None:
        """Points of one scatter coloured by an unnamed label (a dataset's classes, which
        for digits are the digits): 'class k' per colour."""
        if event.labels is None:
            return
        found = tuple(int(v) for v in np.unique(np.asarray(event.labels)))
        if 2 <= len(found) <= len(PALETTE) and found != getattr(self, "_classes_shown", ()):
            self._classes_shown = found
            self.set_legend([(PALETTE[k % len(PALETTE)], f"class {k}") for k in found])

    def clear(self) -> None:
        super().clear()
        self.latest.clear()
        self._classes_shown = ()
        self.legend_tags = []
        self.set_legend(self.class_entries())
        for dots, lines in self.items.values():
            self.plot.removeItem(dots)
            self.plot.removeItem(lines)
        self.items.clear()

    def write_csv(self, path: Path) -> None:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["tag", "x", "y", "label"])
            for tag, event in self.latest.items():
                xy = np.asarray(event.xy, dtype=float).reshape(-1, 2)
                labels = (np.asarray(event.labels).ravel() if event.labels is not None
                          else [""] * len(xy))
                for (x, y), lab in zip(xy.tolist(), labels):
                    writer.writerow([tag, x, y, lab])


@DOCK_KINDS.register(ViewKind.HISTOGRAM)
class HistogramViewDock(_PointsDock):
    """Points read as samples: a step histogram of the first coordinate per label."""

    EVENTS = (Points,)
    BINS = 30

    def __init__(self, planned, parent=None):
        super().__init__(planned, parent)
        self.latest: dict[str, Points] = {}
        self.curves: list = []

    def add_points(self, tag: str, label: str, event: Points) -> None:
        self.latest[tag] = event
        self.mark()

    def draw(self) -> None:
        for curve in self.curves:
            self.plot.removeItem(curve)
        self.curves = []
        for event in self.latest.values():
            values = np.asarray(event.xy, dtype=float).reshape(len(event.xy), -1)[:, 0]
            labels = (np.zeros(len(values), int) if event.labels is None
                      else np.asarray(event.labels).ravel())
            edges = np.histogram_bin_edges(values, self.BINS)
            for group in np.unique(labels):  # coloured by label, as scatter points are
                counts, _ = np.histogram(values[labels == group], edges)
                colour = PALETTE[int(group) % len(PALETTE)]
                curve = pg.PlotCurveItem(edges, counts, stepMode="center",
                                         pen=pg.mkPen(colour, width=2))
                self.plot.addItem(curve)
                self.curves.append(curve)

    def clear(self) -> None:
        super().clear()
        self.latest.clear()
        self.draw()

    def write_csv(self, path: Path) -> None:
        ScatterViewDock.write_csv(self, path)


@DOCK_KINDS.register(ViewKind.DECISION_REGIONS)
class DecisionRegionDock(_PointsDock):
    """Class regions (an Image over the rectangle its `extent` names) under the data's Points,
    redrawn as they arrive (TensorFlow Playground style)."""

    EVENTS = (Image, Points)

    def __init__(self, planned, parent=None):
        super().__init__(planned, parent)
        self.regions = pg.ImageItem(axisOrder="row-major")
        self.regions.setColorMap(pg.colormap.get("CET-D1"))
        self.regions.setOpacity(0.8)
        self.dots = pg.ScatterPlotItem(size=9, pen=pg.mkPen("#ffffff", width=1.5))
        self.plot.addItem(self.regions)
        self.plot.addItem(self.dots)
        self.image_array = None
        self.extent = None
        self.points: Points | None = None

    def add_image(self, tag: str, label: str, array, extent=None) -> None:
        self.image_array = np.asarray(array)
        self.extent = extent
        self.mark()

    def add_points(self, tag: str, label: str, event: Points) -> None:
        self.points = event
        self.mark()

    def draw(self) -> None:
        from PySide6.QtCore import QRectF
        if self.image_array is not None:
            self.regions.setImage(self.image_array, levels=(0.0, 1.0))
            if self.extent is not None:
                x0, x1, y0, y1 = self.extent
                self.regions.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        if self.points is not None:
            xy = np.asarray(self.points.xy, dtype=float).reshape(-1, 2)
            self.dots.setData(xy[:, 0], xy[:, 1],
                              brush=labelled_brushes(self.points.labels, len(xy)))

    def clear(self) -> None:
        super().clear()
        self.image_array = self.extent = self.points = None
        self.regions.clear()
        self.dots.clear()

    def write_csv(self, path: Path) -> None:
        np.savetxt(path, np.zeros((0, 0)) if self.image_array is None else self.image_array,
                   delimiter=",", fmt="%.6g",
                   header=f"class-1 probability over extent {self.extent}")


@DOCK_KINDS.register(ViewKind.TEXT)
class TextViewDock(ViewDock):
    """The newest texts, one line per event, 'label: text'."""

    EVENTS = (Text,)

    def __init__(self, planned, parent=None):
        super().__init__(planned, parent)
        self.box = QPlainTextEdit()
        self.box.setReadOnly(True)
        self.box.setMaximumBlockCount(MAX_TEXT_LINES)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.box)
        self.setWidget(body)
        self.waiting: list[str] = []
        self.lines: deque = deque(maxlen=MAX_TEXT_LINES)

    def add_text(self, tag: str, label: str, step: int, text: str) -> None:
        line = f"[{step}] {label}: {text}" if label else f"[{step}] {text}"
        self.waiting.append(line)
        self.lines.append(line)
        self.mark()

    def draw(self) -> None:
        for line in self.waiting:
            self.box.appendPlainText(line)
        self.waiting.clear()

    def clear(self) -> None:
        super().clear()
        self.box.clear()
        self.waiting.clear()
        self.lines.clear()

    def graphics_item(self):
        raise ValueError("a text view exports as .csv only")

    def write_csv(self, path: Path) -> None:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([line] for line in self.lines)
