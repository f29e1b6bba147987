"""ArrayFeed: the DataFeed for in-memory datasets (built-in generators and user files)."""

from __future__ import annotations

import math

import numpy as np

from engines.jit import LazyKernels, njit
from engines.program import DataFeed


def _compile():
    @njit
    def gather_rows(x, y, index, out_x, out_y):
        """out_x[r] = x[index[r]] and out_y[r] = y[index[r]], all 2-D and C-contiguous;
        index must be in range (a permutation of the split's rows: not checked)."""
        x_width, y_width = x.shape[1], y.shape[1]
        for r in range(index.shape[0]):
            i = index[r]
            for k in range(x_width):  # element loops, not row slices: LLVM copies these as
                out_x[r, k] = x[i, k]  # wide moves, while a slice copy is 2.4x slower
            for k in range(y_width):
                out_y[r, k] = y[i, k]

    return {"gather_rows": gather_rows}


_KERNELS = LazyKernels(_compile)


def split_train_val(x, y, val_split: float, rng: np.random.Generator):
    """Shuffle once (seeded) and cut off the last val_split share as the validation set."""
    n = len(x)
    order = rng.permutation(n)
    n_val = int(round(n * val_split)) if 0 < val_split < 1 else 0
    train, val = order[: n - n_val], order[n - n_val:]
    return x[train], y[train], x[val], y[val]


class ArrayFeed(DataFeed):
    """Serves minibatches of (x, y) arrays kept on the device into two output buffers.

    Training batches follow a fresh seeded permutation each epoch (when shuffle is on); the
    gather writes into the preallocated output storage, so a step allocates nothing. An
    optional test split is served in order like the validation split.

    On the CPU one compiled loop gathers x and y together: for a batch of 32 digits rows two
    `np.take` calls cost 5.0 us (an eighth of a small network's step) and the loop 1.7, and it
    is no slower for 784-wide rows (docs/PERFORMANCE.md).
    """

    def __init__(self, backend, x_train, y_train, x_val, y_val, batch_size: int, seed: int,
                 out_x, out_y, shuffle: bool = True, dtype=np.float32, test=None):
        xp = backend.xp
        self.xp = xp
        self.batch_size = int(batch_size)
        splits = {"train": (x_train, y_train), "val": (x_val, y_val)}
        if test is not None:  # (x_test, y_test): a held-out split, evaluated at the end
            splits["test"] = test
        self.x = {name: xp.asarray(x, dtype=dtype) for name, (x, _) in splits.items()}
        self.y = {name: xp.asarray(y, dtype=dtype) for name, (_, y) in splits.items()}
        self.n_train, self.n_val = len(x_train), len(x_val)
        self.n_test = len(test[0]) if test is not None else 0
        self.shuffle = shuffle
        self.rng = np.random.default_rng(seed)
        self.order = {name: xp.arange(len(x)) for name, (x, _) in splits.items()}
        self.out_x, self.out_y = out_x, out_y
        self._clip = xp.__name__ == "numpy"
        kernels = _KERNELS.get() if self._clip else None
        self._gather = kernels["gather_rows"] if kernels else None
        if self._gather is not None:  # 2-D views the kernel reads and writes
            self._rows2d = {name: (_flat_rows(np.ascontiguousarray(self.x[name])),
                                   _flat_rows(np.ascontiguousarray(self.y[name])))
                            for name in splits}
            self._out_rows2d = (None, None, None)  # (x storage, its 2-D view, y's)

    def begin_epoch(self, epoch: int) -> None:
        if self.shuffle and self.n_train:
            self.order["train"] = self.xp.asarray(self.rng.permutation(self.n_train))

    def load(self, split: str, batch_index: int) -> int:
        start = batch_index * self.batch_size
        index = self.order[split][start: start + self.batch_size]
        rows = len(index)
        out_x, out_y = self.out_x.storage, self.out_y.storage
        if self._gather is not None:
            storage, flat_x, flat_y = self._out_rows2d
            if storage is not out_x:  # first load, or the storage was replaced
                flat_x, flat_y = _flat_rows(out_x), _flat_rows(out_y)
                self._out_rows2d = (out_x, flat_x, flat_y)
            if flat_x is not None and flat_y is not None:
                x, y = self._rows2d[split]
                self._gather(x, y, index, flat_x, flat_y)
                return rows
        if rows < len(out_x):
            out_x, out_y = out_x[:rows], out_y[:rows]
        take = self.xp.take
        if self._clip:
            # mode="clip": the indices are a permutation of the split, always in range, and
            # NumPy's default "raise" with out= gathers into a temporary first (2.7x slower)
            take(self.x[split], index, axis=0, out=out_x, mode="clip")
            take(self.y[split], index, axis=0, out=out_y, mode="clip")
        else:
            take(self.x[split], index, axis=0, out=out_x)
            take(self.y[split], index, axis=0, out=out_y)
        return rows


def _flat_rows(array):
    """A C-contiguous array as a (rows, everything else) view, also with no rows; None for
    an array that is not C-contiguous (its reshape would be a copy)."""
    if not array.flags.c_contiguous:
        return None
    return array.reshape(array.shape[0], math.prod(array.shape[1:]))


def one_hot(labels, classes: int) -> np.ndarray:
    """Integer labels (n,) as float32 one-hot rows (n, classes)."""
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    out = np.zeros((len(labels), classes), dtype=np.float32)
    out[np.arange(len(labels)), labels] = 1.0
    return out


def class_targets(labels, classes: int) -> np.ndarray:
    """Targets for a classifier: one 0/1 column for two classes, one-hot rows otherwise."""
    if classes == 2:
        return np.asarray(labels, dtype=np.float32).reshape(-1, 1)
    return one_hot(labels, classes)


NORMALISERS = ("none", "max", "minmax", "standardize")


def normalise(x_train, x_val, method: str):
    """Scale features with statistics of the training split only; returns (x_train, x_val).

    max: divide by the largest absolute training value; minmax: each feature to [0, 1];
    standardize: each feature to mean 0, std 1. Constant features are left unscaled.
    """
    if method == "none":
        return x_train, x_val
    x_train = np.asarray(x_train, dtype=np.float32)
    x_val = np.asarray(x_val, dtype=np.float32)
    if method == "max":
        peak = float(np.abs(x_train).max()) if x_train.size else 0.0
        shift, scale = 0.0, peak if peak > 0 else 1.0
    elif method == "minmax":
        shift = x_train.min(axis=0)
        scale = x_train.max(axis=0) - shift
    elif method == "standardize":
        shift, scale = x_train.mean(axis=0), x_train.std(axis=0)
    else:
        raise ValueError(f"Unknown normalisation {method!r}; choose one of "
                         f"{', '.join(NORMALISERS)}.")
    scale = np.where(np.asarray(scale) > 0, scale, 1.0).astype(np.float32)
    return (x_train - shift) / scale, (x_val - shift) / scale
