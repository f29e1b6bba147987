"""Optimizer nodes: each takes a LOSS and updates every trainable parameter upstream of it."""

from __future__ import annotations

from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec

_LOSS_IN = (PortSpec("loss", PortKind.LOSS, "The loss to minimise."),)

SGD_SPEC = NodeSpec(
    type_id="core.sgd", title="SGD", category="Optimizers",
    doc="Gradient descent with momentum and L2 weight decay: "
        "dW = -lr (grad + decay W) + momentum dW_prev.",
    inputs=_LOSS_IN,
    params=(
        ParamSpec("lr", ParamType.FLOAT, 0.1, "Learning rate.", range=(0.0, 1e3), live=True),
        ParamSpec("momentum", ParamType.FLOAT, 0.0, "Momentum.", range=(0.0, 1.0), live=True),
        ParamSpec("weight_decay", ParamType.FLOAT, 0.0, "L2 factor.", range=(0.0, 10.0),
                  live=True),
    ),
    tags=frozenset({"optimizer"}),
)


def build_sgd(ctx):
    xp = ctx.xp
    params = ctx.trainable_upstream("loss")
    velocity = [xp.zeros_like(p.value) for p in params]
    live = ctx.params

    def update():
        lr, mu, decay = live["lr"], live["momentum"], live["weight_decay"]
        for p, v in zip(params, velocity):
            v *= mu
            v -= lr * p.grad
            if decay:
                v -= (lr * decay) * p.value
            p.value += v

    return Step(update=update)


NODES = [(SGD_SPEC, build_sgd)]
