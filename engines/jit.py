"""Kernels compiled by numba where it can be used, with the NumPy code as the fallback.

numba is a dependency (pyproject), used for CPU passes that NumPy would split into many
ufunc calls (an optimizer's update, an LSTM step's gate arithmetic): one compiled loop reads
and writes each number once. A pack wraps its compile function in `LazyKernels`; the first
`get()` compiles (cached on disk by numba, so later runs load in milliseconds) and returns the
kernels, or None where numba cannot be imported or compiled (a platform without its wheels, a
NumPy newer than it supports): callers then run their NumPy code, which stays tested.
"""

from __future__ import annotations

from collections.abc import Callable


def njit(function=None, **options):
    """numba.njit with the options every kernel here wants.

    cache: compiled code kept on disk between runs; error_model="numpy": no Python
    ZeroDivisionError checks, which would stop LLVM from vectorising loops that divide;
    nogil: a kernel lets other Python threads run (the GUI, a second session).
    """
    from numba import njit as numba_njit
    settings = {"cache": True, "error_model": "numpy", "nogil": True, **options}
    return numba_njit(**settings) if function is None else numba_njit(**settings)(function)


class LazyKernels:
    """Compiles on first use; get() returns compile()'s result or None (module doc)."""

    def __init__(self, compile_kernels: Callable):
        self._compile = compile_kernels
        self._kernels = None

    def get(self):
        if self._kernels is None:
            try:
                self._kernels = self._compile()
            except Exception:  # numba missing or unusable: the NumPy path stays
                self._kernels = False
        return self._kernels or None
