"""Leaky integrate-and-fire population: one node, `count` neurons updated as arrays.

Step k advances the membrane from k dt to (k + 1) dt:

    v <- v_rest + (v - v_rest) e^(-dt/tau) + R I (1 - e^(-dt/tau))     (exact for constant I)
    v <- v + synaptic jumps arriving this tick (mV, from synapse nodes)
    v >= threshold -> spike at (k + 1) dt, v <- v_reset, clamped for `refractory` ms

A refractory neuron stays at v_reset and ignores its inputs.
"""

from __future__ import annotations

import math

import numpy as np

from engines.events import Raster, Scalar, Trace
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind
from plugins.neurons.clock import check_positive, check_source_dt, dt_param
from plugins.neurons.recording import TickRecorder

TRACED_NEURONS = 4
RASTER_NEURONS = 200
SYNAPTIC_PORTS = ("synaptic", "synaptic_2")


def infer_shapes(params, in_shapes):
    count = params["count"]
    for port in SYNAPTIC_PORTS:
        shape = in_shapes.get(port)
        if shape is not None and tuple(shape) != (1, count):
            raise ShapeError(f"has {count} neurons but its '{port}' input delivers to "
                             f"{shape[-1] if shape else '?'}; set the synapses' 'targets' to "
                             f"{count}.")
    current = in_shapes.get("current")
    if current is not None and (len(current) != 2 or current[-1] not in (1, count)):
        raise ShapeError(f"takes a current of shape (1, 1) or (1, {count}); it receives "
                         f"{current}.")
    return {"spikes": (1, count), "v": (1, count)}, {}


SPEC = NodeSpec(
    type_id="neurons.lif", title="LIF population", category="Neurons",
    doc="Leaky integrate-and-fire neurons: membrane time constant tau, threshold, reset and "
        "refractory period; synaptic inputs are voltage jumps (mV) delivered by synapse nodes, "
        "'current' an injected current scaled by the membrane resistance.",
    inputs=(PortSpec("synaptic", PortKind.TENSOR, "Voltage jumps arriving this tick "
                     "(1, count).", optional=True),
            PortSpec("synaptic_2", PortKind.TENSOR, "A second projection (1, count).",
                     optional=True),
            PortSpec("current", PortKind.TENSOR, "Injected current, (1, 1) or (1, count).",
                     optional=True)),
    outputs=(PortSpec("spikes", PortKind.SPIKES, "1 where a neuron fired this tick."),
             PortSpec("v", PortKind.TENSOR, "Membrane potential (mV).")),
    params=(
        ParamSpec("count", ParamType.INT, 100, "Neurons.", range=(1, 10**7)),
        ParamSpec("tau", ParamType.FLOAT, 20.0, "Membrane time constant (ms).",
                  range=(1e-3, 1e6)),
        ParamSpec("v_rest", ParamType.FLOAT, 0.0, "Resting potential (mV).", live=True),
        ParamSpec("v_reset", ParamType.FLOAT, 0.0, "Potential after a spike (mV).", live=True),
        ParamSpec("threshold", ParamType.FLOAT, 20.0, "Spike threshold (mV).", live=True),
        ParamSpec("refractory", ParamType.FLOAT, 2.0, "Refractory period (ms).",
                  range=(0.0, 1e6)),
        ParamSpec("resistance", ParamType.FLOAT, 1.0, "Membrane resistance: mV per unit of "
                  "current.", range=(0.0, 1e6)),
        ParamSpec("bias", ParamType.FLOAT, 0.0, "Constant current added to the input.",
                  live=True),
        ParamSpec("v_init", ParamType.CHOICE, "rest", "Start at rest, or uniformly between "
                  "reset and threshold (seeded).", choices=("rest", "uniform")),
        dt_param(),
    ),
    infer_shapes=infer_shapes, differentiable=False,
    views=(
        View(ViewKind.RASTER, "Spike raster", ("spikes/{node}",), y=Axis("neuron"),
             x=Axis("time", "ms")),
        View(ViewKind.TRACES, "Membrane potential", ("v/{node}/*",), y=Axis("V", "mV"),
             x=Axis("time", "ms")),
        View(ViewKind.CURVES, "Population rate", ("rate/{node}",), y=Axis("rate", "Hz")),
    ),
)


