"""Evaluation order: the nodes of a graph sorted so each comes after the nodes feeding it.

Delays break cycles (a delay's output is the previous step's value); a loop without one is a
CycleError naming it. Used by validation, shape inference and the compiler.
"""

from __future__ import annotations

import heapq

from graph.model import Graph
from graph.registry import Registry


class CycleError(ValueError):
    """The graph has a cycle that passes through no delay node."""

    def __init__(self, node_ids: list):
        self.node_ids = node_ids
        super().__init__(
            "The wires " + " -> ".join(node_ids + node_ids[:1]) + " form a loop with no "
            "Delay (z^-1) node in it; add a Delay node to feed a value back in time.")


def is_delay(graph: Graph, registry: Registry, node_id: str) -> bool:
    node = graph.nodes.get(node_id)
    node_type = registry.find(node.type_id) if node is not None else None
    return node_type is not None and node_type.spec.delay


def _ordering_edges(graph: Graph, registry: Registry):
    """Edges that constrain evaluation order: a delay's output is last step's value."""
    for edge in graph.edges:
        if not is_delay(graph, registry, edge.src):
            yield edge


def topological_order(graph: Graph, registry: Registry) -> list[str]:
    """Node ids so every node comes after the nodes that feed it (delays break cycles).

    Ties keep insertion order, so the order is deterministic. Raises CycleError.
    """
    incoming = {node_id: set() for node_id in graph.nodes}
    outgoing = {node_id: [] for node_id in graph.nodes}
    for edge in _ordering_edges(graph, registry):
        if edge.src in incoming and edge.dst in incoming and edge.src not in incoming[edge.dst]:
            incoming[edge.dst].add(edge.src)
            outgoing[edge.src].append(edge.dst)
    position = {node_id: i for i, node_id in enumerate(graph.nodes)}
    ids = list(graph.nodes)
    ready = [position[n] for n in ids if not incoming[n]]
    heapq.heapify(ready)
    order = []
    while ready:
        node_id = ids[heapq.heappop(ready)]
        order.append(node_id)
        for dst in outgoing[node_id]:
            incoming[dst].discard(node_id)
            if not incoming[dst]:
                heapq.heappush(ready, position[dst])
    if len(order) < len(graph.nodes):
        placed = set(order)
        raise CycleError(_find_cycle({n: incoming[n] for n in ids if n not in placed}))
    return order


def _find_cycle(incoming: dict) -> list:
    """Walk predecessors inside the unordered remainder until a node repeats."""
    node = next(iter(incoming))
    path, seen = [], set()
    while node not in seen:
        path.append(node)
        seen.add(node)
        node = min(incoming[node])  # min: the same loop is reported every time
    cycle = path[path.index(node):]
    return list(reversed(cycle))
