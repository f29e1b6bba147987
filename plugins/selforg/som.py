"""Kohonen self-organising map node: a rows x cols lattice unfolding over its data, live.

Online mode presents one sample at a time in a seeded random order (each of the `iterations`
updates moves every unit toward the sample by lr(t) h(t)); batch mode moves every unit to the
neighbourhood-weighted mean of the data once per update. The run ends when the schedule does.
"""

from __future__ import annotations

import math
import os

import numpy as np

from engines.events import FinishReason, Image, Points, Scalar, Stop
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind
from plugins.energy.kernels import tile_images
from plugins.selforg import som_model

MAX_DRAWN_SAMPLES = 500  # more would hide the lattice drawn over them
MAX_PLANES = 64
MEMORY_SHARE = 0.5  # refuse a lattice whose buffers would take more of the RAM than this


def infer_shapes(params, in_shapes):
    data = in_shapes["x"]
    if data is None or len(data) != 2:
        raise ShapeError(f"needs a 2-D (samples, features) block on 'x'; got {data}.")
    units = params["rows"] * params["cols"]
    return {"weights": (units, data[1])}, {}


SPEC = NodeSpec(
    type_id="selforg.som", title="Kohonen SOM", category="Self-organising",
    doc="Self-organising map: the best-matching unit and its lattice neighbours (Gaussian, "
        "width sigma) move toward each sample by the learning rate; sigma and the rate shrink "
        "on a schedule. Shows the lattice over the data, the U-matrix, component planes, and "
        "the quantisation and topographic errors.",
    inputs=(PortSpec("x", PortKind.TENSOR, "All samples (count, features)."),
            PortSpec("labels", PortKind.TENSOR, "Sample classes, to colour the data.",
                     optional=True)),
    outputs=(PortSpec("weights", PortKind.TENSOR, "Unit prototypes (rows * cols, features)."),),
    params=(
        ParamSpec("rows", ParamType.INT, 10, "Lattice rows.", range=(1, 100000)),
        ParamSpec("cols", ParamType.INT, 10, "Lattice columns.", range=(1, 100000)),
        ParamSpec("mode", ParamType.CHOICE, "online", "One sample per update (Kohonen) or "
                  "the whole set per update (batch SOM).", choices=("online", "batch")),
        ParamSpec("iterations", ParamType.INT, 5000, "Updates over the whole schedule.",
                  range=(1, 10**8)),
        ParamSpec("updates_per_step", ParamType.INT, 50, "Updates per program step.",
                  range=(1, 10**6)),
        ParamSpec("schedule", ParamType.CHOICE, "asymptotic", "How sigma and the rate shrink.",
                  choices=som_model.SCHEDULES),
        ParamSpec("sigma", ParamType.FLOAT, 3.0, "Initial neighbourhood width (grid units).",
                  range=(1e-3, 1e5)),
        ParamSpec("sigma_end", ParamType.FLOAT, 0.5, "Final width (exponential, linear).",
                  range=(1e-3, 1e5)),
        ParamSpec("learning_rate", ParamType.FLOAT, 0.5, "Initial learning rate (online).",
                  range=(0.0, 1.0)),
        ParamSpec("learning_rate_end", ParamType.FLOAT, 0.01, "Final rate (exponential, "
                  "linear).", range=(1e-6, 1.0)),
        ParamSpec("init", ParamType.CHOICE, "samples", "Initial prototypes: random samples, "
                  "or uniform in the data's bounding box.", choices=("samples", "box")),
    ),
    infer_shapes=infer_shapes, differentiable=False,
    views=(
        View(ViewKind.LATTICE, "Lattice over the data", ("som/{node}/data",
             "som/{node}/lattice"), y=Axis("x2"), x=Axis("x1"),
             doc="The map's units joined to their grid neighbours, drawn over the samples "
                 "(the first two coordinates, or the data's principal plane)."),
        View(ViewKind.HEATMAP, "U-matrix", ("som/{node}/umatrix",), y=Axis("row"),
             x=Axis("column")),
        View(ViewKind.IMAGE_GRID, "Component planes", ("som/{node}/planes",)),
        View(ViewKind.IMAGE_GRID, "Prototypes", ("som/{node}/prototypes",)),
        View(ViewKind.CURVES, "Quantisation and topographic error",
             ("som/{node}/qe", "som/{node}/te"), y=Axis("error")),
        View(ViewKind.CURVES, "Schedule", ("som/{node}/sigma", "som/{node}/lr")),
    ),
)


def memory_problem(rows: int, cols: int, features: int, samples: int, batch: bool,
                   itemsize: int, available: int) -> str | None:
    """A sentence when the lattice's buffers would not fit in `available` bytes, else None."""
    units = rows * cols
    needed = itemsize * (3 * units * features + samples * units * 2)
    if batch:
        needed += itemsize * units * units * 3
    if needed <= MEMORY_SHARE * available:
        return None
    return (f"a {rows} x {cols} lattice of {features} features needs about "
            f"{needed / 2**30:.1f} GiB, more than half of this machine's "
            f"{available / 2**30:.1f} GiB; use a smaller lattice")


def physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def build(ctx):
    xp, p = ctx.xp, ctx.params
    data = ctx.input("x")
    labels_in = ctx.input("labels")
    samples, features = data.storage.shape
    rows, cols = p["rows"], p["cols"]
    batch = p["mode"] == "batch"
    itemsize = np.dtype(ctx.dtype).itemsize
    problem = memory_problem(rows, cols, features, samples, batch, itemsize,
                             physical_memory())
    if problem:
        raise ctx.error(f"{ctx.label}: {problem}.")
    units = rows * cols
    rng = np.random.default_rng(int(ctx.rng.integers(2**31)))
    weights = ctx.param("W", (units, features), init="zeros", trainable=False)
    out = ctx.output("weights", (units, features), batched=False)
    positions = som_model.grid_positions(rows, cols)
    positions_dev = xp.asarray(positions.astype(ctx.dtype))
    trainer = som_model.OnlineTrainer(xp, weights.value, positions, ctx.dtype)
    total = p["iterations"]
    order = rng.permutation(np.arange(total) % samples)  # as MiniSom's train_random
    run = {"t": 0, "host_data": None}

    def begin():
        host = np.asarray(ctx.backend.to_host(data.value), dtype=np.float64)
        run["host_data"] = host
        if p["init"] == "samples":
            start = host[rng.integers(0, samples, units)]
        else:
            start = rng.uniform(host.min(axis=0), host.max(axis=0), (units, features))
        weights.value[...] = xp.asarray(start.astype(ctx.dtype))
        out.value[...] = weights.value

    def schedule(t):
        sigma = som_model.scheduled(p["schedule"], p["sigma"], p["sigma_end"], t, total)
        rate = som_model.scheduled(p["schedule"], p["learning_rate"], p["learning_rate_end"],
                                   t, total)
        return sigma, rate

    def forward():
        stop = min(run["t"] + p["updates_per_step"], total)
        x = data.value
        for t in range(run["t"], stop):
            sigma, rate = schedule(t)
            if batch:
                som_model.batch_update(xp, x, weights.value, positions_dev, sigma)
            else:
                trainer.update(x[int(order[t])], rate, sigma)
        run["t"] = stop
        out.value[...] = weights.value

    mean, axes = None, None

    def report(phase):
        nonlocal mean, axes
        host_w = np.asarray(ctx.backend.to_host(weights.value), dtype=np.float64)
        host_x = run["host_data"]
        if mean is None:
            mean, axes = som_model.projection(host_x)
        step = phase.step
        sigma, rate = schedule(run["t"])
        node = ctx.node_id
        drawn = host_x[:MAX_DRAWN_SAMPLES]
        labels = np.zeros(len(drawn), dtype=np.int64)
        if labels_in is not None:
            labels = np.asarray(ctx.backend.to_host(labels_in.value))[:len(drawn), 0]
            labels = labels.astype(np.int64)
        lattice_colour = np.full(units, int(labels.max(initial=0)) + 1)  # unlike any class
        events = [
            Points(f"som/{node}/data", step, (drawn - mean) @ axes, labels=labels),
            Points(f"som/{node}/lattice", step, (host_w - mean) @ axes,
                   labels=lattice_colour, edges=som_model.grid_edges(rows, cols)),
            Scalar(f"som/{node}/qe", step, som_model.quantisation_error(np, host_x, host_w)),
            Scalar(f"som/{node}/te", step,
                   som_model.topographic_error(np, host_x, host_w, cols)),
            Scalar(f"som/{node}/sigma", step, sigma),
            Scalar(f"som/{node}/lr", step, rate),
            Image(f"som/{node}/umatrix", step, som_model.u_matrix(host_w, rows, cols)),
        ]
        planes = host_w.T[:MAX_PLANES]  # one (rows, cols) picture per feature
        events.append(Image(f"som/{node}/planes", step,
                            tile_images(planes, (rows, cols), normalize="each")))
        side = math.isqrt(features)
        if side * side == features and features >= 9 and units <= 1024:
            events.append(Image(f"som/{node}/prototypes", step,
                                tile_images(host_w, (side, side), columns=cols,
                                            normalize="each")))
        return events

    def stop_rule(history):
        if run["t"] >= total:
            return Stop(FinishReason.CONVERGED,
                        f"{ctx.label} finished its schedule after {total} updates.")
        return None

    ctx.simulation_steps(10)
    ctx.monitor(report, every="step", min_interval_s=0.2)
    ctx.stop_rule(stop_rule)
    return Step(forward, begin=begin)


NODES = [(SPEC, build)]
