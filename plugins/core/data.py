"""Data nodes: built-in datasets and users' CSV / NumPy / IDX files served as (x, y) minibatches.

Every data node shuffles and splits with the compile seed, serves minibatches through an
ArrayFeed into preallocated buffers, and carries the "data" tag (the compiler reads its
batch_size). Shape rules never generate data: built-in sets use a static table, file nodes
read the file (cached by modification time) and report unknown shapes when they cannot.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from engines import datasets
from engines.datafeed import NORMALISERS, ArrayFeed, class_targets, normalise, split_train_val
from engines.datasets import DatasetError
from graph.spec import AppliesWhen, NodeRole, NodeSpec, ParamSpec, ParamType, PortKind, PortSpec
from plugins.core.regions import add_decision_regions, reserve_grid_rows
from plugins.core.views import DECISION_REGIONS

_OUTPUTS = (PortSpec("x", PortKind.TENSOR, "Inputs (batch, features)."),
            PortSpec("y", PortKind.TENSOR, "Targets (batch, outputs)."))


def _serving_params(batch_size: int, val_split: float) -> tuple:
    return (
        ParamSpec("batch_size", ParamType.INT, batch_size, "Samples per step.",
                  range=(1, 1 << 20)),
        ParamSpec("val_split", ParamType.FLOAT, val_split, "Share held out for validation.",
                  range=(0.0, 0.9)),
        ParamSpec("shuffle", ParamType.BOOL, True, "Reshuffle the training set every epoch."),
        ParamSpec("classes", ParamType.INTS, [], "Keep only the samples of these classes "
                  "(indexes of the one-hot target, or the label value of a single target "
                  "column), e.g. [2] to train on the 2s alone; empty: every class.",
                  range=(0, 1 << 20)),
    )


def class_filter(x, y, classes, label: str):
    """The rows of (x, y) whose class is in `classes` (all rows when it is empty)."""
    if not len(classes):
        return x, y
    labels = y.argmax(axis=1) if y.shape[1] > 1 else np.rint(y[:, 0]).astype(np.int64)
    keep = np.isin(labels, np.asarray(classes))
    if not keep.any():
        raise DatasetError(f"{label}: no samples of class {', '.join(map(str, classes))}; "
                           f"its classes are {', '.join(map(str, np.unique(labels)[:20]))}.")
    return x[keep], y[keep]


def serve(ctx, x, y, method: str = "none", y_is_x: bool = False, corrupt=None) -> None:
    """Split (seeded), normalise with training statistics, and register the node's feed.

    corrupt(x_part, split) -> x_part, when given, adds noise to each split after the split.
    """
    p = ctx.params
    x = np.asarray(x).reshape(len(x), -1)
    y = np.asarray(y).reshape(len(y), -1)
    if p.get("classes"):
        if y_is_x:
            raise ctx.error(f"{ctx.label}: 'classes' needs class targets; this node's "
                            "targets are its inputs.")
        try:
            x, y = class_filter(x, y, list(p["classes"]), ctx.label)
        except DatasetError as exc:
            raise ctx.error(str(exc)) from None
    x_train, y_train, x_val, y_val = split_train_val(x, y, p["val_split"], ctx.rng)
    if len(x_train) == 0:
        raise ctx.error(f"{ctx.label}: no samples are left for training "
                        f"({len(x)} in all, val_split {p['val_split']}).")
    if corrupt is not None:
        x_train, x_val = corrupt(x_train, "train"), corrupt(x_val, "val")
    x_train, x_val = normalise(x_train, x_val, method)
    batch_size = p["batch_size"]
    if ctx.full_batch:  # the optimizer evaluates the whole split per step (graph validation
        batch_size = len(x_train)  # puts the same note on this node's card)
        ctx.grow_batch(batch_size)
    if y_is_x:  # autoencoder targets: the same (normalised) inputs
        y_train, y_val = x_train, x_val
    if not y_is_x:
        reserve_grid_rows(ctx, x.shape[1])
    out_x = ctx.output("x", (None, x.shape[1]))
    out_y = ctx.output("y", (None, y.shape[1]))
    ctx.feed(ArrayFeed(ctx.backend, x_train, y_train, x_val, y_val, batch_size,
                       int(ctx.rng.integers(2**31)), out_x, out_y, shuffle=p["shuffle"],
                       dtype=ctx.dtype))
    if not y_is_x:
        add_decision_regions(ctx, out_x, x_train, y_train)


# -- built-in datasets -----------------------------------------------------------------------
DATASET_SHAPES = {  # dataset -> (features, target columns); `samples` never changes these
    "xor": (2, 1), "and": (2, 1), "or": (2, 1), "spirals": (2, 1), "blobs": (2, 3),
    "sine": (1, 1), "digits": (64, 10), "letters": (29 * 29, 26), "pca3d": (3, 3),
}


def _logic(op):
    def load(samples, noise, rng):
        x, labels = datasets.logic(op)
        return x, class_targets(labels, 2)
    return load


def _spirals(samples, noise, rng):
    x, labels = datasets.two_spirals(samples, noise, rng)
    return x, class_targets(labels, 2)


def _blobs(samples, noise, rng):
    x, labels = datasets.blobs(samples, 3, noise, rng)
    return x, class_targets(labels, 3)


def _digits(samples, noise, rng):
    x, labels = datasets.digits()
    return x, class_targets(labels, 10)


def _letters(samples, noise, rng):
    """Every face's glyphs repeated up to `samples` rows, each copy with its own noise."""
    clean, labels = datasets.letters(size=29)
    rows = np.arange(max(samples, len(clean))) % len(clean)
    x = datasets.add_pixel_noise(clean[rows], noise, 0.0, rng)
    return x, class_targets(labels[rows], 26)


