"""Undoable edit commands and an undo stack that needs no Qt (the GUI wraps it).

Each command changes only the model and knows how to revert itself; the canvas redraws from
Graph.changed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from graph.model import Edge, Graph, Node
from graph.ties import Tie


@dataclass
class AddNode:
    node: Node
    index: int | None = None

    @property
    def text(self):
        return f"Add {self.node.label}"

    def apply(self, graph: Graph):
        graph.add_node(copy.deepcopy(self.node), self.index)

    def revert(self, graph: Graph):
        graph.remove_node(self.node.id)


@dataclass
class RemoveNode:
    """Delete a node with its wires and the weight ties it takes part in."""

    node_id: str
    removed: Any = None  # (node, index, [(edge index, edge)]) filled by apply
    ties: list = field(default_factory=list)  # ties dropped with the node, restored by revert

    @property
    def text(self):
        return f"Delete {self.removed[0].label if self.removed else self.node_id}"

    def apply(self, graph: Graph):
        graph.node(self.node_id)
        self.ties = graph.ties_of(self.node_id)
        for tie in self.ties:
            graph.set_tie(tie.node, None)
        self.removed = graph.remove_node(self.node_id)

    def revert(self, graph: Graph):
        node, index, edges = self.removed
        graph.add_node(node, index)
        for edge_index, edge in edges:
            graph.connect(edge, edge_index)
        for tie in self.ties:
            graph.set_tie(tie.node, tie)


@dataclass
class SetTie:
    """Make node_id share the weights of another node (a Tie), or give it its own (None)."""

    node_id: str
    tie: Tie | None
    previous: Tie | None = None

    @property
    def text(self):
        return f"Share weights: {self.tie}" if self.tie else f"Unshare {self.node_id}"

    def apply(self, graph: Graph):
        self.previous = graph.set_tie(self.node_id, self.tie)

    def revert(self, graph: Graph):
        graph.set_tie(self.node_id, self.previous)


@dataclass
class Connect:
    edge: Edge

    @property
    def text(self):
        return f"Connect {self.edge}"

    def apply(self, graph: Graph):
        graph.connect(self.edge)

    def revert(self, graph: Graph):
        graph.disconnect(self.edge)


@dataclass
class Disconnect:
    edge: Edge
    index: int | None = None

    @property
    def text(self):
        return f"Disconnect {self.edge}"

    def apply(self, graph: Graph):
        self.index = graph.disconnect(self.edge)

    def revert(self, graph: Graph):
        graph.connect(self.edge, self.index)


@dataclass
class SetParam:
    node_id: str
    name: str
    value: Any
    previous: Any = None

    @property
    def text(self):
        return f"Set {self.node_id}.{self.name}"

    def apply(self, graph: Graph):
        self.previous = graph.set_param(self.node_id, self.name, self.value)

    def revert(self, graph: Graph):
        graph.set_param(self.node_id, self.name, self.previous, check=False)


@dataclass
class MoveNode:
    node_id: str
    position: tuple
    previous: tuple | None = None

    @property
    def text(self):
        return f"Move {self.node_id}"

    def apply(self, graph: Graph):
        self.previous = graph.move_node(self.node_id, self.position)

    def revert(self, graph: Graph):
        graph.move_node(self.node_id, self.previous)


@dataclass
class SetTitle:
    node_id: str
    title: str
    previous: str | None = None

    @property
    def text(self):
        return f"Rename {self.node_id}"

    def apply(self, graph: Graph):
        self.previous = graph.set_title(self.node_id, self.title)

    def revert(self, graph: Graph):
        graph.set_title(self.node_id, self.previous)


@dataclass
class SetSettings:
    """Change run settings (epochs, seed, engine) as one undo step."""

    values: dict
    previous: dict = field(default_factory=dict)

    @property
    def text(self):
        return "Change run settings"

    def apply(self, graph: Graph):
        previous = {}
        try:
            for key, value in self.values.items():
                previous[key] = graph.set_setting(key, value)
        except Exception:
            _restore_settings(graph, previous)
            raise
        self.previous = previous

    def revert(self, graph: Graph):
        _restore_settings(graph, self.previous)


def _restore_settings(graph: Graph, previous: dict) -> None:
    # Unchecked: a previous value is restored as it was (MISSING removes the key).
    for key, value in reversed(list(previous.items())):
        graph.set_setting(key, value, check=False)


@dataclass
class Compound:
    """Several commands as one undo step (paste, delete selection, move selection)."""

    commands: list = field(default_factory=list)
    name: str = "Edit"

    @property
    def text(self):
        return self.name

    def apply(self, graph: Graph):
        done = []
        try:
            for command in self.commands:
                command.apply(graph)
                done.append(command)
        except Exception:
            for command in reversed(done):
                command.revert(graph)
            raise

    def revert(self, graph: Graph):
        for command in reversed(self.commands):
            command.revert(graph)


class UndoStack:
    """Applies commands to a graph and keeps them for undo/redo."""

    def __init__(self, graph: Graph, limit: int = 1000):
        self.graph = graph
        self.limit = limit
        self._done: list = []
        self._undone: list = []
        self.clean_index = 0  # len(_done) at the last save

    def push(self, command) -> None:
        """Apply command; on success it becomes the next undo step and clears redo."""
        command.apply(self.graph)
        self._done.append(command)
        self._undone.clear()
        if len(self._done) > self.limit:
            self._done.pop(0)
            self.clean_index -= 1

    def undo(self) -> bool:
        """Revert the last step; a revert the graph refuses (GraphError, e.g. during a run)
        raises and leaves both the graph and the stack as they were."""
        if not self._done:
            return False
        self._done[-1].revert(self.graph)
        self._undone.append(self._done.pop())
        return True

    def redo(self) -> bool:
        """Apply the last undone step again; a refusal leaves the stack as it was."""
        if not self._undone:
            return False
        self._undone[-1].apply(self.graph)
        self._done.append(self._undone.pop())
        return True

    def can_undo(self) -> bool:
        return bool(self._done)

    def can_redo(self) -> bool:
        return bool(self._undone)

    def undo_text(self) -> str:
        return self._done[-1].text if self._done else ""

    def redo_text(self) -> str:
        return self._undone[-1].text if self._undone else ""

    def set_clean(self) -> None:
        self.clean_index = len(self._done)

    def is_clean(self) -> bool:
        return self.clean_index == len(self._done)

    def clear(self) -> None:
        self._done.clear()
        self._undone.clear()
        self.clean_index = 0
