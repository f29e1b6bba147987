"""CurveDock: a dock holding one plot whose curves appear as their tags first arrive."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QDockWidget

from gui.plots.curves import CurveSet


def make_plot(left: str, bottom: str = "step") -> pg.PlotWidget:
    """A plot with a grid, axis labels and a legend (shared look of every dock)."""
    plot = pg.PlotWidget()
    plot.showGrid(x=True, y=True, alpha=0.25)
    plot.setLabel("left", left)
    plot.setLabel("bottom", bottom)
    plot.addLegend(offset=(-10, 10), labelTextSize="8pt")
    plot.setMinimumSize(220, 140)
    return plot


class CurveDock(QDockWidget):
    """A dock with one plot; add(tag, step, value) draws each tag as its own curve."""

    def __init__(self, title: str, object_name: str, y_label: str, label_of=None, parent=None):
        super().__init__(title, parent)
        self.setObjectName(object_name)
        self.plot = make_plot(y_label)
        self.curves = CurveSet(self.plot.getPlotItem(), label_of=label_of)
        self.setWidget(self.plot)

    def add(self, tag: str, step: float, value: float) -> None:
        self.curves.append(tag, step, value)

    @property
    def pending(self) -> bool:
        return self.curves.pending

    def refresh(self) -> None:
        self.curves.refresh()

    def clear(self) -> None:
        self.curves.clear()


class GradNormDock(CurveDock):
    """Per-layer gradient norms: one curve per 'grad_norm/<node>' tag, named by the node."""

    PREFIX = "grad_norm/"

    def __init__(self, parent=None):
        super().__init__("Gradient norms", "gradNormDock", "|grad|",
                         label_of=lambda tag: tag[len(self.PREFIX):], parent=parent)
        self.plot.setLogMode(y=True)


class ScalarDock(CurveDock):
    """Any scalar no other dock claims (energy, temperature, custom metrics)."""

    def __init__(self, parent=None):
        super().__init__("Scalars", "scalarDock", "value", parent=parent)
