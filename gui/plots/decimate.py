"""Growing metric histories and min-max decimation, so 100k-point curves draw fast."""

from __future__ import annotations

import numpy as np

MAX_DRAWN_POINTS = 2000


class Series:
    """An append-only (x, y) history in float64 arrays that double when full."""

    def __init__(self, capacity: int = 256):
        self._x = np.empty(capacity)
        self._y = np.empty(capacity)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @property
    def x(self) -> np.ndarray:
        return self._x[:self._n]

    @property
    def y(self) -> np.ndarray:
        return self._y[:self._n]

    def append(self, x: float, y: float) -> None:
        if self._n == len(self._x):
            self._grow(2 * len(self._x))
        self._x[self._n] = x
        self._y[self._n] = y
        self._n += 1

    def extend(self, xs, ys) -> None:
        xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        need = self._n + len(xs)
        if need > len(self._x):
            self._grow(max(need, 2 * len(self._x)))
        self._x[self._n:need] = xs
        self._y[self._n:need] = ys
        self._n = need

    def clear(self) -> None:
        self._n = 0

    def _grow(self, capacity: int) -> None:
        for name in ("_x", "_y"):
            old = getattr(self, name)
            new = np.empty(capacity)
            new[:self._n] = old[:self._n]
            setattr(self, name, new)


def minmax_decimate(x: np.ndarray, y: np.ndarray, max_points: int = MAX_DRAWN_POINTS):
    """At most ~max_points points that keep every bucket's min and max (spikes stay visible).

    The data is cut into max_points // 2 equal buckets; each gives its minimum and maximum in
    their original order. The first and last points are always kept so the curve spans the data.
    """
    n = len(x)
    if n <= max_points:
        return x, y
    buckets = max(1, max_points // 2 - 1)
    size = n // buckets
    used = buckets * size
    block = y[:used].reshape(buckets, size)
    # NaNs would make argmin/argmax pick arbitrary points; treat them as +inf/-inf here
    low = np.argmin(np.where(np.isnan(block), np.inf, block), axis=1)
    high = np.argmax(np.where(np.isnan(block), -np.inf, block), axis=1)
    first = np.minimum(low, high) + np.arange(buckets) * size
    second = np.maximum(low, high) + np.arange(buckets) * size
    picks = [np.stack([first, second], axis=1).ravel()]
    tail = y[used:]
    if len(tail) and not np.isnan(tail).all():  # rows left out of the buckets keep extremes
        ends = {int(np.nanargmin(tail)), int(np.nanargmax(tail))}
        picks.append(used + np.array(sorted(ends), dtype=np.intp))
    index = np.concatenate(picks)
    if index[0] != 0:
        index = np.concatenate(([0], index))
    if index[-1] != n - 1:
        index = np.append(index, n - 1)
    return x[index], y[index]
