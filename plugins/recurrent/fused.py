"""Fused elementwise work of one LSTM or GRU step, compiled by numba (CPU, NumPy backend).

The NumPy step loop spends most of its non-matmul time in call overhead: ten forward and
sixteen reverse ufunc calls per step on (units, rows) blocks of a few thousand numbers, each
a separate pass. These kernels do the arithmetic between the gate tanh and the cell-state tanh
(forward) and the whole reverse step except its matmul in one pass each, with the same
operations in the same order, so they agree with the NumPy path to rounding (tests compare
both, float32 and float64). The transcendental functions stay NumPy's (SIMD) calls. Where
numba cannot be used, `KERNELS.get()` is None and the cells keep the NumPy path
(engines/jit.py).
"""

from __future__ import annotations

from engines.jit import LazyKernels, njit


def _compile():
    @njit
    def forward_cell(pre, cs, t, n, half):
        """pre[t] holds tanh of each gate's input (i, f, o scaled by 1/2): make i, f, o the
        sigmoids 0.5 tanh + 0.5 in place, and cs[t + 1] = f * cs[t] + i * g."""
        rows = pre.shape[2]
        for j in range(n):
            for r in range(rows):
                i = pre[t, j, r] * half + half
                f = pre[t, n + j, r] * half + half
                pre[t, j, r] = i
                pre[t, n + j, r] = f
                pre[t, 3 * n + j, r] = pre[t, 3 * n + j, r] * half + half
                cs[t + 1, j, r] = f * cs[t, j, r] + i * pre[t, 2 * n + j, r]

    @njit
    def backward_cell(pre, cs, tc, dpre, dh, dc, dseq, t, n, has_seq, one):
        """One reverse step without its matmul: dh (plus this step's output gradient)
        and dc in, the gate pre-activation gradients dpre[t] out, dc carried to step t-1."""
        rows = pre.shape[2]
        for j in range(n):
            for r in range(rows):
                h = dh[j, r]
                if has_seq:
                    h += dseq[t, j, r]
                i = pre[t, j, r]
                f = pre[t, n + j, r]
                g = pre[t, 2 * n + j, r]
                o = pre[t, 3 * n + j, r]
                tanh_c = tc[t, j, r]
                dpre[t, 3 * n + j, r] = h * tanh_c * ((one - o) * o)
                c_grad = dc[j, r] + ((one - tanh_c * tanh_c) * o) * h
                dpre[t, j, r] = c_grad * g * ((one - i) * i)
                dpre[t, n + j, r] = c_grad * cs[t, j, r] * ((one - f) * f)
                dpre[t, 2 * n + j, r] = c_grad * i * (one - g * g)
                dc[j, r] = c_grad * f

    @njit
    def gru_gates(pre, tmpg, hn, t, n, half):
        """GRU (reset_after), after tanh of the halved r, z inputs: r, z as sigmoids, h U_n
        kept in hn[t], and the candidate's input x W_n + b_n + r * (h U_n) in pre[t]."""
        rows = pre.shape[2]
        for j in range(n):
            for r in range(rows):
                reset = pre[t, j, r] * half + half
                pre[t, j, r] = reset
                pre[t, n + j, r] = pre[t, n + j, r] * half + half
                recurrent = tmpg[2 * n + j, r]
                hn[t, j, r] = recurrent
                pre[t, 2 * n + j, r] = pre[t, 2 * n + j, r] + reset * recurrent

    @njit
    def gru_state(pre, hs, t, n):
        """h' = n + z (h - n) once pre[t]'s candidate holds tanh."""
        rows = pre.shape[2]
        for j in range(n):
            for r in range(rows):
                new = pre[t, 2 * n + j, r]
                hs[t + 1, j, r] = new + (hs[t, j, r] - new) * pre[t, n + j, r]

    @njit
    def gru_backward_cell(pre, hs, hn, dpre, dph, dh, dseq, t, n, has_seq, one):
        """One reverse GRU (reset_after) step without its matmul: the gate gradients into
        dpre[t], the U-side ones into dph[t], and dh replaced by its z-path dh z (the
        caller adds U dph[t])."""
        rows = pre.shape[2]
        for j in range(n):
            for r in range(rows):
                h = dh[j, r]
                if has_seq:
                    h += dseq[t, j, r]
                reset = pre[t, j, r]
                z = pre[t, n + j, r]
                new = pre[t, 2 * n + j, r]
                dz = ((hs[t, j, r] - new) * h) * ((one - z) * z)
                dn = ((one - new * new) * (one - z)) * h
                dr = (dn * hn[t, j, r]) * ((one - reset) * reset)
                dpre[t, j, r] = dr
                dpre[t, n + j, r] = dz
                dpre[t, 2 * n + j, r] = dn
                dph[t, j, r] = dr
                dph[t, n + j, r] = dz
                dph[t, 2 * n + j, r] = dn * reset
                dh[j, r] = h * z

    return {"lstm": (forward_cell, backward_cell),
            "gru": (gru_gates, gru_state, gru_backward_cell)}


KERNELS = LazyKernels(_compile)