def build(ctx):
    xp, live, dt = ctx.xp, ctx.params, ctx.params["dt"]
    check_positive(ctx, "dt", "tau")
    if live["refractory"] < 0:
        raise ctx.error(f"{ctx.label}: 'refractory' must be 0 or more ms; got "
                        f"{live['refractory']:g}.")
    for port in (*SYNAPTIC_PORTS, "current"):
        check_source_dt(ctx, port)
    count = live["count"]
    synaptic = [buf for buf in (ctx.input(port) for port in SYNAPTIC_PORTS) if buf is not None]
    current_in = ctx.input("current")
    spikes = ctx.output("spikes", (1, count), batched=False)
    v_out = ctx.output("v", (1, count), batched=False)
    decay = math.exp(-dt / live["tau"])
    refractory_ticks = int(round(live["refractory"] / dt))
    v = v_out.value[0]
    refractory_left = ctx.scratch((count,))
    drive = ctx.scratch((count,))
    fired = ctx.scratch((count,), dtype=bool)
    clamped = ctx.scratch((count,), dtype=bool)
    if live["v_init"] == "uniform":
        start = ctx.rng.uniform(live["v_reset"], live["threshold"], count)
        v[...] = xp.asarray(start.astype(ctx.dtype))
    else:
        v.fill(live["v_rest"])
    shown, raster = min(count, TRACED_NEURONS), min(count, RASTER_NEURONS)
    traces = TickRecorder(xp, ctx.backend, shown, ctx.dtype)
    raster_rows = TickRecorder(xp, ctx.backend, raster, ctx.dtype)
    phase = ctx.phase
    totals = {"spikes": xp.zeros((), dtype=np.float64), "ticks": 0}

    def forward():
        steady = live["v_rest"] + live["resistance"] * live["bias"]  # where v relaxes to
        v[...] *= decay
        v[...] += steady * (1.0 - decay)
        if current_in is not None:
            xp.multiply(current_in.value[0], live["resistance"] * (1.0 - decay), out=drive)
            v[...] += drive
        for buf in synaptic:
            v[...] += buf.value[0]
        xp.greater(refractory_left, 0, out=clamped)
        xp.copyto(v, live["v_reset"], where=clamped)
        refractory_left[...] -= clamped
        xp.greater_equal(v, live["threshold"], out=fired)
        xp.logical_not(clamped, out=clamped)  # now: free to fire
        fired[...] &= clamped
        xp.copyto(v, live["v_reset"], where=fired)
        xp.copyto(refractory_left, refractory_ticks, where=fired)
        spikes.value[0] = fired
        totals["spikes"] += fired.sum()
        totals["ticks"] += 1
        tick = phase.step
        traces.record(tick, v[:shown])
        raster_rows.record(tick, fired[:raster])

    def report(_phase):
        ticks, values = traces.drain()
        if not len(ticks):
            return []
        times = (ticks + 1) * dt
        events = [Trace(f"v/{ctx.node_id}/{k}", times, values[:, k]) for k in range(shown)]
        raster_ticks, rows = raster_rows.drain()
        at, neurons = np.nonzero(rows > 0)
        events.append(Raster(f"spikes/{ctx.node_id}", (raster_ticks[at] + 1) * dt, neurons))
        seconds = totals["ticks"] * dt / 1000.0
        rate = float(ctx.backend.to_host(totals["spikes"])) / count / seconds
        events.append(Scalar(f"rate/{ctx.node_id}", _phase.step, rate))
        totals["spikes"].fill(0)
        totals["ticks"] = 0
        return events

    ctx.simulation_steps(max(1, round(100.0 / dt)))  # an epoch is 100 ms of model time
    ctx.monitor(report, every="step", min_interval_s=0.1)
    return Step(forward)


NODES = [(SPEC, build)]
