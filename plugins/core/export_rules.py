"""How the core pack's node types export (engines.export): the inference form of each layer.

Dropout and Gaussian noise are the identity at inference; Stochastic binary exports its
evaluation form (1 where sigmoid(x) >= 0.5, i.e. x >= 0). A constant's output becomes a model
input. Data nodes (role DATA), losses, optimizers and trainers never reach the exporter.
"""

from __future__ import annotations

from engines.export import ops
from engines.export.ir import AS_INPUT, Unexportable


def dense(ctx):
    weights = {"W": ctx.weight("W")}
    if ctx.params["bias"]:
        weights["b"] = ctx.weight("b")
    ctx.output("y", ctx.emit(ops.GEMM, [ctx.input("x")], weights=weights))


def unary(kind, *attrs):
    """The rule of an activation node: one op of kind with the node's parameters attrs."""
    def rule(ctx):
        ctx.output("y", ctx.emit(kind, [ctx.input("x")],
                                 {name: ctx.params[name] for name in attrs}))
    return rule


def identity(ctx):
    ctx.output("y", ctx.input("x"))


def threshold(ctx):
    ctx.output("y", ctx.emit(ops.STEP, [ctx.input("x")], {"bipolar": ctx.params["bipolar"]}))


def stochastic_binary(ctx):
    ctx.output("y", ctx.emit(ops.STEP, [ctx.input("x")], {"bipolar": False}))


def add(ctx):
    ctx.output("y", ctx.emit(ops.ADD, [ctx.input("a"), ctx.input("b")]))


def concat(ctx):
    parts = [ctx.input(port) for port in ("a", "b", "c", "d")]
    ctx.output("y", ctx.emit(ops.CONCAT, [p for p in parts if p is not None], {"axis": 1}))


def split(ctx):
    at, width = ctx.params["at"], ctx.in_shape("x")[0]
    x = ctx.input("x")
    ctx.output("a", ctx.emit(ops.SLICE, [x], {"start": 0, "stop": at}))
    ctx.output("b", ctx.emit(ops.SLICE, [x], {"start": at, "stop": width}))


EXPORT_RULES = {
    "core.dense": dense,
    "core.sigmoid": unary(ops.SIGMOID, "slope"),
    "core.tanh": unary(ops.TANH),
    "core.relu": unary(ops.RELU),
    "core.leaky_relu": unary(ops.LEAKY_RELU, "alpha"),
    "core.elu": unary(ops.ELU, "alpha"),
    "core.softplus": unary(ops.SOFTPLUS),
    "core.softmax": unary(ops.SOFTMAX),
    "core.linear": identity,
    "core.dropout": identity,
    "core.gaussian_noise": identity,
    "core.threshold": threshold,
    "core.stochastic_binary": stochastic_binary,
    "core.add": add,
    "core.concat": concat,
    "core.split": split,
    "core.delay": Unexportable("a delay (z^-1) loop carries state from one step to the "
                               "next; build the loop from a recurrent cell to export it."),
    "core.constant": AS_INPUT,
}
