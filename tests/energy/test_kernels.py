"""The energy pack's fused kernels against their textbook formulas."""

import numpy as np
import pytest

from plugins.energy.kernels import (
    glyph_shape,
    matmul_into,
    momentum_step_,
    sample_bernoulli_,
    sigmoid_,
    softplus_,
    tile_images,
)
from plugins.energy.patterns import flip_mask


def test_sigmoid_and_softplus_match_their_definitions_without_overflow():
    x = np.linspace(-30, 30, 61)
    assert np.allclose(sigmoid_(np, x, np.empty_like(x)), 1 / (1 + np.exp(-x)), atol=1e-15)
    assert np.allclose(softplus_(np, x, np.empty_like(x)), np.log1p(np.exp(x)))
    inplace = x.copy()
    softplus_(np, inplace, inplace)
    assert np.allclose(inplace, np.log1p(np.exp(x)))
    big = np.array([1000.0, -1000.0])
    assert np.allclose(softplus_(np, big, np.empty(2)), [1000.0, 0.0])


def test_bernoulli_samples_have_the_asked_probabilities():
    probs = np.full((200, 50), 0.3, dtype=np.float32)
    probs[:, :25] = 0.9
    out = np.empty_like(probs)
    sample_bernoulli_(np, np.random.default_rng(0), probs, np.empty_like(probs), out)
    assert set(np.unique(out)) <= {0.0, 1.0}
    assert abs(out[:, :25].mean() - 0.9) < 0.02 and abs(out[:, 25:].mean() - 0.3) < 0.02


def test_matmul_into_single_rows_and_blocks():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(6, 6)).astype(np.float32)
    for rows in (1, 4):
        s = rng.normal(size=(rows, 6)).astype(np.float32)
        out = np.empty((rows, 6), np.float32)
        assert np.allclose(matmul_into(np, s, w, out), s @ w, atol=1e-5)
    column = rng.normal(size=(6, 1)).astype(np.float32)
    assert np.allclose(matmul_into(np, w, column, np.empty((6, 1), np.float32)), w @ column,
                       atol=1e-5)


def test_tiles_and_flip_masks():
    assert glyph_shape(100) == (10, 10) and glyph_shape(8) == (1, 8)
    image = tile_images(np.arange(4 * 9).reshape(4, 9), columns=2)
    assert image.shape == (2 * 4 + 1, 2 * 4 + 1)
    assert image.min() >= 0 and image.max() <= 1
    mask = flip_mask(np.random.default_rng(0), 5, 100, 0.2)
    assert np.all(mask.sum(axis=1) == 20)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_momentum_step_kernel_equals_the_numpy_passes(monkeypatch, dtype):
    """One compiled pass (NumPy backend) gives the four passes' bits, for W and a bias."""
    from plugins.energy import kernels
    assert kernels._COMPILED.get() is not None  # numba is a dependency
    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=shape).astype(dtype) for shape in ((6, 5), (6, 5), (6, 5))]
    compiled = [a.copy() for a in arrays]
    momentum_step_(np, *compiled, 0.9, 0.013)

    class NoKernels:
        def get(self):
            return None

    monkeypatch.setattr(kernels, "_COMPILED", NoKernels())
    plain = [a.copy() for a in arrays]
    momentum_step_(np, *plain, 0.9, 0.013)
    np.testing.assert_array_equal(compiled[0], plain[0])  # velocity
    np.testing.assert_array_equal(compiled[2], plain[2])  # parameter
    assert not np.array_equal(plain[2], arrays[2])
