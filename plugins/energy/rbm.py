"""Restricted Boltzmann machine node: CD-k or persistent CD on the minibatches wired into x.

Forward gives the hidden probabilities P(h = 1 | x) (so RBMs stack: wire one's h into the
next one's x); update() runs one contrastive-divergence step (plugins/energy/rbm_core.py).
Shows: reconstruction error (metric 'recon_error'), free energy of a fixed training sample
against the validation set per epoch ('free_energy/train', 'free_energy/val': a widening gap
means overfitting), weights as one tile per hidden unit ('weights/<id>'), hidden
probabilities ('hidden/<id>'), data beside reconstructions ('recon/<id>') and samples of a
Gibbs chain ('samples/<id>').
"""

from __future__ import annotations

import numpy as np

from engines.events import FinishReason, Image, Scalar, Stop
from engines.imaging import glyph_shape, tile_images, weight_tiles
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind
from plugins.core.training import stop_reason
from plugins.energy.kernels import to_host
from plugins.energy.rbm_core import GainLimits, RBMKernel

IMAGE_INTERVAL_S = 1.0
MAX_TILES = 100
SHOWN_SAMPLES = 16
GIBBS_STEPS_PER_VIEW = 20


def infer_shapes(params, in_shapes):
    shape = in_shapes["x"]
    if len(shape) != 2:
        raise ShapeError(f"needs a 2-D (batch, visible) input on 'x'; it receives {shape}. "
                         "Add a Flatten node before it.")
    visible, hidden = shape[1], params["hidden"]
    return {"h": (shape[0], hidden)}, {"W": (visible, hidden), "a": (visible,), "b": (hidden,)}


def rbm_params(hidden_default: int = 64) -> tuple:
    """The RBM's learning parameters (shared with the DBN's pretraining)."""
    return (
        ParamSpec("visible", ParamType.CHOICE, "binary", "Visible units: binary (data in "
                  "[0, 1]) or gaussian (unit variance; standardise the data).",
                  choices=("binary", "gaussian")),
        ParamSpec("method", ParamType.CHOICE, "cd", "Contrastive divergence from the data "
                  "(cd) or from a persistent chain (pcd).", choices=("cd", "pcd")),
        ParamSpec("k", ParamType.INT, 1, "Gibbs steps per update (CD-k).", range=(1, 1000)),
        ParamSpec("lr", ParamType.FLOAT, 0.05, "Learning rate.", range=(0.0, 10.0), live=True),
        ParamSpec("momentum", ParamType.FLOAT, 0.5, "Momentum.", range=(0.0, 0.999), live=True),
        ParamSpec("weight_decay", ParamType.FLOAT, 1e-4, "L2 weight decay.", range=(0.0, 1.0),
                  live=True),
        ParamSpec("init_scale", ParamType.FLOAT, 0.01, "Std of the initial weights.",
                  range=(0.0, 10.0)),
        ParamSpec("local_gains", ParamType.BOOL, False, "Per-parameter adaptive gains on the "
                  "steps: + gain_bonus while a step keeps "
                  "its sign, x gain_penalty when it flips, kept in [gain_min, gain_max]."),
        ParamSpec("gain_min", ParamType.FLOAT, 0.001, "Lower gain limit.", range=(0.0, 1e6)),
        ParamSpec("gain_max", ParamType.FLOAT, 1000.0, "Upper gain limit.", range=(0.0, 1e6)),
        ParamSpec("gain_bonus", ParamType.FLOAT, 0.0005, "Added to a gain while its step "
                  "keeps its sign.", range=(0.0, 1e6)),
        ParamSpec("gain_penalty", ParamType.FLOAT, 0.9995, "Multiplies a gain when its step "
                  "flips sign.", range=(0.0, 1.0)),
        ParamSpec("error", ParamType.CHOICE, "squared", "Reconstruction error: mean squared "
                  "error of the one-step reconstruction, or the Hamming distance per row "
                  "between the binary input and its binary reconstruction.",
                  choices=("squared", "hamming")),
        ParamSpec("stop_factor", ParamType.FLOAT, 0.0, "Early stopping: stop when the "
                  "validation reconstruction error rises more than this fraction above its "
                  "minimum (0: off).", range=(0.0, 1e6), live=True),
    )