def _pca3d(samples, noise, rng):
    x, _ = datasets.pca3d(samples, noise, rng)
    return x, x


# the datasets that read `samples` and `noise` (logic tables and digits have a fixed size)
_GENERATED = AppliesWhen("dataset", ("spirals", "blobs", "sine", "letters", "pca3d"))

GENERATORS = {
    "xor": _logic("xor"), "and": _logic("and"), "or": _logic("or"), "spirals": _spirals,
    "blobs": _blobs, "sine": lambda n, noise, rng: datasets.sine(n, noise, rng),
    "digits": _digits, "letters": _letters, "pca3d": _pca3d,
}


def infer_dataset_shapes(params, in_shapes):
    features, targets = DATASET_SHAPES[params["dataset"]]
    return {"x": (None, features), "y": (None, targets)}, {}


DATASET_SPEC = NodeSpec(
    type_id="core.dataset", title="Dataset", category="Data",
    doc="A built-in dataset (generated or shipped), shuffled with the run's seed and split into "
        "train/validation. Classes are one-hot targets, two-class sets one 0/1 column; sine "
        "is regression; pca3d's targets are its inputs (autoencoders).",
    outputs=_OUTPUTS,
    params=(
        ParamSpec("dataset", ParamType.CHOICE, "xor", "Which dataset.",
                  choices=tuple(GENERATORS)),
        ParamSpec("samples", ParamType.INT, 200, "Points to generate (spirals, blobs, sine, "
                  "pca3d) or noisy letter copies (at least one per glyph); logic tables "
                  "and digits have a fixed size.", range=(2, 1 << 22),
                  applies_when=_GENERATED),
        ParamSpec("noise", ParamType.FLOAT, 0.1, "Noise level: jitter (spirals, sine, pca3d), "
                  "cluster spread (blobs) or pixel noise (letters).", range=(0.0, 10.0),
                  applies_when=_GENERATED),
        ParamSpec("val_noise", ParamType.FLOAT, 0.0, "Letters: extra pixel noise on the "
                  "validation split (a noisier validation set).", range=(0.0, 10.0),
                  applies_when=AppliesWhen("dataset", ("letters",))),
        *_serving_params(4, 0.0),
    ),
    infer_shapes=infer_dataset_shapes,
    role=NodeRole.DATA,
    views=(DECISION_REGIONS,),
)


