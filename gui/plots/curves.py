"""CurveSet: named curves on one pyqtgraph plot, created on first sight, redrawn in batches."""

from __future__ import annotations

import pyqtgraph as pg

from gui.plots.decimate import MAX_DRAWN_POINTS, Series, minmax_decimate

# Distinct colours that read on pyqtgraph's dark background (Okabe-Ito, made lighter).
PALETTE = ("#56b4e9", "#e69f00", "#009e73", "#f0e442", "#cc79a7", "#d55e00", "#0072b2",
           "#bbbbbb", "#9467bd", "#8c564b")

FIXED_COLOURS = {"train": "#56b4e9", "val": "#e69f00"}


def split_of(tag: str) -> str | None:
    """'train' or 'val' when a segment of tag names the split ('val/loss',
    'free_energy/val', 'run|val/loss'), else None."""
    parts = tag.replace("|", "/").split("/")
    return next((part for part in parts if part in FIXED_COLOURS), None)


class CurveSet:
    """Curves keyed by tag on `plot_item`: append() stores points, refresh() redraws.

    Every point is kept (see Series); what is drawn is min-max decimated to max_points so a
    100k-point history costs the same to draw as a short one. Appends only mark a curve dirty,
    so a burst of events costs one setData per curve per GUI tick.
    """

    def __init__(self, plot_item: pg.PlotItem, max_points: int = MAX_DRAWN_POINTS,
                 label_of=None, colour_of=None):
        self.plot_item = plot_item
        self.max_points = max_points
        self.label_of = label_of or (lambda tag: tag)
        self.colour_of = colour_of or self._default_colour
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.series: dict[str, Series] = {}
        self._dirty: set[str] = set()

    def __contains__(self, tag: str) -> bool:
        return tag in self.curves

    def curve(self, tag: str) -> pg.PlotDataItem:
        """The curve for tag, made on first use with the next colour."""
        item = self.curves.get(tag)
        if item is None:
            pen = pg.mkPen(self.colour_of(tag), width=2)
            if split_of(tag) == "val":
                pen.setStyle(pg.QtCore.Qt.PenStyle.DashLine)
            item = self.plot_item.plot(name=self.label_of(tag), pen=pen)
            self.curves[tag] = item
            self.series[tag] = Series()
        return item

    def _default_colour(self, tag: str) -> str:
        return FIXED_COLOURS.get(split_of(tag), PALETTE[len(self.curves) % len(PALETTE)])

    def append(self, tag: str, x: float, y: float) -> None:
        self.curve(tag)
        self.series[tag].append(x, y)
        self._dirty.add(tag)

    def extend(self, tag: str, xs, ys) -> None:
        """Append many points at once (one GUI tick's worth)."""
        self.curve(tag)
        self.series[tag].extend(xs, ys)
        self._dirty.add(tag)

    def set(self, tag: str, xs, ys) -> None:
        """Replace a curve's whole history (reopened runs)."""
        self.curve(tag)
        series = self.series[tag]
        series.clear()
        series.extend(xs, ys)
        self._dirty.add(tag)

    @property
    def pending(self) -> bool:
        """True when some curve has points not drawn yet."""
        return bool(self._dirty)

    def refresh(self) -> None:
        """Redraw the curves that changed since the last refresh."""
        for tag in self._dirty:
            series = self.series[tag]
            x, y = minmax_decimate(series.x, series.y, self.max_points)
            item = self.curves[tag]
            if len(x) == 1:  # a line needs two points: one point shows as a dot
                item.setData(x, y, symbol="o", symbolSize=7, symbolPen=None,
                             symbolBrush=item.opts["pen"].color())
            elif item.opts["symbol"] is not None:
                item.setData(x, y, symbol=None)
            else:
                item.setData(x, y)
        self._dirty.clear()

    def remove(self, tag: str) -> None:
        item = self.curves.pop(tag, None)
        if item is not None:
            self.plot_item.removeItem(item)
            legend = self.plot_item.legend
            if legend is not None:
                legend.removeItem(item)
        self.series.pop(tag, None)
        self._dirty.discard(tag)

    def clear(self) -> None:
        for tag in list(self.curves):
            self.remove(tag)
