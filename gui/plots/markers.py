"""Live-edit markers: a labelled vertical line where a run's parameter changed.

A LiveEdit ("opt.lr 0.5 -> 0.01" at step 1200) is drawn on the plot that holds the run's main
curve, live and when a recorded run is reopened. EditMarkers keeps the edits, so a plot item
attached later (or cleared and redrawn) gets every line again.
"""

from __future__ import annotations

import pyqtgraph as pg

MARKER_COLOUR = "#e0a040"
LABEL_HEIGHTS = (0.97, 0.86, 0.75, 0.64)  # successive labels step down, so close edits stay legible


def marker_line(step: float, label: str, index: int = 0) -> pg.InfiniteLine:
    """A dashed vertical line at step, label written level beside its upper part (the
    index-th marker's label sits lower, cycling through LABEL_HEIGHTS)."""
    pen = pg.mkPen(MARKER_COLOUR, width=1, style=pg.QtCore.Qt.PenStyle.DashLine)
    return pg.InfiniteLine(pos=step, angle=90, movable=False, pen=pen, label=label,
                           labelOpts={"position": LABEL_HEIGHTS[index % len(LABEL_HEIGHTS)],
                                      "color": MARKER_COLOUR, "fill": (0, 0, 0, 160),
                                      "anchors": [(0, 0), (0, 0)]})


class EditMarkers:
    """The edit markers of one plot item (a pyqtgraph PlotItem)."""

    def __init__(self, plot_item=None):
        self.plot_item = plot_item
        self.edits: list[tuple[float, str]] = []
        self.lines: list[pg.InfiniteLine] = []

    def attach(self, plot_item) -> None:
        """Draw on plot_item from now on (every edit so far is drawn there at once)."""
        self._remove_lines()
        self.plot_item = plot_item
        for step, label in self.edits:
            self._draw(step, label)

    def add(self, step: float, label: str) -> None:
        self.edits.append((step, label))
        self._draw(step, label)

    def labels(self) -> list[str]:
        """The labels drawn now, in the order the edits came (tests read them)."""
        return [line.label.toPlainText() for line in self.lines]

    def clear(self) -> None:
        self._remove_lines()
        self.edits.clear()

    def _draw(self, step: float, label: str) -> None:
        if self.plot_item is None:
            return
        line = marker_line(step, label, len(self.lines))
        self.plot_item.addItem(line, ignoreBounds=True)
        self.lines.append(line)

    def _remove_lines(self) -> None:
        if self.plot_item is not None:
            for line in self.lines:
                self.plot_item.removeItem(line)
        self.lines.clear()
