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


class Arrange:
    """Ways to line up selected cards (values of `arranged`'s `how`)."""

    ALIGN_LEFT = "align_left"
    ALIGN_TOP = "align_top"
    DISTRIBUTE_X = "distribute_x"
    DISTRIBUTE_Y = "distribute_y"


def arranged(positions: dict[str, tuple], how: str) -> dict[str, tuple]:
    """New top-left positions: aligned on the leftmost / topmost card, or spread evenly
    between the first and last card along x or y (order kept)."""
    if len(positions) < 2:
        return dict(positions)
    if how == Arrange.ALIGN_LEFT:
        left = min(x for x, _ in positions.values())
        return {k: (left, y) for k, (x, y) in positions.items()}
    if how == Arrange.ALIGN_TOP:
        top = min(y for _, y in positions.values())
        return {k: (x, top) for k, (x, y) in positions.items()}
    axis = 0 if how == Arrange.DISTRIBUTE_X else 1
    if how not in (Arrange.DISTRIBUTE_X, Arrange.DISTRIBUTE_Y):
        raise ValueError(f"unknown arrangement {how!r}")
    order = sorted(positions, key=lambda k: (positions[k][axis], k))
    first, last = positions[order[0]][axis], positions[order[-1]][axis]
    step = (last - first) / (len(order) - 1)
    result = {}
    for index, key in enumerate(order):
        point = list(positions[key])
        point[axis] = round(first + index * step)
        result[key] = tuple(point)
    return result
