"""Turning weight matrices into pictures: tile grids of per-unit receptive fields (NumPy)."""

from __future__ import annotations

import math

import numpy as np


def square_side(n: int) -> int | None:
    """The side of an n-pixel square image, or None when n is not a perfect square."""
    side = math.isqrt(n)
    return side if side * side == n and n > 1 else None


def normalise(tiles: np.ndarray) -> np.ndarray:
    """Scale each tile (first axis) to [0, 1] on its own; a constant tile becomes 0.5."""
    flat = tiles.reshape(len(tiles), -1).astype(np.float32)
    low = flat.min(axis=1, keepdims=True)
    span = flat.max(axis=1, keepdims=True) - low
    out = np.full_like(flat, 0.5)
    np.divide(flat - low, span, out=out, where=span > 0)
    return out.reshape(tiles.shape)


def tile_grid(tiles: np.ndarray, gap: int = 1, columns: int | None = None,
              background: float = 0.0) -> np.ndarray:
    """Lay (n, h, w) tiles out row by row in a near-square grid with `gap` pixels between."""
    n, h, w = tiles.shape
    columns = columns or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / columns)
    grid = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap), background,
                   dtype=np.float32)
    for index in range(n):
        r, c = divmod(index, columns)
        grid[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = tiles[index]
    return grid


def weight_tiles(weights: np.ndarray, image_shape: tuple | None = None, gap: int = 1) -> np.ndarray:
    """A grey image of a (fan_in, units) weight matrix, values in [0, 1].

    Each unit's incoming weights become one tile: an image_shape picture (by default a square
    when fan_in is a perfect square, e.g. 64 -> 8x8), normalised per tile, in a grid with
    `gap`-pixel gaps. When fan_in is not a square the matrix is shown whole (fan_in x units),
    normalised as one tile.
    """
    weights = np.asarray(weights)
    if weights.ndim != 2:
        raise ValueError(f"weight_tiles needs a 2-D (fan_in, units) matrix; got {weights.shape}")
    fan_in, units = weights.shape
    if image_shape is None:
        side = square_side(fan_in)
        image_shape = (side, side) if side else None
    if image_shape is None:
        return normalise(weights[None])[0]
    tiles = weights.T.reshape(units, *image_shape)
    return tile_grid(normalise(tiles), gap=gap)