def build_dataset(ctx):
    p = ctx.params
    if p["dataset"] != "letters":
        x, y = GENERATORS[p["dataset"]](p["samples"], p["noise"], ctx.rng)
        serve(ctx, x, y)
        return
    x, y = _letters(p["samples"], 0.0, ctx.rng)  # clean copies; noise per split below

    def corrupt(part, split):
        level = p["noise"] + (p["val_noise"] if split == "val" else 0.0)
        return datasets.add_pixel_noise(part, level, 0.0, ctx.rng)
    serve(ctx, x, y, corrupt=corrupt)


# -- users' files ----------------------------------------------------------------------------
_EDIT_TIME_LIMIT = 64 << 20  # bytes; larger files show unknown shapes until compiled


@lru_cache(maxsize=8)
def _load_cached(loader, stamp, *args):
    return loader(*args)


def _load(loader, path, *args):
    """Call loader(path, *args), reusing the result while the file is unchanged."""
    try:
        stat = os.stat(path)
    except OSError:
        return loader(path, *args)  # raises the loader's own message
    return _load_cached(loader, (stat.st_mtime_ns, stat.st_size), path, *args)


def _targets(path, x, y, one_hot: bool):
    """(x 2-D, y 2-D, y_is_x) with y one-hot over the sorted distinct labels when asked."""
    x = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
    if y is None:
        return x, x, True
    y = np.asarray(y)
    if one_hot:
        column = y.reshape(len(y), -1)
        if column.shape[1] != 1 or np.any(column != np.round(column)):
            raise DatasetError(f"{os.path.basename(path)}: one_hot needs one target column of "
                               "whole-number class labels.")
        values, labels = np.unique(column[:, 0], return_inverse=True)
        y = np.zeros((len(labels), len(values)), dtype=np.float32)
        y[np.arange(len(labels)), labels] = 1.0
        return x, y, False
    return x, np.asarray(y, dtype=np.float32).reshape(len(y), -1), False


@lru_cache(maxsize=64)
def _peek_cached(peek, stamp, *args) -> str | None:
    try:
        peek(*args)
    except DatasetError as exc:
        return str(exc)
    return None


def _peek(peek, path, *args) -> str | None:
    """Why peek(path, *args) refuses the file, or None; cached while the file is unchanged."""
    try:
        info = os.stat(path)
        stamp = (info.st_mtime_ns, info.st_size, info.st_mode, datasets.max_data_bytes())
    except (OSError, ValueError):
        return _peek_cached.__wrapped__(peek, None, path, *args)  # its own message, uncached
    return _peek_cached(peek, stamp, path, *args)


def check_csv(params) -> str | None:
    """check_files for the CSV node: the file's kind, size and first few KiB."""
    return _peek(datasets.peek_csv, params["path"])


def check_numpy(params) -> str | None:
    """check_files for the NumPy node: the .npy header or the .npz arrays' headers."""
    return _peek(datasets.peek_numpy, params["path"], params["x_key"], params["y_key"])


def check_idx(params) -> str | None:
    """check_files for the IDX node: both files' headers against their sizes."""
    problem = _peek(datasets.peek_idx, params["path"])
    if problem is None and params["labels_path"]:
        problem = _peek(datasets.peek_idx, params["labels_path"])
    return problem


def _file_shapes(read):
    """Shape rule for a file node: read() -> (x, y, y_is_x); unknown (no shapes) on failure."""
    def infer(params, in_shapes):
        path = params.get("path") or ""
        try:
            if not path or os.path.getsize(path) > _EDIT_TIME_LIMIT:
                return {}, {}
            x, y, _ = read(params)
        except (OSError, DatasetError):
            return {}, {}
        return {"x": (None, x.shape[1]), "y": (None, y.shape[1])}, {}
    return infer


def _file_builder(read):
    def build(ctx):
        try:
            x, y, y_is_x = read(ctx.params)
        except DatasetError as exc:
            raise ctx.error(f"{ctx.label}: {exc}") from None
        serve(ctx, x, y, ctx.params["normalise"], y_is_x)
    return build


