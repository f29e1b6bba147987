"""Boltzmann machine (Hinton & Sejnowski): stochastic binary units, symmetric weights,
simulated annealing and the clamped/free-phase learning rule.

E(s) = -sum_{i<j} w_ij s_i s_j + sum_i theta_i s_i over visible and hidden units s in {0, 1};
a unit turns on with P = 1 / (1 + exp(-dE_i / T)), dE_i = sum_j w_ij s_j - theta_i. Each step
anneals two sets of chains from t_start down to t_end (geometric schedule): in the clamped
phase the visible units hold the data rows, in the free phase every unit runs; correlations
sampled at t_end give dw_ij = lr (<s_i s_j>_clamped - <s_i s_j>_free) and
dtheta_i = -lr (<s_i>_clamped - <s_i>_free). Small problems only (the 4-2-4 encoder):
every unit update is one vectorised operation over all chains.
"""

from __future__ import annotations

import numpy as np

from engines.events import Image, Scalar
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from plugins.energy.kernels import tile_images, to_host


def connectivity_mask(n_visible: int, n_hidden: int, kind: str) -> np.ndarray:
    """Which pairs are connected: 'full' all pairs; 'encoder' all but between the two halves
    of the visible units (so information must pass through the hidden units)."""
    n = n_visible + n_hidden
    mask = np.ones((n, n)) - np.eye(n)
    if kind == "encoder":
        half = n_visible // 2
        mask[:half, half:n_visible] = 0
        mask[half:n_visible, :half] = 0
    return mask


def temperatures(t_start: float, t_end: float, steps: int) -> np.ndarray:
    """A geometric annealing schedule of `steps` temperatures from t_start to t_end."""
    if steps <= 1:
        return np.array([t_end])
    return np.geomspace(max(t_start, 1e-6), max(t_end, 1e-6), steps)


class Annealer:
    """Sequential (asynchronous) Gibbs sweeps over chosen units of many chains at once.

    States are kept transposed, (units, chains), so one unit's states are a contiguous row.
    """

    def __init__(self, weights: np.ndarray, thresholds: np.ndarray, rng: np.random.Generator):
        self.weights, self.thresholds, self.rng = weights, thresholds, rng

    def sweep(self, states_t: np.ndarray, units: np.ndarray, temperature: float) -> None:
        chains = states_t.shape[1]
        for i in self.rng.permutation(units):
            gap = self.weights[i] @ states_t - self.thresholds[i]
            probability = 0.5 * np.tanh(0.5 * gap / temperature) + 0.5
            states_t[i] = self.rng.random(chains) < probability

    def anneal(self, states_t, units, schedule, sample_sweeps: int) -> tuple:
        """Anneal, then return (<s s^T>, <s>) averaged over chains and sample sweeps."""
        for temperature in schedule:
            self.sweep(states_t, units, float(temperature))
        n, chains = states_t.shape
        pair, single = np.zeros((n, n)), np.zeros(n)
        for _ in range(sample_sweeps):
            self.sweep(states_t, units, float(schedule[-1]))
            pair += states_t @ states_t.T
            single += states_t.sum(axis=1)
        count = chains * max(sample_sweeps, 1)
        return pair / count, single / count


def infer_shapes(params, in_shapes):
    data = in_shapes["data"]
    if len(data) != 2:
        raise ShapeError(f"needs 2-D (rows, visible) data; it receives {data}.")
    n = data[1] + params["hidden"]
    return {"completion": data}, {"W": (n, n), "theta": (n,)}


SPEC = NodeSpec(
    type_id="energy.boltzmann", title="Boltzmann machine", category="Energy models",
    doc="Fully connected stochastic binary units (visible and hidden) trained by simulated "
        "annealing and the clamped/free-phase rule dw = lr (<ss>_clamped - <ss>_free). "
        "'completion' clamps the first half of each data row and shows the mean of the rest.",
    inputs=(PortSpec("data", PortKind.TENSOR, "Binary training rows of the visible units."),),
    outputs=(PortSpec("completion", PortKind.TENSOR,
                      "Per data row: the clamped half and the mean of the completed half."),),
    params=(
        ParamSpec("hidden", ParamType.INT, 2, "Hidden units.", range=(0, 64)),
        ParamSpec("connectivity", ParamType.CHOICE, "encoder", "full: every pair; encoder: "
                  "no wires between the two visible halves.", choices=("encoder", "full")),
        ParamSpec("lr", ParamType.FLOAT, 1.0, "Learning rate.", range=(0.0, 100.0), live=True),
        ParamSpec("weight_decay", ParamType.FLOAT, 0.0005, "Shrinks weights each step.",
                  range=(0.0, 1.0), live=True),
        ParamSpec("t_start", ParamType.FLOAT, 10.0, "Annealing start temperature.",
                  range=(1e-3, 1e4), live=True),
        ParamSpec("t_end", ParamType.FLOAT, 1.0, "Final temperature (statistics are "
                  "collected here).", range=(1e-3, 1e4), live=True),
        ParamSpec("anneal_steps", ParamType.INT, 8, "Sweeps of the annealing schedule.",
                  range=(1, 1000), live=True),
        ParamSpec("sample_sweeps", ParamType.INT, 10, "Sweeps at t_end that collect "
                  "statistics.", range=(1, 1000), live=True),
        ParamSpec("clamp_noise", ParamType.FLOAT, 0.0, "Noisy clamping (Ackley et al.): a "
                  "clamped 1 reads 0 with this probability, a clamped 0 reads 1 with a third "
                  "of it; keeps weights finite.", range=(0.0, 0.5), live=True),
        ParamSpec("chains", ParamType.INT, 32, "Chains per data row in each phase.",
                  range=(1, 4096)),
        ParamSpec("steps_per_epoch", ParamType.INT, 10, "Learning steps per epoch.",
                  range=(1, 100000)),
    ),
    infer_shapes=infer_shapes,
)


