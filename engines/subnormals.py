"""Flush subnormal numbers to zero while a run trains (x86-64 Linux; elsewhere a no-op).

Why: a quantity that decays geometrically under a zero gradient (a momentum, Adam's or
RMSprop's moments for a pixel that is almost always blank) reaches the subnormal range below
1.2e-38 (float32) after some hundreds of steps, and x86 processors compute with subnormals
about 100 times slower than with normal numbers: on the digits MLP, RMSprop's update took
267 us per step instead of ~10 after 3,500 steps. Setting the FTZ and DAZ bits of the SSE
control register (MXCSR) makes the processor read and write such numbers as zero, which is
what TensorFlow does in its worker threads and `torch.set_flush_denormal(True)` offers; the
numbers it changes are below every tolerance a training run has.

The register is per thread: the context sets it for the calling thread and restores the old
value on exit. BLAS worker threads keep their own (they hold weights and activations, which
do not decay like this).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
import sys
from contextlib import contextmanager

FTZ_DAZ = 0x8040  # MXCSR bit 15 flush-to-zero, bit 6 denormals-are-zero


class _FloatEnv(ctypes.Structure):
    """glibc's x86-64 fenv_t: the x87 environment (28 bytes) then MXCSR."""

    _fields_ = [("x87", ctypes.c_ubyte * 28), ("mxcsr", ctypes.c_uint32)]


def _libm():
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        return None
    try:
        libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        libm.fegetenv, libm.fesetenv  # noqa: B018 (both must exist)
    except (OSError, AttributeError):
        return None
    return libm


_LIBM = _libm()


def supported() -> bool:
    """Whether this platform lets a thread flush subnormals (x86-64 Linux with glibc)."""
    return _LIBM is not None


@contextmanager
def flushed():
    """Within the block, this thread treats subnormal floats as zero (no-op if unsupported)."""
    with flushed_as(FTZ_DAZ):
        yield


def thread_mode() -> int:
    """This thread's FTZ and DAZ bits (0 where unsupported): what a helper thread doing part
    of this thread's work passes to flushed_as, so both halves compute alike."""
    env = _FloatEnv()
    if _LIBM is None or _LIBM.fegetenv(ctypes.byref(env)) != 0:
        return 0
    return env.mxcsr & FTZ_DAZ


@contextmanager
def flushed_as(mode: int):
    """Within the block, this thread's FTZ and DAZ bits are `mode`'s (no-op if unsupported);
    the old ones come back on exit."""
    env = _FloatEnv()
    if _LIBM is None or _LIBM.fegetenv(ctypes.byref(env)) != 0:
        yield
        return
    previous = env.mxcsr
    env.mxcsr = (previous & ~FTZ_DAZ) | (mode & FTZ_DAZ)
    _LIBM.fesetenv(ctypes.byref(env))
    try:
        yield
    finally:
        _LIBM.fegetenv(ctypes.byref(env))
        env.mxcsr = (env.mxcsr & ~FTZ_DAZ) | (previous & FTZ_DAZ)
        _LIBM.fesetenv(ctypes.byref(env))
