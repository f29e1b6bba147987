"""Delay (z^-1): outputs the value its input had one step earlier (zeros at the start).

Cycles through a delay are legal: the compiler allocates the delay's output before building
the nodes it feeds, and the delay copies its input into its output once a whole step (forward,
backward, update) is over. No gradient flows back through a delay; backpropagation through
time is a later feature.
"""

from __future__ import annotations

from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError


def infer_shapes(params, in_shapes):
    fixed = tuple(params.get("shape") or ())
    given = in_shapes.get("x")
    if fixed and given is not None and tuple(given[1:]) != fixed:
        raise ShapeError(f"its 'shape' parameter says {list(fixed)} per sample, but its input "
                         f"gives {given}.")
    return {"y": (None, *fixed) if fixed else given}, {}


SPEC = NodeSpec(
    type_id="core.delay", title="Delay (z^-1)", category="Layers",
    doc="Outputs the previous step's value of its input (zeros on the first step). Wires may "
        "loop back through a delay. Gradients do not flow through it.",
    inputs=(PortSpec("x", PortKind.TENSOR, "Value to hold for one step."),),
    outputs=(PortSpec("y", PortKind.TENSOR, "The input as it was one step ago."),),
    params=(
        ParamSpec("shape", ParamType.INTS, [], "Features per sample; needed when the delay "
                  "closes a loop (empty: the input's shape).", range=(1, 1 << 24)),
    ),
    infer_shapes=infer_shapes,
    delay=True,
)


def build(ctx):
    xp = ctx.xp
    x, y = ctx.input("x"), ctx.output("y")
    if tuple(x.storage.shape) != tuple(y.storage.shape):
        raise ctx.error(f"{ctx.label} holds {tuple(y.storage.shape[1:])} per sample but its "
                        f"input gives {tuple(x.storage.shape[1:])}; fix its 'shape' parameter.")

    def latch():
        xp.copyto(y.storage, x.storage)

    return Step(after_step=latch)


NODES = [(SPEC, build)]
