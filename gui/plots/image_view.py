"""ImageViewDock: the Image tags of one view, each in its own titled panel with a colour bar.

IMAGE shows pictures (states, weights, reconstructions), IMAGE_GRID already-tiled pictures
(no colour bar), HEATMAP matrices with labelled axes (a confusion matrix). Small arrays (up to
MAX_ANNOTATED cells) print their values in the cells, so a 1x1 weight reads as a number.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg

from engines.events import Image
from graph.views import ViewKind, tag_matches
from gui.plots.curve_view import axis_title
from gui.plots.view_dock import DOCK_KINDS, ViewDock

MAX_ANNOTATED = 150
CELL_PX = (30, 14)  # a cell narrower or lower than this gets no printed value
MAX_TICKED = 12  # a heatmap side of at most this many cells gets a tick per cell
MAX_LOCKED_RATIO = 8  # a picture longer than this keeps no square pixels: it fills the panel
PANEL_MIN_PX = 170
COLUMNS = 3


def value_text(value: float) -> str:
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"


class ImagePanel:
    """One tag's picture: a titled PlotItem with an ImageItem, colour bar and cell values."""

    def __init__(self, layout: pg.GraphicsLayout, row: int, col: int, label: str,
                 heatmap: bool, colour_bar: bool, x_title: str, y_title: str):
        self.plot = layout.addPlot(row=row, col=col, title=label)
        self.plot.setMenuEnabled(False)
        self.plot.invertY(True)
        self.heatmap = heatmap
        if heatmap:
            self.plot.setLabel("bottom", x_title)
            self.plot.setLabel("left", y_title)
        else:
            self.plot.setAspectLocked(True)
            self.plot.hideAxis("left")
            self.plot.hideAxis("bottom")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.plot.addItem(self.image)
        self.bar = None
        if colour_bar:
            self.bar = pg.ColorBarItem(values=(0, 1), colorMap=pg.colormap.get("viridis"),
                                       interactive=False, width=12)
            self.bar.setImageItem(self.image, insert_in=self.plot)
        self.texts: list[pg.TextItem] = []
        self.array: np.ndarray | None = None
        self.extent = None

    def show(self, array: np.ndarray, extent=None) -> None:
        self.array = array
        shown = array if array.ndim >= 2 else array.reshape(1, -1)
        finite = shown[np.isfinite(shown)] if shown.dtype.kind == "f" else shown
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if high <= low:
            low, high = low - 0.5, high + 0.5
        self.image.setImage(shown, levels=(low, high))
        if self.heatmap and extent is None:  # cell k centred on tick k (class 0..9, not edges)
            from PySide6.QtCore import QRectF
            rows, columns = shown.shape[:2]
            self.image.setRect(QRectF(-0.5, -0.5, columns, rows))
            for side, count in (("left", rows), ("bottom", columns)):
                if count <= MAX_TICKED:  # every cell its number (0..9, no "10" at the edge)
                    self.plot.getAxis(side).setTicks([[(k, str(k)) for k in range(count)]])
        if not self.heatmap:  # a long strip (a 2 x 128 weight matrix) fills the panel
            rows, columns = shown.shape[:2]
            self.plot.setAspectLocked(max(rows, columns) <= MAX_LOCKED_RATIO * min(rows, columns))
        if extent is not None and extent != self.extent:
            x0, x1, y0, y1 = extent
            from PySide6.QtCore import QRectF
            self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self.extent = extent
        if self.bar is not None:
            self.bar.setLevels((low, high))
        self._annotate(shown if shown.ndim == 2 else None, low, high)

    def _annotate(self, shown, low: float, high: float) -> None:
        cells = 0 if shown is None else shown.size
        if cells and cells <= MAX_ANNOTATED:
            box = self.plot.getViewBox()
            rows, columns = shown.shape
            cell = min(box.width() / columns, box.height() / rows)  # aspect locked
            if cell < CELL_PX[0] and not (cells == 1 or box.width() < 2):
                cells = 0  # the numbers would run together: the colours tell it
        if cells == 0 or cells > MAX_ANNOTATED:
            for text in self.texts:
                text.setVisible(False)
            return
        while len(self.texts) < cells:
            text = pg.TextItem(anchor=(0.5, 0.5))
            self.plot.addItem(text)
            self.texts.append(text)
        mid = (low + high) / 2
        for index, text in enumerate(self.texts):
            if index >= cells:
                text.setVisible(False)
                continue
            row, col = divmod(index, shown.shape[1])
            value = float(shown[row, col])
            text.setText(value_text(value), color="#000000" if value > mid else "#ffffff")
            centre = 0.0 if self.heatmap and self.extent is None else 0.5
            text.setPos(col + centre, row + centre)
            text.setVisible(True)