def gain_limits(params) -> GainLimits | None:
    """The GainLimits the RBM parameters ask for, or None without local gains."""
    if not params["local_gains"]:
        return None
    return GainLimits(params["gain_min"], params["gain_max"], params["gain_bonus"],
                      params["gain_penalty"])


def evaluation_error(kernel: RBMKernel, v, out, kind: str) -> None:
    """Write the reconstruction error of v (evaluation, no learning) into the (1,) out."""
    if kind == "hamming":
        out[...] = kernel.hamming_error(v)
    else:
        out[...] = kernel.reconstruction_error(v)


SPEC = NodeSpec(
    type_id="energy.rbm", title="RBM", category="Energy models",
    formula="p(hⱼ = 1 | v) = σ(bⱼ + Σᵢ vᵢ wᵢⱼ);  ΔW = ε(⟨v hᵀ⟩₀ − ⟨v hᵀ⟩ₖ)",
    doc="Restricted Boltzmann machine trained by contrastive divergence (CD-k) or persistent "
        "CD on the minibatches wired into x; outputs P(h = 1 | x), so RBMs stack.",
    inputs=(PortSpec("x", PortKind.TENSOR, "Visible data (batch, visible)."),),
    outputs=(PortSpec("h", PortKind.TENSOR, "Hidden probabilities (batch, hidden)."),),
    params=(ParamSpec("hidden", ParamType.INT, 64, "Hidden units.", range=(1, 1 << 16)),
            *rbm_params()),
    infer_shapes=infer_shapes,
    views=(
        View(ViewKind.CURVES, "Reconstruction error", ("train/recon_error", "val/recon_error"),
             y=Axis("squared error"), doc="Mean squared error of one-step reconstructions."),
        View(ViewKind.CURVES, "Free energy", ("free_energy/train", "free_energy/val"),
             y=Axis("free energy F(v)"),
             doc="Mean free energy of a training sample and of the validation data; a "
                 "widening gap means overfitting."),
        View(ViewKind.IMAGE, "RBM weights", ("weights/{node}",),
             doc="One tile per hidden unit: its weights to the visible units."),
        View(ViewKind.IMAGE_GRID, "Input | reconstruction", ("recon/{node}",),
             doc="Pairs side by side: a data row, then its one-step reconstruction."),
        View(ViewKind.IMAGE_GRID, "Gibbs samples", ("samples/{node}",),
             doc="Visible means of a free-running Gibbs chain."),
        View(ViewKind.HEATMAP, "Hidden probabilities", ("hidden/{node}",),
             y=Axis("sample"), x=Axis("hidden unit"), doc="P(h = 1 | v) for a batch."),
    ),
)


def build(ctx):
    xp, live, backend, phase = ctx.xp, ctx.params, ctx.backend, ctx.phase
    x = ctx.input("x")
    n_visible, n_hidden = x.storage.shape[1], live["hidden"]
    rows_max = x.storage.shape[0]  # the batch size, or all rows of an unbatched source
    h = ctx.output("h", (rows_max, n_hidden), batched=x.batched)
    W = ctx.param("W", (n_visible, n_hidden), init="normal", trainable=False,
                  scale=live["init_scale"])
    a = ctx.param("a", (n_visible,), init="zeros", trainable=False)
    b = ctx.param("b", (n_hidden,), init="zeros", trainable=False)
    rng = np.random.default_rng(int(ctx.rng.integers(2**31)))
    kernel = RBMKernel(xp, rng, W, a, b, rows_max, live["visible"], ctx.dtype,
                       gains=gain_limits(live))
    persistent = live["method"] == "pcd"
    recon_error = ctx.output("recon_error", (1,), batched=False)
    ctx.metric("recon_error", recon_error)
    train_sample = ctx.scratch((rows_max, n_visible))
    monitor = {"train_rows": 0, "val_sum": xp.zeros(1, dtype=ctx.dtype), "val_rows": 0,
               "chain": None}

    def forward():
        kernel.hidden_probs(x.value, h.value)
        if not phase.training:  # evaluation: reconstruction error and free energy
            evaluation_error(kernel, x.value, recon_error.value, live["error"])
            monitor["val_sum"] += kernel.free_energy(x.value).sum()
            monitor["val_rows"] += x.value.shape[0]

    def update():
        rows = x.value.shape[0]
        if monitor["train_rows"] == 0:  # a fixed training sample for the free-energy view
            train_sample[:rows] = x.value
            monitor["train_rows"] = rows
        error = kernel.cd_update(x.value, h.value, k=live["k"], lr=live["lr"],
                                 momentum=live["momentum"], weight_decay=live["weight_decay"],
                                 persistent=persistent)
        recon_error.value[...] = error

    def report_epoch(phase_now):
        step = phase_now.step
        events = []
        if monitor["train_rows"]:
            sample = train_sample[:monitor["train_rows"]]
            events.append(Scalar("free_energy/train", step,
                                 float(to_host(backend, kernel.free_energy(sample).mean()))))
        if monitor["val_rows"]:
            mean = float(to_host(backend, monitor["val_sum"])[0]) / monitor["val_rows"]
            events.append(Scalar("free_energy/val", step, mean))
            monitor["val_sum"].fill(0)
            monitor["val_rows"] = 0
        return events

    def report_images(phase_now):
        return image_events(ctx.node_id, phase_now.step, backend, kernel, x.value, h.value,
                            monitor)

    ctx.monitor(report_epoch, every="epoch")
    ctx.monitor(report_images, every="step", min_interval_s=IMAGE_INTERVAL_S)
    stop_on_validation(ctx, "recon_error")
    return Step(forward, update=update)


