"""Sequence data nodes: the built-in sequence tasks and sequence files (NPY, CSV).

Each serves x (batch, time, features) and y (batch, time, outputs) as sequences, y[:, t] being
the answer after reading x[:, :t + 1], and y_last = y[:, -1] as a plain tensor for
many-to-one models (the adding problem's sum, the parity of the whole string).
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from engines.datafeed import split_train_val
from engines.program import DataFeed
from graph.spec import NodeRole, NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from plugins.recurrent import datasets

OUTPUTS = (
    PortSpec("x", PortKind.SEQUENCE, "Input sequences (batch, time, features)."),
    PortSpec("y", PortKind.SEQUENCE, "Target of every step (batch, time, outputs)."),
    PortSpec("y_last", PortKind.TENSOR, "Target of the last step (batch, outputs)."),
)


def serving_params(batch_size: int = 32) -> tuple:
    return (
        ParamSpec("batch_size", ParamType.INT, batch_size, "Sequences per step.",
                  range=(1, 1 << 20)),
        ParamSpec("val_split", ParamType.FLOAT, 0.2, "Share held out for validation.",
                  range=(0.0, 0.9)),
        ParamSpec("shuffle", ParamType.BOOL, True, "Reshuffle the training set every epoch "
                  "(turn off for stateful recurrences that carry state across batches)."),
    )


class SequenceFeed(DataFeed):
    """Serves (x, y) sequence minibatches and y's last step into preallocated buffers."""

    def __init__(self, ctx, x, y, out_x, out_y, out_last):
        p = ctx.params
        x_train, y_train, x_val, y_val = split_train_val(x, y, p["val_split"], ctx.rng)
        if len(x_train) == 0:
            raise ctx.error(f"{ctx.label}: no sequences are left for training ({len(x)} in "
                            f"all, val_split {p['val_split']}).")
        xp = self.xp = ctx.xp
        self.batch_size = int(p["batch_size"])
        self.n_train, self.n_val = len(x_train), len(x_val)
        self.x = {"train": xp.asarray(x_train, dtype=ctx.dtype),
                  "val": xp.asarray(x_val, dtype=ctx.dtype)}
        self.y = {"train": xp.asarray(y_train, dtype=ctx.dtype),
                  "val": xp.asarray(y_val, dtype=ctx.dtype)}
        self.shuffle = p["shuffle"]
        self.rng = np.random.default_rng(int(ctx.rng.integers(2**31)))
        self.order = {"train": xp.arange(self.n_train), "val": xp.arange(self.n_val)}
        self.out_x, self.out_y, self.out_last = out_x, out_y, out_last

    def begin_epoch(self, epoch: int) -> None:
        if self.shuffle and self.n_train:
            self.order["train"] = self.xp.asarray(self.rng.permutation(self.n_train))

    def load(self, split: str, batch_index: int) -> int:
        start = batch_index * self.batch_size
        index = self.order[split][start:start + self.batch_size]
        rows = int(index.shape[0])
        self.xp.take(self.x[split], index, axis=0, out=self.out_x.storage[:rows])
        self.xp.take(self.y[split], index, axis=0, out=self.out_y.storage[:rows])
        self.out_last.storage[:rows] = self.out_y.storage[:rows, -1]
        return rows


def serve(ctx, x, y) -> None:
    """Allocate the three outputs for (samples, time, features) arrays and register the feed."""
    out_x = ctx.output("x", (None, *x.shape[1:]))
    out_y = ctx.output("y", (None, *y.shape[1:]))
    out_last = ctx.output("y_last", (None, y.shape[2]))
    ctx.feed(SequenceFeed(ctx, x, y, out_x, out_y, out_last))


# -- built-in tasks ---------------------------------------------------------------------------
def infer_task_shapes(params, in_shapes):
    features, outputs = datasets.task_shapes(params["task"])
    steps = params["steps"]
    if params["task"] == "copy" and steps < 2 * datasets.COPY_LENGTH + 1:
        raise ShapeError(f"the copy task needs at least {2 * datasets.COPY_LENGTH + 1} steps; "
                         f"'steps' is {steps}.")
    return {"x": (None, steps, features), "y": (None, steps, outputs),
            "y_last": (None, outputs)}, {}


