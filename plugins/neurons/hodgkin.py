"""Hodgkin-Huxley neuron node: V, n, m, h integrated live under an injected current.

One program step is one tick of `dt` ms; inside it the node takes fixed RK4 steps of `step` ms
(or adaptive Dormand-Prince steps to a tolerance) with the input current held constant.
Spikes are upward crossings of 50 mV, timed by linear interpolation between steps.
"""

from __future__ import annotations

import numpy as np

from engines.events import Raster, Trace
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind
from plugins.neurons import hh_model
from plugins.neurons.clock import check_positive, check_source_dt, dt_param
from plugins.neurons.recording import TickRecorder

TRACED_NEURONS = 4  # membrane traces shown for the first few neurons
RASTER_NEURONS = 500
GATES = ("n", "m", "h")
INTEGRATORS = ("rk4", "adaptive")


def infer_shapes(params, in_shapes):
    count = params["count"]
    current = in_shapes.get("i")
    if current is not None and (len(current) != 2 or current[-1] not in (1, count)):
        raise ShapeError(f"takes a current of shape (1, 1) or (1, {count}) on 'i'; it "
                         f"receives {current}.")
    return {"v": (1, count), "spikes": (1, count)}, {}


SPEC = NodeSpec(
    type_id="neurons.hodgkin_huxley", title="Hodgkin-Huxley neuron", category="Neurons",
    doc="The 1952 squid-axon model with standard constants (rest = 0 mV): C dV/dt = I - "
        "g_K n^4 (V - E_K) - g_Na m^3 h (V - E_Na) - g_L (V - E_L); gates n, m, h. Integrated "
        "by fixed-step RK4 or adaptive Dormand-Prince 5(4); spikes are crossings of 50 mV.",
    inputs=(PortSpec("i", PortKind.TENSOR, "Injected current (uA/cm^2), (1, 1) or one per "
                     "neuron.", optional=True),),
    outputs=(PortSpec("v", PortKind.TENSOR, "Membrane potential (mV), (1, count)."),
             PortSpec("spikes", PortKind.SPIKES, "1 where a neuron spiked this tick.")),
    params=(
        ParamSpec("count", ParamType.INT, 1, "Identical neurons simulated side by side.",
                  range=(1, 100000)),
        ParamSpec("bias", ParamType.FLOAT, 0.0, "Constant current added to the input "
                  "(uA/cm^2).", range=(-1000.0, 1000.0), live=True),
        ParamSpec("integrator", ParamType.CHOICE, "rk4", "Fixed-step RK4 or adaptive "
                  "Dormand-Prince 5(4).", choices=INTEGRATORS),
        ParamSpec("step", ParamType.FLOAT, 0.025, "RK4 step (ms); at most 0.05 ms is stable.",
                  range=(1e-5, 10.0)),
        ParamSpec("tolerance", ParamType.FLOAT, 1e-6, "Adaptive: relative and absolute error "
                  "per step.", range=(1e-12, 1e-2)),
        dt_param(),
    ),
    infer_shapes=infer_shapes, differentiable=False,
    views=(
        View(ViewKind.TRACES, "Membrane potential", ("v/{node}/*",), y=Axis("V", "mV"),
             x=Axis("time", "ms")),
        View(ViewKind.TRACES, "Gates n, m, h", ("gates/{node}/*",), y=Axis("open", "",
             (0.0, 1.0)), x=Axis("time", "ms")),
        View(ViewKind.RASTER, "Spikes", ("spikes/{node}",), y=Axis("neuron"),
             x=Axis("time", "ms")),
    ),
)


def build(ctx):
    xp, live, dt = ctx.xp, ctx.params, ctx.params["dt"]
    check_positive(ctx, "dt", "step", "tolerance")
    check_source_dt(ctx, "i")
    method = live["integrator"]
    step_ms = min(live["step"], dt)
    problem = hh_model.check_step(method, step_ms)
    if problem:
        need = hh_model.substeps_for(dt, hh_model.RK4_MAX_STEP_MS)
        raise ctx.error(f"{ctx.label}: {problem}. Set 'step' to {dt / need:g} ms or less, "
                        "or choose the adaptive integrator.")
    count = live["count"]
    current_in = ctx.input("i")
    v_out = ctx.output("v", (1, count), batched=False)
    spikes_out = ctx.output("spikes", (1, count), batched=False)
    state = hh_model.resting_state(xp, count, ctx.dtype)
    integrator = hh_model.Integrator(xp, count, ctx.dtype, method, step_ms,
                                     live["tolerance"], live["tolerance"])
    current = xp.zeros(count, dtype=ctx.dtype)
    shown = min(count, TRACED_NEURONS)
    raster = min(count, RASTER_NEURONS)
    traces = TickRecorder(xp, ctx.backend, shown + 3, ctx.dtype)
    spike_times = TickRecorder(xp, ctx.backend, raster, ctx.dtype)
    phase = ctx.phase

    def forward():
        if current_in is not None:
            current[...] = current_in.value[0]
        else:
            current.fill(0)
        current[...] += live["bias"]
        tick = phase.step
        crossings = integrator.advance(state, current, tick * dt, dt)
        v_out.value[0] = state[0]
        spikes_out.value[0] = crossings.count > 0
        traces.record(tick, xp.concatenate([state[0, :shown], state[1:, 0]]))
        spike_times.record(tick, crossings.last_time[:raster])

    def report(_phase):
        ticks, values = traces.drain()
        if len(ticks) == 0:
            return []
        times = (ticks + 1) * dt  # the state at the end of each tick
        events = [Trace(f"v/{ctx.node_id}/{k}", times, values[:, k]) for k in range(shown)]
        events += [Trace(f"gates/{ctx.node_id}/{name}", times, values[:, shown + g])
                   for g, name in enumerate(GATES)]
        _, fired = spike_times.drain()
        rows, neurons = np.nonzero(np.isfinite(fired))
        events.append(Raster(f"spikes/{ctx.node_id}", fired[rows, neurons], neurons))
        return events

    ctx.simulation_steps(max(1, round(10.0 / dt)))  # an epoch is 10 ms of model time
    ctx.monitor(report, every="step", min_interval_s=0.05)
    return Step(forward)


NODES = [(SPEC, build)]
