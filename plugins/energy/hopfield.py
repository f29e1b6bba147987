"""Hopfield network (1982): bipolar associative memory with a Lyapunov energy.

Stores the rows of `patterns` (Hebbian w_ij = 1/N sum_d x_i x_j, or the pseudo-inverse
projection rule; zero diagonal), starts from `cue` and updates
    a_j = sum_i w_ji s_i + x_j ;  s_j = 1 if a_j > T, -1 if a_j < T, unchanged if equal,
asynchronously (one neuron at a time, seeded random order per sweep; energy never rises) or
synchronously (all at once; may end in a 2-cycle). x = cue_field * cue is the external input.
Energy E = -1/2 s^T W s - x.s + T sum(s). The run stops when every cue sits at a fixed point
(or, synchronously, in a 2-cycle).

Ties are decided exactly, not by rounding noise. The Hebbian dynamics use the integer sums
X^T X and compare sum_i (X^T X)_ji s_i + N x_j with N T: the same rule multiplied by N, exact in
float32 while (N - 1) * patterns < 2^24. The pseudo-inverse weights are not integers, so a tie
there is |a_j - T| <= TIE_RTOL * (sum_i |w_ji| + |x_j| + |T|), a bound on the rounding error of
the sum (also used for Hebbian sums too large to be exact).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engines.events import FinishReason, Image, Scalar, Stop
from engines.imaging import glyph_shape, tile_images
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind
from plugins.energy.kernels import matmul_into, to_host

MAX_OVERLAP_SCALARS = 32
MAX_STATE_TILES = 64
FRAME_INTERVAL_S = 0.02  # mid-sweep frames: every step under a speed cap, few uncapped


# -- storage and dynamics (pure functions, also used by tests and the benchmark) ---------------
def hebbian_weights(patterns: np.ndarray) -> np.ndarray:
    """W = X^T X / N with a zero diagonal (host float64)."""
    x = np.asarray(patterns, dtype=np.float64)
    weights = x.T @ x / x.shape[1]
    np.fill_diagonal(weights, 0.0)
    return weights


def pseudo_inverse_weights(patterns: np.ndarray) -> np.ndarray:
    """W = X^+ X, the projection onto the patterns' span, with a zero diagonal."""
    x = np.asarray(patterns, dtype=np.float64)
    weights = np.linalg.pinv(x) @ x
    np.fill_diagonal(weights, 0.0)
    return weights


TIE_RTOL = 1e-5  # relative tolerance for ties where the sums are not exact integers
EXACT_FLOAT32 = 2**24  # integers up to this are exact in float32


@dataclass(frozen=True)
class Storage:
    """What the dynamics use: W = matrix / scale. Activations, the field and T are compared in
    units of 1/scale (matrix @ s + scale x against scale T); rtol > 0 widens a tie to
    |a - T| <= rtol * (row sum of |matrix| + scale |x| + scale |T|), 0 means exact."""

    matrix: np.ndarray  # (N, N) host float64, zero diagonal
    scale: float
    rtol: float = 0.0


def hebbian_storage(patterns: np.ndarray) -> Storage:
    """The integer sums X^T X (zero diagonal) with scale N: exact ties."""
    x = np.asarray(patterns, dtype=np.float64)
    sums = x.T @ x  # sums of +-1 products: exact integers in float64
    np.fill_diagonal(sums, 0.0)
    return Storage(sums, float(x.shape[1]))


def pseudo_inverse_storage(patterns: np.ndarray) -> Storage:
    """X^+ X (zero diagonal), ties within TIE_RTOL."""
    return Storage(pseudo_inverse_weights(patterns), 1.0, TIE_RTOL)


STORAGE_RULES = {"hebbian": hebbian_storage, "pseudo_inverse": pseudo_inverse_storage}


def tie_tolerance(storage: Storage, cue_field: float, threshold: float) -> np.ndarray | None:
    """Per-neuron tie half-width in the dynamics' units, or None when ties are exact."""
    if storage.rtol == 0.0:
        return None
    rows = np.abs(storage.matrix).sum(axis=1)
    return storage.rtol * (rows + storage.scale * (abs(cue_field) + abs(threshold)))


