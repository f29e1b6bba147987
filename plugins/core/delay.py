"""Delay (z^-1): outputs the value its input had one step earlier (zeros at the start).

Cycles through a delay are legal: the compiler allocates the delay's output before building
the nodes it feeds. Inside a loop over time (engines.scan: the delay closes a cycle and sets
'steps', or its loop reads a sequence through a 'Steps' node) the loop is unrolled over the
time axis and trained by backpropagation through time; 'truncate' and 'stateful' choose
truncated BPTT and carrying the final state into the next batch. Outside such a loop the delay
copies its input into its output once a whole training step is over, and no gradient flows
back through it (simulations).
"""

from __future__ import annotations

from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind


def infer_shapes(params, in_shapes):
    fixed = tuple(params.get("shape") or ())
    given = in_shapes.get("x")
    if fixed and given is not None and tuple(given[1:]) != fixed:
        raise ShapeError(f"its 'shape' parameter says {list(fixed)} per sample, but its input "
                         f"gives {given}.")
    return {"y": (None, *fixed) if fixed else given}, {}


SPEC = NodeSpec(
    type_id="core.delay", title="Delay (z^-1)", category="Layers",
    formula="yₜ = xₜ₋₁",
    doc="Outputs the previous step's value of its input (zeros, or 'initial', on the first "
        "step). Wires may loop back through a delay: a loop that reads a sequence (through a "
        "'Steps' node), or sets 'steps', is unrolled over time and trained by backpropagation "
        "through time (truncated to windows of 'truncate' steps when set). Otherwise the delay "
        "advances once per training step and passes no gradient.",
    inputs=(PortSpec("x", PortKind.TENSOR, "Value to hold for one step."),
            PortSpec("initial", PortKind.TENSOR, "State at the first step of a loop over "
                     "time (zeros if unwired).", optional=True)),
    outputs=(PortSpec("y", PortKind.TENSOR, "The input as it was one step ago."),),
    params=(
        ParamSpec("shape", ParamType.INTS, [], "Features per sample; needed when the delay "
                  "closes a loop (empty: the input's shape).", range=(1, 1 << 24)),
        ParamSpec("steps", ParamType.INT, 0, "Time steps a loop fed by no sequence runs per "
                  "training step, trained by BPTT (0: one step per training step, state kept, "
                  "no gradient through time). Loops that read a sequence take its length.",
                  range=(0, 1 << 20)),
        ParamSpec("truncate", ParamType.INT, 0, "Truncated BPTT: gradients flow back at most "
                  "to the start of windows of this many steps (0: full BPTT).",
                  range=(0, 1 << 20)),
        ParamSpec("stateful", ParamType.BOOL, False, "Start each batch from the previous "
                  "batch's final state instead of zeros (reset every epoch)."),
    ),
    views=(View(ViewKind.LATTICE, "Gradient norm per time step", ("grad_time/{node}",),
                y=Axis("log10 |dQ/dx_t|"), x=Axis("time step"),
                doc="How much gradient reaches the loop's state at each step (vanishing or "
                    "exploding gradients through time)."),),
    infer_shapes=infer_shapes,
    delay=True,
)


def build(ctx):
    xp = ctx.xp
    x, y = ctx.input("x"), ctx.output("y")
    if tuple(x.storage.shape) != tuple(y.storage.shape):
        raise ctx.error(f"{ctx.label} holds {tuple(y.storage.shape[1:])} per sample but its "
                        f"input gives {tuple(x.storage.shape[1:])}; fix its 'shape' parameter.")
    initial = ctx.input("initial")
    if initial is not None and tuple(initial.storage.shape[1:]) != tuple(y.storage.shape[1:]):
        raise ctx.error(f"{ctx.label} holds {tuple(y.storage.shape[1:])} per sample but its "
                        f"'initial' input gives {tuple(initial.storage.shape[1:])}.")
    if ctx.time is not None:
        return None  # inside a loop over time the scan moves the state (engines.scan)

    def latch():
        xp.copyto(y.storage, x.storage)

    return Step(after_step=latch)


NODES = [(SPEC, build)]
