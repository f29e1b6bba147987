"""Shape inference over a whole graph, run on every edit so the canvas can show shapes and
parameter counts. Pure Python: shapes are tuples with None for the batch axis."""

from __future__ import annotations

from dataclasses import dataclass, field

from graph.model import Graph
from graph.registry import Registry
from graph.spec import ShapeError


@dataclass
class ShapeInfo:
    """Port shapes, parameter counts per node, and shape problems found on the way."""

    port_shapes: dict = field(default_factory=dict)  # (node_id, port) -> Shape
    param_counts: dict = field(default_factory=dict)  # node_id -> int
    problems: list = field(default_factory=list)

    def total_params(self) -> int:
        return sum(self.param_counts.values())


def _count(shape) -> int:
    total = 1
    for dim in shape:
        total *= int(dim)
    return total


def infer_shapes(graph: Graph, registry: Registry) -> ShapeInfo:
    """Run each node's infer_shapes in order; unknown inputs give unknown outputs, not errors."""
    from graph.validate import CycleError, Problem, topological_order

    info = ShapeInfo()
    try:
        order = topological_order(graph, registry)
    except CycleError:
        order = list(graph.nodes)
    for node_id in order:
        node = graph.nodes[node_id]
        node_type = registry.find(node.type_id)
        if node_type is None:
            continue
        spec = node_type.spec
        in_shapes = {}
        for edge in graph.edges_into(node_id):
            in_shapes[edge.dst_port] = info.port_shapes.get((edge.src, edge.src_port))
        if spec.infer_shapes is None:
            continue
        params = {**spec.defaults(), **node.params}
        wired = all(port.name in in_shapes for port in spec.inputs if not port.optional)
        known = wired and all(shape is not None for shape in in_shapes.values())
        try:
            out_shapes, param_shapes = spec.infer_shapes(params, in_shapes) if known \
                else ({}, {})
        except ShapeError as exc:
            info.problems.append(Problem(f"{spec.title} '{node.label}': {exc}", node_id))
            continue
        except Exception as exc:  # a plugin's shape rule must not take the editor down
            info.problems.append(Problem(
                f"{spec.title} '{node.label}': shape rule failed ({type(exc).__name__}: {exc}).",
                node_id, severity="warning"))
            continue
        for port, shape in out_shapes.items():
            info.port_shapes[(node_id, port)] = shape
        if param_shapes:
            info.param_counts[node_id] = sum(_count(s) for s in param_shapes.values())
    return info
