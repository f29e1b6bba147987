"""CUDA versions of the core pack's fused kernels (plugins/core/fused.py) for CuPy.

On a GPU a small network's step costs its kernel launches: the softmax cross-entropy's array
code is about twenty launches forward and five backward, ReLU's gradient two or three, an
optimizer's update five (SGD with momentum) to seventeen (AdaDelta). Here each is one.
`relu_grad` and the optimizers take the numba kernels' arguments, so the nodes call either; the
softmax cross-entropy writes its loss and accuracy on the device and its gradient reads the
loss's seed there (the numba kernels take and return host numbers, which on a GPU would be a
sync per step).
Built on first use; None without CuPy.
"""

from __future__ import annotations

from functools import cache

import numpy as np

_SOFTMAX_CE = r"""
template<typename T>
__global__ void softmax_ce_forward(const T* logits, const T* targets, T* probs, T* mass,
                                   unsigned long long* counts, int rows, int classes,
                                   int count, T* loss, T* accuracy) {
    // one block: each thread takes rows r = thread, thread + 256, ...; then a tree sum
    __shared__ double part_loss[256];
    __shared__ int part_hits[256];
    double total = 0.0;
    int hits = 0;
    for (int r = threadIdx.x; r < rows; r += blockDim.x) {
        const T* z = logits + (long long)r * classes;
        const T* t = targets + (long long)r * classes;
        T* p = probs + (long long)r * classes;
        T top = z[0];
        int guess = 0;
        for (int k = 1; k < classes; ++k) {
            if (z[k] > top) { top = z[k]; guess = k; }
        }
        T norm = 0;
        for (int k = 0; k < classes; ++k) {
            T e = exp(z[k] - top);
            p[k] = e;
            norm += e;
        }
        T target_mass = 0, picked = 0, best = t[0];
        int truth = 0;
        for (int k = 0; k < classes; ++k) {
            p[k] /= norm;
            T tk = t[k];
            target_mass += tk;
            picked += tk * (z[k] - top);
            if (tk > best) { truth = k; best = tk; }
        }
        mass[r] = target_mass;
        total += (double)(log(norm) * target_mass - picked);
        if (picked >= 0) hits += 1;
        if (count) atomicAdd(&counts[truth * classes + guess], 1ULL);
    }
    part_loss[threadIdx.x] = total;
    part_hits[threadIdx.x] = hits;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) {
            part_loss[threadIdx.x] += part_loss[threadIdx.x + half];
            part_hits[threadIdx.x] += part_hits[threadIdx.x + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        loss[0] = (T)(part_loss[0] / rows);
        accuracy[0] = (T)((double)part_hits[0] / rows);
    }
}
"""
THREADS = 256  # one block; the shared arrays above hold one slot per thread


@cache
def kernels() -> dict | None:
    """{"softmax_cross_entropy": forward(...), "softmax_cross_entropy_grad": ...,
    "relu_grad": ...}, or None without CuPy."""
    try:
        import cupy
    except ImportError:
        return None
    module = cupy.RawModule(code=_SOFTMAX_CE, options=("-std=c++14",),
                            name_expressions=("softmax_ce_forward<float>",
                                              "softmax_ce_forward<double>"))
    forward_for = {np.dtype(np.float32): module.get_function("softmax_ce_forward<float>"),
                   np.dtype(np.float64): module.get_function("softmax_ce_forward<double>")}
    grad_kernel = cupy.ElementwiseKernel(
        "T p, T mass, T t, raw T seed, int32 rows, bool accumulate", "T out",
        "T g = (p * mass - t) * (T)((double)seed[0] / rows); out = accumulate ? out + g : g",
        "dendrite_softmax_ce_grad")
    relu_kernel = cupy.ElementwiseKernel(
        "T y, T grad, bool accumulate", "T out",
        "T g = y > (T)0 ? grad : (T)0; out = accumulate ? out + g : g",
        "dendrite_relu_grad")

    def softmax_cross_entropy(logits, targets, probs, mass, counts, count, loss, accuracy):
        """probs, mass (rows,) and confusion counts as the numba kernel; the mean loss and
        accuracy straight into the (1,) device arrays loss and accuracy."""
        rows, classes = logits.shape
        forward_for[logits.dtype]((1,), (THREADS,), (
            logits, targets, probs, mass, counts, np.int32(rows), np.int32(classes),
            np.int32(bool(count)), loss, accuracy))

    def softmax_cross_entropy_grad(probs, mass, targets, seed, out, accumulate):
        """out (=, or +=) (probs * mass - targets) * seed[0] / rows; seed is the loss's
        (1,) gradient on the device (the numba kernel takes the host scale instead)."""
        grad_kernel(probs, mass[:, None], targets, seed, np.int32(probs.shape[0]), accumulate,
                    out)

    def relu_grad(y, grad_y, out, accumulate):
        relu_kernel(y, grad_y, accumulate, out)

    return {"softmax_cross_entropy": softmax_cross_entropy,
            "softmax_cross_entropy_grad": softmax_cross_entropy_grad, "relu_grad": relu_grad,
            **_optimizer_kernels(cupy)}


