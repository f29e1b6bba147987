"""Spike-train inputs for spiking networks: Poisson trains and explicit spike times.

Both emit a (1, count) 0/1 SPIKES row per tick. A spike in step k carries the time
(k + 1) * dt, the end of the tick, as LIF spikes do; an explicit spike at T ms is emitted in
the step whose end is nearest to T.
"""

from __future__ import annotations

import numpy as np

from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from plugins.energy.kernels import fill_uniform
from plugins.neurons.clock import check_positive, dt_param

CATEGORY = "Neurons"
_OUT = (PortSpec("spikes", PortKind.SPIKES, "1 where a source fired this tick, (1, count)."),)


def _count_shapes(params, in_shapes):
    return {"spikes": (1, params["count"])}, {}


POISSON_SPEC = NodeSpec(
    type_id="neurons.poisson", title="Poisson spikes", category=CATEGORY,
    doc="Independent Poisson spike trains: each source fires in a tick with probability "
        "rate * dt (seeded).",
    outputs=_OUT, infer_shapes=_count_shapes, differentiable=False, stochastic=True,
    params=(ParamSpec("count", ParamType.INT, 100, "Sources.", range=(1, 10**7)),
            ParamSpec("rate", ParamType.FLOAT, 20.0, "Mean rate of each source (Hz).",
                      range=(0.0, 1e5), live=True),
            dt_param()),
)


def build_poisson(ctx):
    xp, live, dt = ctx.xp, ctx.params, ctx.params["dt"]
    check_positive(ctx, "dt")
    count = live["count"]
    out = ctx.output("spikes", (1, count), batched=False)
    uniform = ctx.scratch((1, count))
    rng = np.random.default_rng(int(ctx.rng.integers(2**31)))

    def forward():
        fill_uniform(xp, rng, uniform)
        xp.less(uniform, live["rate"] * dt / 1000.0, out=out.value, casting="unsafe")

    return Step(forward)


def train_shapes(params, in_shapes):
    times, neurons = params["times"], params["neurons"]
    if len(times) != len(neurons):
        raise ShapeError(f"lists {len(times)} spike times but {len(neurons)} neuron indices; "
                         "give one neuron per time.")
    if any(n < 0 or n >= params["count"] for n in neurons):
        raise ShapeError(f"has a neuron index outside 0..{params['count'] - 1}.")
    return _count_shapes(params, in_shapes)


TRAIN_SPEC = NodeSpec(
    type_id="neurons.spike_train", title="Spike times", category=CATEGORY,
    doc="Explicit spike trains: source neurons[k] fires at times[k] ms.",
    outputs=_OUT, infer_shapes=train_shapes, differentiable=False,
    params=(ParamSpec("count", ParamType.INT, 1, "Sources.", range=(1, 10**7)),
            ParamSpec("times", ParamType.FLOATS, [10.0, 30.0], "Spike times (ms).",
                      range=(0.0, 1e9)),
            ParamSpec("neurons", ParamType.INTS, [0, 0], "Which source fires at each time.",
                      range=(0, 10**7)),
            dt_param()),
)


def build_train(ctx):
    live, dt = ctx.params, ctx.params["dt"]
    check_positive(ctx, "dt")
    out = ctx.output("spikes", (1, live["count"]), batched=False)
    steps = np.maximum(np.rint(np.asarray(live["times"], dtype=np.float64) / dt) - 1, 0)
    schedule: dict[int, list[int]] = {}
    for step, neuron in zip(steps.astype(np.int64).tolist(), live["neurons"]):
        schedule.setdefault(step, []).append(neuron)
    phase = ctx.phase
    lit: list = []

    def forward():
        if lit:
            out.value[0, lit] = 0
            lit.clear()
        firing = schedule.get(phase.step)
        if firing:
            out.value[0, firing] = 1
            lit.extend(firing)

    return Step(forward)


NODES = [(POISSON_SPEC, build_poisson), (TRAIN_SPEC, build_train)]
