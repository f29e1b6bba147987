"""Array backends: NumPy on the CPU, CuPy on an NVIDIA GPU, chosen once per compile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Backend:
    """An array module plus the facts kernels need about it."""

    name: str  # "numpy" or "cupy"
    xp: Any  # the module kernels call: numpy or cupy

    def to_host(self, array):
        """A NumPy copy of a device array (a sync point on CuPy: call it rarely)."""
        return array.get() if self.name == "cupy" else np.asarray(array)

    def from_host(self, array):
        return self.xp.asarray(array)


NUMPY = Backend("numpy", np)


def cupy_backend() -> tuple[Backend | None, str]:
    """The CuPy backend when CuPy imports and a CUDA device answers, else (None, why not)."""
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CUDA install raising anything
        return None, f"CuPy is not installed ({type(exc).__name__}: {exc})"
    try:
        cupy.zeros(1).sum().item()  # the first allocation is what fails without a device
    except Exception as exc:
        return None, f"CuPy found no usable CUDA device ({type(exc).__name__}: {exc})"
    return Backend("cupy", cupy), "CuPy found a CUDA device"


def select_backend(choice: str = "auto") -> tuple[Backend, str]:
    """Resolve 'numpy' | 'cupy' | 'auto' to a Backend and a one-line reason for the choice.

    'cupy' raises RuntimeError when CuPy is unusable; 'auto' falls back to NumPy and says why.
    """
    if choice == "numpy":
        return NUMPY, "NumPy backend (asked for)"
    if choice not in ("cupy", "auto"):
        raise ValueError(f"Unknown engine '{choice}'; choose numpy, cupy or auto.")
    backend, reason = cupy_backend()
    if backend is not None:
        return backend, f"CuPy backend ({reason})"
    if choice == "cupy":
        raise RuntimeError(f"The CuPy engine was asked for, but {reason}.")
    return NUMPY, f"NumPy backend ({reason})"


def get_backend(name: str) -> Backend:
    """The backend called name, raising RuntimeError if it cannot run here."""
    return select_backend(name)[0]
