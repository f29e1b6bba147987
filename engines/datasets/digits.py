"""scikit-learn's bundled 8x8 handwritten digits (1797 images; shipped, never downloaded)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def _load():
    from sklearn.datasets import load_digits  # imported here: sklearn takes a while to load
    bunch = load_digits()
    x = (bunch.data / 16.0).astype(np.float32)
    x.flags.writeable = False
    labels = bunch.target.astype(np.int64)
    labels.flags.writeable = False
    return x, labels


def digits():
    """x float32 (1797, 64) in [0, 1] (8x8 images row by row), labels int (1797,) in 0..9."""
    x, labels = _load()
    return x.copy(), labels.copy()
