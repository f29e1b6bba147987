"""What `Graph.changed` emits: one small frozen dataclass per kind of edit.

Listeners dispatch on the event's type through a dict (`{NodeAdded: self._add, ...}`), never
on strings. Every mutation of a Graph emits exactly one event after it has happened; a
ParamSet or SettingSet carries the value before and after, so a listener (the run's live
link, an undo-aware form) needs to look nothing up. `MISSING` (graph.model) stands for a
parameter or setting that was not set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from graph.model import Edge


@dataclass(frozen=True)
class NodeAdded:
    node_id: str


@dataclass(frozen=True)
class NodeRemoved:
    node_id: str


@dataclass(frozen=True)
class EdgeAdded:
    edge: Edge


@dataclass(frozen=True)
class EdgeRemoved:
    edge: Edge


@dataclass(frozen=True)
class ParamSet:
    """A node parameter changed from old to new (either may be MISSING)."""

    node_id: str
    name: str
    old: Any
    new: Any


@dataclass(frozen=True)
class NodeMoved:
    node_id: str


@dataclass(frozen=True)
class NodeRetitled:
    node_id: str


@dataclass(frozen=True)
class TieSet:
    """node_id now shares another node's weights, or has its own again."""

    node_id: str


@dataclass(frozen=True)
class GroupSet:
    """Group group_id was made, changed (members, title, position) or removed."""

    group_id: str


@dataclass(frozen=True)
class RerouteSet:
    """The reroute dots a wire bends through changed (drawing only)."""

    edge: Edge


@dataclass(frozen=True)
class FrameSet:
    """Frame frame_id was made, moved, resized, retitled or removed (drawing only)."""

    frame_id: str


@dataclass(frozen=True)
class SettingSet:
    """A run setting (epochs, seed, engine) changed from old to new."""

    key: str
    old: Any
    new: Any


GraphEvent = Union[NodeAdded, NodeRemoved, EdgeAdded, EdgeRemoved, ParamSet, NodeMoved,  # noqa: UP007
                   NodeRetitled, TieSet, SettingSet, GroupSet, RerouteSet, FrameSet]

STRUCTURAL = (NodeAdded, NodeRemoved, EdgeAdded, EdgeRemoved, TieSet)
"""Edits that change what a compiled program would be made of."""


def node_of(event: GraphEvent) -> str | None:
    """The node an event is about (None for wires and settings)."""
    return getattr(event, "node_id", None)


def dispatch(handlers: dict[type, Callable], event: GraphEvent) -> None:
    """Call the handler registered for the event's type; other types are ignored."""
    handler = handlers.get(type(event))
    if handler is not None:
        handler(event)
