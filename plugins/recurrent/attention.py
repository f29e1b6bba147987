"""The lecture notes' attention window: o_k = sum_{i=0..2n} a_i h_{k+i-n}, a = softmax(logits).

The 2n + 1 logits are learned, so the weights a_i are positive and sum to 1; steps outside the
sequence count as zeros. One elementwise pass per window position, none per sample.
"""

from __future__ import annotations

import numpy as np

from engines.program import Step
from engines.scan import curves
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind


def infer_shapes(params, in_shapes):
    shape = in_shapes["x"]
    if shape is None:
        return {}, {}
    if len(shape) != 3:
        raise ShapeError(f"needs a (batch, time, features) sequence on 'x'; it receives "
                         f"{shape}.")
    return {"y": shape}, {"logits": (2 * params["window"] + 1,)}


SPEC = NodeSpec(
    type_id="recurrent.attention_window", title="Attention window", category="Recurrent",
    doc="o_k = sum_{i=0..2n} a_i h_{k+i-n} with a = softmax(learned logits), so sum a_i = 1; "
        "zero padding at the sequence edges. 2n + 1 parameters.",
    inputs=(PortSpec("x", PortKind.SEQUENCE, "Sequence h (batch, time, features)."),),
    outputs=(PortSpec("y", PortKind.SEQUENCE, "Weighted window sums o (same shape)."),),
    params=(ParamSpec("window", ParamType.INT, 2, "Half-width n: the window spans 2n + 1 "
                      "steps centred on k.", range=(0, 1000)),),
    infer_shapes=infer_shapes,
    formula="oₖ = Σᵢ aᵢ·hₖ₊ᵢ₋ₙ,  a = softmax(θ)",
    views=(View(ViewKind.LATTICE, "Attention weights", ("attention/{node}",),
                y=Axis("a_i", range=(0.0, 1.0)), x=Axis("offset i - n")),),
)


def _shifts(window: int, steps: int):
    """(i, output slice, input slice) for every window position that overlaps the sequence."""
    found = []
    for i in range(2 * window + 1):
        shift = i - window
        if abs(shift) >= steps:
            continue
        if shift >= 0:
            found.append((i, slice(0, steps - shift), slice(shift, steps)))
        else:
            found.append((i, slice(-shift, steps), slice(0, steps + shift)))
    return found


def build(ctx):
    xp = ctx.xp
    x, y = ctx.input("x"), ctx.output("y")
    window = ctx.params["window"]
    steps = x.storage.shape[1]
    logits = ctx.param("logits", (2 * window + 1,), init="zeros")
    weights = xp.zeros(2 * window + 1, dtype=ctx.dtype)
    grad_weights = xp.zeros(2 * window + 1, dtype=ctx.dtype)
    shifts = _shifts(window, steps)

    def forward():
        z = logits.value - logits.value.max()
        xp.exp(z, out=weights)
        xp.divide(weights, weights.sum(), out=weights)
        out, h = y.value, x.value
        out.fill(0)
        for i, dst, src in shifts:
            out[:, dst] += weights[i] * h[:, src]

    def backward():
        grad, h = y.grad, x.value
        grad_weights.fill(0)
        for i, dst, src in shifts:
            grad_weights[i] = xp.vdot(grad[:, dst], h[:, src])
            if x.grad is not None:
                x.grad[:, src] += weights[i] * grad[:, dst]
        # softmax: dlogit_j = a_j (g_j - sum_i a_i g_i)
        logits.grad[...] = weights * (grad_weights - xp.vdot(weights, grad_weights))

    def monitor(phase):
        return [curves(f"attention/{ctx.node_id}", phase.step, np.arange(-window, window + 1),
                       ctx.backend.to_host(weights))]

    ctx.monitor(monitor, every="step", min_interval_s=1.0)
    return Step(forward, backward)


NODES = [(SPEC, build)]