def build(ctx):
    live, backend = ctx.params, ctx.backend
    data = ctx.input("data")
    rows, n_visible = data.storage.shape
    n_hidden = live["hidden"]
    n = n_visible + n_hidden
    mask = connectivity_mask(n_visible, n_hidden, live["connectivity"])
    W = ctx.param("W", (n, n), init="zeros", trainable=False)
    theta = ctx.param("theta", (n,), init="zeros", trainable=False)
    completion = ctx.output("completion", (rows, n_visible), batched=data.batched)
    gap = ctx.output("gap", (1,), batched=False)
    ctx.metric("gap", gap)
    rng = np.random.default_rng(int(ctx.rng.integers(2**31)))
    # the rule runs on host float64 copies (tiny matrices, many small steps)
    start = rng.uniform(-0.1, 0.1, (n, n)) * mask
    weights = (start + start.T) / 2  # small symmetric weights break the hidden units' tie
    thresholds = np.zeros(n)
    annealer = Annealer(weights, thresholds, rng)
    hidden_units = np.arange(n_visible, n)
    all_units = np.arange(n)
    clamp = n_visible // 2
    chains = live["chains"]
    state = {"accuracy": 0.0}

    def schedule():
        return temperatures(live["t_start"], live["t_end"], live["anneal_steps"])

    def phase_states(host_data, clamped_units: int, noise: float = 0.0):
        repeats = np.repeat(host_data, chains, axis=0)  # (rows * chains, n_visible)
        if noise:
            flip = rng.random(repeats.shape) < np.where(repeats > 0, noise, noise / 3)
            repeats = np.where(flip, 1 - repeats, repeats)
        states_t = (rng.random((n, len(repeats))) < 0.5).astype(np.float64)
        states_t[:clamped_units] = repeats.T[:clamped_units]
        return states_t

    def update():
        host = to_host(backend, data.value).astype(np.float64)
        if not np.all((host == 0) | (host == 1)):
            raise ctx.error(f"{ctx.label} needs binary (0/1) data rows; set the pattern "
                            "source's values to binary.")
        clamped = phase_states(host, n_visible, live["clamp_noise"])
        plus_pair, plus_single = annealer.anneal(clamped, hidden_units, schedule(),
                                                 live["sample_sweeps"])
        minus_pair, minus_single = annealer.anneal(phase_states(host, 0), all_units,
                                                   schedule(), live["sample_sweeps"])
        difference = (plus_pair - minus_pair) * mask
        weights[...] += live["lr"] * difference - live["weight_decay"] * weights
        thresholds[...] -= live["lr"] * (plus_single - minus_single)
        W.value[...] = backend.from_host(weights.astype(ctx.dtype))
        theta.value[...] = backend.from_host(thresholds.astype(ctx.dtype))
        gap.value[...] = float(np.abs(difference).sum() / mask.sum())

    def complete():
        """Clamp the first half of each row, anneal the rest, store the completed means."""
        host = to_host(backend, data.value).astype(np.float64)
        states_t = phase_states(host, clamp)
        _, _ = annealer.anneal(states_t, np.arange(clamp, n), schedule(), 0)
        means = np.zeros((len(host), n_visible))
        sweeps = max(live["sample_sweeps"], 10)
        for _ in range(sweeps):
            annealer.sweep(states_t, np.arange(clamp, n), float(schedule()[-1]))
            means += states_t[:n_visible].T.reshape(len(host), chains, n_visible).mean(axis=1)
        means /= sweeps
        completion.value[...] = backend.from_host(means.astype(ctx.dtype))
        wanted = host[:, clamp:]
        state["accuracy"] = float(np.mean(np.all((means[:, clamp:] > 0.5) == (wanted > 0.5),
                                                 axis=1)))

    def end_epoch(epoch):
        complete()

    def report(phase):
        step = phase.step
        return [Scalar("boltzmann/completion_accuracy", step, state["accuracy"]),
                Image(f"weights/{ctx.node_id}", step,
                      tile_images(weights.reshape(1, -1), (n, n))),
                Image(f"completion/{ctx.node_id}", step,
                      tile_images(to_host(backend, completion.value), (1, n_visible),
                                  columns=1, normalize="none"))]

    ctx.simulation_steps(live["steps_per_epoch"])
    ctx.monitor(report, every="epoch")
    return Step(update=update, end_epoch=end_epoch)


NODES = [(SPEC, build)]
