"""Nodes on whole sequences: a Dense applied at every step, the last step, sequence losses.

Losses follow the notes: per-step losses summed over time, Q_K = sum_k Q(y_k, y'_k), and
averaged over the batch (MSE per step is 1/2 sum (y - t)^2, as in the core MSE loss).
"""

from __future__ import annotations

import numpy as np

from engines.events import Text
from engines.initializers import INITIALIZER_NAMES
from engines.program import Step
from engines.scan import curves
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind
from plugins.core.losses import REPORT_ACCURACY, loss_outputs
from plugins.core.views import ACCURACY, ERROR_HISTORY
from plugins.recurrent.sampling import INTERVAL_S as SAMPLE_INTERVAL_S
from plugins.recurrent.sampling import text_sampler

ACTIVATIONS = ("linear", "tanh", "sigmoid", "relu")
MONITOR_INTERVAL_S = 1.0


def _sequence(shape, port="x"):
    if shape is None:
        return None
    if len(shape) != 3:
        raise ShapeError(f"needs a (batch, time, features) sequence on '{port}'; it receives "
                         f"{shape}.")
    return shape


# -- Dense at every step ----------------------------------------------------------------------
def infer_dense_shapes(params, in_shapes):
    shape = _sequence(in_shapes["x"])
    if shape is None:
        return {}, {}
    units = params["units"]
    return {"y": (shape[0], shape[1], units)}, {"W": (shape[2], units), "b": (units,)}


DENSE_SPEC = NodeSpec(
    type_id="recurrent.seq_dense", title="Dense per step", category="Recurrent",
    doc="The same Dense layer y_k = act(x_k W + b) at every time step of a sequence (one "
        "matmul over all steps).",
    inputs=(PortSpec("x", PortKind.SEQUENCE, "Sequence (batch, time, features)."),),
    outputs=(PortSpec("y", PortKind.SEQUENCE, "Sequence (batch, time, units)."),),
    params=(
        ParamSpec("units", ParamType.INT, 1, "Output features per step.", range=(1, 65536)),
        ParamSpec("activation", ParamType.CHOICE, "linear", "Activation.",
                  choices=ACTIVATIONS),
        ParamSpec("init", ParamType.CHOICE, "glorot_uniform", "Weight initialiser.",
                  choices=INITIALIZER_NAMES),
    ),
    infer_shapes=infer_dense_shapes,
    formula="yₖ = act(xₖ·W + b)",
)


def build_dense(ctx):
    xp = ctx.xp
    x, y = ctx.input("x"), ctx.output("y")
    _, steps, features = x.storage.shape
    units, activation = ctx.params["units"], ctx.params["activation"]
    W = ctx.param("W", (features, units), init=ctx.params["init"])
    b = ctx.param("b", (units,), init="zeros")
    work = ctx.scratch((None, steps, units))
    grad_x = ctx.scratch((None, steps, features))

    def forward():
        rows = x.value.shape[0]
        out = y.value.reshape(rows * steps, units)
        xp.matmul(x.value.reshape(rows * steps, features), W.value, out=out)
        out += b.value
        if activation == "tanh":
            xp.tanh(out, out=out)
        elif activation == "sigmoid":
            out *= 0.5
            xp.tanh(out, out=out)
            out *= 0.5
            out += 0.5
        elif activation == "relu":
            xp.maximum(out, 0, out=out)

    def backward():
        rows = x.value.shape[0]
        out, grad = y.value.reshape(rows * steps, units), work[:rows].reshape(rows * steps,
                                                                                units)
        if activation == "tanh":
            xp.multiply(out, out, out=grad)
            xp.subtract(1, grad, out=grad)
        elif activation == "sigmoid":
            xp.subtract(1, out, out=grad)
            grad *= out
        elif activation == "relu":
            xp.greater(out, 0, out=grad)
        else:
            grad.fill(1)
        grad *= y.grad.reshape(rows * steps, units)
        xs = x.value.reshape(rows * steps, features)
        xp.matmul(xs.T, grad, out=W.grad)
        xp.sum(grad, axis=0, out=b.grad)
        if x.grad is not None:
            into = x.grad if x.grad_overwrite else grad_x[:rows]  # its only reader: write whole
            xp.matmul(grad, W.value.T, out=into.reshape(rows * steps, features))
            if not x.grad_overwrite:
                x.grad += into

    return Step(forward, backward, overwrites=("x",))


