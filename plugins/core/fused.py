"""Optimizer updates as one compiled pass per parameter buffer (numba, NumPy backend).

NumPy runs Adam as ten whole-array passes over every parameter (about a third of an MLP step
at 269k parameters, docs/PERFORMANCE.md); the loop below reads and writes each number once,
with the same operations in the same order and the scalars in the array's dtype, so it agrees
with the NumPy code to the last bit (tested). On the GPU a CuPy ElementwiseKernel does the same
(plugins/core/optimizers.py). None where numba cannot be used (engines/jit.py).
"""

from __future__ import annotations

from engines.jit import LazyKernels, njit


def _compile():
    from math import sqrt

    @njit
    def adam(value, grad, avg, sq_avg, beta1, beta2, eps_scaled, step_size):
        """Adam with moments kept divided by (1 - beta): see build_adam."""
        for k in range(value.shape[0]):
            g = grad[k]
            m = avg[k] * beta1 + g
            v = sq_avg[k] * beta2 + g * g
            avg[k] = m
            sq_avg[k] = v
            value[k] -= m / (sqrt(v) + eps_scaled) * step_size

    return {"adam": adam}


KERNELS = LazyKernels(_compile)
