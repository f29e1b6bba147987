"""Validation: every problem a graph has, each tied to a node or edge, in a user's words."""

from __future__ import annotations

from dataclasses import dataclass

from graph.model import Edge, Graph
from graph.registry import Registry


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a graph, said so a user can fix it."""

    message: str
    node_id: str | None = None
    edge: Edge | None = None
    severity: str = "error"  # "error" blocks a run; "warning" does not

    def __str__(self):
        where = f"[{self.node_id}] " if self.node_id else (f"[{self.edge}] " if self.edge else "")
        return f"{self.severity}: {where}{self.message}"


class CycleError(ValueError):
    """The graph has a cycle that passes through no delay node."""

    def __init__(self, node_ids: list):
        self.node_ids = node_ids
        super().__init__(
            "The wires " + " -> ".join(node_ids + node_ids[:1]) + " form a loop with no "
            "Delay (z^-1) node in it; add a Delay node to feed a value back in time.")


def _ordering_edges(graph: Graph, registry: Registry):
    """Edges that constrain evaluation order: a delay's output is last step's value."""
    for edge in graph.edges:
        node_type = registry.find(graph.nodes[edge.src].type_id) if edge.src in graph.nodes \
            else None
        if node_type is not None and node_type.spec.delay:
            continue
        yield edge


def topological_order(graph: Graph, registry: Registry) -> list[str]:
    """Node ids so every node comes after the nodes that feed it (delays break cycles).

    Ties keep insertion order, so the order is deterministic. Raises CycleError.
    """
    incoming = {node_id: set() for node_id in graph.nodes}
    outgoing = {node_id: [] for node_id in graph.nodes}
    for edge in _ordering_edges(graph, registry):
        if edge.src in incoming and edge.dst in incoming:
            incoming[edge.dst].add(edge.src)
            outgoing[edge.src].append(edge.dst)
    position = {node_id: i for i, node_id in enumerate(graph.nodes)}
    ready = [n for n in graph.nodes if not incoming[n]]
    order = []
    while ready:
        ready.sort(key=position.__getitem__)
        node_id = ready.pop(0)
        order.append(node_id)
        for dst in outgoing[node_id]:
            incoming[dst].discard(node_id)
            if not incoming[dst] and dst not in order and dst not in ready:
                ready.append(dst)
    if len(order) < len(graph.nodes):
        raise CycleError(_find_cycle({n: incoming[n] for n in graph.nodes if n not in order}))
    return order


def _find_cycle(incoming: dict) -> list:
    """Walk predecessors inside the unordered remainder until a node repeats."""
    node = next(iter(incoming))
    path = []
    while node not in path:
        path.append(node)
        node = next(iter(incoming[node]))
    cycle = path[path.index(node):]
    return list(reversed(cycle))


def validate(graph: Graph, registry: Registry) -> list[Problem]:
    """All problems of graph: unknown types, bad params, bad wires, missing inputs, cycles,
    shape mismatches. An empty list means the graph can be compiled."""
    problems: list[Problem] = []
    problems += _check_nodes(graph, registry)
    problems += _check_edges(graph, registry)
    problems += _check_required_inputs(graph, registry)
    try:
        topological_order(graph, registry)
    except CycleError as exc:
        problems.append(Problem(str(exc), node_id=exc.node_ids[0]))
    if not any(p.severity == "error" for p in problems):
        from graph.shapes import infer_shapes
        problems += infer_shapes(graph, registry).problems
    return problems


def _check_nodes(graph, registry):
    for node in graph.nodes.values():
        node_type = registry.find(node.type_id)
        if node_type is None:
            from graph.registry import unknown_type_message
            yield Problem(unknown_type_message(node.type_id, registry), node.id)
            continue
        spec = node_type.spec
        names = {p.name for p in spec.params}
        for name in node.params:
            if name not in names:
                yield Problem(f"{spec.title} '{node.label}' has no parameter '{name}'.", node.id)
        for param in spec.params:
            if param.name not in node.params:
                continue
            reason = param.check(node.params[param.name])
            if reason:
                yield Problem(f"{spec.title} '{node.label}': parameter '{param.name}' "
                              f"{reason}.", node.id)


def _check_edges(graph, registry):
    for edge in graph.edges:
        src, dst = graph.nodes.get(edge.src), graph.nodes.get(edge.dst)
        if src is None or dst is None:
            missing = edge.src if src is None else edge.dst
            yield Problem(f"The wire {edge} refers to a node '{missing}' that does not exist.",
                          edge=edge)
            continue
        src_type, dst_type = registry.find(src.type_id), registry.find(dst.type_id)
        if src_type is None or dst_type is None:
            continue  # reported by _check_nodes
        out_port = src_type.spec.output(edge.src_port)
        in_port = dst_type.spec.input(edge.dst_port)
        if out_port is None:
            yield Problem(f"{src_type.spec.title} '{src.label}' has no output "
                          f"'{edge.src_port}'.", src.id, edge)
            continue
        if in_port is None:
            yield Problem(f"{dst_type.spec.title} '{dst.label}' has no input "
                          f"'{edge.dst_port}'.", dst.id, edge)
            continue
        reason = port_mismatch(src_type.spec, out_port, dst_type.spec, in_port, src, dst)
        if reason:
            yield Problem(reason, dst.id, edge)


def port_mismatch(src_spec, out_port, dst_spec, in_port, src=None, dst=None) -> str | None:
    """Why output out_port cannot feed input in_port, or None if it can (also used by the
    canvas to dim incompatible ports while a wire is dragged)."""
    if out_port.kind is in_port.kind:
        return None
    src_name = f"'{src.label}'" if src else src_spec.title
    dst_name = f"{dst_spec.title} '{dst.label}'" if dst else dst_spec.title
    hint = {
        ("sequence", "tensor"): " Add a 'Last step' node or set return_sequences off.",
        ("tensor", "loss"): " Wire the output of a Loss node here.",
        ("loss", "tensor"): " A loss feeds an optimizer, not a layer.",
    }.get((out_port.kind.value, in_port.kind.value), "")
    return (f"{dst_name} expects a {in_port.kind.value} on '{in_port.name}'; {src_name} gives "
            f"a {out_port.kind.value}.{hint}")


def _check_required_inputs(graph, registry):
    for node in graph.nodes.values():
        node_type = registry.find(node.type_id)
        if node_type is None:
            continue
        for port in node_type.spec.inputs:
            if not port.optional and graph.source_of(node.id, port.name) is None:
                yield Problem(f"{node_type.spec.title} '{node.label}' needs a wire into its "
                              f"'{port.name}' input.", node.id)