def energy(xp, weights, states, field, threshold: float, local=None):
    """E per row of states (B, N): -1/2 s W s - x.s + T sum(s); local = s W if known."""
    if local is None:
        local = states @ weights
    quadratic = (states * local).sum(axis=1)
    return -0.5 * quadratic - (field * states).sum(axis=1) + threshold * states.sum(axis=1)


def threshold_rule(xp, activation, threshold: float, old, tol=None):
    """+1 above the threshold, -1 below it, the old value on a tie (within tol if given)."""
    if tol is None:
        high = low = threshold
    else:
        high, low = threshold + tol, threshold - tol
    return xp.where(activation > high, 1.0, xp.where(activation < low, -1.0, old))


def synchronous_step(xp, weights, states, field, threshold: float, work, tol=None) -> None:
    """All neurons at once: states (B, N) updated in place; `work` is a (B, N) scratch; tol
    (N,) per-neuron tie half-width or None for exact ties."""
    matmul_into(xp, states, weights, work)
    work += field
    states[...] = threshold_rule(xp, work, threshold, states, tol)


def asynchronous_sweep(xp, weights, states_t, field_t, threshold: float, order,
                       local_t, tol=None) -> int:
    """One sweep of single-neuron updates in `order`, vectorised over the batch.

    Works in the transposed layout (N, B) so a neuron's row is contiguous; local_t holds
    W s and is patched by a rank-1 update (row i of the symmetric W) only when neuron i
    flips somewhere. tol: (N,) tie half-widths or None (exact). Returns the number of flips.
    """
    matmul_into(xp, weights, states_t, local_t)
    return asynchronous_updates(xp, weights, states_t, field_t, threshold, order, local_t, tol)


def asynchronous_updates(xp, weights, states_t, field_t, threshold: float, order,
                         local_t, tol=None) -> int:
    """The single-neuron updates of `order` with local_t already W s (a sweep, or a part of
    one continued over several steps). Returns the number of flips."""
    if states_t.shape[1] == 1 and xp is np:
        return _single_cue_sweep(weights, states_t[:, 0], field_t[:, 0], threshold, order,
                                 local_t[:, 0], None if tol is None else np.asarray(tol))
    flips = 0
    for i in order:
        old = states_t[i]
        new = threshold_rule(xp, local_t[i] + field_t[i], threshold, old,
                             None if tol is None else tol[i])
        delta = new - old
        changed = int(xp.count_nonzero(delta))
        if changed:
            flips += changed
            states_t[i] = new
            local_t += weights[i][:, None] * delta[None, :]
    return flips


def _single_cue_sweep(weights, state, field, threshold, order, local, tol=None) -> int:
    """The one-cue sweep on scalars: no array call unless a neuron flips."""
    flips = 0
    patch = np.empty_like(local)
    tols = None if tol is None else tol.tolist()
    for i in np.asarray(order).tolist():
        activation = local[i] + field[i]
        half = 0.0 if tols is None else tols[i]
        if activation > threshold + half:
            new = 1.0
        elif activation < threshold - half:
            new = -1.0
        else:
            continue
        if new != state[i]:
            state[i] = new
            np.multiply(weights[i], 2.0 * new, out=patch)  # delta = new - old = 2 new
            local += patch
            flips += 1
    return flips


# -- node -------------------------------------------------------------------------------------
def infer_shapes(params, in_shapes):
    patterns = in_shapes["patterns"]
    cue = in_shapes.get("cue", patterns)
    if len(patterns) != 2 or len(cue) != 2:
        raise ShapeError(f"needs 2-D (rows, N) patterns and cues; got {patterns} and {cue}.")
    if patterns[1] != cue[1]:
        raise ShapeError(f"stores patterns of length {patterns[1]} but the cue has length "
                         f"{cue[1]}; both must have the same N.")
    n = patterns[1]
    return {"state": cue}, {"W": (n, n)}