def stop_on_validation(ctx, metric: str) -> None:
    """Early stopping on this node's validation metric when its stop_factor is set."""
    program, live = ctx.program, ctx.params
    node_id, label = ctx.node_id, ctx.label

    def rule(history):
        if not history or not live["stop_factor"]:
            return None
        key = program.metric_keys.get((node_id, metric), metric)
        why = stop_reason(history, key, live["stop_factor"], 1, 0.0, label)
        return None if why is None else Stop(FinishReason.EARLY_STOPPED, why)

    ctx.stop_rule(rule)


def image_events(node_id, step, backend, kernel, data, hidden, state) -> list:
    """Weights, hidden probabilities, data beside reconstructions and Gibbs-chain samples."""
    n_visible = kernel.W.shape[0]
    shape = glyph_shape(n_visible)
    events = []
    W_host = to_host(backend, kernel.W)[:, :MAX_TILES]
    image_shape = shape if shape[0] > 1 else None
    events.append(Image(f"weights/{node_id}", step, weight_tiles(W_host, image_shape)))
    events.append(Image(f"hidden/{node_id}", step,
                        np.clip(to_host(backend, hidden[:MAX_TILES]), 0, 1)))
    shown = min(SHOWN_SAMPLES, data.shape[0])
    if shown and shape[0] > 1:
        xp = kernel.xp
        rows = data[:shown]
        h = kernel.hidden_probs(rows, kernel.h_model[:shown])
        v = kernel.visible_mean(kernel.sample_hidden(h, kernel.h_sample[:shown]),
                                kernel.v_mean[:shown])
        pair = xp.stack([rows, v], axis=1).reshape(2 * shown, n_visible)
        events.append(Image(f"recon/{node_id}", step,
                            tile_images(to_host(backend, pair), shape, columns=8,
                                        normalize="all")))
        events.append(Image(f"samples/{node_id}", step,
                            tile_images(gibbs_samples(backend, kernel, state), shape,
                                        normalize="all")))
    return events


def gibbs_samples(backend, kernel, state) -> np.ndarray:
    """Visible means of a small chain kept between views, advanced a few Gibbs steps."""
    xp = kernel.xp
    count = min(SHOWN_SAMPLES, kernel.h_uniform.shape[0])
    if state["chain"] is None:
        state["chain"] = xp.asarray(kernel.rng.random((count, kernel.W.shape[0]))
                                    .astype(kernel.W.dtype))
    v = state["chain"]
    h = xp.empty((count, kernel.W.shape[1]), dtype=v.dtype)
    mean = xp.empty_like(v)
    for _ in range(GIBBS_STEPS_PER_VIEW):
        kernel.sample_hidden(kernel.hidden_probs(v, h), h)
        kernel.sample_visible(kernel.visible_mean(h, mean), v)
    return to_host(backend, mean)


NODES = [(SPEC, build)]
