"""Elementwise activation functions, each its own node type with forward and derivative."""

from __future__ import annotations

from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, no_params_same_shape

_IN = (PortSpec("x", PortKind.TENSOR),)
_OUT = (PortSpec("y", PortKind.TENSOR),)


def _spec(name, title, doc, params=()):
    return NodeSpec(type_id=f"core.{name}", title=title, category="Activations", doc=doc,
                    inputs=_IN, outputs=_OUT, params=tuple(params),
                    infer_shapes=no_params_same_shape)


def build_sigmoid(ctx):
    xp = ctx.xp
    x, y = ctx.input("x"), ctx.output("y")
    slope = ctx.params

    def forward():
        xp.multiply(x.value, -slope["slope"], out=y.value)
        xp.exp(y.value, out=y.value)
        y.value += 1
        xp.reciprocal(y.value, out=y.value)

    def backward():
        if x.grad is not None:  # f' = a f (1 - f)
            x.grad += slope["slope"] * y.grad * y.value * (1 - y.value)

    return Step(forward, backward)


def build_tanh(ctx):
    xp = ctx.xp
    x, y = ctx.input("x"), ctx.output("y")

    def forward():
        xp.tanh(x.value, out=y.value)

    def backward():
        if x.grad is not None:
            x.grad += y.grad * (1 - y.value * y.value)

    return Step(forward, backward)


NODES = [
    (_spec("sigmoid", "Sigmoid", "Logistic function f(s) = 1 / (1 + exp(-a s)); f' = a f (1-f).",
           [ParamSpec("slope", ParamType.FLOAT, 1.0, "Slope a.", range=(1e-6, 1e6))]),
     build_sigmoid),
    (_spec("tanh", "Tanh", "Hyperbolic tangent."), build_tanh),
]
