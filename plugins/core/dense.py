"""Dense (fully connected) layer: y = x W + b."""

from __future__ import annotations

from engines.initializers import INITIALIZER_NAMES
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError


def infer_shapes(params, in_shapes):
    shape = in_shapes["x"]
    if len(shape) != 2:
        raise ShapeError(f"needs a 2-D (batch, features) input on 'x'; it receives {shape}. "
                         "Add a Flatten node before it.")
    units = params["units"]
    param_shapes = {"W": (shape[1], units)}
    if params["bias"]:
        param_shapes["b"] = (units,)
    return {"y": (shape[0], units)}, param_shapes


SPEC = NodeSpec(
    type_id="core.dense", title="Dense", category="Layers",
    doc="Fully connected layer: y = x W + b.",
    inputs=(PortSpec("x", PortKind.TENSOR, "Input (batch, features)."),),
    outputs=(PortSpec("y", PortKind.TENSOR, "Output (batch, units)."),),
    params=(
        ParamSpec("units", ParamType.INT, 32, "Output features.", range=(1, 65536)),
        ParamSpec("bias", ParamType.BOOL, True, "Add a learned bias b."),
        ParamSpec("init", ParamType.CHOICE, "glorot_uniform", "Weight initialiser.",
                  choices=INITIALIZER_NAMES),
    ),
    infer_shapes=infer_shapes,
)


def build(ctx):
    xp = ctx.xp
    x, y = ctx.input("x"), ctx.output("y")
    fan_in, units = x.storage.shape[1], ctx.params["units"]
    W = ctx.param("W", (fan_in, units), init=ctx.params["init"])
    b = ctx.param("b", (units,), init="zeros") if ctx.params["bias"] else None

    def forward():
        xp.matmul(x.value, W.value, out=y.value)
        if b is not None:
            y.value += b.value

    def backward():
        xp.matmul(x.value.T, y.grad, out=W.grad)
        if b is not None:
            xp.sum(y.grad, axis=0, out=b.grad)
        if x.grad is not None:
            x.grad += y.grad @ W.value.T

    return Step(forward, backward)


NODES = [(SPEC, build)]