TASK_SPEC = NodeSpec(
    type_id="recurrent.sequence_task", title="Sequence task", category="Data",
    doc="Built-in sequence tasks, generated with the run's seed: 'sine' and 'mackey_glass' "
        "(chaotic, tau 17) next-value prediction; 'adding' (sum of the two marked values); "
        "'copy' (repeat 5 symbols after a gap); 'parity' (of the bits so far); 'chars' and "
        "'words' (next token of a short text shipped with the project, one-hot).",
    outputs=OUTPUTS,
    params=(
        ParamSpec("task", ParamType.CHOICE, "sine", "Which task.",
                  choices=tuple(datasets.TASKS)),
        ParamSpec("steps", ParamType.INT, 50, "Sequence length (time steps).",
                  range=(1, 100000)),
        ParamSpec("samples", ParamType.INT, 1000, "Number of sequences.", range=(2, 1 << 22)),
    ) + serving_params(),
    infer_shapes=infer_task_shapes,
    role=NodeRole.DATA,
)


def build_task(ctx):
    p = ctx.params
    if p["steps"] < 1:
        raise ctx.error(f"{ctx.label}: sequence length 0; set 'steps' to at least 1.")
    try:
        x, y = datasets.TASKS[p["task"]](p["samples"], p["steps"], ctx.rng)
    except ValueError as exc:
        raise ctx.error(f"{ctx.label}: {exc}.") from None
    vocabulary = datasets.vocabulary(p["task"])
    if vocabulary is not None:
        ctx.program.extras.setdefault("vocabulary", vocabulary)
    serve(ctx, x, y)


# -- files ------------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _read(path: str, mtime: float) -> np.ndarray:
    if path.lower().endswith(".npy"):
        return np.load(path, allow_pickle=False)
    return np.loadtxt(path, delimiter=",", ndmin=2, comments="#")


def read_sequences(path: str, steps: int, targets: int):
    """(x, y) from a file: an .npy of shape (samples, time, features) whose last `targets`
    features are the targets, or a (time, features) series (.csv or 2-D .npy) cut into
    windows of `steps` whose targets are the next step's last `targets` columns."""
    if not os.path.isfile(path):
        raise ValueError(f"file '{path}' does not exist")
    try:
        array = _read(path, os.path.getmtime(path)).astype(np.float64)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read '{path}' ({exc})") from None
    if array.ndim == 3:
        if not 0 < targets < array.shape[2]:
            raise ValueError(f"'{path}' has {array.shape[2]} features per step; 'targets' "
                             f"must lie between 1 and {array.shape[2] - 1}")
        return array[:, :, :-targets], array[:, :, -targets:]
    if array.ndim != 2:
        raise ValueError(f"'{path}' has shape {array.shape}; expected (time, features) or "
                         "(samples, time, features)")
    if len(array) < steps + 2:
        raise ValueError(f"'{path}' has {len(array)} rows; windows of {steps} steps need at "
                         f"least {steps + 2}")
    index = np.arange(len(array) - steps)[:, None] + np.arange(steps + 1)
    windows = array[index]
    return windows[:, :-1], windows[:, 1:, -targets:]


def infer_file_shapes(params, in_shapes):
    path = params["path"]
    if not path or not os.path.isfile(path):
        return {"x": None, "y": None, "y_last": None}, {}
    try:
        x, y = read_sequences(path, params["steps"], params["targets"])
    except ValueError as exc:
        raise ShapeError(str(exc)) from None
    return {"x": (None, *x.shape[1:]), "y": (None, *y.shape[1:]),
            "y_last": (None, y.shape[2])}, {}


FILE_SPEC = NodeSpec(
    type_id="recurrent.sequence_file", title="Sequence file", category="Data",
    doc="Sequences from a file: an .npy array (samples, time, features) whose last 'targets' "
        "features are the targets, or a series (.csv rows or a 2-D .npy: time, features) cut "
        "into windows of 'steps' that predict the next row's last 'targets' columns.",
    outputs=OUTPUTS,
    params=(
        ParamSpec("path", ParamType.PATH, "", "The .npy or .csv file."),
        ParamSpec("steps", ParamType.INT, 20, "Window length for a series.",
                  range=(1, 100000)),
        ParamSpec("targets", ParamType.INT, 1, "Target columns (the last ones).",
                  range=(1, 100000)),
    ) + serving_params(),
    infer_shapes=infer_file_shapes,
    role=NodeRole.DATA,
)


def build_file(ctx):
    p = ctx.params
    try:
        x, y = read_sequences(p["path"], p["steps"], p["targets"])
    except ValueError as exc:
        raise ctx.error(f"{ctx.label}: {exc}.") from None
    if x.shape[1] == 0:
        raise ctx.error(f"{ctx.label}: '{p['path']}' holds sequences of length 0.")
    serve(ctx, x, y)


NODES = [(TASK_SPEC, build_task), (FILE_SPEC, build_file)]
