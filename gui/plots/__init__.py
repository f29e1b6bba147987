"""Live plot docks built from the views the running graph's nodes declare (graph.views).

`PlotDocks` (gui.plots.view_docks.ViewDocks) makes one dock per declared view when a run
starts, routes events to them by tag and shows a dock only once its data arrives; dock
classes come from the ViewKind registry `DOCK_KINDS` (gui.plots.view_dock).
"""

from __future__ import annotations

from gui.plots.plan import PlannedView, ViewPlan
from gui.plots.view_dock import DOCK_KINDS, DockKinds, ViewDock
from gui.plots.view_docks import ViewDocks

PlotDocks = ViewDocks  # the name the run widgets use

__all__ = ["PlotDocks", "ViewDocks", "ViewPlan", "PlannedView", "ViewDock", "DockKinds",
           "DOCK_KINDS"]
