"""The numba-fused LSTM and GRU steps equal the NumPy ones (same operations, float32 and
float64), and a machine without numba keeps the NumPy path."""

from __future__ import annotations

import numpy as np
import pytest

from plugins.recurrent.fused import KERNELS
from plugins.recurrent.kernels import GRUCell, LSTMCell

T, ROWS, F, N = 7, 5, 3, 4
needs_numba = pytest.mark.skipif(KERNELS.get() is None,
                                 reason="numba is a dependency; missing here")


class _Param:
    def __init__(self, value):
        self.value, self.grad = value, np.zeros_like(value)


def _run(dtype, use_fused: bool, kind: str = "lstm"):
    rng = np.random.default_rng(0)
    gates = 4 if kind == "lstm" else 3
    W, U, b = (_Param(rng.normal(0, 0.6, shape).astype(dtype))
               for shape in ((F, gates * N), (N, gates * N), (gates * N,)))
    cell_type = LSTMCell if kind == "lstm" else GRUCell
    cell = cell_type(np, dtype, T, ROWS, F, N, W, U, b, fused=use_fused,
                     convention="reset_after")
    x = rng.normal(size=(T, ROWS, F)).astype(dtype)
    h0, c0 = (rng.normal(size=(ROWS, N)).astype(dtype) for _ in range(2))
    cell.forward(x, h0, c0 if kind == "lstm" else None)
    result = {"h": cell.states(ROWS).copy()}
    if kind == "lstm":
        result["c"] = cell.cell_states(ROWS).copy()
    dh_seq = rng.normal(size=(T, ROWS, N)).astype(dtype)
    dh_last, dc_last = (rng.normal(size=(ROWS, N)).astype(dtype) for _ in range(2))
    dx, dh0, dc0 = cell.backward(dh_seq, dh_last, dc_last if kind == "lstm" else None)
    result.update({"dx": dx.copy(), "dh0": dh0.copy(), "dW": W.grad, "dU": U.grad,
                   "db": b.grad})
    if dc0 is not None:
        result["dc0"] = dc0.copy()
    return result


@needs_numba
@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("dtype, rtol", [(np.float32, 2e-6), (np.float64, 1e-13)])
def test_fused_step_equals_the_numpy_step(kind, dtype, rtol):
    fast, plain = _run(dtype, True, kind), _run(dtype, False, kind)
    assert fast.keys() == plain.keys()
    for name in plain:
        scale = np.abs(plain[name]).max()
        np.testing.assert_allclose(fast[name], plain[name], rtol=0, atol=rtol * scale,
                                   err_msg=name)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_without_numba_the_cell_runs_the_numpy_path(monkeypatch, kind):
    monkeypatch.setattr(KERNELS, "_kernels", False)  # as when importing numba failed
    assert KERNELS.get() is None
    result = _run(np.float64, True, kind)
    monkeypatch.undo()
    reference = _run(np.float64, False, kind)
    for name in reference:
        np.testing.assert_array_equal(result[name], reference[name])


@needs_numba
def test_the_numpy_backend_uses_the_fused_kernels(monkeypatch):
    calls = {}

    def counted(name, kernel):
        def call(*args):
            calls[name] = calls.get(name, 0) + 1
            return kernel(*args)
        return call

    kernels = KERNELS.get()
    monkeypatch.setattr(KERNELS, "_kernels", {
        kind: tuple(counted(f"{kind}{i}", k) for i, k in enumerate(group))
        for kind, group in kernels.items()})
    _run(np.float32, True, "lstm")
    _run(np.float32, True, "gru")
    assert calls == {"lstm0": T, "lstm1": T, "gru0": T, "gru1": T, "gru2": T}
