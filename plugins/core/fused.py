"""Core kernels compiled by numba for the NumPy backend (None where numba cannot be used,
engines/jit.py).

Adam: NumPy runs Adam as ten whole-array passes over every parameter (about a third of an MLP step
at 269k parameters, docs/PERFORMANCE.md); the loop below reads and writes each number once,
with the same operations in the same order and the scalars in the array's dtype, so it agrees
with the NumPy code to the last bit (tested), except that it flushes subnormal moments to zero.
Why: a weight whose gradient stays 0 (a pixel that is always blank) has its moment decay by
beta1 each step into the subnormal range after ~800 steps, and x86 computes subnormals about
100x slower: on the digits MLP 320 such moments made the whole update 76 us instead of 5.
On the GPU a CuPy ElementwiseKernel does the same (plugins/core/optimizers.py).

ReLU's gradient: one pass instead of a mask, a multiply and (for a fan-out) an add.

Softmax cross-entropy: one pass per row for the probabilities, the loss, the accuracy hits and
the confusion counts (about fifteen NumPy calls otherwise, which dominate a small network's
step), and one for the gradient. The exponential is numba's (libm), so it agrees with the
NumPy path to rounding, not bitwise (tested). CUDA versions of these for CuPy:
plugins/core/fused_cupy.py; `kernel(name, backend)` finds either.
"""

from __future__ import annotations

from engines.jit import LazyKernels, njit


def _compile():
    from math import exp, log, sqrt

    @njit
    def adam(value, grad, avg, sq_avg, beta1, beta2, eps_scaled, step_size, tiny):
        """Adam with moments kept divided by (1 - beta): see build_adam. Moments below tiny
        (the dtype's smallest normal number) become 0."""
        zero = tiny - tiny  # of the arrays' dtype: a literal 0 would promote float32 math
        for k in range(value.shape[0]):
            g = grad[k]
            m = avg[k] * beta1 + g
            v = sq_avg[k] * beta2 + g * g
            if -tiny < m < tiny:  # a subnormal costs ~100x a normal number on x86
                m = zero
            if v < tiny:
                v = zero
            avg[k] = m
            sq_avg[k] = v
            value[k] -= m / (sqrt(v) + eps_scaled) * step_size

    @njit
    def softmax_cross_entropy(logits, targets, probs, mass, counts, count):
        """Row-wise softmax into probs, sum of targets into mass; returns (summed loss,
        rows whose target logit is the row maximum); adds (true, guessed) class pairs to
        counts (classes * classes) when count is set."""
        rows, classes = logits.shape
        total, hits = 0.0, 0
        for r in range(rows):
            top, guess = logits[r, 0], 0
            for k in range(1, classes):
                if logits[r, k] > top:
                    top, guess = logits[r, k], k
            norm = 0.0
            for k in range(classes):
                e = exp(logits[r, k] - top)
                probs[r, k] = e
                norm += e
            target_mass, picked, truth, best = 0.0, 0.0, 0, targets[r, 0]
            for k in range(classes):
                probs[r, k] /= norm
                t = targets[r, k]
                target_mass += t
                picked += t * (logits[r, k] - top)
                if t > best:
                    truth, best = k, t
            mass[r] = target_mass
            total += log(norm) * target_mass - picked
            if picked >= 0.0:
                hits += 1
            if count:
                counts[truth * classes + guess] += 1
        return total, hits

    @njit
    def softmax_cross_entropy_grad(probs, mass, targets, scale, out, accumulate):
        """out (=, or += when accumulate) (probs * mass - targets) * scale."""
        rows, classes = probs.shape
        for r in range(rows):
            for k in range(classes):
                g = (probs[r, k] * mass[r] - targets[r, k]) * scale
                if accumulate:
                    out[r, k] += g
                else:
                    out[r, k] = g

    @njit
    def relu_grad(y, grad_y, out, accumulate):
        """out (=, or += when accumulate) grad_y where y > 0, else 0; y, grad_y and out
        are 2-D (rows, features)."""
        rows, features = y.shape
        for r in range(rows):
            for k in range(features):
                g = grad_y[r, k] if y[r, k] > 0 else 0.0
                if accumulate:
                    out[r, k] += g
                else:
                    out[r, k] = g

    return {"adam": adam, "softmax_cross_entropy": softmax_cross_entropy,
            "softmax_cross_entropy_grad": softmax_cross_entropy_grad, "relu_grad": relu_grad}


KERNELS = LazyKernels(_compile)


def kernel(name: str, backend: str = "numpy"):
    """The fused kernel `name` for the backend ("numpy": numba's; "cupy": the CUDA one of
    plugins/core/fused_cupy.py, where it has one), or None where there is none."""
    if backend == "cupy":
        from plugins.core.fused_cupy import kernels as cupy_kernels
        kernels = cupy_kernels()
    else:
        kernels = KERNELS.get()
    return None if kernels is None else kernels.get(name)