@DOCK_KINDS.register(ViewKind.IMAGE, ViewKind.IMAGE_GRID, ViewKind.HEATMAP)
class ImageViewDock(ViewDock):
    """The newest array of each tag, one panel per tag in arrival order."""

    EVENTS = (Image,)

    def __init__(self, planned, parent=None):
        super().__init__(planned, parent)
        self.widget_ = pg.GraphicsLayoutWidget()
        self.widget_.setMinimumSize(PANEL_MIN_PX + 40, PANEL_MIN_PX)
        self.setWidget(self.widget_)
        self.latest: dict[str, tuple] = {}  # tag -> (array, extent)
        self.labels: dict[str, str] = {}
        self.panels: dict[str, ImagePanel] = {}
        self._changed: set[str] = set()

    def add_image(self, tag: str, label: str, array, extent=None) -> None:
        self.labels.setdefault(tag, label)
        self.latest[tag] = (np.asarray(array), extent)
        self._changed.add(tag)
        self.mark()

    def draw(self) -> None:
        heatmap = self.view.kind is ViewKind.HEATMAP
        for tag in list(self._changed):
            panel = self.panels.get(tag)
            if panel is None:
                row, col = divmod(len(self.panels), COLUMNS)
                array = self.latest[tag][0]
                colour_bar = self.view.kind is not ViewKind.IMAGE_GRID or array.size == 1
                panel = ImagePanel(self.widget_.ci, row, col, self.labels[tag], heatmap,
                                   colour_bar, axis_title(self.view.x), axis_title(self.view.y))
                self.panels[tag] = panel
                self._arrange()
            array, extent = self.latest[tag]
            panel.show(array, extent)
        self._changed.clear()

    def _arrange(self) -> None:
        """Panels in the order the view declares its tags (a cue before its recalled
        state), whatever order their first images came in."""
        patterns = [source.pattern for source in self.planned.sources]

        def declared(tag):
            return next((i for i, p in enumerate(patterns) if tag_matches(p, tag)),
                        len(patterns))
        ordered = sorted(self.panels, key=lambda tag: (declared(tag), list(self.panels)
                                                        .index(tag)))
        layout = self.widget_.ci
        for tag in ordered:
            layout.removeItem(self.panels[tag].plot)
        for index, tag in enumerate(ordered):
            row, col = divmod(index, COLUMNS)
            layout.addItem(self.panels[tag].plot, row=row, col=col)
        self.panels = {tag: self.panels[tag] for tag in ordered}
        self.widget_.setMinimumSize(min(len(ordered), COLUMNS) * PANEL_MIN_PX + 40,
                                    (len(ordered) + COLUMNS - 1) // COLUMNS * PANEL_MIN_PX)

    def clear(self) -> None:
        super().clear()
        self.latest.clear()
        self.labels.clear()
        self.panels.clear()
        self._changed.clear()
        self.widget_.ci.clear()

    def graphics_item(self):
        return self.widget_.ci

    def write_csv(self, path: Path) -> None:
        """Each tag's newest array as rows of numbers, under a '# label (shape)' line."""
        with open(path, "w", encoding="utf-8") as handle:
            for tag, (array, _extent) in self.latest.items():
                shown = array if array.ndim == 2 else array.reshape(array.shape[0], -1) \
                    if array.ndim > 2 else array.reshape(1, -1)
                handle.write(f"# {self.labels.get(tag, tag)} [{tag}] shape "
                             f"{'x'.join(map(str, array.shape))}\n")
                np.savetxt(handle, shown, delimiter=",", fmt="%.6g")
