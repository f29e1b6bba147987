"""Shared helpers of the energy pack: fused sigmoid, Bernoulli sampling, image tiling.

Kernels take the array module `xp` and write into preallocated arrays (`out=`), so a training
step allocates nothing on NumPy.
"""

from __future__ import annotations

import math

import numpy as np


def sigmoid_(xp, x, out):
    """out = 1 / (1 + exp(-x)), computed as 0.5 tanh(x / 2) + 0.5 (no overflow, in place ok)."""
    xp.multiply(x, 0.5, out=out)
    xp.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def softplus_(xp, x, out):
    """out = log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)); out may be x."""
    positive = xp.maximum(x, 0)
    xp.abs(x, out=out)
    xp.negative(out, out=out)
    xp.exp(out, out=out)
    xp.log1p(out, out=out)
    out += positive
    return out


def matmul_into(xp, a, b, out):
    """out = a @ b. NumPy's matmul with out= misses BLAS when an operand is a single row or
    column (about 100x slower at N = 1024), so that case goes through a temporary."""
    if xp is np and (a.shape[0] == 1 or b.shape[-1] == 1):
        out[...] = a @ b
        return out
    return xp.matmul(a, b, out=out)


def fill_uniform(xp, rng: np.random.Generator, out):
    """Fill `out` with U[0, 1) draws: in place on NumPy; on CuPy one draw on the device from
    CuPy's generator (seed_device_generator seeds it from the run's seed)."""
    if xp is np:
        rng.random(out=out, dtype=out.dtype)
    else:
        out[...] = xp.random.random(out.shape, dtype=out.dtype)
    return out


def fill_normal(xp, rng: np.random.Generator, out):
    """Fill `out` with N(0, 1) draws."""
    if xp is np:
        rng.standard_normal(out=out, dtype=out.dtype)
    else:
        out[...] = xp.random.standard_normal(out.shape, dtype=out.dtype)
    return out


def seed_device_generator(xp, rng: np.random.Generator) -> None:
    """Seed CuPy's generator from the host generator, so GPU runs repeat too."""
    if xp is not np:
        xp.random.seed(int(rng.integers(2**31)))


def sample_bernoulli_(xp, rng, probs, uniform, out):
    """out = 1.0 where U < probs else 0.0; `uniform` is a preallocated work array."""
    fill_uniform(xp, rng, uniform)
    xp.less(uniform, probs, out=out)
    return out


def glyph_shape(n: int) -> tuple[int, int]:
    """The (height, width) to show an n-vector as: a square when n is one, else one row."""
    side = math.isqrt(n)
    return (side, side) if side * side == n else (1, n)


def tile_images(rows, shape: tuple[int, int] | None = None, columns: int | None = None,
                pad: int = 1, normalize: str = "each") -> np.ndarray:
    """Host image (H, W) in [0, 1] showing each row of `rows` as a small image on a grid.

    normalize='each' stretches every tile to its own range (weights); 'all' uses one range
    for the whole grid (states, data); 'none' clips to [0, 1].
    """
    rows = np.asarray(rows, dtype=np.float32)
    if rows.ndim == 1:
        rows = rows[None, :]
    count, size = rows.shape[0], int(np.prod(rows.shape[1:]))
    height, width = shape if shape is not None else glyph_shape(size)
    tiles = rows.reshape(count, height, width)
    if normalize == "each":
        low = tiles.min(axis=(1, 2), keepdims=True)
        span = tiles.max(axis=(1, 2), keepdims=True) - low
        tiles = (tiles - low) / np.where(span > 0, span, 1)
    elif normalize == "all":
        low, high = float(tiles.min()), float(tiles.max())
        tiles = (tiles - low) / (high - low if high > low else 1)
    else:
        tiles = np.clip(tiles, 0, 1)
    columns = columns or max(1, math.ceil(math.sqrt(count)))
    grid_rows = math.ceil(count / columns)
    image = np.full((grid_rows * (height + pad) + pad, columns * (width + pad) + pad), 0.5,
                    dtype=np.float32)
    for index in range(count):
        r, c = divmod(index, columns)
        top, left = pad + r * (height + pad), pad + c * (width + pad)
        image[top:top + height, left:left + width] = tiles[index]
    return image


def to_host(backend, array) -> np.ndarray:
    """A host copy of a device array (a sync point on CuPy; monitors only)."""
    return np.array(backend.to_host(array), copy=True)