SPEC = NodeSpec(
    type_id="energy.hopfield", title="Hopfield network", category="Energy models",
    formula="W = (1/N) Σₚ ξᵖ ξᵖᵀ, wᵢᵢ = 0;  sᵢ ← sign(Σⱼ wᵢⱼ sⱼ + xᵢ − T)",
    doc="Bipolar associative memory: stores its 'patterns' (Hebbian or pseudo-inverse rule) "
        "and recalls from 'cue' by asynchronous or synchronous threshold updates, each of "
        "which never raises the energy E = -1/2 s W s - x.s + T sum(s) (asynchronous). "
        "A neuron whose input equals its threshold exactly (a tie) keeps its state; Hebbian "
        "ties are exact (integer sums), pseudo-inverse ties are taken within a relative "
        "tolerance of 1e-5.",
    inputs=(PortSpec("patterns", PortKind.TENSOR, "Bipolar patterns to store (rows)."),
            PortSpec("cue", PortKind.TENSOR, "Start states (rows); the patterns if unwired.",
                     optional=True)),
    outputs=(PortSpec("state", PortKind.TENSOR, "Current states (rows)."),),
    params=(
        ParamSpec("rule", ParamType.CHOICE, "hebbian", "Storage rule.",
                  choices=tuple(STORAGE_RULES)),
        ParamSpec("update", ParamType.CHOICE, "asynchronous", "Update order.",
                  choices=("asynchronous", "synchronous")),
        ParamSpec("threshold", ParamType.FLOAT, 0.0, "Threshold T of every neuron.",
                  live=True),
        ParamSpec("cue_field", ParamType.FLOAT, 0.0,
                  "External input x = cue_field * cue held during recall.", live=True),
        ParamSpec("sweeps", ParamType.INT, 1, "Updates (sweeps) per step.", range=(1, 10000)),
        ParamSpec("updates_per_step", ParamType.INT, 0, "Asynchronous: single-neuron updates "
                  "per step, a sweep spread over several steps so recall can be watched "
                  "unit by unit under the run bar's speed cap (0: a whole sweep per step; "
                  "an epoch is still 'sweeps' sweeps, with the same result).",
                  range=(0, 1 << 24)),
        ParamSpec("stop_when_converged", ParamType.BOOL, True,
                  "End the run at a fixed point or 2-cycle."),
    ),
    infer_shapes=infer_shapes,
    views=(
        View(ViewKind.IMAGE_GRID, "Recall", ("cue/{node}", "state/{node}"),
             doc="The corrupted cues and the states recalled from them, step by step."),
        View(ViewKind.CURVES, "Energy", ("energy",), y=Axis("energy E"),
             doc="Mean energy of the states; asynchronous updates never raise it."),
        View(ViewKind.CURVES, "Overlaps", ("overlap/*",), y=Axis("overlap m", range=(-1, 1)),
             doc="m = s.x / N between each state and its stored pattern (1: recalled)."),
        View(ViewKind.CURVES, "Recalled", ("recall",), y=Axis("share", range=(0, 1)),
             doc="Share of cues whose state equals a stored pattern."),
        View(ViewKind.IMAGE_GRID, "Stored patterns", ("patterns/{node}",)),
        View(ViewKind.IMAGE, "Hopfield weights", ("weights/{node}",)),
    ),
)


