"""Shape inference over a whole graph, run on every edit so the canvas can show shapes and
parameter counts. Pure Python: shapes are tuples with None for the batch axis."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from graph.gc_pause import without_cyclic_gc
from graph.model import Graph
from graph.order import CycleError, topological_order
from graph.problems import Problem, Severity
from graph.registry import Registry
from graph.spec import ParamError, ShapeError
from graph.ties import shared_names


@dataclass
class ShapeInfo:
    """Port shapes, parameter counts per node, and shape problems found on the way."""

    port_shapes: dict = field(default_factory=dict)  # (node_id, port) -> Shape
    param_counts: dict = field(default_factory=dict)  # node_id -> int
    param_shapes: dict = field(default_factory=dict)  # node_id -> {name: shape}
    problems: list = field(default_factory=list)

    def total_params(self) -> int:
        return sum(self.param_counts.values())


def _count(shape) -> int:
    total = 1
    for dim in shape:
        total *= int(dim)
    return total


@without_cyclic_gc
def infer_shapes(graph: Graph, registry: Registry, *, order: list | None = None,
                 skip: Collection = ()) -> ShapeInfo:
    """Run each node's infer_shapes in order; unknown inputs give unknown outputs, not errors.

    order is a precomputed topological order (computed here when None); nodes in skip (already
    blamed for another problem) get unknown outputs and no shape messages. Delay nodes are
    asked first with no inputs, so a delay with a fixed shape can feed the loop it closes.
    """
    info = ShapeInfo()
    if order is None:
        try:
            order = topological_order(graph, registry)
        except CycleError:
            order = list(graph.nodes)
    # one list of (node, spec, resolved params) in order; wires come from the edge index
    todo = []
    for node_id in order:
        node = graph.nodes[node_id]
        node_type = registry.find(node.type_id)
        if node_type is None or node_type.spec.infer_shapes is None or node_id in skip:
            continue
        spec = node_type.spec
        try:
            params = spec.resolve(node.params)
        except ParamError:  # validation names the parameter; its outputs stay unknown
            continue
        if spec.delay:
            _seed_delay(info, node_id, spec, params)
        todo.append((node, spec, params))
    for node, spec, params in todo:
        node_id = node.id
        in_shapes = {}
        for edge in graph.edges_into(node_id):
            in_shapes[edge.dst_port] = info.port_shapes.get((edge.src, edge.src_port))
        wired = all(port.name in in_shapes for port in spec.inputs if not port.optional)
        if not wired or any(shape is None for shape in in_shapes.values()):
            continue
        try:
            out_shapes, param_shapes = spec.infer_shapes(params, in_shapes)
        except ShapeError as exc:
            info.problems.append(Problem(f"{spec.title} '{node.label}': {exc}", node_id))
            continue
        except Exception as exc:  # a plugin's shape rule must not take the editor down
            info.problems.append(Problem(
                f"{spec.title} '{node.label}': shape rule failed ({type(exc).__name__}: {exc}).",
                node_id, severity=Severity.WARNING))
            continue
        for port, shape in (out_shapes or {}).items():
            info.port_shapes[(node_id, port)] = shape
        if param_shapes:
            shared = shared_names(graph.ties, node_id, param_shapes)  # counted at the root
            info.param_counts[node_id] = sum(_count(s) for name, s in param_shapes.items()
                                             if name not in shared)
            info.param_shapes[node_id] = param_shapes
    return info


def _seed_delay(info: ShapeInfo, node_id: str, spec, params: dict) -> None:
    """A delay's output shape from its parameters alone, when its rule can give one."""
    try:
        out_shapes, _ = spec.infer_shapes(params, {})
    except Exception:
        return  # it needs its input; the main pass will ask again
    for port, shape in (out_shapes or {}).items():
        if shape is not None:
            info.port_shapes[(node_id, port)] = shape
