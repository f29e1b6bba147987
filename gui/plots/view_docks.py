"""Live plot docks built from the views the running graph's nodes declare (graph.views).

ViewDocks.prepare(graph, registry) makes one dock per declared view (a ViewKind -> dock class
registry, gui.plots.view_dock.DOCK_KINDS, so a new family's plots need no GUI change); events
are routed to docks by tag; a dock is shown, and placed, only when its first data arrives.
Docks store points on arrival; refresh() / refresh_one() draw them when the pacer allows.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabBar

from engines.events import Image, Points, Raster, Scalar, Text, Trace
from gui.plots import curve_view, image_view, other_views  # noqa: F401 (register dock kinds)
from gui.plots.markers import EditMarkers
from gui.plots.plan import ViewPlan
from gui.plots.view_dock import DOCK_KINDS, DockKinds, ViewDock

AREA = Qt.DockWidgetArea.BottomDockWidgetArea
COLUMN_PX = 260  # a plot column narrower than this is hard to read: tab instead
BESIDE_PX = 260  # the runs panel / probe column, unless its contents need more


class ViewDocks:
    """The view docks of one window: built per graph, fed by tag, placed as data arrives."""

    def __init__(self, parent=None, kinds: DockKinds = DOCK_KINDS):
        self.parent = parent
        self.kinds = kinds
        self.window = None
        self.plan = ViewPlan([], {})
        self.docks: dict[tuple, ViewDock] = {}
        self.columns: list[ViewDock] = []  # the visible dock heading each plot column
        self.beside: tuple = ()
        self._families = {event: kinds.kinds_for(event)
                          for event in (Scalar, Image, Trace, Points, Raster, Text)}
        self._next_dock = 0
        self._menu_actions: dict[tuple, object] = {}
        self.markers = EditMarkers()  # live edits, on the main curve dock of the plan

    # -- building ------------------------------------------------------------------------
    def add_to(self, window, beside: tuple = (), tabs: tuple = (), height: int = 300) -> None:
        """Dock `beside` (runs panel, probe) in window's bottom area, each (front, back) pair
        of `tabs` sharing one place; view docks join the area as their data arrives."""
        self.window = window
        self.height = height
        self.beside = tuple(beside)
        # the plot row spans the whole window width, under the palette and inspector too,
        # so a small window still has room for a plot beside the runs panel
        window.setCorner(Qt.Corner.BottomLeftCorner, AREA)
        window.setCorner(Qt.Corner.BottomRightCorner, AREA)
        for dock in (*beside, *(back for _front, back in tabs)):
            window.addDockWidget(AREA, dock)
        for front, back in tabs:
            window.tabifyDockWidget(front, back)
            front.raise_()
        if beside:
            window.resizeDocks([beside[0]], [height], Qt.Orientation.Vertical)

    def prepare(self, graph, registry, metric_keys: dict | None = None,
                metric_tags=()) -> None:
        """Docks for the views of graph's nodes (reused by key across runs), all emptied and
        hidden until data arrives; docks no node declares any more are removed.

        metric_keys is the compiled program's {(node, name): key}, so a second loss node's
        curves carry its title; a recorded run gives its metric_tags instead."""
        self.plan = ViewPlan.of(graph, registry, metric_keys)
        if metric_keys is None and metric_tags:
            self.plan.set_metric_keys(self.plan.guess_metric_keys(metric_tags))
        wanted = list(self.plan.views) + [self.plan.fallback]
        keys = {planned.key for planned in wanted}
        for key in [k for k in self.docks if k not in keys]:
            self._remove(key)
        self.columns = []
        for planned in wanted:
            dock = self.docks.get(planned.key)
            if dock is not None and dock.view != planned.view:
                self._remove(planned.key)
                dock = None
            if dock is None:
                cls = self.kinds.get(planned.view.kind)
                if cls is None:
                    continue  # a kind no dock class draws (a pack's own, not registered)
                dock = cls(planned, self.parent)
                dock.visibilityChanged.connect(
                    lambda visible, d=dock: visible and d.refresh())
                self.docks[planned.key] = dock
                self._add_to_menu(planned.key, dock)
            dock.planned = planned
            dock.clear()
            dock.placed = False
            if self.window is not None:
                self.window.addDockWidget(AREA, dock)
            dock.hide()
        self._next_dock = 0
        self.markers.clear()
        main = self.main_curve_dock()
        if main is not None:  # the run's main curve leads: in front of any tab group
            self.docks = {main.planned.key: main, **self.docks}
        self.markers.attach(None if main is None else main.plot.getPlotItem())

    def _add_to_menu(self, key, dock) -> None:
        menu = getattr(self.window, "menus", {}).get("View") if self.window else None
        if menu is not None:
            action = dock.toggleViewAction()
            menu.addAction(action)
            self._menu_actions[key] = (menu, action)

    def _remove(self, key) -> None:
        dock = self.docks.pop(key)
        menu_action = self._menu_actions.pop(key, None)
        if menu_action is not None:
            menu_action[0].removeAction(menu_action[1])
        if self.window is not None:
            self.window.removeDockWidget(dock)
        dock.hide()
        dock.setParent(None)
        dock.deleteLater()

    # -- placing -------------------------------------------------------------------------
    def max_columns(self) -> int:
        width = self.window.width() if self.window is not None else 1400
        return max(1, min(4, (width - self._beside_width()) // COLUMN_PX))

    def _beside_width(self) -> int:
        if not self.beside:
            return 0
        return max(BESIDE_PX, max(d.minimumSizeHint().width() for d in self.beside))

    def _place(self, dock: ViewDock) -> None:
        """Show a dock that just got its first data: a new column while there is room,
        else a tab behind the column with the fewest tabs, of those the one whose best view
        comes latest in the plan (the main curve's column last): the main curve and the
        first-declared views stay in sight, whatever order their data arrives in."""
        window = self.window
        if window is None:
            return
        self.columns = [d for d in self.columns if d in self.docks.values()]
        if len(self.columns) < self.max_columns():
            dock.show()
            # appended to the right of the area; splitDockWidget would make a tab of it when
            # its anchor (the runs panel) is tabbed
            window.addDockWidget(AREA, dock, Qt.Orientation.Horizontal)
            self.columns.append(dock)
            if len(self.columns) == 1:
                window.resizeDocks([dock], [self.height], Qt.Orientation.Vertical)
            self._share_width()
            return
        order = list(self.docks.values())  # the main curve first, then plan order

        def fewest_tabs_then_least_important(head):
            group = [head, *window.tabifiedDockWidgets(head)]
            return len(group), -min(order.index(d) for d in group if d in order)

        head = min(self.columns, key=fewest_tabs_then_least_important)
        window.tabifyDockWidget(head, dock)  # while hidden: shown first, it would take a
        dock.show()  # column of its own for a moment and widen the window for good
        for bar in window.findChildren(QTabBar):  # made by Qt on the first tabify
            # a row of long tab titles must scroll, not widen the window
            bar.setUsesScrollButtons(True)
            bar.setElideMode(Qt.TextElideMode.ElideRight)
        group = [head, *window.tabifiedDockWidgets(head)]
        min((d for d in group if d in order), key=order.index).raise_()  # plan order first

    def _share_width(self) -> None:
        """The runs panel keeps BESIDE_PX; the plot columns share the rest equally."""
        beside = self._beside_width()
        width = self.window.width() - beside - 8 * len(self.columns)  # separators
        docks = [*self.beside[:1], *self.columns]
        sizes = ([beside] if self.beside else []) + \
            [max(COLUMN_PX, width // len(self.columns))] * len(self.columns)
        self.window.resizeDocks(docks, sizes, Qt.Orientation.Horizontal)

    def _arrived(self, dock: ViewDock) -> None:
        if dock.isHidden() and not getattr(dock, "placed", False):
            dock.placed = True
            self._place(dock)

    # -- events --------------------------------------------------------------------------
    def _targets(self, tag: str, event_type: type):
        for planned, label in self.plan.route(tag, self._families[event_type]):
            dock = self.docks.get(planned.key)
            if dock is not None:
                yield dock, label

    def scalar(self, tag: str, step: float, value: float) -> None:
        self.scalar_batch({tag: ([step], [value])})

    def scalar_batch(self, batch: dict) -> None:
        """Route {tag: (steps, values)} gathered over one GUI tick."""
        for tag, (steps, values) in batch.items():
            for dock, label in self._targets(tag, Scalar):
                dock.add_scalars(tag, label, steps, values)
                self._arrived(dock)

    def image(self, tag: str, array, extent=None) -> None:
        for dock, label in self._targets(tag, Image):
            dock.add_image(tag, label, array, extent)
            self._arrived(dock)

    def trace(self, event: Trace) -> None:
        for dock, label in self._targets(event.tag, Trace):
            dock.add_trace(event.tag, label, event.times, event.values)
            self._arrived(dock)

    def points(self, event: Points) -> None:
        for dock, label in self._targets(event.tag, Points):
            dock.add_points(event.tag, label, event)
            self._arrived(dock)

    def raster(self, event: Raster) -> None:
        for dock, label in self._targets(event.tag, Raster):
            dock.add_raster(event.tag, label, event.times, event.neurons)
            self._arrived(dock)

    def text(self, event: Text) -> None:
        for dock, label in self._targets(event.tag, Text):
            dock.add_text(event.tag, label, event.step, event.text)
            self._arrived(dock)

    def main_curve_dock(self):
        """Where a run's main curve is: the curves view showing 'train/loss' (gradient
        training), else the first curves view declared (an energy model's energy)."""
        curves = [d for d in self.docks.values() if hasattr(d, "curve")
                  and d.planned is not self.plan.fallback]
        with_loss = [d for d in curves if "train/loss" in d.view.tags]
        return (with_loss or curves or [None])[0]

    def mark(self, step: int, label: str) -> None:
        """A labelled vertical line at step on the main curve ('opt.lr 0.5 -> 0.01')."""
        self.markers.add(step, label)

    def progress(self, step: int) -> None:
        """The run's step counter (curve docks keep their x axis up with it)."""
        for dock in self.docks.values():
            dock.set_step(step)

    # -- drawing -------------------------------------------------------------------------
    @property
    def all(self) -> tuple:
        return tuple(self.docks.values())

    def refresh(self) -> None:
        """Draw every dock with new data (visible or not)."""
        for dock in self.docks.values():
            dock.refresh()

    def refresh_one(self) -> bool:
        """Draw the next visible dock (round robin) with new data; False when none has.

        One dock per call keeps each paint pass short, so the event loop stays responsive;
        docks behind a tab draw when they are brought forward.
        """
        docks = self.all
        for _ in range(len(docks)):
            self._next_dock = (self._next_dock + 1) % len(docks)
            dock = docks[self._next_dock]
            if dock.pending and dock.isVisible() and not dock.visibleRegion().isEmpty():
                dock.refresh()
                return True
        return False

    def clear(self) -> None:
        """Empty and hide every dock (another graph, or a new run)."""
        for dock in self.docks.values():
            dock.clear()
            dock.placed = False
            dock.hide()
        self.columns = []
        self.markers.clear()

    # -- looking up (tests, screenshots, the runs panel) ----------------------------------
    def dock(self, title: str) -> ViewDock | None:
        """The dock of the view titled title, or None."""
        return next((d for d in self.docks.values() if d.view.title == title), None)

    def shown(self) -> list[ViewDock]:
        """Docks that have received data, in plan order."""
        return [d for d in self.docks.values() if d.has_data]

    def curve(self, tag: str):
        """The PlotDataItem drawing scalar tag in the first curve dock that has it, drawn
        up to date (a dock behind a tab draws only when asked), or None."""
        for dock in self.docks.values():
            curve = getattr(dock, "curve", None)
            item = curve(tag) if curve is not None else None
            if item is not None:
                dock.refresh()
                return item
        return None
