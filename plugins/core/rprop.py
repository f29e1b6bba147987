"""rProp: resilient backpropagation, a per-weight step size driven by gradient signs only."""

from __future__ import annotations

import dataclasses

from engines.program import Step
from graph.spec import Batching, ParamSpec, ParamType
from plugins.core.optimizers import _groups, _spec

RPROP_SPEC = _spec(
    "rprop", "rProp",
    "Each weight has its own step size eta, x increase while its gradient keeps its sign, "
    "x decrease when it flips, limited to [step_min, step_max]; W -= eta sign(grad). Trains "
    "on the whole training split each step (full batch); no momentum or decay.",
    [ParamSpec("lr", ParamType.FLOAT, 0.01, "Initial step size eta_0 of every weight.",
               range=(0.0, 1e3)),
     ParamSpec("increase", ParamType.FLOAT, 1.2, "Factor a while the sign holds.",
               range=(1.0, 10.0), live=True),
     ParamSpec("decrease", ParamType.FLOAT, 0.5, "Factor b when the sign flips.",
               range=(0.0, 1.0), live=True),
     ParamSpec("step_min", ParamType.FLOAT, 1e-6, "Smallest step size.", range=(0.0, 1e3),
               live=True),
     ParamSpec("step_max", ParamType.FLOAT, 50.0, "Largest step size.", range=(0.0, 1e6),
               live=True)])
RPROP_SPEC = dataclasses.replace(RPROP_SPEC, batching=Batching.FULL_BATCH)


def build_rprop(ctx):
    xp, live = ctx.xp, ctx.params
    groups = _groups(ctx, states=3)  # work, eta, previous grad, candidate
    masks = [(xp.zeros(g[0].shape, dtype=bool), xp.zeros(g[0].shape, dtype=bool))
             for g in groups]
    for group in groups:
        group[3].fill(ctx.params["lr"])

    def update():
        for (value, grad, work, eta, previous, candidate), (kept, flipped) in zip(groups,
                                                                                  masks):
            xp.multiply(grad, previous, out=work)
            xp.greater(work, 0, out=kept)
            xp.less(work, 0, out=flipped)
            xp.multiply(eta, live["increase"], out=candidate)
            xp.minimum(candidate, live["step_max"], out=candidate)
            xp.copyto(eta, candidate, where=kept)
            xp.multiply(eta, live["decrease"], out=candidate)
            xp.maximum(candidate, live["step_min"], out=candidate)
            xp.copyto(eta, candidate, where=flipped)
            xp.copyto(previous, grad)
            xp.sign(grad, out=work)
            work *= eta
            value -= work

    return Step(update=update)


NODES = [(RPROP_SPEC, build_rprop)]
