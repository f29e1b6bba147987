"""Kosko's bidirectional associative memory (1988) and its capacity sweep.

Pairs (x_k, y_k) of bipolar patterns are stored in W = sum_k x_k^T y_k (n x m). Recall starts
from a cue on the x side and goes back and forth, y <- sgn(x W), x <- sgn(y W^T) (a zero
activation keeps the previous value), until neither side changes: a stable pair. Each pass
never raises the energy E(x, y) = -x W y^T, so recall always settles.
"""

from __future__ import annotations

import numpy as np

from engines.events import FinishReason, Image, Points, Scalar, Stop
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind
from plugins.energy.kernels import glyph_shape, tile_images

MAX_TILES = 64


def bam_weights(x, y):
    """W = sum_k x_k^T y_k for row-stacked pairs x (p, n), y (p, m)."""
    return x.T @ y


def sign_keep(xp, activation, previous):
    """+1 / -1 by the sign of activation; where it is 0, the previous value."""
    return xp.where(activation > 0, 1.0, xp.where(activation < 0, -1.0, previous))


def energy(x, weights, y):
    """E = -x W y^T for each row pair."""
    return -((x @ weights) * y).sum(axis=1)


def recall_pass(xp, weights, x, y):
    """One back-and-forth pass in place; returns True when nothing changed."""
    new_y = sign_keep(xp, x @ weights, y)
    new_x = sign_keep(xp, new_y @ weights.T, x)
    stable = bool(xp.array_equal(new_y, y)) and bool(xp.array_equal(new_x, x))
    x[...] = new_x
    y[...] = new_y
    return stable


def recall(xp, weights, cue, max_passes: int = 100):
    """(x, y, passes) reached from cue (rows on the x side)."""
    x = cue.astype(weights.dtype, copy=True)
    y = xp.zeros((cue.shape[0], weights.shape[1]), dtype=weights.dtype)
    for passes in range(1, max_passes + 1):
        if recall_pass(xp, weights, x, y):
            return x, y, passes
    return x, y, max_passes


def capacity_point(rng, n: int, m: int, pairs: int, trials: int, flip: float) -> float:
    """Share of stored pairs recalled exactly (both sides) from their x, with `flip` of the
    cue's bits inverted, over `trials` random memories of `pairs` random pairs."""
    x = np.where(rng.random((trials, pairs, n)) < 0.5, -1.0, 1.0)
    y = np.where(rng.random((trials, pairs, m)) < 0.5, -1.0, 1.0)
    weights = np.einsum("tpn,tpm->tnm", x, y)
    cue = np.where(rng.random(x.shape) < flip, -x, x)
    state_x, state_y = cue.copy(), np.zeros_like(y)
    for _ in range(100):
        new_y = sign_keep(np, np.einsum("tpn,tnm->tpm", state_x, weights), state_y)
        new_x = sign_keep(np, np.einsum("tpm,tnm->tpn", new_y, weights), state_x)
        settled = np.array_equal(new_x, state_x) and np.array_equal(new_y, state_y)
        state_x, state_y = new_x, new_y
        if settled:
            break
    exact = np.all(state_x == x, axis=2) & np.all(state_y == y, axis=2)
    return float(exact.mean())


def infer_shapes(params, in_shapes):
    x, y = in_shapes["x_patterns"], in_shapes["y_patterns"]
    cue = in_shapes.get("cue", x)
    if x is None or y is None or len(x) != 2 or len(y) != 2:
        raise ShapeError(f"needs 2-D (pairs, N) patterns on both sides; got {x} and {y}.")
    if x[0] != y[0]:
        raise ShapeError(f"stores pairs, but has {x[0]} x patterns and {y[0]} y patterns.")
    if cue[1] != x[1]:
        raise ShapeError(f"cues have length {cue[1]}; the x patterns have {x[1]}.")
    return {"x": cue, "y": (cue[0], y[1])}, {"W": (x[1], y[1])}


SPEC = NodeSpec(
    type_id="selforg.bam", title="Kosko BAM", category="Self-organising",
    doc="Bidirectional associative memory: stores bipolar pairs in W = sum x_k^T y_k and "
        "recalls from x-side cues back and forth (y = sgn(x W), x = sgn(y W^T)) to a stable "
        "pair; the energy -x W y^T never rises.",
    inputs=(PortSpec("x_patterns", PortKind.TENSOR, "x side of each pair (pairs, n)."),
            PortSpec("y_patterns", PortKind.TENSOR, "y side of each pair (pairs, m)."),
            PortSpec("cue", PortKind.TENSOR, "Start states on the x side; the x patterns if "
                     "unwired.", optional=True)),
    outputs=(PortSpec("x", PortKind.TENSOR, "x-side states."),
             PortSpec("y", PortKind.TENSOR, "y-side states.")),
    params=(ParamSpec("stop_when_stable", ParamType.BOOL, True, "End the run at a stable "
                      "pair."),),
    infer_shapes=infer_shapes, differentiable=False,
    views=(
        View(ViewKind.CURVES, "Energy", ("bam/{node}/energy",), y=Axis("E")),
        View(ViewKind.CURVES, "Pairs recalled", ("bam/{node}/recall",),
             y=Axis("share", "", (0.0, 1.0))),
        View(ViewKind.IMAGE_GRID, "x side", ("bam/{node}/x",)),
        View(ViewKind.IMAGE_GRID, "y side", ("bam/{node}/y",)),
    ),
)


