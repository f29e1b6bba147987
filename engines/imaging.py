"""Turning arrays into pictures: tile grids of receptive fields, states and glyphs (NumPy).

The one tile-grid implementation of the project: monitors and every pack (weights, Hopfield
states, RBM samples, feature maps) lay their tiles out with tile_grid.
"""

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
              background: float = 0.0, border: int = 0) -> np.ndarray:
    """Lay (n, h, w) tiles out row by row in a near-square grid (float32), `gap` pixels
    between tiles and `border` pixels around the grid, both filled with background."""
    tiles = np.asarray(tiles, dtype=np.float32)
    n, h, w = tiles.shape
    columns = columns or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / columns)
    cells = np.full((rows * columns, h + gap, w + gap), background, dtype=np.float32)
    cells[:n, :h, :w] = tiles
    grid = cells.reshape(rows, columns, h + gap, w + gap).transpose(0, 2, 1, 3)
    grid = grid.reshape(rows * (h + gap), columns * (w + gap))[:rows * (h + gap) - gap,
                                                               :columns * (w + gap) - gap]
    if border:
        grid = np.pad(grid, border, constant_values=background)
    return np.ascontiguousarray(grid)


def glyph_shape(n: int) -> tuple[int, int]:
    """The (height, width) to show an n-vector as: a square when n is one, else one row."""
    side = math.isqrt(n)
    return (side, side) if side * side == n else (1, n)


def tile_images(rows, shape: tuple[int, int] | None = None, columns: int | None = None,
                pad: int = 1, normalize: str = "each") -> np.ndarray:
    """Host image (H, W) in [0, 1] showing each row of `rows` as a small image on a grid.

    normalize='each' stretches every tile to its own range (weights); 'all' uses one range
    for the whole grid (states, data); 'none' clips to [0, 1]. Tiles sit on mid-grey with a
    `pad`-pixel gap and border.
    """
    rows = np.asarray(rows, dtype=np.float32)
    if rows.ndim == 1:
        rows = rows[None, :]
    count, size = rows.shape[0], int(np.prod(rows.shape[1:]))
    height, width = shape if shape is not None else glyph_shape(size)
    tiles = rows.reshape(count, height, width)
    if normalize == "each":
        tiles = normalise(tiles)
    elif normalize == "all":
        low, high = float(tiles.min()), float(tiles.max())
        tiles = (tiles - low) / (high - low if high > low else 1)
    else:
        tiles = np.clip(tiles, 0, 1)
    return tile_grid(tiles, gap=pad, columns=columns, background=0.5, border=pad)


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
