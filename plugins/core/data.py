"""Data nodes: built-in datasets served as (x, y) minibatches."""

from __future__ import annotations

import numpy as np

from engines.datafeed import ArrayFeed, split_train_val
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec

DATASET_SHAPES = {"xor": (2, 1)}


def xor():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    return x, np.array([[0], [1], [1], [0]], dtype=np.float64)


GENERATORS = {"xor": xor}


def infer_shapes(params, in_shapes):
    features, targets = DATASET_SHAPES[params["dataset"]]
    return {"x": (None, features), "y": (None, targets)}, {}


SPEC = NodeSpec(
    type_id="core.dataset", title="Dataset", category="Data",
    doc="A built-in dataset, shuffled with the run's seed and split into train/validation.",
    outputs=(PortSpec("x", PortKind.TENSOR, "Inputs."), PortSpec("y", PortKind.TENSOR, "Targets.")),
    params=(
        ParamSpec("dataset", ParamType.CHOICE, "xor", "Which dataset.",
                  choices=tuple(GENERATORS)),
        ParamSpec("batch_size", ParamType.INT, 4, "Samples per step.", range=(1, 1 << 20)),
        ParamSpec("val_split", ParamType.FLOAT, 0.0, "Share held out for validation.",
                  range=(0.0, 0.9)),
        ParamSpec("shuffle", ParamType.BOOL, True, "Reshuffle the training set every epoch."),
    ),
    infer_shapes=infer_shapes,
    tags=frozenset({"data"}),
)


def build(ctx):
    p = ctx.params
    x, y = GENERATORS[p["dataset"]]()
    out_x = ctx.output("x", (None, x.shape[1]))
    out_y = ctx.output("y", (None, y.shape[1]))
    parts = split_train_val(x, y, p["val_split"], ctx.rng)
    ctx.feed(ArrayFeed(ctx.backend, *parts, p["batch_size"], int(ctx.rng.integers(2**31)),
                       out_x, out_y, shuffle=p["shuffle"], dtype=ctx.dtype))
    return None


NODES = [(SPEC, build)]
