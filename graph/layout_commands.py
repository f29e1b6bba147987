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


def insert_on_wire(graph: Graph, registry, edge: Edge, node_id: str, type_id: str) -> list:
    """Commands splicing node_id (of type_id, added just before) into edge: the wire's
    source feeds the node's first input of the same kind and the node's first output of the
    destination's kind feeds the destination. [] when the ports do not match by kind."""
    from graph import commands
    src_spec = registry.spec(graph.nodes[edge.src].type_id)
    dst_spec = registry.spec(graph.nodes[edge.dst].type_id)
    spec = registry.spec(type_id)
    out_port, in_port = src_spec.output(edge.src_port), dst_spec.input(edge.dst_port)
    if out_port is None or in_port is None:
        return []
    node_in = next((p for p in spec.inputs if p.kind is out_port.kind), None)
    node_out = next((p for p in spec.outputs if p.kind is in_port.kind), None)
    if node_in is None or node_out is None:
        return []
    return [commands.Disconnect(edge),
            commands.Connect(Edge(edge.src, edge.src_port, node_id, node_in.name)),
            commands.Connect(Edge(node_id, node_out.name, edge.dst, edge.dst_port))]


@dataclass
class SetFrame:
    """Make, change or remove (None) one frame."""

    frame_id: str
    frame: object  # graph.frames.Frame or None
    previous: object = None

    @property
    def text(self):
        return f"Frame {self.frame.title}" if self.frame else f"Delete frame {self.frame_id}"

    def apply(self, graph: Graph):
        self.previous = graph.set_frame(self.frame_id, self.frame)

    def revert(self, graph: Graph):
        if self.previous is None:
            graph.set_frame(self.frame_id, None)
        else:
            graph.set_frame(self.frame_id, self.previous)
