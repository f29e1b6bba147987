"""The run-side widgets of a window, made in one place and placed by the main window.

RunController steers them; it neither creates nor docks them, so a window decides its own
layout and a test can hand the controller widgets it made itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gui.plots import PlotDocks
from gui.probe import ProbeDock
from gui.run_bar import RunBar
from gui.runs_panel import RunsPanel


@dataclass
class RunWidgets:
    """Run bar, plot docks, wire probe and runs panel of one window."""

    run_bar: RunBar
    plots: PlotDocks
    probe: ProbeDock
    runs_panel: RunsPanel

    @classmethod
    def create(cls, parent, runs_dir: str | Path, *, cupy_usable: bool = False,
               cupy_reason: str = "") -> RunWidgets:
        """Fresh widgets parented to parent; the runs panel lists runs_dir."""
        return cls(RunBar(parent, cupy_usable=cupy_usable, cupy_reason=cupy_reason),
                   PlotDocks(parent), ProbeDock(parent), RunsPanel(runs_dir, parent))

    def install(self, window) -> None:
        """Put the bar and docks into window (a QMainWindow with a `menus` dict)."""
        window.addToolBar(self.run_bar)
        self.plots.add_to(window, beside=(self.runs_panel,),
                          tabs=((self.runs_panel, self.probe),))
        menus = getattr(window, "menus", {})
        if "Run" in menus:
            menus["Run"].addActions(self.run_bar.actions_in_order())
        if "View" in menus:
            for dock in (self.probe, self.runs_panel):
                menus["View"].addAction(dock.toggleViewAction())