def build(ctx):
    xp, live, backend = ctx.xp, ctx.params, ctx.backend
    x_patterns, y_patterns = ctx.input("x_patterns"), ctx.input("y_patterns")
    cue = ctx.input("cue") or x_patterns
    n, m = x_patterns.storage.shape[1], y_patterns.storage.shape[1]
    weights = ctx.param("W", (n, m), init="zeros", trainable=False)
    x_out = ctx.output("x", tuple(cue.storage.shape), batched=False)
    y_out = ctx.output("y", (cue.storage.shape[0], m), batched=False)
    status = {"stable": False, "passes": 0, "energy": 0.0}
    last_cue = xp.full(cue.storage.shape, np.nan, dtype=ctx.dtype)

    def begin():
        for buf, side in ((x_patterns, "x_patterns"), (y_patterns, "y_patterns")):
            if not bool(xp.all(xp.abs(buf.value) == 1)):
                raise ctx.error(f"{ctx.label} stores bipolar pairs (+-1 values); its "
                                f"'{side}' input holds other values. Set the source to "
                                "bipolar.")
        weights.value[...] = bam_weights(x_patterns.value, y_patterns.value)

    def forward():
        if not bool(xp.array_equal(last_cue, cue.value)):  # a new cue: recall from it
            last_cue[...] = cue.value
            x_out.value[...] = cue.value
            y_out.value.fill(0)
            status.update(stable=False, passes=0)
        if status["stable"]:
            return
        status["stable"] = recall_pass(xp, weights.value, x_out.value, y_out.value)
        status["passes"] += 1
        status["energy"] = float(energy(x_out.value, weights.value, y_out.value).mean())

    def report(phase):
        host_x = np.asarray(backend.to_host(x_out.value))
        host_y = np.asarray(backend.to_host(y_out.value))
        stored_x = np.asarray(backend.to_host(x_patterns.value))
        stored_y = np.asarray(backend.to_host(y_patterns.value))
        rows = min(len(host_x), len(stored_x))
        recalled = (np.all(host_x[:rows] == stored_x[:rows], axis=1)
                    & np.all(host_y[:rows] == stored_y[:rows], axis=1))
        node = ctx.node_id
        return [
            Scalar(f"bam/{node}/energy", phase.step, status["energy"]),
            Scalar(f"bam/{node}/recall", phase.step, float(recalled.mean())),
            Image(f"bam/{node}/x", phase.step, tile_images(host_x[:MAX_TILES], glyph_shape(n),
                                                         normalize="all")),
            Image(f"bam/{node}/y", phase.step, tile_images(host_y[:MAX_TILES], glyph_shape(m),
                                                         normalize="all")),
        ]

    def stop_rule(history):
        if status["stable"] and live["stop_when_stable"]:
            return Stop(FinishReason.CONVERGED, f"{ctx.label} reached a stable pair after "
                        f"{status['passes']} passes.")
        return None

    ctx.simulation_steps(1)
    ctx.monitor(report, every="epoch")
    ctx.stop_rule(stop_rule)
    return Step(forward, begin=begin)


CAPACITY_SPEC = NodeSpec(
    type_id="selforg.bam_capacity", title="BAM capacity", category="Self-organising",
    doc="Stores 1, 2, ... random bipolar pairs in a BAM (one count per step) and plots the "
        "share recalled exactly from (optionally corrupted) x cues: the capacity limit shows "
        "as the drop.",
    params=(
        ParamSpec("n", ParamType.INT, 64, "x pattern length.", range=(1, 100000)),
        ParamSpec("m", ParamType.INT, 64, "y pattern length.", range=(1, 100000)),
        ParamSpec("max_pairs", ParamType.INT, 24, "Largest number of stored pairs.",
                  range=(1, 100000)),
        ParamSpec("trials", ParamType.INT, 20, "Random memories per count.",
                  range=(1, 100000)),
        ParamSpec("flip", ParamType.FLOAT, 0.0, "Share of cue bits inverted.",
                  range=(0.0, 0.5)),
    ),
    infer_shapes=lambda params, in_shapes: ({}, {}), differentiable=False,
    views=(View(ViewKind.SCATTER, "Recall against stored pairs", ("bam/{node}/capacity",),
                y=Axis("recalled", "", (0.0, 1.0)), x=Axis("stored pairs")),),
)


def build_capacity(ctx):
    p = ctx.params
    rng = np.random.default_rng(int(ctx.rng.integers(2**31)))
    curve: list[tuple[float, float]] = []

    def forward():
        pairs = len(curve) + 1
        if pairs <= p["max_pairs"]:
            curve.append((pairs, capacity_point(rng, p["n"], p["m"], pairs, p["trials"],
                                                p["flip"])))

    def report(phase):
        if not curve:
            return []
        return [Points(f"bam/{ctx.node_id}/capacity", phase.step, np.array(curve))]

    def stop_rule(history):
        if len(curve) >= p["max_pairs"]:
            return Stop(FinishReason.CONVERGED, f"{ctx.label} swept 1..{p['max_pairs']} "
                        "stored pairs.")
        return None

    ctx.program.extras.setdefault("bam_capacity", {})[ctx.node_id] = curve
    ctx.simulation_steps(1)
    ctx.monitor(report, every="epoch")
    ctx.stop_rule(stop_rule)
    return Step(forward)


NODES = [(SPEC, build), (CAPACITY_SPEC, build_capacity)]
