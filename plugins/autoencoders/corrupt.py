"""Input corruption for denoising autoencoders: Gaussian noise, input dropout, or the notes'
salt noise (a share of pixels set to 0 or to random values). Active while training only; the
clean input stays the target."""

from __future__ import annotations

import numpy as np

from engines.events import Image
from engines.imaging import square_side, tile_grid
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, no_params_same_shape
from graph.views import Axis, View, ViewKind
from plugins.core.noise import normal_filler, uniform_filler

KINDS = ("gaussian", "dropout", "salt")

SPEC = NodeSpec(
    type_id="ae.corrupt", title="Corrupt input", category="Autoencoders",
    doc="Denoising autoencoders' corruption, while training only (identity in evaluation "
        "unless 'in_eval'): gaussian adds N(0, level^2); dropout zeroes a share 'level' of "
        "the values (no rescaling: the decoder must restore them); salt sets a share 'level' "
        "of the values to 0 or, with salt_random, to uniform random values in [0, 1]. No "
        "gradient flows back (it corrupts data). Its view shows noisy input, clean input and "
        "the optional 'output' side by side.",
    inputs=(PortSpec("x", PortKind.TENSOR, "Clean input (batch, features)."),
            PortSpec("output", PortKind.TENSOR, "The autoencoder's output, for the view.",
                     optional=True)),
    outputs=(PortSpec("y", PortKind.TENSOR, "Corrupted input."),),
    params=(
        ParamSpec("kind", ParamType.CHOICE, "gaussian", "Kind of corruption.", choices=KINDS),
        ParamSpec("level", ParamType.FLOAT, 0.3, "Noise stddev (gaussian) or share of values "
                  "hit (dropout, salt).", range=(0.0, 10.0), live=True),
        ParamSpec("salt_random", ParamType.BOOL, False, "Salt: random values instead of 0."),
        ParamSpec("in_eval", ParamType.BOOL, True, "Corrupt validation batches too (to see "
                  "and measure denoising)."),
    ),
    infer_shapes=lambda params, in_shapes: no_params_same_shape(params,
                                                                {"x": in_shapes["x"]}),
    differentiable=False,
    views=(View(ViewKind.IMAGE_GRID, "Noisy | clean | output", ("denoise/{node}",), x=Axis(),
                doc="Rows of noisy input, clean input and the autoencoder's output."),),
)


def build(ctx):
    xp, live, phase = ctx.xp, ctx.params, ctx.phase
    x, y, output = ctx.input("x"), ctx.output("y"), ctx.input("output")
    kind, random_salt, in_eval = ctx.params["kind"], ctx.params["salt_random"], \
        ctx.params["in_eval"]
    draws = ctx.scratch(y.storage.shape)
    values = ctx.scratch(y.storage.shape)
    normal, uniform = normal_filler(ctx), uniform_filler(ctx)
    uniform_values = uniform_filler(ctx)

    def forward():
        level = live["level"]
        if (not phase.training and not in_eval) or level == 0:
            xp.copyto(y.value, x.value)
            return
        rows = x.value.shape[0]
        d = draws[:rows]
        if kind == "gaussian":
            normal(d)
            xp.multiply(d, level, out=y.value)
            y.value += x.value
            return
        uniform(d)
        hit = d < level
        if kind == "salt" and random_salt:
            v = values[:rows]
            uniform_values(v)
            xp.copyto(y.value, x.value)
            xp.copyto(y.value, v, where=hit)
            return
        xp.multiply(x.value, ~hit, out=y.value)

    backend, node_id = ctx.backend, ctx.node_id
    side = square_side(x.storage.shape[1])

    def report(phase):
        if side is None:
            return []
        count = min(8, x.value.shape[0])
        rows = [y.value[:count], x.value[:count]]
        if output is not None:
            rows.append(output.value[:count])
        tiles = [backend.to_host(r).reshape(count, side, side) for r in rows]
        stacked = np.concatenate(tiles)
        return [Image(f"denoise/{node_id}", phase.step,
                      tile_grid(np.clip(stacked, 0, 1), columns=count))]

    ctx.monitor(report, every="epoch")
    return Step(forward)


NODES = [(SPEC, build)]
