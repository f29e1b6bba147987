"""Monitors: node-provided callbacks that turn device state into events, time-throttled."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Monitor:
    """fn(phase) -> list of events, run every epoch or every step, at most once per interval."""

    node_id: str
    fn: Callable
    every: str = "epoch"  # "epoch" | "step"
    min_interval_s: float = 0.0
    last_time: float = field(default=-1e18)

    def due(self, now: float) -> bool:
        return now - self.last_time >= self.min_interval_s

    def run(self, phase, now: float | None = None) -> list:
        self.last_time = time.perf_counter() if now is None else now
        return list(self.fn(phase) or [])
