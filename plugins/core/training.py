"""Training control and fixed inputs: early stopping, and a constant tensor source."""

from __future__ import annotations

import math

import numpy as np

from engines.events import FinishReason, Log, Stop
from engines.history import EpochHistory
from graph.spec import NodeRole, NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError

# -- early stopping ---------------------------------------------------------------------------

EARLY_STOPPING_SPEC = NodeSpec(
    type_id="core.early_stopping", title="Early stopping", category="Training",
    formula="stop when E_val > (1 + stop_factor) · min E_val",
    doc="Stops training when the validation loss rises more than stop_factor above its best "
        "(0.05 means 5% above the minimum), or when the "
        "training loss reaches target_loss; with restore_best the run ends with the best "
        "epoch's parameters. Epochs in which a node holds its output while it pretrains (a "
        "DBN's RBM phase) do not count: the rule starts with the first epoch that trains "
        "the loss.",
    inputs=(PortSpec("loss", PortKind.LOSS, "The loss node to watch."),),
    params=(
        ParamSpec("stop_factor", ParamType.FLOAT, 0.1, "Stop when validation loss exceeds "
                  "(1 + stop_factor) x its best so far.", range=(0.0, 1e6), live=True),
        ParamSpec("min_epochs", ParamType.INT, 10, "Epochs before the validation rule may "
                  "stop the run.", range=(0, 1 << 30), live=True),
        ParamSpec("target_loss", ParamType.FLOAT, 0.0, "Stop once the training loss is at "
                  "or below this (0: off).", range=(0.0, 1e30), live=True),
        ParamSpec("restore_best", ParamType.BOOL, False, "When the run ends (stopped early "
                  "or not), put back every parameter as it was after the epoch with the "
                  "lowest watched loss (validation, or training without a validation split)."),
    ),
    infer_shapes=lambda params, in_shapes: ({}, {}),
    role=NodeRole.TRAINER,
)


def stop_reason(history: list, key: str, stop_factor: float, min_epochs: int,
                target_loss: float, label: str = "Early stopping") -> str | None:
    """Why to stop after the last epoch in history (dicts of 'train/<key>', 'val/<key>'), or
    None to go on."""
    last = history[-1]
    best = history.lowest(f"val/{key}") if isinstance(history, EpochHistory) \
        else min(h.get(f"val/{key}", math.inf) for h in history)  # O(1) per epoch in a run
    return judge(last, last.get("epoch", len(history)), best, key, stop_factor, min_epochs,
                 target_loss, label)


def judge(last: dict, epoch: int, best: float, key: str, stop_factor: float, min_epochs: int,
          target_loss: float, label: str) -> str | None:
    """stop_reason for one epoch's metrics `last`, its number and the lowest validation loss
    so far (`best`, this epoch's included)."""
    train = last.get(f"train/{key}")
    if target_loss > 0 and train is not None and train <= target_loss:
        return (f"{label}: the training loss {train:.6g} reached the target {target_loss:g} "
                f"after {epoch} epochs.")
    val = last.get(f"val/{key}")
    if val is None or epoch < min_epochs:
        return None
    if val > (1.0 + stop_factor) * best:
        return (f"{label}: the validation loss {val:.6g} rose more than {stop_factor:.0%} "
                f"above its best {best:.6g}; stopped after {epoch} epochs.")
    return None


def build_early_stopping(ctx):
    loss_node, _port = ctx.source("loss")
    program, live = ctx.program, ctx.params
    label = ctx.spec.title if ctx.node.label == ctx.spec.title else ctx.label
    # counted over the epochs that trained the loss (none held by a node's pretraining);
    # plain values, so checkpoints carry them
    trained = {"epochs": 0, "lowest": math.inf}
    best = BestEpoch(program, label) if live["restore_best"] else None

    def rule(history):
        if not history or program.phase.holding:  # pretraining: the loss does not train yet
            return None
        key = program.metric_keys.get((loss_node, "loss"), "loss")
        last = history[-1]
        trained["epochs"] += 1
        trained["lowest"] = min(trained["lowest"], last.get(f"val/{key}", math.inf))
        if best is not None:
            best.consider(last, key)
        why = judge(last, trained["epochs"], trained["lowest"], key, live["stop_factor"],
                    live["min_epochs"], live["target_loss"], label)
        if why is not None and trained["epochs"] != len(history):
            why = why[:-1] + (f" of training the loss (epoch {len(history)} of the run; "
                              "the ones before pretrained).")
        return None if why is None else Stop(FinishReason.EARLY_STOPPED, why)

    ctx.stop_rule(rule)
    if best is not None:
        ctx.run_end(best.restore)
    return None


class BestEpoch:
    """Device copies of a program's parameters after its best epoch, put back at the end."""

    def __init__(self, program, label: str):
        self.program, self.label = program, label
        xp = program.backend.xp  # made now, so a checkpoint puts them back in place
        self.copies = {name: xp.zeros_like(buf.value) for name, buf in program.params.items()}
        self.value, self.epoch, self.tag, self.seen = math.inf, 0, "", 0

    def consider(self, last: dict, key: str) -> None:
        """After an epoch: copy the parameters if its watched loss is the lowest so far."""
        self.tag = f"val/{key}" if f"val/{key}" in last else f"train/{key}"
        self.seen = last.get("epoch", 0)
        value = last.get(self.tag, math.inf)
        if not value < self.value:
            return
        self.value, self.epoch = value, self.seen
        xp = self.program.backend.xp
        for name, buf in self.program.params.items():
            xp.copyto(self.copies[name], buf.value)

    def restore(self, reason, history) -> list:
        """Put the best epoch's parameters back (unless the run's weights are the best's)."""
        if not self.epoch or not len(history):
            return []
        last = history[-1]
        if reason is not FinishReason.STOPPED:  # a stopped run may be mid-epoch: restore
            if last.get("epoch") != self.seen and last.get(self.tag, math.inf) < self.value:
                return []  # an epoch this rule did not see (another rule stopped it) is best
            if last.get("epoch") == self.epoch:
                return []
        xp = self.program.backend.xp
        for name, buf in self.program.params.items():
            xp.copyto(buf.value, self.copies[name])
        return [Log(f"{self.label}: restored the parameters of epoch {self.epoch}, the "
                    f"lowest {self.tag} ({self.value:.6g}).")]


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
