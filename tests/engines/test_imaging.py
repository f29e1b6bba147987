"""engines.imaging: the one tile-grid implementation every pack uses."""

from __future__ import annotations

import numpy as np
import pytest

from engines.imaging import glyph_shape, normalise, tile_grid, tile_images


def _placed_one_by_one(tiles, gap, columns, background, border):
    """Reference: each tile copied to its place in a loop."""
    n, h, w = tiles.shape
    rows = -(-n // columns)
    grid = np.full((rows * (h + gap) - gap + 2 * border, columns * (w + gap) - gap + 2 * border),
                   background, np.float32)
    for index in range(n):
        r, c = divmod(index, columns)
        top, left = border + r * (h + gap), border + c * (w + gap)
        grid[top:top + h, left:left + w] = tiles[index]
    return grid


@pytest.mark.parametrize("n, h, w, gap, columns, border", [
    (1, 3, 3, 1, None, 0), (5, 2, 3, 1, None, 0), (7, 4, 2, 2, 3, 1), (12, 1, 5, 0, 4, 2)])
def test_tile_grid_matches_placing_each_tile(n, h, w, gap, columns, border):
    tiles = np.random.default_rng(n).normal(size=(n, h, w)).astype(np.float32)
    expected = _placed_one_by_one(tiles, gap, columns or int(np.ceil(np.sqrt(n))), 0.25, border)
    grid = tile_grid(tiles, gap=gap, columns=columns, background=0.25, border=border)
    assert grid.dtype == np.float32 and grid.flags.c_contiguous
    np.testing.assert_array_equal(grid, expected)


def test_tile_images_normalises_and_frames_each_tile():
    rows = np.stack([np.arange(9.0), -np.arange(9.0), np.full(9, 3.0)])
    image = tile_images(rows, columns=3)
    assert image.shape == (1 * 4 + 1, 3 * 4 + 1) and glyph_shape(9) == (3, 3)
    np.testing.assert_allclose(image[1:4, 1:4], np.arange(9).reshape(3, 3) / 8)
    np.testing.assert_allclose(image[1:4, 5:8], 1 - np.arange(9).reshape(3, 3) / 8)
    np.testing.assert_allclose(image[1:4, 9:12], 0.5)  # a constant tile is mid-grey
    assert image[0].tolist() == [0.5] * 13  # border
    np.testing.assert_allclose(normalise(rows.reshape(3, 3, 3))[0], image[1:4, 1:4])
    shared = tile_images(rows, columns=3, normalize="all")
    assert shared[1, 1] == pytest.approx(0.5) and shared[3, 7] == 0.0  # one range: -8..8
