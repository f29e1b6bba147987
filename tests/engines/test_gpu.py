"""CuPy backend: the same graph and seed train to the same numbers as on NumPy.

Marked `gpu`: skipped cleanly where CuPy or a CUDA device is missing.
"""

import numpy as np
import pytest

from engines.backend import NUMPY
from engines.compiler import compile_graph
from engines.events import Image, Scalar
from engines.session import Session
from tests.engines.graphs import build, digits_mlp, xor_mlp

pytestmark = pytest.mark.gpu



def _history(graph, registry, backend, epochs, seed=3):
    program = compile_graph(graph, registry, backend, seed=seed)
    session = Session(program, epochs=epochs)
    events = session.run()
    return program, session.history, events


def test_xor_on_cupy_matches_numpy(gpu, registry):
    _, on_cpu, _ = _history(xor_mlp(), registry, NUMPY, 300)
    program, on_gpu, events = _history(xor_mlp(), registry, gpu, 300)
    assert on_gpu[-1]["train/accuracy"] == 1.0
    for cpu, device in zip(list(on_cpu)[:20], list(on_gpu)[:20]):
        assert device["train/loss"] == pytest.approx(cpu["train/loss"], rel=1e-3)
    assert isinstance(program.peek("d1", "W"), np.ndarray)  # probes get host copies
    assert any(isinstance(e, Scalar) and e.tag == "grad_norm/d1" for e in events)


def test_digits_on_cupy_matches_numpy(gpu, registry):
    _, on_cpu, _ = _history(digits_mlp(lr=0.1), registry, NUMPY, 3)
    _, on_gpu, events = _history(digits_mlp(lr=0.1), registry, gpu, 3)
    for cpu, device in zip(on_cpu, on_gpu):
        assert device["train/loss"] == pytest.approx(cpu["train/loss"], rel=1e-3)
        assert device["val/accuracy"] == pytest.approx(cpu["val/accuracy"], abs=0.02)
    images = [e for e in events if isinstance(e, Image)]
    assert images and isinstance(images[-1].array, np.ndarray)


def test_delay_loop_on_cupy(gpu, registry):
    graph = build("loop", [("s", "core.sigmoid", {}), ("z", "core.delay", {"shape": [2]})],
                  ["z.y -> s.x", "s.y -> z.x"])
    program = compile_graph(graph, registry, gpu)
    expected = np.zeros((1, 2))
    for _ in range(4):
        program.train_step(0)
        expected = 1 / (1 + np.exp(-expected))
    np.testing.assert_allclose(program.peek("z", "y"), expected, rtol=1e-5)
