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

Dense layers of a small network (rows x fan-in x units up to SMALL_PRODUCT): the product, the
bias and (backward) all three gradients in one call each. At these sizes a NumPy call costs
more than its arithmetic (a 32x64 @ 64x128 product is ~4 us, of which ~1 is NumPy's call), and
a 64-128-10 step makes about twenty of them. numba's np.dot calls scipy's OpenBLAS, a second
library beside NumPy's; products this small run on the calling thread in both (OpenBLAS
threads a product only above 2^18 multiply-adds), so the two never wake competing thread pools.

Dense + ReLU (engines/program.py Step.fuse, when a ReLU is a Dense layer's only reader): the
bias add and the ReLU in one pass after the product, the ReLU's gradient and the bias gradient
in one pass before the products; a small layer does all of it in one call.

Softmax cross-entropy: one pass per row for the probabilities, the loss, the accuracy hits and
the confusion counts (about fifteen NumPy calls otherwise, which dominate a small network's
step), and one for the gradient. The exponential is numba's (libm), so it agrees with the
NumPy path to rounding, not bitwise (tested). CUDA versions of these for CuPy:
plugins/core/fused_cupy.py; `kernel(name, backend)` finds either.
"""

from __future__ import annotations

from engines.jit import LazyKernels, njit

# the largest rows x fan-in x units a Dense layer runs through its compiled kernels: OpenBLAS
# keeps products up to 2^18 multiply-adds on the calling thread
SMALL_PRODUCT = 1 << 18


def _compile():
    from math import exp, log, sqrt

    import numpy as np

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

    # The other optimizers' updates (build_sgd ... build_adadelta in optimizers.py): the same
    # operations in the same order as their NumPy passes, scalars in the arrays' dtype, so the
    # two agree bit for bit; like Adam they flush an average that decays below the dtype's
    # smallest normal number to zero. decay != 0 is the NumPy code's `if decay:`.

    @njit
    def outer_step(value, step, velocity, lr, decay, mu, tiny):
        """The notes' outer rule for one weight (optimizers._apply_step): returns the new
        (value, velocity) for dW = -lr (step + decay W) + mu dW_prev."""
        if decay != 0:
            step = step + value * decay
        v = velocity * mu - step * lr
        if -tiny < v < tiny:
            v = tiny - tiny
        return value + v, v

    @njit
    def decayed_average(average, keep, x, rest, tiny):
        """keep average + rest x^2, flushed to 0 below tiny."""
        a = average * keep + x * x * rest
        return a if a >= tiny else tiny - tiny

    @njit
    def sgd(value, grad, velocity, lr, decay, mu, nesterov, tiny):
        """dW = -lr (grad + decay W) + mu dW_prev; W += dW, or with nesterov
        W += mu dW - lr (grad + decay W)."""
        for k in range(value.shape[0]):
            w = value[k]
            step = (w * decay + grad[k]) * lr if decay != 0 else grad[k] * lr
            v = velocity[k] * mu - step
            if -tiny < v < tiny:
                v = tiny - tiny
            velocity[k] = v
            value[k] = (w - step) + v * mu if nesterov else w + v

    @njit
    def rmsprop(value, grad, sq_grad, lr, decay, decay_rest, eps, tiny):
        """S = decay S + decay_rest g^2; W -= lr g / (sqrt(S) + eps)."""
        for k in range(value.shape[0]):
            g = grad[k]
            s = decayed_average(sq_grad[k], decay, g, decay_rest, tiny)
            sq_grad[k] = s
            value[k] -= g / (sqrt(s) + eps) * lr

    @njit
    def adagrad(value, grad, total, velocity, lr, eps, decay, mu, tiny):
        """G += g^2; the outer rule around g / (sqrt(G) + eps)."""
        for k in range(value.shape[0]):
            g = grad[k]
            t = total[k] + g * g
            total[k] = t
            value[k], velocity[k] = outer_step(value[k], g / (sqrt(t) + eps), velocity[k], lr,
                                               decay, mu, tiny)

    @njit
    def adadelta(value, grad, sq_grad, sq_step, velocity, lr, alpha, alpha_rest, beta,
                 beta_rest, eps, decay, mu, tiny):
        """S = a S + (1-a) g^2; step = sqrt((D + eps) / (S + eps)) g; D = b D + (1-b) step^2;
        the outer rule around step."""
        for k in range(value.shape[0]):
            g = grad[k]
            s = decayed_average(sq_grad[k], alpha, g, alpha_rest, tiny)
            sq_grad[k] = s
            step = sqrt((sq_step[k] + eps) / (s + eps)) * g
            sq_step[k] = decayed_average(sq_step[k], beta, step, beta_rest, tiny)
            value[k], velocity[k] = outer_step(value[k], step, velocity[k], lr, decay, mu,
                                               tiny)

    @njit
    def softmax_cross_entropy(logits, targets, probs, mass, counts, count, loss, accuracy):
        """Row-wise softmax into probs, sum of targets into mass; the mean loss into loss[0]
        and the share of rows whose target logit is the row maximum into accuracy[0] (the
        same arguments as the CUDA kernel); adds (true, guessed) class pairs to counts
        (classes * classes) when count is set. Returns (summed loss, hits)."""
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
        loss[0] = total / rows
        accuracy[0] = hits / rows
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
        zero = np.zeros(1, out.dtype)[0]
        for r in range(rows):
            y_row, g_row, out_row = y[r], grad_y[r], out[r]
            if accumulate:
                for k in range(features):
                    out_row[k] += g_row[k] if y_row[k] > zero else zero
            else:
                for k in range(features):
                    out_row[k] = g_row[k] if y_row[k] > zero else zero

    @njit
    def dense_forward(x, W, b, y):
        """y = x @ W + b: the product on BLAS (numba's np.dot), then one pass for the bias."""
        np.dot(x, W, y)
        for r in range(y.shape[0]):
            y[r] += b

    @njit
    def product_grads(x, W, grad_y, grad_W, grad_x, scratch, input_grad):
        """grad_W = x.T @ grad_y; input_grad 1: grad_x = grad_y @ W.T (written whole),
        2: grad_x += that (through scratch), 0: no input gradient."""
        np.dot(x.T, grad_y, grad_W)
        if input_grad == 1:
            np.dot(grad_y, W.T, grad_x)
        elif input_grad == 2:
            np.dot(grad_y, W.T, scratch)
            grad_x += scratch

    @njit
    def dense_backward(x, W, grad_y, grad_W, grad_b, grad_x, scratch, input_grad):
        """grad_b = column sums of grad_y, then product_grads (grad_W and, per input_grad,
        grad_x)."""
        grad_b[:] = 0
        for r in range(grad_y.shape[0]):
            grad_b += grad_y[r]
        product_grads(x, W, grad_y, grad_W, grad_x, scratch, input_grad)

    # Each loop below stores into one array only: with two stores per iteration LLVM cannot
    # rule out that the arrays overlap and leaves the loop scalar (35-45% slower, measured).

    @njit
    def bias_relu(y, b, out):
        """y += b and out = max(y, 0) in one pass over the rows (a NaN stays NaN, as in
        np.maximum)."""
        zero = np.zeros(1, out.dtype)[0]
        for r in range(y.shape[0]):
            y_row, out_row = y[r], out[r]
            for k in range(y_row.shape[0]):
                y_row[k] += b[k]
            for k in range(y_row.shape[0]):
                v = y_row[k]
                out_row[k] = v if not v <= zero else zero

    @njit
    def relu_grad_bias(out, grad_out, grad_y, grad_b):
        """grad_y = grad_out where out > 0, else 0 (written whole), and grad_b = its column
        sums, in one pass over the rows."""
        zero = np.zeros(1, grad_y.dtype)[0]
        grad_b[:] = zero
        for r in range(grad_y.shape[0]):
            out_row, g_row, grad_row = out[r], grad_out[r], grad_y[r]
            for k in range(grad_row.shape[0]):
                grad_row[k] = g_row[k] if out_row[k] > zero else zero
            for k in range(grad_row.shape[0]):
                grad_b[k] += grad_row[k]

    @njit
    def dense_relu_forward(x, W, b, y, out):
        """y = x @ W + b and out = max(y, 0): a small Dense layer and its ReLU in one call."""
        np.dot(x, W, y)
        bias_relu(y, b, out)

    @njit
    def dense_relu_backward(x, W, out, grad_out, grad_y, grad_W, grad_b, grad_x, scratch,
                            input_grad):
        """The ReLU's gradient into grad_y (with the bias sums), then product_grads."""
        relu_grad_bias(out, grad_out, grad_y, grad_b)
        product_grads(x, W, grad_y, grad_W, grad_x, scratch, input_grad)

    return {"adam": adam, "sgd": sgd, "rmsprop": rmsprop, "adagrad": adagrad,
            "adadelta": adadelta, "softmax_cross_entropy": softmax_cross_entropy,
            "softmax_cross_entropy_grad": softmax_cross_entropy_grad, "relu_grad": relu_grad,
            "dense_forward": dense_forward, "dense_backward": dense_backward,
            "bias_relu": bias_relu, "relu_grad_bias": relu_grad_bias,
            "dense_relu_forward": dense_relu_forward, "dense_relu_backward": dense_relu_backward}


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
