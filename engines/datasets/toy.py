"""Small generated datasets: logic tables, 2-D toy sets, 1-D regression and the PCA 3-D cloud.

Every generator returns (x, labels-or-targets) with x float32 of shape (n, features);
classification sets give integer labels of shape (n,), regression sets float32 targets (n, k).
`rng` may be a numpy Generator, an int seed or None.
"""

from __future__ import annotations

import numpy as np

_TRUTH_TABLES = {
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "nand": lambda a, b: 1 - (a & b),
    "nor": lambda a, b: 1 - (a | b),
    "xor": lambda a, b: a ^ b,
}
LOGIC_OPS = (*_TRUTH_TABLES, "not")


def as_rng(rng) -> np.random.Generator:
    """A numpy Generator from a Generator, an int seed or None."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def logic(op: str):
    """Truth table of a logic gate: inputs in {0, 1}, labels 0/1 (op: and/or/nand/nor/xor/not)."""
    op = op.lower()
    if op == "not":
        return np.array([[0], [1]], dtype=np.float32), np.array([1, 0])
    if op not in _TRUTH_TABLES:
        raise ValueError(f"Unknown logic operation {op!r}; choose one of {', '.join(LOGIC_OPS)}.")
    a = np.array([0, 0, 1, 1])
    b = np.array([0, 1, 0, 1])
    return np.stack([a, b], axis=1).astype(np.float32), _TRUTH_TABLES[op](a, b).astype(np.int64)


def xor():
    """The XOR truth table: x (4, 2), labels (4,) = [0, 1, 1, 0]."""
    return logic("xor")


def two_spirals(n: int = 200, noise: float = 0.0, rng=None, turns: float = 2.0):
    """Two interleaved spirals (class 1 is class 0 turned by pi), n/2 points each, radius <= 1.

    Points lie at evenly spaced positions along each arm, so along any ray from the centre the
    classes alternate; `noise` adds Gaussian jitter of that standard deviation.
    """
    rng = as_rng(rng)
    per_class = n // 2
    sizes = (n - per_class, per_class)
    parts, labels = [], []
    for label, count in enumerate(sizes):
        t = np.linspace(0.0, 1.0, count, endpoint=False) + 0.5 / max(count, 1)
        radius = 0.1 + 0.9 * t
        angle = 2 * np.pi * turns * t + np.pi * label
        parts.append(np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1))
        labels.append(np.full(count, label, dtype=np.int64))
    x = np.concatenate(parts)
    if noise:
        x = x + noise * rng.standard_normal(x.shape)
    return x.astype(np.float32), np.concatenate(labels)


def blobs(n: int = 300, classes: int = 3, noise: float = 0.2, rng=None):
    """Gaussian blobs (std `noise`) around `classes` centres on the unit circle, balanced labels."""
    rng = as_rng(rng)
    labels = np.arange(n) % classes
    angle = 2 * np.pi * labels / classes + np.pi / 2
    centres = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    x = centres + noise * rng.standard_normal((n, 2))
    return x.astype(np.float32), labels.astype(np.int64)


def sine(n: int = 200, noise: float = 0.0, rng=None):
    """1-D regression: x evenly spaced on [-pi, pi], y = sin(x) + noise * N(0, 1); (n, 1) each."""
    rng = as_rng(rng)
    x = np.linspace(-np.pi, np.pi, n)
    y = np.sin(x) + noise * rng.standard_normal(n)
    return x[:, None].astype(np.float32), y[:, None].astype(np.float32)


def pca3d(n: int = 200, noise: float = 0.1, rng=None):
    """The lecture notes' 3-D cloud for linear autoencoders / PCA (MODELS.md section E).

    angles = rand * 3pi/2 - 0.5; x = cos + sin/2 + noise/2 N; y = 0.7 sin + noise/2 N;
    z = 0.1 x + 0.3 y + noise N; each column standardised (mean 0, std 1).
    Returns (data float32 (n, 3), angles float32 (n,)); the angles colour plots of the codes.
    """
    rng = as_rng(rng)
    angles = rng.random(n) * 3 * np.pi / 2 - 0.5
    data = np.empty((n, 3))
    data[:, 0] = np.cos(angles) + np.sin(angles) / 2 + noise * rng.standard_normal(n) / 2
    data[:, 1] = np.sin(angles) * 0.7 + noise * rng.standard_normal(n) / 2
    data[:, 2] = data[:, 0] * 0.1 + data[:, 1] * 0.3 + noise * rng.standard_normal(n)
    data = (data - data.mean(axis=0)) / data.std(axis=0)
    return data.astype(np.float32), angles.astype(np.float32)