def build(ctx):
    xp, live, backend = ctx.xp, ctx.params, ctx.backend
    patterns = ctx.input("patterns")
    cue = ctx.input("cue") or patterns
    n = patterns.storage.shape[1]
    if cue.storage.shape[1] != n:
        raise ctx.error(f"{ctx.label}: cue length {cue.storage.shape[1]} differs from the "
                        f"patterns' length {n}.")
    asynchronous = live["update"] == "asynchronous"
    chunk = int(live["updates_per_step"]) if asynchronous else 0
    frames = -(-n // chunk) if 0 < chunk < n else 1  # steps per sweep
    store_rule = STORAGE_RULES[live["rule"]]
    rows_max = cue.storage.shape[0]
    weights = ctx.param("W", (n, n), init="zeros", trainable=False)
    dynamics = ctx.scratch((n, n))  # W times the storage's scale (Hebbian: integer sums)
    state = ctx.output("state", tuple(cue.storage.shape), batched=cue.batched)
    states_t = ctx.scratch((n, rows_max))
    local_t = ctx.scratch((n, rows_max))
    field_t = ctx.scratch((n, rows_max))
    work = ctx.scratch((rows_max, n))
    previous = [ctx.scratch((rows_max, n)), ctx.scratch((rows_max, n))]
    last_cue = xp.full(cue.storage.shape, np.nan, dtype=ctx.dtype)
    last_patterns = xp.full(patterns.storage.shape, np.nan, dtype=ctx.dtype)
    order_rng = np.random.default_rng(int(ctx.rng.integers(2**31)))
    status = {"converged": None, "steps": 0, "energy": 0.0, "new_memory": False,
              "new_cue": False, "storage": None, "frame": 0, "order": None}

    def store():
        host = to_host(backend, patterns.value)
        if not np.all(np.abs(host) == 1):
            raise ctx.error(f"{ctx.label} stores bipolar patterns (+-1 values); its "
                            "'patterns' input holds other values. Set the source to bipolar.")
        storage = store_rule(host)
        largest = float(np.abs(storage.matrix).sum(axis=1).max(initial=0.0))
        if storage.rtol == 0.0 and np.dtype(ctx.dtype).itemsize < 8 \
                and largest >= EXACT_FLOAT32:  # integer sums beyond float32's exact range
            storage = Storage(storage.matrix, storage.scale, TIE_RTOL)
        status["storage"] = storage
        dynamics[...] = xp.asarray(storage.matrix.astype(ctx.dtype))
        weights.value[...] = xp.asarray((storage.matrix / storage.scale).astype(ctx.dtype))
        last_patterns[:host.shape[0]] = patterns.value
        status["new_memory"] = True

    def reset(rows):
        state.value[...] = cue.value
        last_cue[:rows] = cue.value
        for buf in previous:
            buf.fill(np.nan)
        status.update(converged=None, steps=0, new_cue=True, frame=0)

    def forward():
        rows = cue.value.shape[0]
        if not bool(xp.array_equal(last_patterns[:patterns.value.shape[0]], patterns.value)):
            store()
            reset(rows)
        elif not bool(xp.array_equal(last_cue[:rows], cue.value)):
            reset(rows)
        s = state.value
        storage = status["storage"]
        scale = storage.scale  # compare in the storage's units: Hebbian sums stay exact
        field = cue.value * (live["cue_field"] * scale)
        threshold = live["threshold"] * scale
        tol = tie_tolerance(storage, live["cue_field"], live["threshold"])
        tol = None if tol is None else xp.asarray(tol.astype(ctx.dtype))
        if frames > 1:
            part_sweep(rows, s, field, threshold, tol, scale)
            return
        for _ in range(live["sweeps"]):
            previous[1][:rows] = previous[0][:rows]
            previous[0][:rows] = s
            if asynchronous:
                st, lt, ft = states_t[:, :rows], local_t[:, :rows], field_t[:, :rows]
                st[...] = s.T
                ft[...] = field.T
                asynchronous_sweep(xp, dynamics, st, ft, threshold,
                                   order_rng.permutation(n), lt, tol)
                s[...] = st.T
            else:
                synchronous_step(xp, dynamics, s, field, threshold, work[:rows], tol)
            status["steps"] += 1
            if bool(xp.array_equal(previous[0][:rows], s)):
                status["converged"] = "a fixed point"
                break
            if not asynchronous and bool(xp.array_equal(previous[1][:rows], s)):
                status["converged"] = "a 2-cycle"
                break
        if asynchronous:
            local = local_t[:, :rows].T  # W s of the final states, kept by the sweep
        else:
            local = matmul_into(xp, s, dynamics, work[:rows])
        # every term is scaled by `scale`: E in the network's own units
        status["energy"] = float(energy(xp, dynamics, s, field, threshold, local).mean()) / scale

    def part_sweep(rows, s, field, threshold, tol, scale):
        """One step of a sweep spread over `frames` steps: the next `chunk` neurons of its
        order, W s carried over in local_t; the fixed-point test runs after the last part."""
        if status["converged"] and live["stop_when_converged"]:
            return  # the run ends with this epoch: its remaining steps have nothing to do
        st, lt, ft = states_t[:, :rows], local_t[:, :rows], field_t[:, :rows]
        frame = status["frame"]
        if frame == 0:
            previous[0][:rows] = s
            status["order"] = order_rng.permutation(n)
            st[...] = s.T
            matmul_into(xp, dynamics, st, lt)
        ft[...] = field.T
        asynchronous_updates(xp, dynamics, st, ft, threshold,
                             status["order"][frame * chunk:(frame + 1) * chunk], lt, tol)
        s[...] = st.T
        status["frame"] = (frame + 1) % frames
        if status["frame"] == 0:
            status["steps"] += 1
            if bool(xp.array_equal(previous[0][:rows], s)):
                status["converged"] = "a fixed point"
        status["energy"] = float(energy(xp, dynamics, s, field, threshold,
                                        lt.T).mean()) / scale

    def report_frame(phase):
        """Mid-sweep frames of a spread sweep: the state and its energy (the epoch's report
        gives the rest)."""
        if status["frame"] == 0:
            return []
        shape = glyph_shape(n)
        s_host = to_host(backend, state.value)
        events = [Scalar("energy", phase.step, status["energy"]),
                  Image(f"state/{ctx.node_id}", phase.step,
                        tile_images(s_host[:MAX_STATE_TILES], shape, normalize="all"))]
        if status["new_cue"]:  # the noisy start beside the first frames
            status["new_cue"] = False
            events.append(Image(f"cue/{ctx.node_id}", phase.step, tile_images(
                to_host(backend, cue.value)[:MAX_STATE_TILES], shape, normalize="all")))
        return events

    def report(phase):
        step = phase.step
        s_host = to_host(backend, state.value)
        p_host = to_host(backend, patterns.value)
        events = [Scalar("energy", step, status["energy"])]
        overlaps = s_host @ p_host.T / n  # (B, p)
        if s_host.shape[0] == 1:
            pairs = [(k, overlaps[0, k]) for k in range(p_host.shape[0])]
        else:
            pairs = [(k, overlaps[k, k]) for k in range(min(overlaps.shape))]
        events += [Scalar(f"overlap/{k}", step, float(v)) for k, v in
                   pairs[:MAX_OVERLAP_SCALARS]]
        recalled = (overlaps.max(axis=1) > 1 - 1e-6).mean()
        events.append(Scalar("recall", step, float(recalled)))
        shape = glyph_shape(n)
        events.append(Image(f"state/{ctx.node_id}", step,
                            tile_images(s_host[:MAX_STATE_TILES], shape, normalize="all")))
        if status["new_cue"]:  # the noisy start, before any update
            status["new_cue"] = False
            cue_host = to_host(backend, cue.value)[:MAX_STATE_TILES]
            events.append(Image(f"cue/{ctx.node_id}", step,
                                tile_images(cue_host, shape, normalize="all")))
        if status["new_memory"]:
            status["new_memory"] = False
            events.append(Image(f"patterns/{ctx.node_id}", step,
                                tile_images(p_host[:MAX_STATE_TILES], shape, normalize="all")))
            w_host = to_host(backend, weights.value).reshape(1, -1)
            events.append(Image(f"weights/{ctx.node_id}", step, tile_images(w_host, (n, n))))
        return events

    def stop_rule(history):
        if status["converged"] and live["stop_when_converged"]:
            return Stop(FinishReason.CONVERGED, f"converged: {ctx.label} reached "
                        f"{status['converged']} after {status['steps']} updates.")
        return None

    ctx.simulation_steps(frames * live["sweeps"] if frames > 1 else 1)
    ctx.monitor(report, every="epoch")
    if frames > 1:
        ctx.monitor(report_frame, every="step", min_interval_s=FRAME_INTERVAL_S)
    ctx.stop_rule(stop_rule)
    return Step(forward)


NODES = [(SPEC, build)]
