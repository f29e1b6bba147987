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


def graph(activation, optimizer):
    return build("gpu", [
        ("data", "core.dataset", {"dataset": "digits", "batch_size": 50, "val_split": 0.0,
                                  "shuffle": False}),
        ("d1", "core.dense", {"units": 16, "l2": 1e-3}),
        ("act", *activation),
        ("d2", "core.dense", {"units": 10}),
        ("loss", "core.softmax_cross_entropy", {}),
        ("opt", optimizer, {"lr": 0.01}),
    ], ["data.x -> d1.x", "d1.y -> act.x", "act.y -> d2.x", "d2.y -> loss.pred",
        "data.y -> loss.target", "loss.loss -> opt.loss"])


@pytest.mark.gpu
@pytest.mark.parametrize("activation", LAYERS, ids=[a[0] for a in LAYERS])
@pytest.mark.parametrize("optimizer", ["core.adam", "core.sgd", "core.rmsprop"])
def test_cupy_matches_numpy(activation, optimizer):
    programs = [compile_graph(graph(activation, optimizer), REGISTRY, backend=backend, seed=0,
                              dtype=np.float64)
                for backend in (NUMPY, get_backend("cupy"))]
    for program in programs:
        for batch in range(5):
            program.train_step(batch)
    cpu, gpu = (p.weights_to_host() for p in programs)
    for key in cpu:
        np.testing.assert_allclose(gpu[key], cpu[key], rtol=1e-6, atol=1e-9)
