"""The numba-fused LSTM step equals the NumPy one (same operations, float32 and float64), and
a machine without numba keeps the NumPy path."""

from __future__ import annotations

import numpy as np
import pytest

from plugins.recurrent.fused import KERNELS
from plugins.recurrent.kernels import LSTMCell

T, ROWS, F, N = 7, 5, 3, 4


class _Param:
    def __init__(self, value):
        self.value, self.grad = value, np.zeros_like(value)


def _run(dtype, use_fused: bool):
    rng = np.random.default_rng(0)
    W, U, b = (_Param(rng.normal(0, 0.6, shape).astype(dtype))
               for shape in ((F, 4 * N), (N, 4 * N), (4 * N,)))
    cell = LSTMCell(np, dtype, T, ROWS, F, N, W, U, b, fused=use_fused)
    x = rng.normal(size=(T, ROWS, F)).astype(dtype)
    h0, c0 = (rng.normal(size=(ROWS, N)).astype(dtype) for _ in range(2))
    cell.forward(x, h0, c0)
    states, cells = cell.states(ROWS).copy(), cell.cell_states(ROWS).copy()
    dh_seq = rng.normal(size=(T, ROWS, N)).astype(dtype)
    dh_last, dc_last = (rng.normal(size=(ROWS, N)).astype(dtype) for _ in range(2))
    dx, dh0, dc0 = cell.backward(dh_seq, dh_last, dc_last)
    return {"h": states, "c": cells, "dx": dx.copy(), "dh0": dh0.copy(), "dc0": dc0.copy(),
            "dW": W.grad, "dU": U.grad, "db": b.grad}


@pytest.mark.skipif(KERNELS.get() is None, reason="numba is a dependency; missing here")
@pytest.mark.parametrize("dtype, rtol", [(np.float32, 2e-6), (np.float64, 1e-13)])
def test_fused_step_equals_the_numpy_step(dtype, rtol):
    fast, plain = _run(dtype, True), _run(dtype, False)
    for name in plain:
        scale = np.abs(plain[name]).max()
        np.testing.assert_allclose(fast[name], plain[name], rtol=0, atol=rtol * scale,
                                   err_msg=name)


def test_without_numba_the_cell_runs_the_numpy_path(monkeypatch):
    monkeypatch.setattr(KERNELS, "_kernels", False)  # as when importing numba failed
    assert KERNELS.get() is None
    result = _run(np.float64, True)
    monkeypatch.undo()
    reference = _run(np.float64, False)
    for name in reference:
        np.testing.assert_array_equal(result[name], reference[name])


@pytest.mark.skipif(KERNELS.get() is None, reason="numba is a dependency; missing here")
def test_the_numpy_backend_uses_the_fused_kernels(monkeypatch):
    forward_cell, backward_cell = KERNELS.get()
    calls = {"forward": 0, "backward": 0}

    def counted(name, kernel):
        def call(*args):
            calls[name] += 1
            return kernel(*args)
        return call

    monkeypatch.setattr(KERNELS, "_kernels", (counted("forward", forward_cell),
                                              counted("backward", backward_cell)))
    _run(np.float32, True)
    assert calls == {"forward": T, "backward": T}
