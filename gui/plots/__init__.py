"""Live plot docks: error history, weight images, gradient norms and any other scalar.

PlotDocks routes Scalar and Image events to the dock that claims their tag; docks only store
points on arrival and redraw once per GUI tick in refresh().
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from gui.plots.docks import GradNormDock, ScalarDock
from gui.plots.error_history import ErrorHistoryDock
from gui.plots.weights import WeightImageDock

__all__ = ["PlotDocks", "ErrorHistoryDock", "GradNormDock", "ScalarDock", "WeightImageDock"]


class PlotDocks:
    """The four live plot docks of a window and the tag rules that feed them."""

    def __init__(self, parent=None):
        self.errors = ErrorHistoryDock(parent)
        self.weights = WeightImageDock(parent)
        self.grad_norms = GradNormDock(parent)
        self.scalars = ScalarDock(parent)
        self.all = (self.errors, self.weights, self.grad_norms, self.scalars)

    def add_to(self, window) -> None:
        """Dock them on the right of window (stacked) and list them in its View menu."""
        area = Qt.DockWidgetArea.RightDockWidgetArea
        window.addDockWidget(area, self.errors)
        window.addDockWidget(area, self.grad_norms)
        window.tabifyDockWidget(self.grad_norms, self.scalars)
        window.addDockWidget(area, self.weights)
        self.errors.raise_()
        self.grad_norms.raise_()
        view = getattr(window, "menus", {}).get("View")
        if view is not None:
            for dock in self.all:
                view.addAction(dock.toggleViewAction())

    def scalar(self, tag: str, step: float, value: float) -> None:
        """Route one scalar: error history, gradient norms, else the generic dock."""
        if self.errors.accepts(tag):
            self.errors.add(tag, step, value)
        elif tag.startswith(GradNormDock.PREFIX):
            self.grad_norms.add(tag, step, value)
        else:
            self.scalars.add(tag, step, value)

    def image(self, tag: str, array) -> None:
        """Images go to the image dock ('weights/*' and any model view such as a state)."""
        self.weights.add(tag, array)

    def refresh(self) -> None:
        for dock in self.all:
            dock.refresh()

    def clear(self) -> None:
        for dock in self.all:
            dock.clear()
