"""Pattern sources and a corruption node for associative-memory and Boltzmann experiments.

`energy.patterns` emits a fixed (count, N) block of patterns: printed letters as bipolar glyphs,
random patterns, or the one-hot pairs of the n-m-n encoder problem. `energy.corrupt` flips a
fraction of each row's bits (live), giving the noisy cues a Hopfield net must clean up.
"""

from __future__ import annotations

import numpy as np

from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError

SOURCES = ("letters", "random", "encoder")


def render_glyphs(text: str, size: int) -> np.ndarray:
    """Binary (len(text), size*size) images of each character, 1 = ink."""
    from engines.datasets.letters import bipolar_glyphs
    return (np.asarray(bipolar_glyphs(size=size, letters=text)) > 0).astype(np.float64)


def encoder_patterns(n: int) -> np.ndarray:
    """The n-m-n encoder data: row k is one-hot k on the input half and on the output half."""
    eye = np.eye(n)
    return np.concatenate([eye, eye], axis=1)


def make_patterns(params: dict, rng: np.random.Generator) -> np.ndarray:
    """Host (count, N) patterns with values in {0, 1} (binary) or {-1, 1} (bipolar)."""
    source = params["source"]
    if source == "letters":
        binary = render_glyphs(params["letters"], params["size"])
    elif source == "random":
        binary = (rng.random((params["count"], params["units"])) < 0.5).astype(np.float64)
    else:
        binary = encoder_patterns(params["count"])
    return binary if params["values"] == "binary" else 2 * binary - 1


def infer_pattern_shapes(params, in_shapes):
    source = params["source"]
    if source == "letters":
        if not params["letters"]:
            raise ShapeError("needs at least one character in 'letters'.")
        return {"patterns": (len(params["letters"]), params["size"] ** 2)}, {}
    if source == "random":
        return {"patterns": (params["count"], params["units"])}, {}
    return {"patterns": (params["count"], 2 * params["count"])}, {}


PATTERNS_SPEC = NodeSpec(
    type_id="energy.patterns", title="Patterns", category="Energy models",
    formula="y = the stored patterns ξᵖ, one per row",
    doc="A fixed block of patterns, one per row: printed letters as glyphs, random patterns "
        "(seeded), or the n-m-n encoder's one-hot pairs. Values bipolar (+-1) or binary (0/1).",
    outputs=(PortSpec("patterns", PortKind.TENSOR, "Patterns (count, N)."),),
    params=(
        ParamSpec("source", ParamType.CHOICE, "letters", "Where the patterns come from.",
                  choices=SOURCES),
        ParamSpec("letters", ParamType.STRING, "ABCDE", "Characters drawn as glyphs."),
        ParamSpec("size", ParamType.INT, 10, "Glyph side in pixels (N = size^2).",
                  range=(3, 64)),
        ParamSpec("count", ParamType.INT, 10, "Random: how many patterns; encoder: n.",
                  range=(1, 100000)),
        ParamSpec("units", ParamType.INT, 100, "Random: pattern length N.", range=(1, 1 << 20)),
        ParamSpec("values", ParamType.CHOICE, "bipolar", "Bipolar +-1 or binary 0/1 values.",
                  choices=("bipolar", "binary")),
    ),
    infer_shapes=infer_pattern_shapes,
)


def build_patterns(ctx):
    host = make_patterns(ctx.params.values, ctx.rng)
    out = ctx.output("patterns", host.shape, batched=False)
    out.value[...] = ctx.xp.asarray(host.astype(ctx.dtype))
    return None


def infer_corrupt_shapes(params, in_shapes):
    return {"y": in_shapes["x"]}, {}


CORRUPT_SPEC = NodeSpec(
    type_id="energy.corrupt", title="Corrupt bits", category="Energy models",
    formula="flip round(f·N) random bits of each row",
    doc="Flips round(fraction * N) randomly chosen bits of every row (bipolar: s -> -s; "
        "binary: s -> 1 - s). New noise is drawn whenever the input or the fraction changes.",
    inputs=(PortSpec("x", PortKind.TENSOR, "Clean patterns (rows)."),),
    outputs=(PortSpec("y", PortKind.TENSOR, "Corrupted copies."),),
    params=(
        ParamSpec("fraction", ParamType.FLOAT, 0.2, "Share of bits flipped per row.",
                  range=(0.0, 1.0), live=True),
        ParamSpec("values", ParamType.CHOICE, "bipolar", "How a bit flips.",
                  choices=("bipolar", "binary")),
    ),
    infer_shapes=infer_corrupt_shapes,
)


def flip_mask(rng: np.random.Generator, rows: int, units: int, fraction: float) -> np.ndarray:
    """Boolean (rows, units) mask with exactly round(fraction * units) True per row."""
    flips = int(round(fraction * units))
    keys = rng.random((rows, units))
    mask = np.zeros((rows, units), dtype=bool)
    if flips:
        chosen = np.argpartition(keys, flips - 1, axis=1)[:, :flips]
        np.put_along_axis(mask, chosen, True, axis=1)
    return mask


def build_corrupt(ctx):
    xp, live = ctx.xp, ctx.params
    x = ctx.input("x")
    y = ctx.output("y", tuple(x.storage.shape), batched=x.batched)
    rng = np.random.default_rng(int(ctx.rng.integers(2**31)))
    bipolar = live["values"] == "bipolar"
    seen = {"x": xp.full(x.storage.shape, np.nan, dtype=x.storage.dtype), "fraction": None}

    def forward():
        rows = x.value.shape[0]
        last = seen["x"][:rows]
        if seen["fraction"] == live["fraction"] and bool(xp.array_equal(last, x.value)):
            return
        last[...] = x.value
        seen["fraction"] = live["fraction"]
        mask = xp.asarray(flip_mask(rng, rows, x.value.shape[1], live["fraction"]))
        flipped = -x.value if bipolar else 1 - x.value
        y.value[...] = xp.where(mask, flipped, x.value)

    return Step(forward)


NODES = [(PATTERNS_SPEC, build_patterns), (CORRUPT_SPEC, build_corrupt)]
