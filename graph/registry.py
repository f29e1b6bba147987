"""The registry of node types that plugin packs fill.

One entry per type_id holds the spec (graph side) and, where the pack provides one, the builder
(engine side; graph/ stores it without looking inside). Registries are passed in, with a default
instance, so tests can build their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.spec import NodeSpec


class RegistryError(KeyError):
    """A duplicate or unknown node type. str() is the user-facing sentence."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class NodeType:
    """A registered node type: its spec, its builder (or None) and the pack that gave it."""

    spec: NodeSpec
    builder: Any = None
    pack: str = "core"


@dataclass(frozen=True)
class BrokenPack:
    """A plugin pack that failed to load, with the reason shown to the user."""

    name: str
    reason: str


# Type-id prefixes of packs that are known but maybe not installed, for better error messages.
KNOWN_PACKS = {"core": "the built-in 'core' pack"}


class Registry:
    """Node types by type_id, plus the packs that failed to load."""

    def __init__(self):
        self._types: dict[str, NodeType] = {}
        self.broken: list[BrokenPack] = []
        self.packs: list[str] = []
        self.export_rules: dict = {}  # type_id -> export rule from packs' EXPORT_RULES
        self.experiments: list = []  # the notes' experiments from packs' EXPERIMENTS

    def register(self, spec: NodeSpec, builder=None, *, pack: str = "core",
                 override: bool = False) -> None:
        """Add a node type; a duplicate type_id is an error unless override is set."""
        if spec.type_id in self._types and not override:
            owner = self._types[spec.type_id].pack
            raise RegistryError(
                f"Node type '{spec.type_id}' is already registered by pack '{owner}'.")
        self._types[spec.type_id] = NodeType(spec, builder, pack)

    def get(self, type_id: str) -> NodeType:
        """The NodeType for type_id; RegistryError names the pack that would provide it."""
        try:
            return self._types[type_id]
        except KeyError:
            raise RegistryError(unknown_type_message(type_id, self)) from None

    def spec(self, type_id: str) -> NodeSpec:
        return self.get(type_id).spec

    def find(self, type_id: str) -> NodeType | None:
        return self._types.get(type_id)

    def __contains__(self, type_id: str) -> bool:
        return type_id in self._types

    def __iter__(self):
        return iter(self._types.values())

    def __len__(self):
        return len(self._types)

    def categories(self) -> dict[str, list[NodeSpec]]:
        """Specs grouped by category, each group sorted by title."""
        groups: dict[str, list[NodeSpec]] = {}
        for node_type in self._types.values():
            groups.setdefault(node_type.spec.category, []).append(node_type.spec)
        return {cat: sorted(specs, key=lambda s: s.title) for cat, specs in sorted(groups.items())}


def unknown_type_message(type_id: str, registry: Registry) -> str:
    """A sentence explaining that type_id is not registered and where it would come from."""
    pack = type_id.split(".", 1)[0] if "." in type_id else None
    broken = next((b for b in registry.broken if b.name == pack), None)
    if broken is not None:
        return (f"Unknown node type '{type_id}': its plugin pack '{pack}' failed to load "
                f"({broken.reason}).")
    if pack in KNOWN_PACKS:
        return f"Unknown node type '{type_id}'; {KNOWN_PACKS[pack]} does not define it."
    if pack:
        return (f"Unknown node type '{type_id}': install the plugin pack '{pack}' that "
                "provides it, or put it in the user plugin folder.")
    return f"Unknown node type '{type_id}'."