# -- the last step ----------------------------------------------------------------------------
def infer_last_shapes(params, in_shapes):
    shape = _sequence(in_shapes["x"])
    return {"y": None if shape is None else (shape[0], shape[2])}, {}


LAST_SPEC = NodeSpec(
    type_id="recurrent.last_step", title="Last step", category="Recurrent",
    doc="The last time step of a sequence, as a plain tensor (batch, features).",
    inputs=(PortSpec("x", PortKind.SEQUENCE, "Sequence (batch, time, features)."),),
    outputs=(PortSpec("y", PortKind.TENSOR, "x[:, -1] (batch, features)."),),
    infer_shapes=infer_last_shapes,
    formula="y = x_T",
)


def build_last(ctx):
    x, y = ctx.input("x"), ctx.output("y")

    def forward():
        y.value[...] = x.value[:, -1]

    def backward():
        if x.grad is not None:
            x.grad[:, -1] += y.grad

    return Step(forward, backward)


# -- losses -----------------------------------------------------------------------------------
def infer_loss_shapes(params, in_shapes):
    pred, target = _sequence(in_shapes["pred"], "pred"), _sequence(in_shapes["target"],
                                                                    "target")
    if pred is not None and target is not None:
        if pred[2] != target[2]:
            raise ShapeError(f"prediction {pred} and target {target} have different shapes.")
        if None not in (pred[1], target[1]) and pred[1] != target[1]:
            raise ShapeError(f"prediction and target have different time axes ({pred[1]} and "
                             f"{target[1]} steps); feed both from the same sequence.")
    return {"loss": (1,)}, {}


LOSS_INPUTS = (PortSpec("pred", PortKind.SEQUENCE, "Network output per step."),
               PortSpec("target", PortKind.SEQUENCE, "Desired output per step."))
LOSS_OUTPUTS = (PortSpec("loss", PortKind.LOSS, "Per-step losses summed over time, mean "
                         "over the batch."),)
SIGNAL_VIEW = View(ViewKind.LATTICE, "Prediction vs target", ("signal/{node}",),
                   y=Axis("value"), x=Axis("time step"), classes=("prediction", "target"),
                   doc="The first sequence of the last batch: prediction (first colour) and "
                       "target (second colour).")
TEXT_VIEW = View(ViewKind.TEXT, "Text samples", ("text/{node}", "sample/{node}"), x=Axis(""),
                 doc="A window of the data with the model's guess of each next token, and "
                     "text the model generates from a seed window (sampled, temperature 0.8).")


MSE_SPEC = NodeSpec(
    type_id="recurrent.seq_mse", title="Sequence MSE", category="Losses",
    doc="Q = sum over steps of 1/2 sum (pred - target)^2, mean over the batch (MSE for "
        "signals). Accuracy: the share of steps whose outputs are all within 0.5.",
    inputs=LOSS_INPUTS, outputs=LOSS_OUTPUTS, params=(REPORT_ACCURACY,),
    infer_shapes=infer_loss_shapes,
    views=(ERROR_HISTORY, ACCURACY, SIGNAL_VIEW), formula="Q = Σₖ ½‖yₖ − y′ₖ‖²")


