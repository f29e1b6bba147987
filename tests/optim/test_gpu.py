"""The classical optimizers on CuPy follow the NumPy trajectory (GPU machines only)."""

from __future__ import annotations

import numpy as np
import pytest

from engines.backend import NUMPY, get_backend
from engines.compiler import compile_graph
from tests.optim.nets import sine_mlp

OPTIMIZERS = [("optim.quickprop", {}), ("optim.conjugate_gradient", {}),
              ("optim.bfgs", {"variant": "full"}), ("optim.bfgs", {"variant": "limited"}),
              ("optim.newton", {}), ("optim.levenberg_marquardt", {})]


@pytest.mark.gpu
@pytest.mark.parametrize("optimizer,params", OPTIMIZERS, ids=lambda v: str(v))
def test_cupy_matches_numpy(optimizer, params, registry):
    programs = [compile_graph(sine_mlp(optimizer, hidden=4, samples=30, **params), registry,
                              backend=backend, seed=0, dtype=np.float64)
                for backend in (NUMPY, get_backend("cupy"))]
    for program in programs:
        for _ in range(4):
            program.train_step(0)
            program.read_metrics()
    cpu, gpu = (p.weights_to_host() for p in programs)
    for key in cpu:
        np.testing.assert_allclose(gpu[key], cpu[key], rtol=1e-6, atol=1e-9)
