"""The user's group library: saved groups as small JSON files in `~/.dendrite/library/`
(or `$DENDRITE_LIBRARY`). Inserting an entry copies it into the graph with fresh ids, so a
graph never refers to the library and editing an entry never changes a graph that used it."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from graph import commands
from graph.group_commands import SetGroup, add_to_level, group_document
from graph.groups import Group
from graph.model import Edge, Graph, GraphError, Node
from graph.registry import Registry

LIBRARY_FORMAT = "dendrite-group"
LIBRARY_VERSION = 1
SUFFIX = ".dgroup"
PALETTE_PREFIX = "library:"  # palette and drag data name an entry as "library:<file>"


@dataclass(frozen=True)
class LibraryEntry:
    """One saved group: its display title and file."""

    title: str
    path: Path


def library_dir() -> Path:
    """Where saved groups live: $DENDRITE_LIBRARY, else ~/.dendrite/library."""
    override = os.environ.get("DENDRITE_LIBRARY")
    return Path(override) if override else Path.home() / ".dendrite" / "library"


def save_group(graph: Graph, group_id: str, title: str | None = None) -> Path:
    """Write group_id (with everything inside) to the library; returns the file."""
    document = group_document(graph, group_id)
    document["title"] = title or document["title"]
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", document["title"]).strip("_") or "group"
    folder = library_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}{SUFFIX}"
    text = json.dumps({"format": LIBRARY_FORMAT, "version": LIBRARY_VERSION, **document},
                      indent=1, allow_nan=False)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text + "\n", encoding="utf-8")
    os.replace(temp, path)
    return path


def entries() -> list[LibraryEntry]:
    """The saved groups, by title; unreadable files are left out."""
    folder = library_dir()
    found = []
    for path in sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []:
        try:
            found.append(LibraryEntry(str(read_entry(path)["title"]), path))
        except GraphError:
            continue
    return sorted(found, key=lambda e: e.title.lower())


def read_entry(path: Path, registry: Registry | None = None) -> dict:
    """The entry's document; GraphError naming the file when it cannot be used."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GraphError(f"{path}: cannot be read as a library group ({exc}).") from None
    if not isinstance(document, dict) or document.get("format") != LIBRARY_FORMAT:
        raise GraphError(f"{path}: is not a Dendrite library group.")
    if document.get("version") != LIBRARY_VERSION:
        raise GraphError(f"{path}: has library version {document.get('version')!r}; this "
                         f"Dendrite reads version {LIBRARY_VERSION}.")
    for key, kind in (("nodes", list), ("edges", list), ("groups", list), ("root", str)):
        if not isinstance(document.get(key), kind):
            raise GraphError(f"{path}: '{key}' is missing or has the wrong kind of value.")
    if registry is not None:
        for node in document["nodes"]:
            if registry.find(node.get("type")) is None:
                raise GraphError(f"{path}: node '{node.get('id')}' has type "
                                 f"'{node.get('type')}', which no loaded pack provides.")
    return document


def insert_entry(graph: Graph, document: dict, position: tuple,
                 level: str | None = None) -> tuple[commands.Compound, str]:
    """The command placing a copy of a library group at position (inside group `level`);
    returns (command, the new group's id). Node and group ids are made fresh."""
    taken = set(graph.nodes) | set(graph.groups)
    renamed: dict[str, str] = {}

    def fresh(old: str) -> str:
        stem, new, n = old, old, 2
        while new in taken:
            new, n = f"{stem}_{n}", n + 1
        taken.add(new)
        renamed[old] = new
        return new

    root = document["root"]
    origin = next(g["position"] for g in document["groups"] if g["id"] == root)
    dx, dy = position[0] - origin[0], position[1] - origin[1]
    steps: list = []
    for item in document["nodes"]:
        x, y = item["position"]
        steps.append(commands.AddNode(Node(fresh(item["id"]), item["type"],
                                           dict(item.get("params", {})), (x + dx, y + dy),
                                           item.get("title", ""))))
    for src, src_port, dst, dst_port in document["edges"]:
        steps.append(commands.Connect(Edge(renamed[src], src_port, renamed[dst], dst_port)))
    for item in document["groups"]:
        fresh(item["id"])
    for item in reversed(document["groups"]):  # innermost first: members exist when checked
        x, y = item["position"]
        names = []
        for inner, name in item.get("port_names", []):  # "node.port" keys follow the ids
            node, _, port = inner.rpartition(".")
            names.append((f"{renamed.get(node, node)}.{port}", name))
        group = Group(renamed[item["id"]], item["title"],
                      tuple(renamed[m] for m in item["members"]), (x + dx, y + dy),
                      tuple(sorted(names)))
        steps.append(SetGroup(group.id, group))
    steps += add_to_level(graph, renamed[root], level)
    title = document.get("title", root)
    return commands.Compound(steps, f"Insert {title}"), renamed[root]
