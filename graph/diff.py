"""How two graph documents differ, in sentences: run settings, nodes added or removed, node
types, parameters and wires. Works on the plain JSON documents of .dgraph files, so it needs
no registry and reads records whose node types are not loaded."""

from __future__ import annotations

from typing import Any


def _nodes(document: dict) -> dict[str, dict]:
    return {n.get("id"): n for n in document.get("nodes", []) if isinstance(n, dict)}


def _edges(document: dict) -> list[str]:
    return [f"{e.get('from')} → {e.get('to')}" for e in document.get("edges", [])
            if isinstance(e, dict)]


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return "(default)" if value is _DEFAULT else repr(value) if isinstance(value, str) \
        else str(value)


_DEFAULT = object()


def document_differences(a: dict, b: dict) -> list[str]:
    """Sentences saying what changes from document a to document b ([] when alike)."""
    lines = []
    settings_a, settings_b = a.get("settings", {}), b.get("settings", {})
    for key in sorted(set(settings_a) | set(settings_b)):
        old, new = settings_a.get(key, _DEFAULT), settings_b.get(key, _DEFAULT)
        if old != new:
            lines.append(f"setting {key}: {_show(old)} → {_show(new)}")
    nodes_a, nodes_b = _nodes(a), _nodes(b)
    for node_id in nodes_a:
        if node_id not in nodes_b:
            lines.append(f"node {node_id} ({nodes_a[node_id].get('type')}) only in the first")
    for node_id in nodes_b:
        if node_id not in nodes_a:
            lines.append(f"node {node_id} ({nodes_b[node_id].get('type')}) only in the second")
    for node_id, first in nodes_a.items():
        second = nodes_b.get(node_id)
        if second is None:
            continue
        if first.get("type") != second.get("type"):
            lines.append(f"node {node_id}: type {first.get('type')} → {second.get('type')}")
            continue
        params_a, params_b = first.get("params", {}), second.get("params", {})
        for name in sorted(set(params_a) | set(params_b)):
            old, new = params_a.get(name, _DEFAULT), params_b.get(name, _DEFAULT)
            if old != new:
                lines.append(f"{node_id}.{name}: {_show(old)} → {_show(new)}")
    edges_a, edges_b = _edges(a), _edges(b)
    lines += [f"wire {e} only in the first" for e in edges_a if e not in set(edges_b)]
    lines += [f"wire {e} only in the second" for e in edges_b if e not in set(edges_a)]
    return lines
