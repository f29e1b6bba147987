"""Training control and fixed inputs: early stopping, and a constant tensor source."""

from __future__ import annotations

import math

import numpy as np

from engines.events import FinishReason, Stop
from engines.history import EpochHistory
from graph.spec import NodeRole, NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError

# -- early stopping ---------------------------------------------------------------------------

EARLY_STOPPING_SPEC = NodeSpec(
    type_id="core.early_stopping", title="Early stopping", category="Training",
    formula="stop when E_val > (1 + stop_factor) · min E_val",
    doc="Stops training when the validation loss rises more than stop_factor above its best "
        "(0.05 means 5% above the minimum), or when the "
        "training loss reaches target_loss.",
    inputs=(PortSpec("loss", PortKind.LOSS, "The loss node to watch."),),
    params=(
        ParamSpec("stop_factor", ParamType.FLOAT, 0.1, "Stop when validation loss exceeds "
                  "(1 + stop_factor) x its best so far.", range=(0.0, 1e6), live=True),
        ParamSpec("min_epochs", ParamType.INT, 10, "Epochs before the validation rule may "
                  "stop the run.", range=(0, 1 << 30), live=True),
        ParamSpec("target_loss", ParamType.FLOAT, 0.0, "Stop once the training loss is at "
                  "or below this (0: off).", range=(0.0, 1e30), live=True),
    ),
    infer_shapes=lambda params, in_shapes: ({}, {}),
    role=NodeRole.TRAINER,
)


def stop_reason(history: list, key: str, stop_factor: float, min_epochs: int,
                target_loss: float, label: str = "Early stopping") -> str | None:
    """Why to stop after the last epoch in history (dicts of 'train/<key>', 'val/<key>'), or
    None to go on."""
    last = history[-1]
    epoch = last.get("epoch", len(history))
    train = last.get(f"train/{key}")
    if target_loss > 0 and train is not None and train <= target_loss:
        return (f"{label}: the training loss {train:.6g} reached the target {target_loss:g} "
                f"after {epoch} epochs.")
    val = last.get(f"val/{key}")
    if val is None or epoch < min_epochs:
        return None
    best = history.lowest(f"val/{key}") if isinstance(history, EpochHistory) \
        else min(h.get(f"val/{key}", math.inf) for h in history)  # O(1) per epoch in a run
    if val > (1.0 + stop_factor) * best:
        return (f"{label}: the validation loss {val:.6g} rose more than {stop_factor:.0%} "
                f"above its best {best:.6g}; stopped after {epoch} epochs.")
    return None


def build_early_stopping(ctx):
    loss_node, _port = ctx.source("loss")
    program, live = ctx.program, ctx.params
    label = ctx.spec.title if ctx.node.label == ctx.spec.title else ctx.label

    def rule(history):
        if not history:
            return None
        key = program.metric_keys.get((loss_node, "loss"), "loss")
        why = stop_reason(history, key, live["stop_factor"], live["min_epochs"],
                          live["target_loss"], label)
        return None if why is None else Stop(FinishReason.EARLY_STOPPED, why)

    ctx.stop_rule(rule)
    return None


# -- constant ---------------------------------------------------------------------------------

def _constant_shape(params) -> tuple:
    values, shape = list(params["values"]), tuple(params.get("shape") or ())
    if not values:
        raise ShapeError("needs at least one value.")
    if not shape:
        return (len(values),)
    size = math.prod(shape)
    if len(values) not in (1, size):
        raise ShapeError(f"has {len(values)} values but its shape {list(shape)} holds {size}; "
                         "give one value (to fill) or exactly that many.")
    return shape


def infer_constant_shapes(params, in_shapes):
    return {"x": (None, *_constant_shape(params))}, {}


CONSTANT_SPEC = NodeSpec(
    type_id="core.constant", title="Constant", category="Data",
    formula="y = c (every row)",
    doc="A fixed tensor, the same in every row of the batch (an input x = 1, a target 0.5).",
    outputs=(PortSpec("x", PortKind.TENSOR, "The values, repeated over the batch."),),
    params=(
        ParamSpec("values", ParamType.FLOATS, [1.0], "The values (row-major)."),
        ParamSpec("shape", ParamType.INTS, [], "Shape per sample (empty: a flat vector of the "
                  "values).", range=(1, 1 << 24)),
    ),
    infer_shapes=infer_constant_shapes,
)


def build_constant(ctx):
    try:
        shape = _constant_shape(ctx.params)
    except ShapeError as exc:
        raise ctx.error(f"{ctx.label} {exc}") from None
    out = ctx.output("x", (None, *shape))
    row = np.broadcast_to(np.asarray(ctx.params["values"], dtype=np.float64).reshape(
        (1, *shape) if len(ctx.params["values"]) > 1 else (1,) * (len(shape) + 1)),
        (1, *shape))
    out.storage[...] = ctx.backend.from_host(row.astype(ctx.dtype))
    return None


NODES = [(EARLY_STOPPING_SPEC, build_early_stopping), (CONSTANT_SPEC, build_constant)]
