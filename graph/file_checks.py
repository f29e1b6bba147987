"""The files a graph names: each data node's `check_files` (graph.spec), run by validation.

A check reads at most a few KiB of each file (kind, size, header), so `validate` can say what
a run would refuse without loading any data. Pure Python: the checks themselves live with the
node types that read the files.
"""

from __future__ import annotations

from graph.model import Graph
from graph.registry import Registry
from graph.spec import ParamError


def file_problems(graph: Graph, registry: Registry) -> list[tuple[str, str, str]]:
    """(message, node_id, severity) for each data node whose files cannot be used."""
    found = []
    for node in graph.nodes.values():
        node_type = registry.find(node.type_id)
        spec = node_type.spec if node_type is not None else None
        if spec is None or spec.check_files is None:
            continue
        try:
            params = spec.resolve(node.params)
        except ParamError:
            continue  # reported by validate's parameter checks
        try:
            reason = spec.check_files(params)
        except Exception as exc:  # a plugin's check must not take validation down
            found.append((f"{spec.title} '{node.label}': its file check failed "
                          f"({type(exc).__name__}: {exc}).", node.id, "warning"))
            continue
        if reason:
            found.append((f"{spec.title} '{node.label}': {reason}", node.id, "error"))
    return found
