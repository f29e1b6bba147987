"""Undoable group edits: make a group, ungroup, delete a group with its contents, add a
node inside a group, and put a library group's copy into a graph."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from graph import commands
from graph.groups import Group, leaves, level_members, parent_map
from graph.model import Graph, GraphError


@dataclass
class SetGroup:
    """Make, change (group) or remove (None) one group."""

    group_id: str
    group: Group | None
    previous: Group | None = None

    @property
    def text(self):
        return f"Group {self.group.label}" if self.group else f"Ungroup {self.group_id}"

    def apply(self, graph: Graph):
        self.previous = graph.set_group(self.group_id, self.group)

    def revert(self, graph: Graph):
        if self.previous is None:
            graph.set_group(self.group_id, None)
        else:
            graph.set_group(self.group_id, self.previous, check=False)


def group_items(graph: Graph, item_ids: list[str], level: str | None,
                title: str = "Group") -> tuple[commands.Compound, str]:
    """The command grouping item_ids (all shown at level) into one new group there, placed
    at their top-left; returns (command, new group id)."""
    shown = set(level_members(graph, level))
    chosen = [i for i in level_members(graph, level) if i in set(item_ids)]
    if not chosen:
        raise GraphError("Select the nodes to group first.")
    if len(chosen) != len(set(item_ids)) or not set(item_ids) <= shown:
        raise GraphError("Only nodes shown at this level can be grouped together.")
    group_id = graph.new_id("group")
    xs, ys = zip(*(_position(graph, i) for i in chosen))
    group = Group(group_id, title, tuple(chosen), (min(xs), min(ys)))
    steps: list = []
    if level is not None:  # the new group takes the members' place in the enclosing group
        outer = graph.groups[level]
        kept = [m for m in outer.members if m not in set(chosen)]
        steps.append(SetGroup(level, outer.with_members(kept)))
    steps.append(SetGroup(group_id, group))
    if level is not None:
        outer = graph.groups[level]
        kept = [m for m in outer.members if m not in set(chosen)] + [group_id]
        steps.append(SetGroup(level, outer.with_members(kept)))
    count = len(chosen)
    return commands.Compound(steps, f"Group {count} node{'s' if count != 1 else ''}"), group_id


def ungroup(graph: Graph, group_id: str) -> commands.Compound:
    """The command dissolving group_id: its members go to the level holding it."""
    group = graph.groups.get(group_id)
    if group is None:
        raise GraphError(f"There is no group '{group_id}'.")
    level = parent_map(graph).get(group_id)
    steps: list = [SetGroup(group_id, None)]
    if level is not None:
        outer = graph.groups[level]
        members = []
        for member in outer.members:
            members.extend(group.members if member == group_id else [member])
        steps.append(SetGroup(level, outer.with_members(members)))
    return commands.Compound(steps, f"Ungroup {group.label}")


def delete_items(graph: Graph, item_ids: list[str]) -> list:
    """Commands deleting nodes and whole groups (every node and group inside)."""
    parents = parent_map(graph)
    steps, nodes, groups = [], [], []
    for item in item_ids:
        if item in graph.groups:
            stack = [item]
            while stack:
                current = stack.pop()
                groups.append(current)
                stack.extend(m for m in graph.groups[current].members if m in graph.groups)
        for node_id in leaves(graph, item):
            if node_id not in nodes:
                nodes.append(node_id)
    for group_id in groups:
        parent = parents.get(group_id)
        if parent is not None and parent not in groups:
            outer = graph.groups[parent]
            steps.append(SetGroup(parent, outer.with_members(
                [m for m in outer.members if m != group_id])))
        steps.append(SetGroup(group_id, None))
    steps += [commands.RemoveNode(n) for n in nodes]
    return steps


def add_to_level(graph: Graph, item_id: str, level: str | None) -> list:
    """Commands putting an item just added into group `level` (nothing at the top)."""
    if level is None or level not in graph.groups:
        return []
    outer = graph.groups[level]
    return [SetGroup(level, outer.with_members([*outer.members, item_id]))]


def _position(graph: Graph, item_id: str) -> tuple:
    if item_id in graph.nodes:
        return tuple(graph.nodes[item_id].position)
    return tuple(graph.groups[item_id].position)


def group_document(graph: Graph, group_id: str) -> dict:
    """A library entry: the group's nodes, inner wires and nested groups as plain data."""
    inside = leaves(graph, group_id)
    inner = set(inside)
    groups, stack = [], [group_id]
    while stack:
        current = graph.groups[stack.pop()]
        groups.append({"id": current.id, "title": current.title,
                       "members": list(current.members), "position": list(current.position),
                       "port_names": [list(pair) for pair in current.port_names]})
        stack.extend(m for m in current.members if m in graph.groups)
    return {
        "title": graph.groups[group_id].label,
        "root": group_id,
        "nodes": [{"id": n, "type": graph.nodes[n].type_id, "title": graph.nodes[n].title,
                   "params": copy.deepcopy(graph.nodes[n].params),
                   "position": list(graph.nodes[n].position)} for n in inside],
        "edges": [[e.src, e.src_port, e.dst, e.dst_port] for e in graph.edges
                  if e.src in inner and e.dst in inner],
        "groups": groups,
    }
