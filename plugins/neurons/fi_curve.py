"""f-I curve of the Hodgkin-Huxley neuron by a sweep of step currents.

Every current of a grid drives its own neuron from rest for `duration` ms (all neurons side by
side in one batch); the rate is the spike count over the last `window` ms. A neuron fires
repetitively when it spikes at least twice in the window. The onset is the lowest grid current
from which every higher current fires repetitively; with `refine` a second pass puts a finer
grid between the onset and the current below it. The HH neuron is type II: below the onset it
fires once or not at all, at the onset the rate jumps to a clearly non-zero value.
"""

from __future__ import annotations

import numpy as np

from engines.events import FinishReason, Points, Scalar, Stop
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType
from graph.views import Axis, View, ViewKind
from plugins.neurons import hh_model
from plugins.neurons.clock import check_positive, dt_param
from plugins.neurons.hodgkin import INTEGRATORS

MIN_SPIKES = 2  # spikes in the window that count as repetitive firing


def onset_current(currents: np.ndarray, rates: np.ndarray, window_ms: float) -> float | None:
    """Lowest current from which every higher one fires repetitively (None if the top does
    not fire)."""
    order = np.argsort(currents)
    currents, rates = np.asarray(currents)[order], np.asarray(rates)[order]
    repetitive = rates * window_ms / 1000.0 >= MIN_SPIKES - 1e-9
    if not repetitive[-1]:
        return None
    below = np.flatnonzero(~repetitive)
    first = below[-1] + 1 if len(below) else 0
    return float(currents[first])


class Sweep:
    """All currents of one grid integrated side by side, one tick per call."""

    def __init__(self, xp, currents, duration_ms, window_ms, dt, method, step_ms, tolerance,
                 dtype):
        self.xp, self.dt = xp, dt
        self.currents_host = np.asarray(currents, dtype=np.float64)
        self.current = xp.asarray(self.currents_host.astype(dtype))
        self.ticks = max(1, round(duration_ms / dt))
        self.window_start = duration_ms - window_ms
        self.window_ms = window_ms
        self.state = hh_model.resting_state(xp, len(currents), dtype)
        self.integrator = hh_model.Integrator(xp, len(currents), dtype, method, step_ms,
                                              tolerance, tolerance)
        self.spikes = xp.zeros(len(currents), dtype=dtype)
        self.tick = 0

    def advance(self) -> None:
        t0 = self.tick * self.dt
        crossings = self.integrator.advance(self.state, self.current, t0, self.dt)
        if t0 >= self.window_start - 1e-9:
            self.spikes += crossings.count
        self.tick += 1

    @property
    def done(self) -> bool:
        return self.tick >= self.ticks

    def rates(self) -> np.ndarray:
        """Firing rate (Hz) of each current over the window."""
        spikes = self.spikes.get() if hasattr(self.spikes, "get") else self.spikes  # cupy
        counts = np.asarray(spikes, dtype=np.float64)
        return counts / (self.window_ms / 1000.0)


def run_sweep(xp, currents, duration_ms=500.0, window_ms=200.0, dt=0.5, method="rk4",
              step_ms=0.025, tolerance=1e-6, dtype=np.float64) -> np.ndarray:
    """Rates (Hz) for each current, integrated to the end (scripts and tests)."""
    sweep = Sweep(xp, currents, duration_ms, window_ms, dt, method, step_ms, tolerance, dtype)
    while not sweep.done:
        sweep.advance()
    return sweep.rates()


def refined_grid(currents, rates, window_ms, points: int) -> np.ndarray | None:
    """`points` currents strictly between the onset and the grid current below it."""
    onset = onset_current(currents, rates, window_ms)
    lower = np.sort(np.asarray(currents))
    lower = lower[lower < onset] if onset is not None else lower[:0]
    if onset is None or len(lower) == 0:
        return None
    return np.linspace(lower[-1], onset, points + 2)[1:-1]


