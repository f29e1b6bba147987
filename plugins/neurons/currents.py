"""Injected-current sources for neuron models: step, pulse train, ramp and noise (uA/cm^2).

Each outputs a (1, 1) current per tick, held constant over the tick (sampled at its start,
t = step * dt), which is exact for steps and pulses whose edges lie on the tick grid.
"""

from __future__ import annotations

import math

import numpy as np

from engines.events import Trace
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec
from graph.views import Axis, View, ViewKind
from plugins.neurons.clock import check_positive, dt_param
from plugins.neurons.recording import TickRecorder

CATEGORY = "Neurons"
_OUT = (PortSpec("i", PortKind.TENSOR, "Injected current (1, 1), uA/cm^2."),)
_VIEW = (View(ViewKind.TRACES, "Injected current", ("current/{node}",),
              y=Axis("I", "uA/cm^2"), x=Axis("time", "ms")),)


def _shapes(params, in_shapes):
    return {"i": (1, 1)}, {}


def _amplitude(default=10.0):
    return ParamSpec("amplitude", ParamType.FLOAT, default, "Current while on (uA/cm^2).",
                     range=(-1000.0, 1000.0), live=True)


def _ms(name, default, doc, low=0.0):
    return ParamSpec(name, ParamType.FLOAT, default, doc, range=(low, 1e7))


def step_value(p, t):
    on = p["start"] <= t < p["start"] + p["duration"]
    return p["amplitude"] if on else p["baseline"]


def pulse_value(p, t):
    local = t - p["start"]
    if local < 0 or local >= p["duration"]:
        return p["baseline"]
    return p["amplitude"] if local % p["period"] < p["width"] else p["baseline"]


def ramp_value(p, t):
    if t < p["start"]:
        return p["baseline"]
    progress = min(1.0, (t - p["start"]) / p["duration"])
    return p["baseline"] + progress * (p["amplitude"] - p["baseline"])


def _window():
    return (_ms("start", 10.0, "When the current switches on (ms)."),
            _ms("duration", 1e6, "How long it stays on (ms).", low=1e-6))


STEP_SPEC = NodeSpec(
    type_id="neurons.step_current", title="Step current", category=CATEGORY,
    doc="A current step: 'amplitude' from 'start' for 'duration' ms, 'baseline' otherwise.",
    outputs=_OUT, infer_shapes=_shapes, differentiable=False, views=_VIEW,
    params=(_amplitude(), *_window(),
            ParamSpec("baseline", ParamType.FLOAT, 0.0, "Current while off.", live=True),
            dt_param()))

PULSE_SPEC = NodeSpec(
    type_id="neurons.pulse_train", title="Pulse train", category=CATEGORY,
    doc="Rectangular pulses of 'width' ms every 'period' ms, from 'start' for 'duration' ms.",
    outputs=_OUT, infer_shapes=_shapes, differentiable=False, views=_VIEW,
    params=(_amplitude(20.0), *_window(),
            _ms("period", 20.0, "Pulse period (ms).", low=1e-6),
            _ms("width", 1.0, "Pulse width (ms).", low=1e-6),
            ParamSpec("baseline", ParamType.FLOAT, 0.0, "Current between pulses.", live=True),
            dt_param()))

RAMP_SPEC = NodeSpec(
    type_id="neurons.ramp_current", title="Ramp current", category=CATEGORY,
    doc="A linear ramp from 'baseline' at 'start' to 'amplitude' after 'duration' ms, then "
        "held.",
    outputs=_OUT, infer_shapes=_shapes, differentiable=False, views=_VIEW,
    params=(_amplitude(15.0), _ms("start", 10.0, "When the ramp begins (ms)."),
            _ms("duration", 200.0, "Ramp length (ms).", low=1e-6),
            ParamSpec("baseline", ParamType.FLOAT, 0.0, "Current before the ramp.", live=True),
            dt_param()))

NOISE_SPEC = NodeSpec(
    type_id="neurons.noise_current", title="Noise current", category=CATEGORY,
    doc="Ornstein-Uhlenbeck current: mean 'mean', standard deviation 'sigma', correlation "
        "time 'tau' ms (updated exactly each tick, seeded).",
    outputs=_OUT, infer_shapes=_shapes, differentiable=False, views=_VIEW, stochastic=True,
    params=(ParamSpec("mean", ParamType.FLOAT, 5.0, "Mean current.", live=True),
            ParamSpec("sigma", ParamType.FLOAT, 2.0, "Standard deviation.", range=(0.0, 1e4),
                      live=True),
            _ms("tau", 2.0, "Correlation time (ms).", low=1e-6),
            dt_param()))


def _build_deterministic(value_at):
    def build(ctx):
        check_positive(ctx, "dt")
        out = ctx.output("i", (1, 1), batched=False)
        live, phase, dt = ctx.params, ctx.phase, ctx.params["dt"]
        recorder = TickRecorder(ctx.xp, ctx.backend, 1, ctx.dtype)

        def forward():
            # a hair past the tick's start, so an edge on the grid is not lost to rounding
            out.value.fill(value_at(live, (phase.step + 1e-6) * dt))
            recorder.record(phase.step, out.value[0])

        ctx.monitor(_report(ctx, recorder), every="step", min_interval_s=0.1)
        return Step(forward)
    return build


def _report(ctx, recorder):
    node_id, dt = ctx.node_id, ctx.params["dt"]

    def emit(phase):
        ticks, values = recorder.drain()
        if not len(ticks):
            return []
        return [Trace(f"current/{node_id}", ticks * dt, values[:, 0])]
    return emit


def build_noise(ctx):
    check_positive(ctx, "dt", "tau")
    out = ctx.output("i", (1, 1), batched=False)
    live, dt, phase = ctx.params, ctx.params["dt"], ctx.phase
    rng = np.random.default_rng(int(ctx.rng.integers(2**31)))
    decay = math.exp(-dt / live["tau"])
    state = {"x": 0.0}  # deviation from the mean, started at 0
    recorder = TickRecorder(ctx.xp, ctx.backend, 1, ctx.dtype)

    def forward():
        kick = live["sigma"] * math.sqrt(1.0 - decay * decay) * rng.standard_normal()
        state["x"] = decay * state["x"] + kick
        out.value.fill(live["mean"] + state["x"])
        recorder.record(phase.step, out.value[0])

    ctx.monitor(_report(ctx, recorder), every="step", min_interval_s=0.1)
    return Step(forward)


NODES = [(STEP_SPEC, _build_deterministic(step_value)),
         (PULSE_SPEC, _build_deterministic(pulse_value)),
         (RAMP_SPEC, _build_deterministic(ramp_value)),
         (NOISE_SPEC, build_noise)]
