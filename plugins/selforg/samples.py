"""Sample sets for self-organising networks, served whole (not in minibatches).

`selforg.samples` emits a fixed (count, features) block: points uniform in the unit square,
points on a ring (an annulus), scikit-learn's 8x8 digits in [0, 1], or printed letters as
binary glyphs (for ART1), with integer labels where the set has classes.
"""

from __future__ import annotations

import numpy as np

from engines.program import Step
from graph.spec import NodeRole, NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError

SETS = ("uniform", "ring", "digits", "letters")
DIGITS = 1797


def make_samples(params: dict, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Host (x (count, features), labels (count,)) for the chosen set."""
    kind, count = params["set"], params["count"]
    if kind == "uniform":
        return rng.random((count, 2)), np.zeros(count, dtype=np.int64)
    if kind == "ring":
        radius = np.sqrt(rng.uniform(0.6**2, 1.0, count))  # uniform over the annulus' area
        angle = rng.uniform(0.0, 2 * np.pi, count)
        xy = 0.5 + 0.5 * np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
        return xy, np.zeros(count, dtype=np.int64)
    if kind == "digits":
        from engines.datasets.digits import digits
        x, labels = digits()
        chosen = rng.permutation(len(x))[:min(count, len(x))]
        return x[chosen].astype(np.float64), labels[chosen]
    from engines.datasets.letters import bipolar_glyphs
    text = params["letters"]
    binary = (bipolar_glyphs(size=params["size"], letters=text) > 0).astype(np.float64)
    return binary, np.arange(len(text), dtype=np.int64)


def infer_shapes(params, in_shapes):
    kind, count = params["set"], params["count"]
    if kind in ("uniform", "ring"):
        rows, features = count, 2
    elif kind == "digits":
        rows, features = min(count, DIGITS), 64
    else:
        if not params["letters"]:
            raise ShapeError("needs at least one character in 'letters'.")
        rows, features = len(params["letters"]), params["size"] ** 2
    return {"x": (rows, features), "labels": (rows, 1)}, {}


SPEC = NodeSpec(
    type_id="selforg.samples", title="Samples (whole set)", category="Self-organising",
    doc="A fixed block of samples for SOM, ART1 and friends: uniform points in the unit "
        "square, a ring, 8x8 digits in [0, 1], or letters as binary glyphs. Seeded.",
    outputs=(PortSpec("x", PortKind.TENSOR, "Samples (count, features)."),
             PortSpec("labels", PortKind.TENSOR, "Class of each sample (count, 1).")),
    params=(
        ParamSpec("set", ParamType.CHOICE, "uniform", "Which samples.", choices=SETS),
        ParamSpec("count", ParamType.INT, 1000, "Samples (uniform, ring, digits).",
                  range=(1, 1 << 22)),
        ParamSpec("letters", ParamType.STRING, "ABCDEFGH", "Letters: the characters drawn."),
        ParamSpec("size", ParamType.INT, 8, "Letters: glyph side in pixels.", range=(3, 64)),
    ),
    infer_shapes=infer_shapes, role=NodeRole.DATA, differentiable=False,
)


def build(ctx):
    x, labels = make_samples(ctx.params.values, ctx.rng)
    out = ctx.output("x", x.shape, batched=False)
    out.value[...] = ctx.xp.asarray(x.astype(ctx.dtype))
    out_labels = ctx.output("labels", (len(labels), 1), batched=False)
    out_labels.value[...] = ctx.xp.asarray(labels[:, None].astype(ctx.dtype))
    return Step()


NODES = [(SPEC, build)]
