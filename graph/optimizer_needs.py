"""Notes and warnings that follow from what an optimizer needs (NodeSpec.batching).

An optimizer that needs the whole training split (Batching.FULL_BATCH or REEVALUATES) makes
the program serve each data node upstream of its loss as one batch: those data nodes' cards
say so. One that evaluates the loss several times per step (a line search, Levenberg-
Marquardt) assumes the loss is deterministic: a stochastic node (dropout, noise) upstream of
its loss gets a warning on the optimizer. BFGS notes when 'auto' switches to L-BFGS.
Pure Python, used by graph.validate.
"""

from __future__ import annotations

from graph.model import Graph
from graph.problems import Problem, Severity
from graph.registry import Registry
from graph.spec import Batching, NodeRole


def _upstream(graph: Graph, node_id: str) -> set:
    before: dict = {}
    for edge in graph.edges:
        before.setdefault(edge.dst, []).append(edge.src)
    seen, stack = set(), [node_id]
    while stack:
        for other in before.get(stack.pop(), ()):
            if other not in seen:
                seen.add(other)
                stack.append(other)
    return seen


def optimizer_notes(graph: Graph, registry: Registry, param_counts: dict) -> list:
    """Notes for full-batch data nodes and BFGS's L-BFGS switch, warnings for stochastic nodes
    behind a line search: what follows from the graph's optimizers."""
    problems = []
    for node in graph.nodes.values():
        node_type = registry.find(node.type_id)
        if node_type is None or node_type.spec.role is not NodeRole.OPTIMIZER \
                or node_type.spec.batching is Batching.MINIBATCH:
            continue
        spec = node_type.spec
        label = spec.title if node.label == spec.title else f"{spec.title} '{node.label}'"
        upstream = _upstream(graph, node.id)
        for other_id in sorted(upstream, key=list(graph.nodes).index):
            other = registry.find(graph.nodes[other_id].type_id)
            if other is None:
                continue
            other_label = graph.nodes[other_id].label
            if other.spec.role is NodeRole.DATA:
                problems.append(Problem(
                    f"Full batch: {label} trains on the whole training split each step, so "
                    f"this node's batch_size is not used.", other_id, severity=Severity.NOTE))
            elif other.spec.stochastic and spec.batching is Batching.REEVALUATES:
                problems.append(Problem(
                    f"{label} evaluates the loss several times per step and assumes it is "
                    f"deterministic, but {other.spec.title} '{other_label}' draws new noise "
                    "on every evaluation; remove it or use SGD, Adam or rProp.", node.id,
                    severity=Severity.WARNING))
        if node.type_id == "optim.bfgs":
            problems += _bfgs_note(node, spec, label, upstream, param_counts)
    return problems


def _bfgs_note(node, spec, label, upstream, param_counts) -> list:
    params = {p.name: node.params.get(p.name, p.default) for p in spec.params}
    count = sum(param_counts.get(n, 0) for n in upstream)
    if params["variant"] != "auto" or count <= params["auto_limit"]:
        return []
    return [Problem(f"L-BFGS: {label} trains {count} parameters, above auto_limit "
                    f"({params['auto_limit']}), so it keeps the last {params['memory']} "
                    "steps instead of an n x n inverse Hessian.", node.id,
                    severity=Severity.NOTE)]
