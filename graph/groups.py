"""Groups (subgraphs): a named set of nodes and other groups, drawn as one card.

A group is an overlay on the flat graph: its members stay ordinary nodes and wires of the
Graph, so validation, shapes and the compiler see the flat graph and a grouped graph compiles
to exactly the program of the ungrouped one (no runtime cost). The canvas shows one level at a
time: the top level (nodes and groups in no group) or the inside of one group. A group's ports
are the wires that cross its boundary, named after the inner port they reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graph.model import Edge, Graph


@dataclass(frozen=True)
class Group:
    """Members (node ids and group ids) shown as one card at position, titled title."""

    id: str
    title: str
    members: tuple[str, ...]
    position: tuple = (0.0, 0.0)
    port_names: tuple[tuple[str, str], ...] = field(default=())  # (inner "node.port", name)

    @property
    def label(self) -> str:
        return self.title or self.id

    def with_members(self, members) -> Group:
        return Group(self.id, self.title, tuple(members), self.position, self.port_names)


@dataclass(frozen=True)
class BoundaryPort:
    """One port of a group card: the inner (node, port) a crossing wire reaches, its name
    and kind (from the inner port's spec, when known)."""

    name: str
    node: str
    port: str
    is_input: bool


def parent_map(graph: Graph) -> dict[str, str]:
    """member id -> the id of the group holding it directly (only present members)."""
    parents = {}
    for group in graph.groups.values():
        for member in group.members:
            if member in graph.nodes or member in graph.groups:
                parents[member] = group.id
    return parents


def level_members(graph: Graph, level: str | None) -> list[str]:
    """The ids shown at one level: inside group `level`, or the top level (None)."""
    if level is not None:
        group = graph.groups.get(level)
        if group is None:
            return []
        return [m for m in group.members if m in graph.nodes or m in graph.groups]
    parents = parent_map(graph)
    return [i for i in [*graph.nodes, *graph.groups] if i not in parents]


def leaves(graph: Graph, item_id: str) -> list[str]:
    """The node ids inside item_id (itself when it is a node), nested groups included."""
    if item_id in graph.nodes:
        return [item_id]
    found, stack, seen = [], [item_id], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        group = graph.groups.get(current)
        if group is None:
            if current in graph.nodes:
                found.append(current)
            continue
        stack.extend(reversed(group.members))
    order = {node_id: i for i, node_id in enumerate(graph.nodes)}
    return sorted(found, key=order.__getitem__)


def representative(graph: Graph, node_id: str, level: str | None,
                   parents: dict[str, str] | None = None) -> str | None:
    """What stands for node_id at a level: itself, the group at that level holding it, or
    None when node_id is not inside the level at all."""
    parents = parent_map(graph) if parents is None else parents
    current = node_id
    while True:
        parent = parents.get(current)
        if parent == level:
            return current
        if parent is None:
            return None
        current = parent


def boundary_ports(graph: Graph, group_id: str) -> list[BoundaryPort]:
    """The group's ports in a stable order: inputs by wire order, then outputs."""
    inside = set(leaves(graph, group_id))
    names = dict(graph.groups[group_id].port_names)
    ins: dict[tuple[str, str], None] = {}
    outs: dict[tuple[str, str], None] = {}
    for edge in graph.edges:
        if edge.dst in inside and edge.src not in inside:
            ins[(edge.dst, edge.dst_port)] = None
        elif edge.src in inside and edge.dst not in inside:
            outs[(edge.src, edge.src_port)] = None
    ports = []
    for keys, is_input in ((ins, True), (outs, False)):
        for node_id, port in keys:
            inner = f"{node_id}.{port}"
            ports.append(BoundaryPort(names.get(inner, inner), node_id, port, is_input))
    return ports


def wire_ends(graph: Graph, edge: Edge, level: str | None,
              parents: dict[str, str] | None = None):
    """Where a wire is drawn at a level: ((item, port name), (item, port name)), or None
    when it runs inside one card or outside the level."""
    parents = parent_map(graph) if parents is None else parents
    src = representative(graph, edge.src, level, parents)
    dst = representative(graph, edge.dst, level, parents)
    if src is None or dst is None or src == dst:
        return None
    src_port = edge.src_port if src == edge.src else _port_name(graph, src, edge.src,
                                                                 edge.src_port)
    dst_port = edge.dst_port if dst == edge.dst else _port_name(graph, dst, edge.dst,
                                                                 edge.dst_port)
    return (src, src_port), (dst, dst_port)


def _port_name(graph: Graph, group_id: str, node_id: str, port: str) -> str:
    inner = f"{node_id}.{port}"
    return dict(graph.groups[group_id].port_names).get(inner, inner)


def group_problem(graph: Graph, group: Group) -> str | None:
    """Why group cannot be part of graph (unknown members, a member twice, a loop)."""
    if not group.id or group.id in graph.nodes:
        return f"the group id '{group.id}' is empty or already a node's id"
    if not group.members:
        return f"group '{group.label}' has no members"
    parents = parent_map(graph)
    for member in group.members:
        if member not in graph.nodes and member not in graph.groups:
            return f"group '{group.label}' lists '{member}', which is neither a node nor a group"
        if parents.get(member) not in (None, group.id):
            return (f"'{member}' is already in group '{parents[member]}'; a node or group "
                    "belongs to one group")
    if len(set(group.members)) != len(group.members):
        return f"group '{group.label}' lists a member twice"
    stack = [m for m in group.members if m in graph.groups]
    seen = set()
    while stack:
        current = stack.pop()
        if current == group.id:
            return f"group '{group.label}' would contain itself"
        if current in seen:
            continue
        seen.add(current)
        stack.extend(m for m in graph.groups[current].members if m in graph.groups)
    return None