# The optimizers' one-launch updates: the numba kernels' arithmetic (plugins/core/fused.py)
# and arguments, so build_sgd ... build_adadelta call either.
_FLUSH = "if ({0} > -tiny && {0} < tiny) {0} = (T)0;"
# numba's decayed_average: T name = keep average + rest x^2, flushed to 0 below tiny
_DECAYED = "T {0} = {1} * {2} + {3} * {3} * {4};\nif ({0} < tiny) {0} = (T)0;\n"
_OUTER_STEP = """
if (decay != (T)0) step = step + value * decay;
T v = velocity * mu - step * lr;
""" + _FLUSH.format("v") + """
velocity = v;
value = value + v;
"""


def _optimizer_kernels(cupy) -> dict:
    sgd_kernel = cupy.ElementwiseKernel(
        "T grad, T lr, T decay, T mu, bool nesterov, T tiny", "T value, T velocity",
        """
        T w = value;
        T step = decay != (T)0 ? (w * decay + grad) * lr : grad * lr;
        T v = velocity * mu - step;
        """ + _FLUSH.format("v") + """
        velocity = v;
        value = nesterov ? (w - step) + v * mu : w + v;
        """, "dendrite_sgd")
    rmsprop_kernel = cupy.ElementwiseKernel(
        "T grad, T lr, T decay, T decay_rest, T eps, T tiny", "T value, T sq_grad",
        _DECAYED.format("s", "sq_grad", "decay", "grad", "decay_rest") + """
        sq_grad = s;
        value -= grad / (sqrt(s) + eps) * lr;
        """, "dendrite_rmsprop")
    adagrad_kernel = cupy.ElementwiseKernel(
        "T grad, T lr, T eps, T decay, T mu, T tiny", "T value, T total, T velocity",
        """
        T t = total + grad * grad;
        total = t;
        T step = grad / (sqrt(t) + eps);
        """ + _OUTER_STEP, "dendrite_adagrad")
    adadelta_kernel = cupy.ElementwiseKernel(
        "T grad, T lr, T alpha, T alpha_rest, T beta, T beta_rest, T eps, T decay, T mu, "
        "T tiny", "T value, T sq_grad, T sq_step, T velocity",
        _DECAYED.format("s", "sq_grad", "alpha", "grad", "alpha_rest") + """
        sq_grad = s;
        T step = sqrt((sq_step + eps) / (s + eps)) * grad;
        """ + _DECAYED.format("d", "sq_step", "beta", "step", "beta_rest") + """
        sq_step = d;
        """ + _OUTER_STEP, "dendrite_adadelta")

    def sgd(value, grad, velocity, lr, decay, mu, nesterov, tiny):
        sgd_kernel(grad, lr, decay, mu, bool(nesterov), tiny, value, velocity)

    def rmsprop(value, grad, sq_grad, lr, decay, decay_rest, eps, tiny):
        rmsprop_kernel(grad, lr, decay, decay_rest, eps, tiny, value, sq_grad)

    def adagrad(value, grad, total, velocity, lr, eps, decay, mu, tiny):
        adagrad_kernel(grad, lr, eps, decay, mu, tiny, value, total, velocity)

    def adadelta(value, grad, sq_grad, sq_step, velocity, lr, alpha, alpha_rest, beta,
                 beta_rest, eps, decay, mu, tiny):
        adadelta_kernel(grad, lr, alpha, alpha_rest, beta, beta_rest, eps, decay, mu, tiny,
                        value, sq_grad, sq_step, velocity)

    return {"sgd": sgd, "rmsprop": rmsprop, "adagrad": adagrad, "adadelta": adadelta}