def _file_params(one_hot: bool, method: str) -> tuple:
    return (
        ParamSpec("one_hot", ParamType.BOOL, one_hot,
                  "Turn a single class-label target column into one-hot rows."),
        ParamSpec("normalise", ParamType.CHOICE, method, "Scale inputs with training-split "
                  "statistics: none, max (divide by the largest value), minmax, standardize.",
                  choices=NORMALISERS),
        *_serving_params(32, 0.2),
    )


def read_csv(params):
    path = params["path"]
    x, y, _ = _load(datasets.load_csv, path, params["targets"], params["header"])
    return _targets(path, x, y, params["one_hot"])


CSV_SPEC = NodeSpec(
    type_id="core.csv_file", title="CSV file", category="Data",
    doc="A numeric CSV file from disk; the target columns become y, the rest x (y = x when no "
        "targets are chosen).",
    outputs=_OUTPUTS,
    params=(
        ParamSpec("path", ParamType.PATH, "", "The .csv file."),
        ParamSpec("targets", ParamType.STRING, "-1", "Target columns: names or indexes, "
                  "comma-separated (-1 is the last column); empty for none."),
        ParamSpec("header", ParamType.CHOICE, "auto", "Whether the first row names the "
                  "columns (auto: when it holds any non-number).", choices=("auto", "yes", "no")),
        *_file_params(False, "none"),
    ),
    infer_shapes=_file_shapes(read_csv),
    role=NodeRole.DATA,
    check_files=check_csv,
    views=(DECISION_REGIONS,),
)


def read_numpy(params):
    path = params["path"]
    x, y = _load(datasets.load_numpy, path, params["x_key"], params["y_key"])
    if y is None and params["targets"]:
        x2 = np.asarray(x).reshape(len(x), -1)
        names = [str(i) for i in range(x2.shape[1])]
        chosen = datasets.resolve_columns(path, params["targets"], names)
        rest = [i for i in range(x2.shape[1]) if i not in chosen]
        x, y = x2[:, rest], x2[:, chosen]
    return _targets(path, x, y, params["one_hot"])


NUMPY_SPEC = NodeSpec(
    type_id="core.numpy_file", title="NumPy file", category="Data",
    doc="Arrays from a .npz (keys x_key, y_key) or a single .npy; images are flattened. "
        "Files holding Python objects are refused (loaded with allow_pickle=False).",
    outputs=_OUTPUTS,
    params=(
        ParamSpec("path", ParamType.PATH, "", "The .npy or .npz file."),
        ParamSpec("x_key", ParamType.STRING, "x", "Array of inputs in an .npz."),
        ParamSpec("y_key", ParamType.STRING, "y", "Array of targets in an .npz; empty for "
                  "none (y = x)."),
        ParamSpec("targets", ParamType.STRING, "", "For a single array: columns to use as "
                  "targets (indexes, comma-separated); empty for none (y = x)."),
        *_file_params(False, "none"),
    ),
    infer_shapes=_file_shapes(read_numpy),
    role=NodeRole.DATA,
    check_files=check_numpy,
    views=(DECISION_REGIONS,),
)


def read_idx(params):
    path = params["path"]
    x, labels = _load(datasets.load_idx_pair, path, params["labels_path"])
    return _targets(path, x, labels, params["one_hot"])


IDX_SPEC = NodeSpec(
    type_id="core.idx_file", title="IDX files", category="Data",
    doc="MNIST-format IDX files (optionally .gz): images become flattened x, the labels file "
        "y (y = x without one).",
    outputs=_OUTPUTS,
    params=(
        ParamSpec("path", ParamType.PATH, "", "Images file, e.g. train-images-idx3-ubyte.gz."),
        ParamSpec("labels_path", ParamType.PATH, "", "Labels file; empty for none."),
        *_file_params(True, "max"),
    ),
    infer_shapes=_file_shapes(read_idx),
    role=NodeRole.DATA,
    check_files=check_idx,
    views=(DECISION_REGIONS,),
)

NODES = [
    (DATASET_SPEC, build_dataset),
    (CSV_SPEC, _file_builder(read_csv)),
    (NUMPY_SPEC, _file_builder(read_numpy)),
    (IDX_SPEC, _file_builder(read_idx)),
]
