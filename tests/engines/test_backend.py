"""Backend selection: NumPy on request, CuPy when usable, 'auto' falls back and says why."""

import sys
import types

import numpy as np
import pytest

from engines import backend as backend_module
from engines.backend import NUMPY, cupy_backend, select_backend


def test_numpy_on_request():
    chosen, why = select_backend("numpy")
    assert chosen is NUMPY and chosen.xp is np and "asked" in why


def test_auto_falls_back_when_cupy_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # makes `import cupy` raise ImportError
    chosen, why = select_backend("auto")
    assert chosen is NUMPY and "not installed" in why
    with pytest.raises(RuntimeError, match="not installed"):
        select_backend("cupy")


def test_auto_falls_back_when_cupy_finds_no_device(monkeypatch):
    fake = types.ModuleType("cupy")

    def zeros(*args, **kwargs):
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    fake.zeros = zeros
    monkeypatch.setitem(sys.modules, "cupy", fake)
    backend, reason = cupy_backend()
    assert backend is None and "no usable CUDA device" in reason and "cudaErrorNoDevice" in reason
    chosen, why = select_backend("auto")
    assert chosen is NUMPY and "cudaErrorNoDevice" in why


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="numpy, cupy or auto"):
        select_backend("tpu")


def test_numpy_round_trip_copies_to_host():
    array = NUMPY.from_host(np.arange(3.0))
    assert isinstance(NUMPY.to_host(array), np.ndarray)
    assert backend_module.get_backend("numpy") is NUMPY
