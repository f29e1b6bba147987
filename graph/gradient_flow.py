"""Warnings about wiring where gradient descent cannot reach trainable nodes.

A node type declared `differentiable=False` (e.g. core.threshold, a hard step) passes zero
gradient. When one sits between trainable nodes and a loss that an optimizer minimises, those
nodes never learn from that loss; the run is legal (perceptron-style or hand-set weights),
so this is a warning, not an error. Pure Python, used by graph.validate.
"""

from __future__ import annotations

from graph.model import Graph
from graph.problems import Problem, Severity
from graph.registry import Registry
from graph.spec import NodeRole, PortKind


def _reach(neighbours: dict, start: str) -> set:
    seen, stack = set(), [start]
    while stack:
        for other in neighbours.get(stack.pop(), ()):
            if other not in seen:
                seen.add(other)
                stack.append(other)
    return seen


def _optimised_losses(graph: Graph, registry: Registry) -> set:
    """Nodes whose LOSS output feeds an optimizer node."""
    found = set()
    for edge in graph.edges:
        if edge.src not in graph.nodes or edge.dst not in graph.nodes:
            continue  # reported by validate's wire checks
        src, dst = registry.find(graph.nodes[edge.src].type_id), \
            registry.find(graph.nodes[edge.dst].type_id)
        if src is None or dst is None or dst.spec.role is not NodeRole.OPTIMIZER:
            continue
        port = src.spec.output(edge.src_port)
        if port is not None and port.kind is PortKind.LOSS:
            found.add(edge.src)
    return found


def gradient_blockers(graph: Graph, registry: Registry, param_counts: dict) -> list:
    """Problems (severity 'warning') for each no-gradient node cutting trainable nodes off an
    optimised loss. param_counts: node_id -> trainable parameter count (ShapeInfo's)."""
    problems = []
    losses = None
    for node in graph.nodes.values():
        node_type = registry.find(node.type_id)
        if node_type is None or node_type.spec.differentiable:
            continue
        if losses is None:
            losses = _optimised_losses(graph, registry)
            after, before = {}, {}
            for edge in graph.edges:
                after.setdefault(edge.src, []).append(edge.dst)
                before.setdefault(edge.dst, []).append(edge.src)
        if not losses & _reach(after, node.id):
            continue
        trainable = [graph.nodes[n].label for n in sorted(_reach(before, node.id))
                     if param_counts.get(n)]
        if trainable:
            problems.append(Problem(
                f"{node_type.spec.title} '{node.label}' passes no gradient, so "
                f"{', '.join(repr(t) for t in trainable)} before it will not learn from the "
                "loss after it. Use a sigmoid or tanh while training, or set those weights "
                "by hand or by a perceptron rule.", node.id, severity=Severity.WARNING))
    return problems
