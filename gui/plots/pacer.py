"""RedrawPacer: how often plots may redraw so drawing never slows training much.

Painting pyqtgraph plots runs Python on the GUI thread and holds the GIL, which the training
thread needs between NumPy calls. The pacer measures the GUI thread's CPU time (thread_time,
which includes the painting) over windows of about a second and stretches or shrinks the
interval between redraws to keep that share under `budget`.
"""

from __future__ import annotations

import time


class RedrawPacer:
    """due(now) says whether a redraw may happen; drawn(now) books one."""

    def __init__(self, budget: float = 0.025, min_interval_s: float = 0.033,
                 max_interval_s: float = 2.0, window_s: float = 1.0):
        self.budget = budget
        self.min_interval_s = min_interval_s
        self.max_interval_s = max_interval_s
        self.window_s = window_s
        self.interval_s = min_interval_s * 3
        self.share = 0.0  # the GUI thread's CPU share in the last window
        self.reset()

    def reset(self, now: float | None = None) -> None:
        now = time.perf_counter() if now is None else now
        self._next = now
        self._window_wall = now
        self._window_cpu = time.thread_time()

    def due(self, now: float) -> bool:
        self._adapt(now)
        return now >= self._next

    def drawn(self, now: float) -> None:
        self._next = now + self.interval_s

    def _adapt(self, now: float) -> None:
        wall = now - self._window_wall
        if wall < self.window_s:
            return
        cpu = time.thread_time()
        self.share = (cpu - self._window_cpu) / wall
        self._window_wall, self._window_cpu = now, cpu
        if self.share > self.budget:
            self.interval_s = min(self.max_interval_s, self.interval_s * 1.6)
        elif self.share < self.budget / 2:
            self.interval_s = max(self.min_interval_s, self.interval_s / 1.6)
