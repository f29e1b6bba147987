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
    ids = list(graph.nodes)
    position = {node_id: i for i, node_id in enumerate(ids)}
    # in-degree counts and successor lists by position: a few small ints per node, no set
    indegree = [0] * len(ids)
    outgoing: list = [None] * len(ids)
    for edge in _ordering_edges(graph, registry):
        src, dst = position.get(edge.src), position.get(edge.dst)
        if src is None or dst is None:
            continue
        indegree[dst] += 1  # two wires between one pair count twice and are undone twice
        if outgoing[src] is None:
            outgoing[src] = [dst]
        else:
            outgoing[src].append(dst)
    ready = [i for i, count in enumerate(indegree) if count == 0]  # ascending: a heap
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(ids[i])
        for dst in outgoing[i] or ():
            indegree[dst] -= 1
            if indegree[dst] == 0:
                heapq.heappush(ready, dst)
    if len(order) < len(ids):
        placed = set(order)
        incoming = {n: set() for n in ids if n not in placed}
        for edge in _ordering_edges(graph, registry):
            if edge.src in incoming and edge.dst in incoming:
                incoming[edge.dst].add(edge.src)
        raise CycleError(_find_cycle(incoming))
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
