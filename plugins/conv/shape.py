"""Flatten and Reshape: move between feature vectors (batch, n) and images (batch, c, h, w)."""

from __future__ import annotations

import math

from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError


def infer_flatten(params, in_shapes):
    shape = in_shapes.get("x")
    if shape is None or len(shape) < 2:
        raise ShapeError(f"needs a batched tensor on 'x'; it receives {shape}.")
    return {"y": (shape[0], math.prod(shape[1:]))}, {}


FLATTEN_SPEC = NodeSpec(
    type_id="conv.flatten", title="Flatten", category="Convolution",
    doc="(batch, c, h, w) or any batched tensor -> (batch, c*h*w), row-major (as PyTorch).",
    inputs=(PortSpec("x", PortKind.TENSOR, "Any batched tensor."),),
    outputs=(PortSpec("y", PortKind.TENSOR, "(batch, features)."),),
    infer_shapes=infer_flatten,
)


def infer_reshape(params, in_shapes):
    shape = in_shapes.get("x")
    target = tuple(params["shape"])
    if shape is None or len(shape) < 2:
        raise ShapeError(f"needs a batched tensor on 'x'; it receives {shape}.")
    size, wanted = math.prod(shape[1:]), math.prod(target)
    if size != wanted:
        raise ShapeError(f"cannot reshape {size} values per sample into {list(target)} "
                         f"({wanted} values).")
    return {"y": (shape[0], *target)}, {}


RESHAPE_SPEC = NodeSpec(
    type_id="conv.reshape", title="Reshape", category="Convolution",
    doc="Reshape each sample (row-major): e.g. 64 digit pixels -> [1, 8, 8] (channels, height, "
        "width) for a convolution.",
    inputs=(PortSpec("x", PortKind.TENSOR, "Any batched tensor."),),
    outputs=(PortSpec("y", PortKind.TENSOR, "(batch, *shape)."),),
    params=(ParamSpec("shape", ParamType.INTS, [1, 8, 8], "Shape of one sample, without the "
                      "batch axis.", range=(1, 1 << 24)),),
    infer_shapes=infer_reshape,
)


def build_reshape(ctx):
    xp = ctx.xp
    x, y = ctx.input("x"), ctx.output("y")

    def forward():
        xp.copyto(y.value, x.value.reshape(y.value.shape))

    def backward():
        if x.grad is not None:
            x.grad += y.grad.reshape(x.grad.shape)

    return Step(forward, backward)


NODES = [(FLATTEN_SPEC, build_reshape), (RESHAPE_SPEC, build_reshape)]
