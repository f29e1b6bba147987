"""Input corruption for denoising autoencoders: Gaussian noise, input dropout, or the notes'
salt noise (a share of pixels set to 0 or to random values). Active while training, and on
validation batches unless 'in_eval' is off; the clean input stays the target."""

from __future__ import annotations

from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, no_params_same_shape
from plugins.core.noise import normal_filler, uniform_filler

KINDS = ("gaussian", "dropout", "salt")

SPEC = NodeSpec(
    type_id="ae.corrupt", title="Corrupt input", category="Autoencoders",
    doc="Denoising autoencoders' corruption, while training and (with 'in_eval', the "
        "default) on validation batches: gaussian adds N(0, level^2); dropout zeroes a share "
        "'level' of the values (no rescaling: the decoder must restore them); salt sets a "
        "share 'level' of the values to 0 or, with salt_random, to uniform random values in "
        "[0, 1]. No gradient flows back (it corrupts data). A Side-by-side view node shows "
        "noisy input, output and clean input together.",
    inputs=(PortSpec("x", PortKind.TENSOR, "Clean input (batch, features)."),),
    outputs=(PortSpec("y", PortKind.TENSOR, "Corrupted input."),),
    params=(
        ParamSpec("kind", ParamType.CHOICE, "gaussian", "Kind of corruption.", choices=KINDS),
        ParamSpec("level", ParamType.FLOAT, 0.3, "Noise stddev (gaussian) or share of values "
                  "hit (dropout, salt).", range=(0.0, 10.0), live=True),
        ParamSpec("salt_random", ParamType.BOOL, False, "Salt: random values instead of 0."),
        ParamSpec("in_eval", ParamType.BOOL, True, "Corrupt validation batches too (to see "
                  "and measure denoising)."),
    ),
    infer_shapes=no_params_same_shape,
    differentiable=False,
    stochastic=True,
)


def build(ctx):
    xp, live, phase = ctx.xp, ctx.params, ctx.phase
    x, y = ctx.input("x"), ctx.output("y")
    kind, random_salt, in_eval = ctx.params["kind"], ctx.params["salt_random"], \
        ctx.params["in_eval"]
    draws = ctx.scratch(y.storage.shape)
    values = ctx.scratch(y.storage.shape)
    hits = ctx.scratch(y.storage.shape, dtype=bool)
    normal, uniform = normal_filler(ctx), uniform_filler(ctx)
    uniform_values = uniform_filler(ctx)

    def gaussian(rows, level):
        d = draws[:rows]
        normal(d)
        xp.multiply(d, level, out=y.value)
        y.value += x.value

    def zero_some(rows, level):  # dropout, and salt with zeros: keep where the draw >= level
        keep = hits[:rows]
        uniform(draws[:rows])
        xp.greater_equal(draws[:rows], level, out=keep)
        xp.multiply(x.value, keep, out=y.value)

    def random_salt_values(rows, level):
        hit, v = hits[:rows], values[:rows]
        uniform(draws[:rows])
        xp.less(draws[:rows], level, out=hit)
        uniform_values(v)
        xp.copyto(y.value, x.value)
        xp.copyto(y.value, v, where=hit)

    corrupt = gaussian if kind == "gaussian" else \
        random_salt_values if (kind == "salt" and random_salt) else zero_some

    def forward():
        level = live["level"]
        if (not phase.training and not in_eval) or level == 0:
            xp.copyto(y.value, x.value)
            return
        corrupt(x.value.shape[0], level)

    return Step(forward)


NODES = [(SPEC, build)]
