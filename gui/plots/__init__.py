"""Live plot docks: error history, weight images, gradient norms and any other scalar.

PlotDocks routes Scalar and Image events to the dock that claims their tag; docks only store
points on arrival; refresh() / refresh_one() redraw them when the pacer allows.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from gui.plots.docks import GradNormDock, ScalarDock
from gui.plots.error_history import ErrorHistoryDock
from gui.plots.markers import EditMarkers
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
        self._next_dock = 0
        # live edits are marked where a run's main curve is: the error history (gradient
        # training) and the generic scalar dock (an energy model's energy)
        self.markers = (EditMarkers(self.errors.loss_plot.getPlotItem()),
                        EditMarkers(self.scalars.plot.getPlotItem()))

    def add_to(self, window, beside: tuple = (), tabs: tuple = (), height: int = 300) -> None:
        """Dock them side by side under the canvas, then the docks `beside`; each (front,
        back) pair of `tabs` shares one place. The scalar dock stays hidden until a tag
        arrives for it. The plot docks are listed in the window's View menu.

        Only one tabbed group is made: Qt 6.11 leaves a stray tab bar on screen when a
        second group is tabified in the same dock area.
        """
        area = Qt.DockWidgetArea.BottomDockWidgetArea
        row = [self.errors, self.grad_norms, self.scalars, self.weights, *beside]
        for dock in row + [back for _front, back in tabs]:
            window.addDockWidget(area, dock)  # a dock must be in the window before it moves
        for left, right in zip(row, row[1:]):
            window.splitDockWidget(left, right, Qt.Orientation.Horizontal)
        for front, back in tabs:
            window.tabifyDockWidget(front, back)
            front.raise_()
        self.scalars.hide()
        window.resizeDocks([row[0]], [height], Qt.Orientation.Vertical)
        window.resizeDocks(row, [5, 3, 3, 3, 4][:len(row)] + [3] * (len(row) - 5),
                           Qt.Orientation.Horizontal)
        view = getattr(window, "menus", {}).get("View")
        if view is not None:
            for dock in self.all:
                view.addAction(dock.toggleViewAction())

    def scalar(self, tag: str, step: float, value: float) -> None:
        """Route one scalar: error history, gradient norms, else the generic dock."""
        self.dock_for(tag).add(tag, step, value)

    def scalar_batch(self, batch: dict) -> None:
        """Route {tag: (steps, values)} gathered over one GUI tick."""
        for tag, (steps, values) in batch.items():
            self.dock_for(tag).extend(tag, steps, values)

    def dock_for(self, tag: str):
        """The dock that draws scalar tag (the generic dock is shown on its first tag)."""
        if self.errors.accepts(tag):
            return self.errors
        if tag.startswith(GradNormDock.PREFIX):
            return self.grad_norms
        if not self.scalars.curves.curves and self.scalars.isHidden():
            self.scalars.show()  # the first tag of its kind: make room for it
        return self.scalars

    def image(self, tag: str, array) -> None:
        """Images go to the image dock ('weights/*' and any model view such as a state)."""
        self.weights.add(tag, array)

    def refresh(self) -> None:
        """Redraw every dock with new data."""
        for dock in self.all:
            dock.refresh()

    def refresh_one(self) -> bool:
        """Redraw the next dock (round robin) that has new data; False when none has.

        One dock per call keeps each paint pass short, so the event loop stays responsive.
        """
        for _ in range(len(self.all)):
            dock = self.all[self._next_dock]
            self._next_dock = (self._next_dock + 1) % len(self.all)
            if dock.pending:
                dock.refresh()
                return True
        return False

    def mark(self, step: int, label: str) -> None:
        """A labelled vertical line at step on the main curve ('opt.lr 0.5 -> 0.01')."""
        for markers in self.markers:
            markers.add(step, label)

    def clear(self) -> None:
        for dock in self.all:
            dock.clear()
        for markers in self.markers:
            markers.clear()
