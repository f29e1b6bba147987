"""Parameter initialisers. They draw on the host with a seeded NumPy generator, so a seed gives
the same starting weights on NumPy and CuPy."""

from __future__ import annotations

import math

import numpy as np


def _fans(shape):
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[2:]))  # conv kernels: (out, in, kh, kw)
    return shape[1] * receptive, shape[0] * receptive


def zeros(rng, shape):
    return np.zeros(shape)


def ones(rng, shape):
    return np.ones(shape)


def uniform(rng, shape, scale=0.05):
    return rng.uniform(-scale, scale, shape)


def normal(rng, shape, scale=0.05):
    return rng.normal(0.0, scale, shape)


def glorot_uniform(rng, shape):
    fan_in, fan_out = _fans(shape)
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape)


def glorot_normal(rng, shape):
    fan_in, fan_out = _fans(shape)
    return rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), shape)


def he_uniform(rng, shape):
    fan_in, _ = _fans(shape)
    limit = math.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, shape)


def he_normal(rng, shape):
    fan_in, _ = _fans(shape)
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), shape)


INITIALIZERS = {
    "zeros": zeros,
    "ones": ones,
    "uniform": uniform,
    "normal": normal,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}
INITIALIZER_NAMES = tuple(INITIALIZERS)


def initial_values(name: str, rng, shape, scale: float | None = None) -> np.ndarray:
    """Host float64 array of initial values drawn by initialiser `name`."""
    try:
        init = INITIALIZERS[name]
    except KeyError:
        raise ValueError(f"Unknown initialiser '{name}'; choose one of "
                         f"{', '.join(INITIALIZER_NAMES)}.") from None
    if scale is not None and name in ("uniform", "normal"):
        return init(rng, shape, scale)
    return init(rng, shape)
