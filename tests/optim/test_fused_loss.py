"""The compiled softmax cross-entropy: probabilities, loss, accuracy, confusion counts and
gradient against a NumPy reference, and training equal to the NumPy node's to rounding."""

from __future__ import annotations

import numpy as np
import pytest

from plugins.core import losses
from plugins.core.fused import KERNELS
from tests.engines.graphs import build, trained

pytestmark = pytest.mark.skipif(KERNELS.get() is None,
                                reason="numba is a dependency; missing here")


def test_kernel_against_numpy_reference():
    rng = np.random.default_rng(5)
    rows, classes = 9, 4
    logits = rng.normal(0, 3, (rows, classes))
    targets = np.eye(classes)[rng.integers(0, classes, rows)]
    targets[0] = [0.1, 0.2, 0.3, 0.4]  # a soft row: mass 1, its largest entry the truth
    targets[1] *= 2.0  # mass 2
    probs, mass = np.empty_like(logits), np.empty(rows)
    counts = np.zeros(classes * classes, dtype=np.int64)
    loss, accuracy = np.full(1, np.nan), np.full(1, np.nan)
    total, hits = KERNELS.get()["softmax_cross_entropy"](logits, targets, probs, mass, counts,
                                                         True, loss, accuracy)
    assert loss[0] == total / rows and accuracy[0] == hits / rows
    shifted = logits - logits.max(axis=1, keepdims=True)
    expected_probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probs, expected_probs, rtol=1e-14)
    np.testing.assert_allclose(mass, targets.sum(axis=1), rtol=1e-15)
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    np.testing.assert_allclose(total, (log_norm * mass - (targets * shifted).sum(axis=1)).sum(),
                               rtol=1e-13)
    assert hits == int(((targets * shifted).sum(axis=1) >= 0).sum())
    truth, guess = targets.argmax(axis=1), logits.argmax(axis=1)
    expected_counts = np.bincount(truth * classes + guess, minlength=classes * classes)
    np.testing.assert_array_equal(counts, expected_counts)
    grad = np.full_like(logits, 0.5)
    KERNELS.get()["softmax_cross_entropy_grad"](probs, mass, targets, 0.25, grad, True)
    np.testing.assert_allclose(grad, 0.5 + (probs * mass[:, None] - targets) * 0.25,
                               rtol=1e-14)


class _NoKernels:
    """Stands for a machine without numba."""

    def get(self):
        return None


def _train(dtype: str) -> tuple:
    graph = build("clf", [
        ("data", "core.dataset", {"dataset": "digits", "batch_size": 100, "val_split": 0.2}),
        ("d1", "core.dense", {"units": 32}),
        ("t1", "core.tanh", {}),
        ("d2", "core.dense", {"units": 10}),
        ("loss", "core.softmax_cross_entropy", {}),
        ("opt", "core.sgd", {"lr": 0.05, "momentum": 0.9}),
    ], ["data.x -> d1.x", "d1.y -> t1.x", "t1.y -> d2.x", "d2.y -> loss.pred",
        "data.y -> loss.target", "loss.loss -> opt.loss"])
    graph.settings["dtype"] = dtype
    program = trained(graph, None, seed=4)  # two epochs, each ending on a short batch
    train = program.read_metrics()
    val = program.evaluate("val")
    return program.peek("d1", "W"), train, val


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-11), ("float32", 2e-4)])
def test_training_matches_the_numpy_node(monkeypatch, dtype, rtol):
    weights, train, val = _train(dtype)
    monkeypatch.setattr(losses.fused, "KERNELS", _NoKernels())
    plain_weights, plain_train, plain_val = _train(dtype)
    np.testing.assert_allclose(weights, plain_weights, rtol=rtol, atol=rtol * 1e-2)
    for got, want in ((train, plain_train), (val, plain_val)):
        assert set(got) == set(want)
        for key in want:
            assert got[key] == pytest.approx(want[key], rel=rtol, abs=1e-12), key


@pytest.mark.parametrize("accumulate", [False, True])
def test_relu_gradient_kernel(accumulate):
    rng = np.random.default_rng(8)
    y = np.maximum(rng.normal(size=(6, 5)), 0).astype(np.float32)
    grad_y = rng.normal(size=(6, 5)).astype(np.float32)
    out = np.full((6, 5), 0.25, dtype=np.float32)
    KERNELS.get()["relu_grad"](y, grad_y, out, accumulate)
    expected = np.where(y > 0, grad_y, 0) + (0.25 if accumulate else 0)
    np.testing.assert_array_equal(out, expected.astype(np.float32))
