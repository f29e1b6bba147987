"""Wiring nodes that join or cut tensors: concat, add, split (along the feature axis)."""

from __future__ import annotations

from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError

_CONCAT_PORTS = ("a", "b", "c", "d")


def _check_rows(in_shapes, what):
    shapes = list(in_shapes.values())
    for port, shape in in_shapes.items():
        if len(shape) != 2:
            raise ShapeError(f"needs 2-D (batch, features) inputs; '{port}' receives {shape}.")
        if shape[0] != shapes[0][0]:
            raise ShapeError(f"{what} inputs with the same batch size; got {shapes}.")


def concat_shapes(params, in_shapes):
    _check_rows(in_shapes, "concatenates")
    features = sum(shape[1] for shape in in_shapes.values())
    return {"y": (next(iter(in_shapes.values()))[0], features)}, {}


def build_concat(ctx):
    xp = ctx.xp
    parts = [buf for buf in (ctx.input(p) for p in _CONCAT_PORTS) if buf is not None]
    y = ctx.output("y")
    slices, start = [], 0
    for buf in parts:
        width = buf.storage.shape[1]
        slices.append(slice(start, start + width))
        start += width

    def forward():
        xp.concatenate([buf.value for buf in parts], axis=1, out=y.value)

    def backward():
        for buf, cols in zip(parts, slices):
            if buf.grad is not None:
                buf.grad += y.grad[:, cols]

    return Step(forward, backward)


def add_shapes(params, in_shapes):
    a, b = in_shapes["a"], in_shapes["b"]
    if tuple(a[1:]) != tuple(b[1:]):
        raise ShapeError(f"adds tensors of one shape; 'a' is {a} and 'b' is {b}.")
    return {"y": a}, {}


def build_add(ctx):
    xp = ctx.xp
    a, b, y = ctx.input("a"), ctx.input("b"), ctx.output("y")

    def forward():
        xp.add(a.value, b.value, out=y.value)

    def backward():
        if a.grad is not None:
            a.grad += y.grad
        if b.grad is not None:
            b.grad += y.grad

    return Step(forward, backward)


def split_shapes(params, in_shapes):
    shape = in_shapes["x"]
    at = params["at"]
    if len(shape) != 2:
        raise ShapeError(f"needs a 2-D (batch, features) input on 'x'; it receives {shape}.")
    if not 0 < at < shape[1]:
        raise ShapeError(f"cannot split {shape[1]} features at {at}; choose 'at' between 1 "
                         f"and {shape[1] - 1}.")
    return {"a": (shape[0], at), "b": (shape[0], shape[1] - at)}, {}


def build_split(ctx):
    xp = ctx.xp
    x, at = ctx.input("x"), ctx.params["at"]
    a, b = ctx.output("a"), ctx.output("b")

    def forward():
        xp.copyto(a.value, x.value[:, :at])
        xp.copyto(b.value, x.value[:, at:])

    def backward():
        if x.grad is not None:
            if a.grad is not None:
                x.grad[:, :at] += a.grad
            if b.grad is not None:
                x.grad[:, at:] += b.grad

    return Step(forward, backward)


_T = PortKind.TENSOR

NODES = [
    (NodeSpec(type_id="core.concat", title="Concatenate", category="Layers",
              formula="y = [a | b | c | d]",
              doc="Joins two to four inputs side by side along the feature axis (a, b, c, d).",
              inputs=(PortSpec("a", _T), PortSpec("b", _T),
                      PortSpec("c", _T, optional=True), PortSpec("d", _T, optional=True)),
              outputs=(PortSpec("y", _T),), infer_shapes=concat_shapes),
     build_concat),
    (NodeSpec(type_id="core.add", title="Add", category="Layers",
              formula="y = a + b",
              doc="Elementwise sum y = a + b (e.g. a residual connection).",
              inputs=(PortSpec("a", _T), PortSpec("b", _T)),
              outputs=(PortSpec("y", _T),), infer_shapes=add_shapes),
     build_add),
    (NodeSpec(type_id="core.split", title="Split", category="Layers",
              formula="a = x[:, :k],  b = x[:, k:]",
              doc="Cuts the features of x in two: a = x[:, :at], b = x[:, at:].",
              inputs=(PortSpec("x", _T),), outputs=(PortSpec("a", _T), PortSpec("b", _T)),
              params=(ParamSpec("at", ParamType.INT, 1, "Feature index where 'b' begins.",
                                range=(1, 1 << 20)),),
              infer_shapes=split_shapes),
     build_split),
]
