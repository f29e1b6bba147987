"""The graph a user edits: nodes, edges and a change signal. No Qt, no numpy.

The methods here are the raw mutations; the GUI and tests edit through graph.commands so every
change can be undone. Each mutation returns what its inverse needs.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graph.edge_index import EdgeList
from graph.events import (
    EdgeAdded,
    EdgeRemoved,
    FrameSet,
    GraphEvent,
    GroupSet,
    NodeAdded,
    NodeMoved,
    NodeRemoved,
    NodeRetitled,
    ParamSet,
    RerouteSet,
    SettingSet,
    TieSet,
)
from graph.frames import Frame
from graph.groups import Group, group_problem
from graph.ties import Tie, tie_loop
from graph.values import plain_value_problem

if TYPE_CHECKING:
    from graph.registry import Registry


class GraphError(ValueError):
    """An edit that cannot be made (unknown node, duplicate id, occupied input...)."""


class Signal:
    """A list of callbacks; emit calls each. The canvas connects its redraw here."""

    def __init__(self):
        self._slots: list[Callable] = []

    def connect(self, slot: Callable) -> None:
        self._slots.append(slot)

    def disconnect(self, slot: Callable) -> None:
        self._slots.remove(slot)

    def emit(self, *args) -> None:
        for slot in list(self._slots):
            slot(*args)


@dataclass
class Node:
    """A placed node: its id, type, parameter values, canvas position and display title."""

    id: str
    type_id: str
    params: dict = field(default_factory=dict)
    position: tuple = (0.0, 0.0)
    title: str = ""

    @property
    def label(self) -> str:
        """What messages call this node: its title, or its id when untitled."""
        return self.title or self.id


@dataclass(frozen=True)
class Edge:
    """A wire from an output port to an input port."""

    src: str
    src_port: str
    dst: str
    dst_port: str

    def __str__(self):
        return f"{self.src}.{self.src_port} -> {self.dst}.{self.dst_port}"


DEFAULT_SETTINGS = {"epochs": 100, "seed": 0, "engine": "auto"}
"""Run settings a new graph starts with; saved in its file."""

ENGINE_CHOICES = ("auto", "numpy", "cupy")
OPTIONAL_SETTINGS = {"dtype": ("float32", "float64")}
"""Run settings a graph may add, with their allowed values (absent: the first one)."""
NUMBER_SETTINGS = {"checkpoint_every": 0, "checkpoint_mb": 1}
"""Whole-number run settings a graph may add, with their least value (engines.checkpoint:
epochs between checkpoints, 0 for none; the disk they may take, in MiB)."""


def settings_problem(key: str, value: Any) -> str | None:
    """Why value cannot be run setting key, or None when it can."""
    if key in OPTIONAL_SETTINGS:
        choices = OPTIONAL_SETTINGS[key]
        return None if value in choices else \
            f"{key} must be one of {', '.join(choices)}; got {value!r}"
    if key in NUMBER_SETTINGS:
        low = NUMBER_SETTINGS[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            return f"{key} must be a whole number of at least {low}; got {value!r}"
        return None
    if key not in DEFAULT_SETTINGS:
        known = ", ".join([*DEFAULT_SETTINGS, *OPTIONAL_SETTINGS, *NUMBER_SETTINGS])
        return f"there is no run setting '{key}' (known: {known})"
    if key == "engine":
        return None if value in ENGINE_CHOICES else \
            f"engine must be one of {', '.join(ENGINE_CHOICES)}; got {value!r}"
    if not isinstance(value, int) or isinstance(value, bool):
        return f"{key} must be a whole number; got {value!r}"
    low = 1 if key == "epochs" else 0
    return None if value >= low else f"{key} must be at least {low}; got {value!r}"


class Graph:
    """Nodes by id (in insertion order), edges and run settings.

    Every edit emits one typed event (graph.events) on `changed` after it happened. Before
    it happens, `guard` (when set) may refuse it: guard(event) returns a sentence, which is
    raised as GraphError with nothing changed. A running session's LiveLink (engines.live)
    is the guard while a run goes."""

    def __init__(self, name: str = "untitled"):
        self.name = name
        self.nodes: dict[str, Node] = {}
        self._edges = EdgeList()
        self.settings: dict = dict(DEFAULT_SETTINGS)
        self.description = ""  # one line shown in the Examples menu; saved when not empty
        self.ties: dict[str, Tie] = {}  # node id -> the tie giving it shared weights
        self.groups: dict[str, Group] = {}  # group id -> group (graph.groups; no compile cost)
        self.reroutes: dict[Edge, tuple] = {}  # wire -> the points it bends through (drawing)
        self.frames: dict[str, Frame] = {}  # titled backdrops behind nodes (drawing)
        self.changed = Signal()  # emits a graph.events event after each edit
        self.guard: Callable[[GraphEvent], str | None] | None = None
        # where set_param finds each node's spec to check a value before storing it (set by
        # the loader and the editor); without it only plain-data checks apply
        self.registry: Registry | None = None

    @property
    def edges(self) -> EdgeList:
        """The wires in order; a list indexed by node and input port (graph.edge_index)."""
        return self._edges

    @edges.setter
    def edges(self, edges) -> None:
        self._edges = EdgeList(edges)

    # -- queries -----------------------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"There is no node '{node_id}' in graph '{self.name}'.") from None

    def edges_into(self, node_id: str) -> list[Edge]:
        """Wires into node_id, O(degree)."""
        return self._edges.into(node_id)

    def edges_from(self, node_id: str) -> list[Edge]:
        """Wires out of node_id, O(degree)."""
        return self._edges.out_of(node_id)

    def source_of(self, node_id: str, port: str):
        """The edge feeding input `port` of node_id, or None; O(1)."""
        return self._edges.at_input(node_id, port)

    def new_id(self, stem: str) -> str:
        """A fresh node id: stem, stem_2, stem_3, ..."""
        stem = stem.replace(" ", "_").lower() or "node"
        if stem not in self.nodes and stem not in self.groups:
            return stem
        n = 2
        while f"{stem}_{n}" in self.nodes or f"{stem}_{n}" in self.groups:
            n += 1
        return f"{stem}_{n}"

    # -- mutations (use graph.commands to make them undoable) ---------------------------------
    def _allow(self, event: GraphEvent) -> None:
        """Raise GraphError when the guard refuses event (called before each change)."""
        if self.guard is not None:
            reason = self.guard(event)
            if reason:
                raise GraphError(reason)

    def add_node(self, node: Node, index: int | None = None) -> None:
        if node.id in self.nodes:
            raise GraphError(f"A node with id '{node.id}' already exists.")
        if not node.id:
            raise GraphError("A node needs a non-empty id.")
        event = NodeAdded(node.id)
        self._allow(event)
        if index is None or index >= len(self.nodes):
            self.nodes[node.id] = node  # the common case (loading, adding) stays O(1)
        else:  # undo of a removal puts the node back at its place: O(N), as in any list
            items = list(self.nodes.items())
            items.insert(index, (node.id, node))
            self.nodes = dict(items)
        self.changed.emit(event)

    def remove_node(self, node_id: str) -> tuple[Node, int, list[tuple[int, Edge]]]:
        """Remove a node and its wires; returns (node, its index, [(edge index, edge)])."""
        node = self.node(node_id)
        event = NodeRemoved(node_id)
        self._allow(event)
        index = list(self.nodes).index(node_id)
        incident = set(self._edges.into(node_id)) | set(self._edges.out_of(node_id))
        removed = [(i, e) for i, e in enumerate(self._edges) if e in incident] if incident \
            else []
        for i, _ in reversed(removed):
            del self._edges[i]
        del self.nodes[node_id]
        self.changed.emit(event)
        return node, index, removed

    def connect(self, edge: Edge, index: int | None = None) -> None:
        self.node(edge.src)
        self.node(edge.dst)
        if edge in self.edges:
            raise GraphError(f"The wire {edge} already exists.")
        if self.source_of(edge.dst, edge.dst_port) is not None:
            raise GraphError(f"Input '{edge.dst_port}' of '{self.nodes[edge.dst].label}' "
                             "already has a wire; remove it first.")
        event = EdgeAdded(edge)
        self._allow(event)
        self.edges.insert(len(self.edges) if index is None else index, edge)
        self.changed.emit(event)

    def disconnect(self, edge: Edge) -> int:
        """Remove a wire; returns its index so undo can put it back in place."""
        try:
            index = self.edges.index(edge)
        except ValueError:
            raise GraphError(f"There is no wire {edge}.") from None
        event = EdgeRemoved(edge)
        self._allow(event)
        del self.edges[index]
        self.changed.emit(event)
        return index

    def set_param(self, node_id: str, name: str, value: Any, *, check: bool = True) -> Any:
        """Set a parameter; returns the previous value (a missing one returns MISSING).

        The value is checked first (plain data, and the node's spec when the graph knows its
        registry) and stored coerced; a refused value raises GraphError and stores nothing.
        check=False puts a previous value back as it was (undo), MISSING removing it."""
        node = self.node(node_id)
        if check:
            value = self._checked_param(node, name, value)
        previous = node.params.get(name, _MISSING)
        value = value if value is _MISSING else copy.deepcopy(value)
        event = ParamSet(node_id, name, previous, value)
        self._allow(event)
        if value is _MISSING:
            node.params.pop(name, None)
        else:
            node.params[name] = value
        self.changed.emit(event)
        return previous

    def _checked_param(self, node: Node, name: str, value: Any) -> Any:
        """value as node's spec takes it (coerced), or GraphError naming node and parameter."""
        if value is _MISSING:
            raise GraphError(f"Cannot set parameter '{name}' of '{node.label}': it needs a "
                             "value (undo restores a default).")
        problem = plain_value_problem(value)
        if problem:
            raise GraphError(f"Cannot set parameter '{name}' of '{node.label}': {problem}.")
        node_type = self.registry.find(node.type_id) if self.registry is not None else None
        if node_type is None:
            return value
        spec = node_type.spec
        try:
            return spec.resolve_value(name, value, where=f"{spec.title} '{node.label}'")
        except ValueError as exc:  # ParamError: names the node, the parameter and why
            raise GraphError(str(exc)) from None

    def move_node(self, node_id: str, position: tuple) -> tuple:
        """Move a node to position (two finite numbers); returns the previous position."""
        node = self.node(node_id)
        try:
            x, y = (float(v) for v in position)
        except (TypeError, ValueError):
            x = y = math.nan
        if not (math.isfinite(x) and math.isfinite(y)) or isinstance(position, (str, bytes)):
            raise GraphError(f"Cannot move '{node.label}' to {position!r}: a position is two "
                             "finite numbers (x, y).")
        previous = node.position
        event = NodeMoved(node_id)
        self._allow(event)
        node.position = (x, y)
        self.changed.emit(event)
        return previous

    def set_title(self, node_id: str, title: str) -> str:
        node = self.node(node_id)
        event = NodeRetitled(node_id)
        self._allow(event)
        previous, node.title = node.title, title
        self.changed.emit(event)
        return previous

    def set_tie(self, node_id: str, tie: Tie | None) -> Tie | None:
        """Give node_id shared weights (tie) or its own (None); returns the previous tie."""
        self.node(node_id)
        if tie is not None:
            if tie.node != node_id:
                raise GraphError(f"The tie {tie} is not about node '{node_id}'.")
            source = self.node(tie.source)
            if tie_loop(self.ties, tie):
                raise GraphError(f"'{self.nodes[node_id].label}' cannot share the weights "
                                 f"of '{source.label}': the ties would go round in a loop.")
        event = TieSet(node_id)
        self._allow(event)
        previous = self.ties.pop(node_id, None)
        if tie is not None:
            self.ties[node_id] = tie
        self.changed.emit(event)
        return previous

    def set_group(self, group_id: str, group: Group | None,
                  *, check: bool = True) -> Group | None:
        """Make, change (group) or remove (None) a group; returns the previous one.

        check=False puts a previous group back as it was (undo)."""
        if group is not None:
            if group.id != group_id:
                raise GraphError(f"The group {group.id!r} is not group '{group_id}'.")
            if check:
                previous = self.groups.pop(group_id, None)
                try:
                    problem = group_problem(self, group)
                finally:
                    if previous is not None:
                        self.groups[group_id] = previous
                if problem:
                    raise GraphError(f"Cannot group: {problem}.")
        elif group_id not in self.groups:
            raise GraphError(f"There is no group '{group_id}' in graph '{self.name}'.")
        event = GroupSet(group_id)
        self._allow(event)
        previous = self.groups.pop(group_id, None)
        if group is not None:
            self.groups[group_id] = group
        self.changed.emit(event)
        return previous

    def set_reroute(self, edge: Edge, points) -> tuple:
        """Make edge bend through points ((x, y), ...; empty: straight); returns the old."""
        cleaned = []
        for point in points:
            try:
                x, y = (float(v) for v in point)
            except (TypeError, ValueError):
                x = y = math.nan
            if not (math.isfinite(x) and math.isfinite(y)):
                raise GraphError(f"A reroute point of the wire {edge} must be two finite "
                                 f"numbers; got {point!r}.")
            cleaned.append((x, y))
        event = RerouteSet(edge)
        self._allow(event)
        previous = self.reroutes.pop(edge, ())
        if cleaned:
            self.reroutes[edge] = tuple(cleaned)
        self.changed.emit(event)
        return previous

    def set_frame(self, frame_id: str, frame: Frame | None) -> Frame | None:
        """Make or change (frame) or remove (None) a frame; returns the previous one."""
        if frame is not None:
            problem = frame.problem() or (None if frame.id == frame_id else
                                          f"the frame {frame.id!r} is not '{frame_id}'")
            if problem:
                raise GraphError(f"Cannot place the frame: {problem}.")
            frame = Frame(frame.id, frame.title, tuple(float(v) for v in frame.rect))
        elif frame_id not in self.frames:
            raise GraphError(f"There is no frame '{frame_id}'.")
        event = FrameSet(frame_id)
        self._allow(event)
        previous = self.frames.pop(frame_id, None)
        if frame is not None:
            self.frames[frame_id] = frame
        self.changed.emit(event)
        return previous

    def ties_of(self, node_id: str) -> list[Tie]:
        """Ties in which node_id shares weights or lends them."""
        return [t for t in self.ties.values() if node_id in (t.node, t.source)]

    def set_setting(self, key: str, value: Any, *, check: bool = True) -> Any:
        """Set a run setting (epochs, seed, engine); returns the previous value.

        check=False restores a previous value as it was (undo), MISSING removing the key."""
        problem = settings_problem(key, value) if check else None
        if problem:
            raise GraphError(f"Cannot set {key}: {problem}.")
        previous = self.settings.get(key, _MISSING)
        event = SettingSet(key, previous, value)
        self._allow(event)
        if value is _MISSING:
            self.settings.pop(key, None)
        else:
            self.settings[key] = value
        self.changed.emit(event)
        return previous

    # -- comparison and copying --------------------------------------------------------------
    def snapshot(self) -> dict:
        """A plain-data picture of the graph, equal for equal graphs (used by tests, undo)."""
        return {
            "name": self.name,
            "nodes": [(n.id, n.type_id, copy.deepcopy(n.params), tuple(n.position), n.title)
                      for n in self.nodes.values()],
            "edges": [(e.src, e.src_port, e.dst, e.dst_port) for e in self.edges],
            "settings": dict(self.settings),
            "description": self.description,
            "ties": sorted((t.node, t.source, t.transpose) for t in self.ties.values()),
            "groups": sorted((g.id, g.title, g.members, tuple(g.position), g.port_names)
                             for g in self.groups.values()),
            "reroutes": sorted((str(e), p) for e, p in self.reroutes.items()),
            "frames": sorted((f.id, f.title, f.rect) for f in self.frames.values()),
        }

    def copy(self) -> Graph:
        other = Graph(self.name)
        for node in self.nodes.values():
            other.nodes[node.id] = Node(node.id, node.type_id, copy.deepcopy(node.params),
                                        tuple(node.position), node.title)
        other.edges = list(self.edges)
        other.settings = dict(self.settings)
        other.description = self.description
        other.ties = dict(self.ties)
        other.groups = dict(self.groups)
        other.reroutes = dict(self.reroutes)
        other.frames = dict(self.frames)
        other.registry = self.registry
        return other


class _Missing:
    def __repr__(self):
        return "<missing>"


_MISSING = _Missing()
MISSING = _MISSING
