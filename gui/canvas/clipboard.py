"""Copy and paste of a selected subgraph as JSON (nodes, the wires among them, positions)."""

from __future__ import annotations

import json

from graph import commands
from graph.model import Edge, Graph, Node

MIME_TYPE = "application/x-dendrite-subgraph"
PASTE_OFFSET = 40.0


def subgraph_json(graph: Graph, node_ids: list[str]) -> str:
    """The chosen nodes and the wires between them, as a JSON document."""
    chosen = set(node_ids)
    nodes = [{"id": n.id, "type": n.type_id, "params": n.params, "position": list(n.position),
              "title": n.title} for n in graph.nodes.values() if n.id in chosen]
    edges = [[e.src, e.src_port, e.dst, e.dst_port] for e in graph.edges
             if e.src in chosen and e.dst in chosen]
    return json.dumps({"format": "dendrite-subgraph", "nodes": nodes, "edges": edges})


def paste_command(graph: Graph, text: str, offset: float = PASTE_OFFSET,
                  at: tuple | None = None):
    """A Compound adding the clipboard's nodes under fresh ids, shifted by offset (or with
    their top-left corner at `at`, the cursor); returns (command, new ids) or (None, [])
    when text is not a copied subgraph."""
    try:
        data = json.loads(text)
        if data.get("format") != "dendrite-subgraph":
            return None, []
        if at is not None and data["nodes"]:
            left = min(entry["position"][0] for entry in data["nodes"])
            top = min(entry["position"][1] for entry in data["nodes"])
            shift = (at[0] - left, at[1] - top)
        else:
            shift = (offset, offset)
        taken = set(graph.nodes) | set(graph.groups)
        renamed, steps = {}, []
        for entry in data["nodes"]:
            stem = entry["type"].rsplit(".", 1)[-1]
            new_id = _fresh_id(stem, taken)
            taken.add(new_id)
            renamed[entry["id"]] = new_id
            x, y = entry["position"]
            steps.append(commands.AddNode(Node(new_id, entry["type"], dict(entry["params"]),
                                               (x + shift[0], y + shift[1]),
                                               entry.get("title", ""))))
        for src, src_port, dst, dst_port in data["edges"]:
            steps.append(commands.Connect(Edge(renamed[src], src_port, renamed[dst], dst_port)))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, []
    if not steps:
        return None, []
    noun = "node" if len(renamed) == 1 else "nodes"
    return commands.Compound(steps, f"Paste {len(renamed)} {noun}"), list(renamed.values())


def _fresh_id(stem: str, taken: set) -> str:
    if stem not in taken:
        return stem
    n = 2
    while f"{stem}_{n}" in taken:
        n += 1
    return f"{stem}_{n}"
