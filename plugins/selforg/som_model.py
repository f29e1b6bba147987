"""Kohonen self-organising map: schedules, online and batch training, errors, pictures.

Written against `xp`. The lattice is rows x cols units on a rectangular grid; unit k sits at
grid position (k // cols, k % cols). The neighbourhood is Gaussian in grid distance,
h = exp(-d^2 / (2 sigma^2)), and sigma and the learning rate follow a schedule over the
total number of updates T:

    asymptotic   v(t) = v0 / (1 + 2 t / T)            (MiniSom's default: v0/3 at the end)
    exponential  v(t) = v0 (v_end / v0)^(t / T)
    linear       v(t) = v0 + (v_end - v0) t / T
"""

from __future__ import annotations

import numpy as np

SCHEDULES = ("asymptotic", "exponential", "linear")
TE_NEIGHBOUR_DISTANCE = 1.42  # best and second-best units further apart than this (8-grid)


def scheduled(kind: str, start: float, end: float, t: float, total: float) -> float:
    """The value of a schedule at update t of total."""
    fraction = min(t / max(total, 1), 1.0)
    if kind == "asymptotic":
        return start / (1.0 + 2.0 * fraction)
    if kind == "exponential":
        return start * (end / start) ** fraction
    return start + (end - start) * fraction


def grid_positions(rows: int, cols: int) -> np.ndarray:
    """(rows * cols, 2) float grid coordinates (row, col) of every unit."""
    r, c = np.divmod(np.arange(rows * cols), cols)
    return np.stack([r, c], axis=1).astype(np.float64)


def grid_edges(rows: int, cols: int) -> np.ndarray:
    """(m, 2) unit index pairs of horizontal and vertical lattice neighbours."""
    index = np.arange(rows * cols).reshape(rows, cols)
    right = np.stack([index[:, :-1].ravel(), index[:, 1:].ravel()], axis=1)
    down = np.stack([index[:-1, :].ravel(), index[1:, :].ravel()], axis=1)
    return np.concatenate([right, down])


def squared_distances(xp, x, weights, out=None):
    """(n, units) squared Euclidean distances between rows of x and the unit weights."""
    cross = x @ weights.T
    result = (x * x).sum(axis=1)[:, None] - 2.0 * cross + (weights * weights).sum(axis=1)[None]
    if out is not None:
        out[...] = result
        return out
    return result


class OnlineTrainer:
    """Kohonen's rule, one sample at a time: w += lr h(bmu, .) (x - w) for every unit.

    Each update is a few vector operations over all units; samples are inherently sequential.
    """

    def __init__(self, xp, weights, positions, dtype):
        self.xp, self.weights = xp, weights
        self.positions = xp.asarray(positions.astype(dtype))
        self.grid_sq = xp.zeros(weights.shape[0], dtype=dtype)
        self.delta = xp.zeros_like(weights)

    def update(self, sample, learning_rate: float, sigma: float) -> None:
        xp, weights = self.xp, self.weights
        self.delta[...] = sample
        self.delta -= weights
        winner = xp.argmin((self.delta * self.delta).sum(axis=1))  # stays on the device
        offset = self.positions - self.positions[winner]
        self.grid_sq[...] = (offset * offset).sum(axis=1)
        gain = learning_rate * xp.exp(self.grid_sq / (-2.0 * sigma * sigma))
        self.delta *= gain[:, None]
        weights += self.delta


def batch_update(xp, x, weights, positions, sigma: float) -> None:
    """One batch-SOM step: every unit moves to the neighbourhood-weighted mean of the data."""
    winners = xp.argmin(squared_distances(xp, x, weights), axis=1)
    offset = positions[:, None, :] - positions[None, :, :]
    h = xp.exp((offset * offset).sum(axis=2) / (-2.0 * sigma * sigma))  # (units, units)
    owner = (winners[:, None] == xp.arange(weights.shape[0])[None, :]).astype(weights.dtype)
    sums = owner.T @ x  # (units, features): the data each unit wins, summed
    counts = owner.sum(axis=0)
    numerator = h @ sums
    denominator = h @ counts
    weights[...] = numerator / xp.maximum(denominator, 1e-12)[:, None]


def quantisation_error(xp, x, weights) -> float:
    """Mean distance from each sample to its best-matching unit."""
    distances = xp.maximum(squared_distances(xp, x, weights).min(axis=1), 0.0)
    return float(xp.sqrt(distances).mean())


def topographic_error(xp, x, weights, cols: int) -> float:
    """Share of samples whose best and second-best units are not grid neighbours (8-grid)."""
    if weights.shape[0] < 2:
        return 0.0
    best_two = xp.argsort(squared_distances(xp, x, weights), axis=1)[:, :2]
    rows, columns = xp.divmod(best_two, cols)
    gap = xp.sqrt((rows[:, 0] - rows[:, 1]) ** 2 + (columns[:, 0] - columns[:, 1]) ** 2.0)
    return float((gap > TE_NEIGHBOUR_DISTANCE).mean())


def u_matrix(weights: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Ultsch's (2 rows - 1, 2 cols - 1) U-matrix (host): between two grid neighbours the
    distance of their prototypes, on a unit the mean of the distances around it."""
    grid = weights.reshape(rows, cols, -1)
    out = np.zeros((2 * rows - 1, 2 * cols - 1))
    vertical = np.linalg.norm(grid[1:] - grid[:-1], axis=2)  # (rows - 1, cols)
    horizontal = np.linalg.norm(grid[:, 1:] - grid[:, :-1], axis=2)  # (rows, cols - 1)
    out[1::2, ::2] = vertical
    out[::2, 1::2] = horizontal
    total = np.zeros((rows, cols))
    count = np.zeros((rows, cols))
    for distances, ahead, behind in ((vertical, np.s_[1:, :], np.s_[:-1, :]),
                                     (horizontal, np.s_[:, 1:], np.s_[:, :-1])):
        total[ahead] += distances
        total[behind] += distances
        count[ahead] += 1
        count[behind] += 1
    out[::2, ::2] = total / np.maximum(count, 1)
    if rows > 1 and cols > 1:  # a diagonal junction: the mean of its four edges
        out[1::2, 1::2] = (vertical[:, :-1] + vertical[:, 1:] + horizontal[:-1] +
                           horizontal[1:]) / 4
    return out


def projection(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, (features, 2) axes) to draw data and lattice in 2-D: the first two coordinates
    for 2-D data, else the data's two principal axes."""
    mean = data.mean(axis=0)
    if data.shape[1] <= 2:
        axes = np.eye(data.shape[1], 2)
        return np.zeros_like(mean), axes
    _, _, vt = np.linalg.svd(data - mean, full_matrices=False)
    return mean, vt[:2].T
