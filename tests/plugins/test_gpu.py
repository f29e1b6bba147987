"""The same graph on CuPy and NumPy gives the same training trajectory (GPU machines only)."""

from __future__ import annotations

import numpy as np
import pytest

from engines.backend import NUMPY, get_backend
from engines.compiler import compile_graph
from plugins import default_registry
from tests.engines.graphs import build

REGISTRY = default_registry()  # the engine takes its node types from the caller

LAYERS = [("core.sigmoid", {"slope": 1.5}), ("core.tanh", {}), ("core.relu", {}),
          ("core.leaky_relu", {}), ("core.elu", {}), ("core.softplus", {})]


def graph(activation, optimizer, optimizer_params=None):
    return build("gpu", [
        ("data", "core.dataset", {"dataset": "digits", "batch_size": 50, "val_split": 0.0,
                                  "shuffle": False}),
        ("d1", "core.dense", {"units": 16, "l2": 1e-3}),
        ("act", *activation),
        ("d2", "core.dense", {"units": 10}),
        ("loss", "core.softmax_cross_entropy", {}),
        ("opt", optimizer, optimizer_params or {"lr": 0.01}),
    ], ["data.x -> d1.x", "d1.y -> act.x", "act.y -> d2.x", "d2.y -> loss.pred",
        "data.y -> loss.target", "loss.loss -> opt.loss"])


@pytest.mark.gpu
@pytest.mark.parametrize("activation", LAYERS, ids=[a[0] for a in LAYERS])
@pytest.mark.parametrize("optimizer", ["core.adam", "core.sgd", "core.rmsprop"])
def test_cupy_matches_numpy(activation, optimizer):
    _assert_same_training(graph(activation, optimizer))


def _assert_same_training(built):
    """Five float64 steps on NumPy and on CuPy end with the same weights."""
    programs = [compile_graph(built, REGISTRY, backend=backend, seed=0, dtype=np.float64)
                for backend in (NUMPY, get_backend("cupy"))]
    for program in programs:
        for batch in range(5):
            program.train_step(batch)
    cpu, gpu = (p.weights_to_host() for p in programs)
    for key in cpu:
        np.testing.assert_allclose(gpu[key], cpu[key], rtol=1e-6, atol=1e-9)


UPDATES = [("core.sgd", {"lr": 0.01, "momentum": 0.9, "weight_decay": 1e-3}),
           ("core.sgd", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
           ("core.adagrad", {"lr": 0.01, "momentum": 0.5, "weight_decay": 1e-3}),
           ("core.adadelta", {"lr": 0.5, "momentum": 0.5, "weight_decay": 1e-3})]


@pytest.mark.gpu
@pytest.mark.parametrize("optimizer, params", UPDATES, ids=[f"{o}{p}" for o, p in UPDATES])
def test_cupy_optimizer_kernels_match_numpy(optimizer, params):
    """The one-launch CUDA updates (plugins/core/fused_cupy.py) follow the numba ones."""
    from plugins.core import fused
    assert fused.kernel(optimizer.split(".")[1], "cupy") is not None
    _assert_same_training(graph(("core.tanh", {}), optimizer, params))


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [7, 1000])  # fewer rows than threads, and several per thread
def test_fused_cuda_softmax_cross_entropy_and_relu_grad(dtype, rows):
    import cupy

    from plugins.core.fused_cupy import kernels
    fused = kernels()
    rng = np.random.default_rng(rows)
    classes = 10
    logits = rng.normal(0, 3, (rows, classes)).astype(dtype)
    truth = rng.integers(0, classes, rows)
    targets = np.eye(classes, dtype=dtype)[truth]
    targets[0] = dtype(1 / classes)  # one soft row
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    expected_loss = -(targets * np.log(probs)).sum(axis=1).mean()
    expected_hits = ((targets * shifted).sum(axis=1) >= 0).mean()
    on = {name: cupy.asarray(a) for name, a in (("z", logits), ("t", targets))}
    p, mass = cupy.zeros((rows, classes), dtype), cupy.zeros(rows, dtype)
    counts = cupy.zeros(classes * classes, dtype=cupy.int64)
    loss, accuracy = cupy.zeros(1, dtype), cupy.zeros(1, dtype)
    fused["softmax_cross_entropy"](on["z"], on["t"], p, mass, counts, True, loss, accuracy)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(p.get(), probs, rtol=tolerance, atol=tolerance)
    assert float(loss[0]) == pytest.approx(expected_loss, rel=tolerance)
    assert float(accuracy[0]) == pytest.approx(expected_hits, abs=1e-6)
    guess = logits.argmax(axis=1)
    truth_of_row = targets.argmax(axis=1)
    expected_counts = np.bincount(truth_of_row * classes + guess, minlength=classes ** 2)
    np.testing.assert_array_equal(counts.get(), expected_counts)
    seed = cupy.full(1, 2.0, dtype)
    grad = cupy.ones((rows, classes), dtype)
    fused["softmax_cross_entropy_grad"](p, mass, on["t"], seed, grad, True)
    expected = 1 + (probs * targets.sum(axis=1, keepdims=True) - targets) * 2.0 / rows
    np.testing.assert_allclose(grad.get(), expected, rtol=tolerance, atol=tolerance)
    y = cupy.asarray(np.maximum(logits, 0))
    out = cupy.full((rows, classes), 5.0, dtype)
    fused["relu_grad"](y, on["t"], out, False)
    np.testing.assert_array_equal(out.get(), np.where(logits > 0, targets, 0))
