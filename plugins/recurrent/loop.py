"""Where a loop over time meets sequences: 'Steps' reads one step, 'Collect steps' gathers.

Wire a sequence into Steps, draw the recurrence with ordinary layers and a Delay closing the
cycle (Elman: the hidden state fed back; Jordan: the output fed back), and gather any per-step
value with Collect steps: the engine (engines.scan) runs the loop once per time step and trains
it by backpropagation through time. Both nodes read the loop's clock, `ctx.time`.
"""

from __future__ import annotations

from engines.program import Step
from graph.spec import NodeSpec, PortKind, PortSpec, ShapeError, TimeRole


def infer_steps_shapes(params, in_shapes):
    shape = in_shapes["x"]
    if shape is None:
        return {"y": None}, {}
    if len(shape) != 3:
        raise ShapeError(f"needs a (batch, time, features) sequence on 'x'; it receives "
                         f"{shape}.")
    return {"y": (shape[0], shape[2])}, {}


STEPS_SPEC = NodeSpec(
    type_id="recurrent.steps", title="Steps", category="Recurrent",
    doc="Reads a sequence one time step at a time: the nodes it feeds form a loop over time "
        "that runs once per step (close it with a Delay for a recurrence, gather its outputs "
        "with Collect steps). All Steps nodes of one loop need sequences of the same length.",
    inputs=(PortSpec("x", PortKind.SEQUENCE, "Sequence (batch, time, features)."),),
    outputs=(PortSpec("y", PortKind.TENSOR, "The current step x[:, t] (batch, features)."),),
    infer_shapes=infer_steps_shapes,
    time=TimeRole.SPLIT,
    formula="y = xₜ",
)


def build_steps(ctx):
    x, y = ctx.input("x"), ctx.output("y")
    clock = ctx.time

    def forward():
        y.value[...] = x.value[:, clock.t]

    def backward():
        if x.grad is not None:
            x.grad[:, clock.t] += y.grad

    return Step(forward, backward)


def infer_collect_shapes(params, in_shapes):
    shape = in_shapes["x"]
    if shape is None:
        return {"y": None}, {}
    if len(shape) != 2:
        raise ShapeError(f"needs a (batch, features) value on 'x'; it receives {shape}.")
    return {"y": (shape[0], None, shape[1])}, {}  # the time axis is the loop's


COLLECT_SPEC = NodeSpec(
    type_id="recurrent.collect", title="Collect steps", category="Recurrent",
    doc="Gathers a value computed at every step of a loop over time into a sequence "
        "(batch, time, features), for a sequence loss or a later layer.",
    inputs=(PortSpec("x", PortKind.TENSOR, "A per-step value inside a loop."),),
    outputs=(PortSpec("y", PortKind.SEQUENCE, "All steps (batch, time, features)."),),
    infer_shapes=infer_collect_shapes,
    time=TimeRole.COLLECT,
    formula="yₜ = x",
)


def build_collect(ctx):
    clock = ctx.time
    if clock is None:
        raise ctx.error(f"{ctx.label} gathers the steps of a loop over time, but its input "
                        "is not inside one; feed it from nodes after a 'Steps' node or on a "
                        "cycle through a Delay with 'steps' set.")
    x = ctx.input("x")
    y = ctx.output("y", (None, clock.steps, x.storage.shape[1]))

    def forward():
        y.value[:, clock.t] = x.value

    def backward():
        if x.grad is not None:
            x.grad += y.grad[:, clock.t]

    return Step(forward, backward)


NODES = [(STEPS_SPEC, build_steps), (COLLECT_SPEC, build_collect)]