SPEC = NodeSpec(
    type_id="neurons.fi_curve", title="f-I curve (HH)", category="Neurons",
    doc="Sweeps step currents into Hodgkin-Huxley neurons from rest and plots the firing rate "
        "over the last 'window' ms of each 'duration' ms step; reports the onset current of "
        "repetitive firing (about 6.3 uA/cm^2 at 6.3 C). One epoch is one pass over a grid.",
    params=(
        ParamSpec("i_min", ParamType.FLOAT, 0.0, "Lowest current (uA/cm^2).",
                  range=(-100.0, 1000.0)),
        ParamSpec("i_max", ParamType.FLOAT, 20.0, "Highest current (uA/cm^2).",
                  range=(-100.0, 1000.0)),
        ParamSpec("currents", ParamType.INT, 41, "Currents per pass.", range=(2, 10000)),
        ParamSpec("refine", ParamType.BOOL, True, "A second pass with a fine grid around the "
                  "onset."),
        ParamSpec("duration", ParamType.FLOAT, 500.0, "Length of each step (ms).",
                  range=(1.0, 1e6)),
        ParamSpec("window", ParamType.FLOAT, 200.0, "Rate measured over the last ms.",
                  range=(1.0, 1e6)),
        ParamSpec("integrator", ParamType.CHOICE, "rk4", "As on the HH neuron.",
                  choices=INTEGRATORS),
        ParamSpec("step", ParamType.FLOAT, 0.025, "RK4 step (ms).", range=(1e-5, 10.0)),
        ParamSpec("tolerance", ParamType.FLOAT, 1e-6, "Adaptive tolerance.",
                  range=(1e-12, 1e-2)),
        dt_param(0.5),
    ),
    infer_shapes=lambda params, in_shapes: ({}, {}), differentiable=False,
    views=(
        View(ViewKind.SCATTER, "f-I curve", ("fi/{node}",), y=Axis("rate", "Hz"),
             x=Axis("current", "uA/cm^2")),
        View(ViewKind.CURVES, "Onset current", ("fi/{node}/onset",),
             y=Axis("onset", "uA/cm^2")),
    ),
)


def build(ctx):
    p, xp = ctx.params, ctx.xp
    check_positive(ctx, "dt", "step", "duration", "window", "tolerance")
    if p["window"] > p["duration"]:
        raise ctx.error(f"{ctx.label}: the rate window ({p['window']:g} ms) is longer than the "
                        f"step ({p['duration']:g} ms); make 'window' shorter.")
    if p["i_max"] <= p["i_min"]:
        raise ctx.error(f"{ctx.label}: 'i_max' must be above 'i_min'.")
    step_ms = min(p["step"], p["dt"])
    problem = hh_model.check_step(p["integrator"], step_ms)
    if problem:
        raise ctx.error(f"{ctx.label}: {problem}. Lower 'step' or choose adaptive.")

    def new_sweep(currents):
        return Sweep(xp, currents, p["duration"], p["window"], p["dt"], p["integrator"],
                     step_ms, p["tolerance"], ctx.dtype)

    run = {"sweep": new_sweep(np.linspace(p["i_min"], p["i_max"], p["currents"])),
           "currents": np.zeros(0), "rates": np.zeros(0), "onset": None, "passes": 0,
           "done": False}

    def forward():
        if not run["sweep"].done:
            run["sweep"].advance()

    def end_epoch(epoch):
        sweep = run["sweep"]
        if not sweep.done or run["done"]:
            return
        run["currents"] = np.concatenate([run["currents"], sweep.currents_host])
        run["rates"] = np.concatenate([run["rates"], sweep.rates()])
        run["onset"] = onset_current(run["currents"], run["rates"], p["window"])
        run["passes"] += 1
        finer = refined_grid(run["currents"], run["rates"], p["window"], p["currents"])
        if p["refine"] and run["passes"] == 1 and finer is not None:
            run["sweep"] = new_sweep(finer)
        else:
            run["done"] = True

    def report(phase):
        if not len(run["currents"]):
            return []
        order = np.argsort(run["currents"])
        xy = np.stack([run["currents"][order], run["rates"][order]], axis=1)
        events = [Points(f"fi/{ctx.node_id}", phase.step, xy)]
        if run["onset"] is not None:
            events.append(Scalar(f"fi/{ctx.node_id}/onset", phase.step, run["onset"]))
        return events

    def stop_rule(history):
        if not run["done"]:
            return None
        if run["onset"] is None:
            return Stop(FinishReason.CONVERGED, f"{ctx.label} found no repetitive firing up to "
                        f"{p['i_max']:g} uA/cm^2.")
        return Stop(FinishReason.CONVERGED, f"{ctx.label}: onset of repetitive firing at "
                    f"{run['onset']:.3f} uA/cm^2.")

    ctx.program.extras.setdefault("fi_curves", {})[ctx.node_id] = run
    ctx.simulation_steps(round(p["duration"] / p["dt"]))
    ctx.monitor(report, every="epoch")
    ctx.stop_rule(stop_rule)
    return Step(forward, end_epoch=end_epoch)


NODES = [(SPEC, build)]
