"""Validation: every problem a graph has, each tied to a node or edge, in a user's words.

validate() runs on every edit, so each check is one pass over nodes or edges with dict/set
lookups (no per-node scans of the edge list).
"""

from __future__ import annotations

from graph.file_checks import file_problems
from graph.gc_pause import without_cyclic_gc
from graph.gradient_flow import gradient_blockers
from graph.model import Graph, settings_problem
from graph.optimizer_needs import optimizer_notes
from graph.order import CycleError, is_delay, topological_order
from graph.problems import Problem, Severity
from graph.registry import Registry, unknown_type_message
from graph.shapes import infer_shapes
from graph.spec import ParamError
from graph.ties import tie_problems

__all__ = ["CycleError", "Problem", "Severity", "port_mismatch", "topological_order",
           "validate"]


@without_cyclic_gc
def validate(graph: Graph, registry: Registry) -> list[Problem]:
    """All problems of graph: run settings, unknown types, bad params, bad wires, missing
    inputs, loops without a delay, shape mismatches. No error means it can be compiled."""
    problems: list[Problem] = []
    problems += _check_settings(graph)
    problems += _check_nodes(graph, registry)
    problems += _check_edges(graph, registry)
    problems += _check_required_inputs(graph, registry)
    problems += [Problem(message, node_id, severity=severity)
                 for message, node_id, severity in file_problems(graph, registry)]
    try:
        order = topological_order(graph, registry)
    except CycleError as exc:
        problems.append(Problem(str(exc), node_id=exc.node_ids[0]))
        order = None
    # Nodes already blamed are left out of shape inference so one mistake gives one message.
    blamed = {p.node_id for p in problems if p.severity is Severity.ERROR and p.node_id}
    info = infer_shapes(graph, registry, order=order, skip=blamed)
    problems += info.problems
    problems += _check_delay_loops(graph, registry, info, blamed)
    problems += [Problem(message, node_id)
                 for message, node_id in tie_problems(graph, registry, info.param_shapes)]
    problems += gradient_blockers(graph, registry, info.param_counts)
    problems += optimizer_notes(graph, registry, info.param_counts)
    if not graph.nodes:
        problems.append(Problem("The graph is empty: add a Dataset node from the palette to "
                                "begin.", severity=Severity.WARNING))
    return problems


def _check_settings(graph):
    for key, value in graph.settings.items():
        problem = settings_problem(key, value)
        if problem:
            yield Problem(f"Run settings: {problem}.")


def _check_nodes(graph, registry):
    for node in graph.nodes.values():
        node_type = registry.find(node.type_id)
        if node_type is None:
            yield Problem(unknown_type_message(node.type_id, registry), node.id)
            continue
        spec = node_type.spec
        try:
            spec.resolve(node.params)
        except ParamError as exc:
            for name, reason in exc.problems:
                if spec.has_param(name):
                    yield Problem(f"{spec.title} '{node.label}': parameter '{name}' {reason}.",
                                  node.id)
                else:
                    yield Problem(f"{spec.title} '{node.label}' has no parameter '{name}'.",
                                  node.id)


def _check_edges(graph, registry):
    for edge in graph.edges:
        src, dst = graph.nodes.get(edge.src), graph.nodes.get(edge.dst)
        if src is None or dst is None:
            missing = edge.src if src is None else edge.dst
            yield Problem(f"The wire {edge} refers to a node '{missing}' that does not exist.",
                          edge=edge)
            continue
        src_type, dst_type = registry.find(src.type_id), registry.find(dst.type_id)
        if src_type is None or dst_type is None:
            continue  # reported by _check_nodes
        out_port = src_type.spec.output(edge.src_port)
        in_port = dst_type.spec.input(edge.dst_port)
        if out_port is None:
            yield Problem(f"{src_type.spec.title} '{src.label}' has no output "
                          f"'{edge.src_port}'.", src.id, edge)
            continue
        if in_port is None:
            yield Problem(f"{dst_type.spec.title} '{dst.label}' has no input "
                          f"'{edge.dst_port}'.", dst.id, edge)
            continue
        reason = port_mismatch(src_type.spec, out_port, dst_type.spec, in_port, src, dst)
        if reason:
            yield Problem(reason, dst.id, edge)


def port_mismatch(src_spec, out_port, dst_spec, in_port, src=None, dst=None) -> str | None:
    """Why output out_port cannot feed input in_port, or None if it can (also used by the
    canvas to dim incompatible ports while a wire is dragged)."""
    if out_port.kind is in_port.kind:
        return None
    src_name = f"'{src.label}'" if src else src_spec.title
    dst_name = f"{dst_spec.title} '{dst.label}'" if dst else dst_spec.title
    hint = {
        ("sequence", "tensor"): " Add a 'Last step' node or set return_sequences off.",
        ("tensor", "loss"): " Wire the output of a Loss node here.",
        ("loss", "tensor"): " A loss feeds an optimizer, not a layer.",
        ("spikes", "tensor"): " Spikes feed spiking neurons; convert them to rates first.",
    }.get((out_port.kind.value, in_port.kind.value), "")
    return (f"{dst_name} expects a {in_port.kind.value} on '{in_port.name}'; {src_name} gives "
            f"a {out_port.kind.value}.{hint}")


def _check_required_inputs(graph, registry):
    wired = {(e.dst, e.dst_port) for e in graph.edges}
    for node in graph.nodes.values():
        node_type = registry.find(node.type_id)
        if node_type is None:
            continue
        for port in node_type.spec.inputs:
            if not port.optional and (node.id, port.name) not in wired:
                yield Problem(f"{node_type.spec.title} '{node.label}' needs a wire into its "
                              f"'{port.name}' input.", node.id)


def _check_delay_loops(graph, registry, info, blamed):
    """A delay that closes a loop cannot take its shape from its input: it needs 'shape'."""
    delays = [n for n in graph.nodes if n not in blamed and is_delay(graph, registry, n)]
    if not delays:
        return
    outgoing: dict[str, list] = {}
    for edge in graph.edges:
        outgoing.setdefault(edge.src, []).append(edge.dst)
    for node_id in delays:
        spec = registry.spec(graph.nodes[node_id].type_id)
        unknown = [p.name for p in spec.outputs if info.port_shapes.get((node_id, p.name))
                   is None]
        if unknown and _reaches(outgoing, node_id, node_id):
            label = graph.nodes[node_id].label
            yield Problem(f"{spec.title} '{label}' closes a loop, so the shape of its output "
                          "cannot come from its input; set its 'shape' parameter (features per "
                          "sample, e.g. [8]).", node_id)


def _reaches(outgoing: dict, start: str, target: str) -> bool:
    stack, seen = list(outgoing.get(start, ())), set()
    while stack:
        node_id = stack.pop()
        if node_id == target:
            return True
        if node_id not in seen:
            seen.add(node_id)
            stack.extend(outgoing.get(node_id, ()))
    return False
