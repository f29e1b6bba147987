"""Undoable drawing-only edits: reroute dots on wires, frames (titled backdrops), and moving
several cards at once (align, distribute)."""

from __future__ import annotations

from dataclasses import dataclass

from graph.model import Edge, Graph


@dataclass
class SetReroute:
    """Make a wire bend through points (an empty tuple: straight again)."""

    edge: Edge
    points: tuple
    previous: tuple = ()

    @property
    def text(self):
        return f"Reroute {self.edge}"

    def apply(self, graph: Graph):
        self.previous = graph.set_reroute(self.edge, self.points)

    def revert(self, graph: Graph):
        graph.set_reroute(self.edge, self.previous)


def insert_point(start: tuple, points: tuple, end: tuple, new: tuple) -> tuple:
    """points with new inserted where it lengthens the polyline start-points-end least."""
    chain = [start, *points, end]

    def dist(a, b):
        return ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5

    best = min(range(len(chain) - 1), key=lambda i: dist(chain[i], new) + dist(new, chain[i + 1])
               - dist(chain[i], chain[i + 1]))
    return (*points[:best], tuple(new), *points[best:])
