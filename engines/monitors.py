"""Monitors: node-provided callbacks that turn device state into events, time-throttled.

The compiler adds the standard ones to every trainable program: per-layer gradient norms and an
image of the first layer's weights. Both read the device once per call and are throttled, and
the Session also caps the share of run time monitors may take.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from engines.events import Image, Scalar
from engines.imaging import weight_tiles

GRAD_NORM_INTERVAL_S = 0.25
GRAD_NORM_POINTS = 40  # a run of a second still draws a gradient-norm curve
WEIGHT_IMAGE_INTERVAL_S = 1.0


@dataclass
class Monitor:
    """fn(phase) -> list of events, run every epoch or every step, at most once per interval."""

    node_id: str
    fn: Callable
    every: str = "epoch"  # "epoch" | "step"
    min_interval_s: float = 0.0
    # a step monitor with points > 0 reports at least that often over a short run: its
    # interval is at most the run's elapsed time / points (the Session's budget still caps it)
    points: int = 0
    last_time: float = field(default=-1e18)
    last_step: int | None = None  # the step it last reported (the final pass skips a repeat)

    def due(self, now: float, elapsed: float | None = None) -> bool:
        interval = self.min_interval_s
        if self.points and elapsed is not None:
            interval = min(interval, elapsed / self.points)
        return now - self.last_time >= interval

    def run(self, phase, now: float | None = None) -> list:
        self.last_time = time.perf_counter() if now is None else now
        self.last_step = phase.step
        return list(self.fn(phase) or [])


def grad_norm_monitor(program) -> Monitor:
    """Scalars 'grad_norm/<node_id>' for every node with trainable parameters."""

    def emit(phase):
        return [Scalar(f"grad_norm/{node_id}", phase.step, norm)
                for node_id, norm in program.grad_norms().items()]

    return Monitor("", emit, every="step", min_interval_s=GRAD_NORM_INTERVAL_S,
                   points=GRAD_NORM_POINTS)


def first_weight_matrix(program):
    """(node_id, Buffer) of the first node in order owning a 2-D trainable 'W', or None."""
    for node_id in program.order:
        buf = program.params.get((node_id, "W"))
        if buf is not None and buf.requires_grad and buf.value.ndim == 2:
            return node_id, buf
    return None


RAW_WEIGHTS_MAX = 64  # a matrix this small is shown as its values, not as normalised tiles


def weight_image_monitor(program) -> Monitor | None:
    """Image 'weights/<node_id>' of the first layer's weights: a tile grid, or the matrix
    itself (real values, so a view can print them) when it has few entries."""
    found = first_weight_matrix(program)
    if found is None:
        return None
    node_id, buf = found

    def emit(phase):
        host = program.backend.to_host(buf.value)
        picture = (np.array(host, dtype=np.float32) if host.size <= RAW_WEIGHTS_MAX
                   else weight_tiles(host))
        return [Image(f"weights/{node_id}", phase.step, picture)]

    return Monitor(node_id, emit, every="step", min_interval_s=WEIGHT_IMAGE_INTERVAL_S)


def standard_monitors(program) -> list[Monitor]:
    """The monitors every trainable program gets."""
    if not program.has_backward:
        return []
    monitors = [grad_norm_monitor(program)]
    image = weight_image_monitor(program)
    if image is not None:
        monitors.append(image)
    return monitors
