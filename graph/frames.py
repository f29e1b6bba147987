"""Frames: titled backdrops drawn behind nodes to label a part of the graph (drawing only)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Frame:
    """A titled rectangle (x, y, width, height) on the canvas."""

    id: str
    title: str
    rect: tuple

    def problem(self) -> str | None:
        """Why this frame cannot be stored, or None."""
        if not self.id:
            return "a frame needs a non-empty id"
        try:
            x, y, w, h = (float(v) for v in self.rect)
        except (TypeError, ValueError):
            return f"frame '{self.id}': 'rect' must be [x, y, width, height]; got {self.rect!r}"
        if not all(math.isfinite(v) for v in (x, y, w, h)) or w <= 0 or h <= 0:
            return (f"frame '{self.id}': 'rect' must be four finite numbers with a positive "
                    f"width and height; got {self.rect!r}")
        return None

    def contains(self, x: float, y: float) -> bool:
        fx, fy, w, h = self.rect
        return fx <= x <= fx + w and fy <= y <= fy + h