def build_mse(ctx):
    xp = ctx.xp
    pred, target = ctx.input("pred"), ctx.input("target")
    loss, accuracy = loss_outputs(ctx, prediction=False)
    diff = ctx.scratch(pred.storage.shape)
    _, steps, _ = pred.storage.shape

    def forward():
        rows = pred.value.shape[0]
        d = diff[:rows]
        xp.subtract(pred.value, target.value, out=d)
        loss.value[0] = 0.5 * xp.vdot(d, d) / rows
        accuracy.value[0] = xp.mean(xp.abs(d).max(axis=2) < 0.5)

    def backward():
        rows = pred.value.shape[0]
        scale = loss.grad[0] / rows
        if pred.grad is not None:
            pred.grad += diff[:rows] * scale
        if target.grad is not None:
            target.grad -= diff[:rows] * scale

    def monitor(phase):
        times = np.arange(steps)
        p = ctx.backend.to_host(pred.value[0, :, 0])
        t = ctx.backend.to_host(target.value[0, :, 0])
        return [curves(f"signal/{ctx.node_id}", phase.step, times, p, t)]

    ctx.monitor(monitor, every="step", min_interval_s=MONITOR_INTERVAL_S)
    return Step(forward, backward)


CE_SPEC = NodeSpec(
    type_id="recurrent.seq_cross_entropy", title="Sequence cross-entropy", category="Losses",
    doc="Softmax cross-entropy at every step, summed over time, mean over the batch (for "
        "token sequences). pred are logits; target one-hot rows. Accuracy: the share of steps "
        "whose largest logit is the target token.",
    inputs=LOSS_INPUTS, outputs=LOSS_OUTPUTS, params=(REPORT_ACCURACY,),
    infer_shapes=infer_loss_shapes,
    views=(ERROR_HISTORY, ACCURACY, TEXT_VIEW), formula="Q = −Σₖ Σ y′ₖ·log softmax(zₖ)")


def build_cross_entropy(ctx):
    xp = ctx.xp
    pred, target = ctx.input("pred"), ctx.input("target")
    loss, accuracy = loss_outputs(ctx, prediction=False)
    probs = ctx.scratch(pred.storage.shape)

    def forward():
        rows = pred.value.shape[0]
        logits, t, p = pred.value, target.value, probs[:rows]
        top = logits.max(axis=2, keepdims=True)
        xp.subtract(logits, top, out=p)
        log_total = xp.log(xp.exp(p).sum(axis=2, keepdims=True))
        # -sum t log softmax = sum t (log_total - (z - max))
        loss.value[0] = (xp.vdot(t.sum(axis=2, keepdims=True), log_total)
                         - xp.vdot(t, p)) / rows
        xp.exp(p, out=p)
        p /= p.sum(axis=2, keepdims=True)
        accuracy.value[0] = xp.mean(logits.argmax(axis=2) == t.argmax(axis=2))

    def backward():
        if pred.grad is None:
            return
        rows = pred.value.shape[0]
        t = target.value
        grad = probs[:rows] * t.sum(axis=2, keepdims=True) - t
        grad *= loss.grad[0] / rows
        pred.grad += grad

    def monitor(phase):
        vocabulary = ctx.program.extras.get("vocabulary")
        if vocabulary is None or len(vocabulary) != pred.value.shape[2]:
            return []
        wanted = ctx.backend.to_host(target.value[0].argmax(axis=1))
        guessed = ctx.backend.to_host(pred.value[0].argmax(axis=1))
        sep = " " if max(len(v) for v in vocabulary) > 1 else ""
        text = (f"target: {sep.join(vocabulary[i] for i in wanted)}\n"
                f"guess:  {sep.join(vocabulary[i] for i in guessed)}")
        return [Text(f"text/{ctx.node_id}", phase.step, text)]

    ctx.monitor(monitor, every="step", min_interval_s=MONITOR_INTERVAL_S)
    sampler = text_sampler(ctx, pred)
    if sampler is not None:
        ctx.monitor(sampler, every="step", min_interval_s=SAMPLE_INTERVAL_S)
    return Step(forward, backward)


NODES = [(DENSE_SPEC, build_dense), (LAST_SPEC, build_last), (MSE_SPEC, build_mse),
         (CE_SPEC, build_cross_entropy)]
