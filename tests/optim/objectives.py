"""Test functions as tiny graphs: a node that owns a weight vector and outputs f(w) as a loss,
plus helpers to run an optimizer on a graph step by step."""

from __future__ import annotations

import numpy as np

from engines.compiler import compile_graph
from engines.program import Step
from graph.model import Edge, Graph, Node
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec

QUADRATIC_A = np.array([[4.0, 1.0, 0.5, 0.0], [1.0, 3.0, 0.2, 0.1], [0.5, 0.2, 2.0, 0.3],
                        [0.0, 0.1, 0.3, 0.5]])
QUADRATIC_B = np.array([1.0, -2.0, 0.5, 3.0])


def rosenbrock(w):
    return float(np.sum(100.0 * (w[1:] - w[:-1] ** 2) ** 2 + (1 - w[:-1]) ** 2))


def rosenbrock_grad(w):
    g = np.zeros_like(w)
    g[:-1] = -400.0 * w[:-1] * (w[1:] - w[:-1] ** 2) - 2 * (1 - w[:-1])
    g[1:] += 200.0 * (w[1:] - w[:-1] ** 2)
    return g


def quadratic(w):
    return float(0.5 * w @ QUADRATIC_A @ w - QUADRATIC_B @ w)


def quadratic_grad(w):
    return QUADRATIC_A @ w - QUADRATIC_B


FUNCTIONS = {"rosenbrock": (rosenbrock, rosenbrock_grad),
             "quadratic": (quadratic, quadratic_grad)}

OBJECTIVE_SPEC = NodeSpec(
    type_id="test.objective", title="Objective", category="Losses",
    doc="f(w) of a test function, w the node's own weights.",
    outputs=(PortSpec("loss", PortKind.LOSS),),
    params=(ParamSpec("function", ParamType.CHOICE, "rosenbrock", choices=tuple(FUNCTIONS)),
            ParamSpec("start", ParamType.FLOATS, [-1.2, 1.0])),
    infer_shapes=lambda params, shapes: ({"loss": (1,)}, {"w": (len(params["start"]),)}))


def build_objective(ctx):
    f, grad_f = FUNCTIONS[ctx.params["function"]]
    w = ctx.param("w", (len(ctx.params["start"]),), values=np.array(ctx.params["start"]))
    loss = ctx.output("loss", (1,), batched=False)
    ctx.loss(loss)
    ctx.metric("loss", loss)

    def forward():
        loss.value[0] = f(np.asarray(w.value, dtype=np.float64))

    def backward():
        w.grad[...] = loss.grad[0] * grad_f(np.asarray(w.value, dtype=np.float64))

    return Step(forward, backward)


def with_objective(registry):
    """The built-in registry plus test.objective."""
    from graph.registry import Registry
    copy = Registry()
    for node_type in registry:
        copy.register(node_type.spec, node_type.builder, pack=node_type.pack)
    copy.register(OBJECTIVE_SPEC, build_objective, pack="test")
    return copy


def objective_graph(function: str, start, optimizer: str, **params) -> Graph:
    graph = Graph(f"{function}-{optimizer}")
    graph.add_node(Node("f", "test.objective", {"function": function, "start": list(start)},
                        (0.0, 0.0)))
    graph.add_node(Node("opt", optimizer, dict(params), (200.0, 0.0)))
    graph.connect(Edge("f", "loss", "opt", "loss"))
    return graph


def compile64(graph, registry, seed=0):
    return compile_graph(graph, registry, seed=seed, dtype=np.float64, monitors=False)
