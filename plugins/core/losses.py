"""Loss nodes: each takes a prediction and a target and gives a scalar LOSS."""

from __future__ import annotations

from engines.program import Step
from graph.spec import NodeSpec, PortKind, PortSpec, ShapeError


def infer_loss_shapes(params, in_shapes):
    pred, target = in_shapes["pred"], in_shapes["target"]
    if tuple(pred[1:]) != tuple(target[1:]):
        raise ShapeError(f"prediction {pred} and target {target} have different shapes.")
    return {"loss": (1,)}, {}


_INPUTS = (PortSpec("pred", PortKind.TENSOR, "Network output."),
           PortSpec("target", PortKind.TENSOR, "Desired output."))
_OUTPUTS = (PortSpec("loss", PortKind.LOSS, "Mean loss over the batch."),)

MSE_SPEC = NodeSpec(
    type_id="core.mse", title="MSE loss", category="Losses",
    doc="Mean squared error E = 1/(2n) sum (pred - target)^2 over the batch.",
    inputs=_INPUTS, outputs=_OUTPUTS, infer_shapes=infer_loss_shapes)


def build_mse(ctx):
    xp = ctx.xp
    pred, target = ctx.input("pred"), ctx.input("target")
    loss = ctx.output("loss", (1,), batched=False)
    accuracy = ctx.output("accuracy", (1,), batched=False)
    diff = ctx.scratch(pred.storage.shape)
    ctx.loss(loss)
    ctx.metric("loss", loss)
    ctx.metric("accuracy", accuracy)

    def forward():
        rows = pred.value.shape[0]
        d = diff[:rows]
        xp.subtract(pred.value, target.value, out=d)
        loss.value[0] = 0.5 * xp.vdot(d, d) / rows
        # a sample counts as right when every output is within 0.5 of its target
        accuracy.value[0] = xp.mean(xp.abs(d).max(axis=1) < 0.5)

    def backward():
        if pred.grad is not None:
            rows = pred.value.shape[0]
            pred.grad += diff[:rows] * (loss.grad[0] / rows)

    return Step(forward, backward)


NODES = [(MSE_SPEC, build_mse)]
