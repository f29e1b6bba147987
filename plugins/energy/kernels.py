"""Shared helpers of the energy pack: fused sigmoid, Bernoulli sampling, host copies.

Kernels take the array module `xp` and write into preallocated arrays (`out=`), so a training
step allocates nothing on NumPy. Image tiling lives in engines.imaging (one implementation
for every pack); glyph_shape and tile_images are re-exported here for the packs that import
them from this module.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from engines.imaging import glyph_shape, tile_images  # noqa: F401 (re-exported)
from engines.jit import LazyKernels, njit


def sigmoid_(xp, x, out):
    """out = 1 / (1 + exp(-x)), computed as 0.5 tanh(x / 2) + 0.5 (no overflow, in place ok)."""
    if xp is not np:  # one launch instead of four
        return _cupy_kernels()["sigmoid"](x, x.dtype.type(0.5), out)
    xp.multiply(x, 0.5, out=out)
    xp.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def bias_sigmoid_(xp, out, bias):
    """out = sigmoid(out + bias) in place (bias broadcast over rows)."""
    if xp is not np:
        return _cupy_kernels()["bias_sigmoid"](bias, out.dtype.type(0.5), out)
    out += bias
    return sigmoid_(xp, out, out)


def momentum_step_(xp, velocity, gradient, param, momentum: float, step: float):
    """velocity = momentum velocity + step gradient; param += velocity (the NumPy passes
    overwrite gradient with step gradient; the one-pass kernels leave it)."""
    kind = param.dtype.type
    if xp is not np:
        return _cupy_kernels()["momentum"](gradient, kind(momentum), kind(step), velocity,
                                           param)
    compiled = _COMPILED.get()
    if compiled is not None and all(a.flags.c_contiguous for a in (velocity, gradient, param)):
        # one pass instead of four, the same operations in the same order (same bits)
        compiled["momentum_step"](velocity.reshape(-1), gradient.reshape(-1),
                                  param.reshape(-1), kind(momentum), kind(step))
        return param
    velocity *= momentum
    gradient *= step
    velocity += gradient
    param += velocity
    return param


def _compile() -> dict:
    @njit
    def momentum_step(velocity, gradient, param, momentum, step):
        """velocity = momentum velocity + step gradient; param += velocity (1-D arrays)."""
        for k in range(param.shape[0]):
            v = velocity[k] * momentum + gradient[k] * step
            velocity[k] = v
            param[k] += v

    return {"momentum_step": momentum_step}


_COMPILED = LazyKernels(_compile)


@cache
def _cupy_kernels() -> dict:
    """The fused CUDA kernels behind the helpers above (built on first use on CuPy)."""
    import cupy
    return {
        "sigmoid": cupy.ElementwiseKernel(
            "T x, T half", "T out", "out = tanh(x * half) * half + half",
            "dendrite_sigmoid"),
        "bias_sigmoid": cupy.ElementwiseKernel(
            "T bias, T half", "T out", "out = tanh((out + bias) * half) * half + half",
            "dendrite_bias_sigmoid"),
        "momentum": cupy.ElementwiseKernel(
            "T gradient, T momentum, T step", "T velocity, T param",
            "velocity = velocity * momentum + gradient * step; param += velocity",
            "dendrite_momentum_step"),
    }


def softplus_(xp, x, out):
    """out = log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)); out may be x."""
    positive = xp.maximum(x, 0)
    xp.abs(x, out=out)
    xp.negative(out, out=out)
    xp.exp(out, out=out)
    xp.log1p(out, out=out)
    out += positive
    return out


def matmul_into(xp, a, b, out):
    """out = a @ b. NumPy's matmul with out= misses BLAS when an operand is a single row or
    column (about 100x slower at N = 1024), so that case goes through a temporary."""
    if xp is np and (a.shape[0] == 1 or b.shape[-1] == 1):
        out[...] = a @ b
        return out
    return xp.matmul(a, b, out=out)


def fill_uniform(xp, rng: np.random.Generator, out):
    """Fill `out` with U[0, 1) draws: in place on NumPy; on CuPy one draw on the device from
    CuPy's generator (seed_device_generator seeds it from the run's seed)."""
    if xp is np:
        rng.random(out=out, dtype=out.dtype)
    else:
        out[...] = xp.random.random(out.shape, dtype=out.dtype)
    return out


def fill_normal(xp, rng: np.random.Generator, out):
    """Fill `out` with N(0, 1) draws."""
    if xp is np:
        rng.standard_normal(out=out, dtype=out.dtype)
    else:
        out[...] = xp.random.standard_normal(out.shape, dtype=out.dtype)
    return out


def seed_device_generator(xp, rng: np.random.Generator) -> None:
    """Seed CuPy's generator from the host generator, so GPU runs repeat too."""
    if xp is not np:
        xp.random.seed(int(rng.integers(2**31)))


def sample_bernoulli_(xp, rng, probs, uniform, out):
    """out = 1.0 where U < probs else 0.0; `uniform` is a preallocated work array (NumPy: the
    draws land there; CuPy compares the fresh device draws directly, one copy fewer)."""
    if xp is np:
        rng.random(out=uniform, dtype=uniform.dtype)
    else:
        uniform = xp.random.random(uniform.shape, dtype=uniform.dtype)
    xp.less(uniform, probs, out=out)
    return out


def to_host(backend, array) -> np.ndarray:
    """A host copy of a device array (a sync point on CuPy; monitors only)."""
    return np.array(backend.to_host(array), copy=True)
