"""The fused LSTM and GRU step kernels of plugins/recurrent/fused.py for CuPy (GPU).

Same names, arguments and arithmetic as the numba kernels, so the cells' step loops call either:
one CUDA kernel does what the NumPy path does in ten (forward) or sixteen (reverse) launches,
which is what a GPU step of a few thousand numbers is made of. Each kernel runs over the
(units, rows) block of one step; `s` is that block's size, so gate k of element i sits at
k * s + i in a step's contiguous (gates * units, rows) slab. Built on first use; None where
CuPy is missing.
"""

from __future__ import annotations

from functools import cache

_LSTM_FORWARD = """
const ptrdiff_t s = _ind.size();
T in_gate = g[i] * half + half;
T forget = g[s + i] * half + half;
g[i] = in_gate;
g[s + i] = forget;
g[3 * s + i] = g[3 * s + i] * half + half;
c_next = forget * c_prev + in_gate * g[2 * s + i];
"""

_LSTM_BACKWARD = """
const ptrdiff_t s = _ind.size();
T h = dh;
if (has_seq) h += seq;
T in_gate = g[i], forget = g[s + i], cand = g[2 * s + i], out_gate = g[3 * s + i];
T tanh_c = tc;
d[3 * s + i] = h * tanh_c * ((one - out_gate) * out_gate);
T c_grad = dc + ((one - tanh_c * tanh_c) * out_gate) * h;
d[i] = c_grad * cand * ((one - in_gate) * in_gate);
d[s + i] = c_grad * c_prev * ((one - forget) * forget);
d[2 * s + i] = c_grad * in_gate * (one - cand * cand);
dc = c_grad * forget;
"""

_GRU_GATES = """
const ptrdiff_t s = _ind.size();
T reset = g[i] * half + half;
g[i] = reset;
g[s + i] = g[s + i] * half + half;
T recurrent = u[2 * s + i];
hn = recurrent;
g[2 * s + i] = g[2 * s + i] + reset * recurrent;
"""

_GRU_STATE = """
const ptrdiff_t s = _ind.size();
T cand = g[2 * s + i];
h_next = cand + (h_prev - cand) * g[s + i];
"""

_GRU_BACKWARD = """
const ptrdiff_t s = _ind.size();
T h = dh;
if (has_seq) h += seq;
T reset = g[i], z = g[s + i], cand = g[2 * s + i];
T dz = ((h_prev - cand) * h) * ((one - z) * z);
T dn = ((one - cand * cand) * (one - z)) * h;
T dr = (dn * hn) * ((one - reset) * reset);
d[i] = dr;
d[s + i] = dz;
d[2 * s + i] = dn;
dp[i] = dr;
dp[s + i] = dz;
dp[2 * s + i] = dn * reset;
dh = h * z;
"""


@cache
def kernels() -> dict | None:
    """{"lstm": (forward_cell, backward_cell), "gru": (gates, state, backward_cell)} as
    fused.py's, or None without CuPy."""
    try:
        import cupy
    except ImportError:
        return None
    lstm_forward = cupy.ElementwiseKernel(
        "T c_prev, T half", "raw T g, T c_next", _LSTM_FORWARD, "dendrite_lstm_forward")
    lstm_backward = cupy.ElementwiseKernel(
        "raw T g, T c_prev, T tc, T seq, bool has_seq, T one", "raw T d, T dh, T dc",
        _LSTM_BACKWARD, "dendrite_lstm_backward")
    gru_gates = cupy.ElementwiseKernel(
        "raw T u, T half", "raw T g, T hn", _GRU_GATES, "dendrite_gru_gates")
    gru_state = cupy.ElementwiseKernel(
        "raw T g, T h_prev", "T h_next", _GRU_STATE, "dendrite_gru_state")
    gru_backward = cupy.ElementwiseKernel(
        "raw T g, T h_prev, T hn, T seq, bool has_seq, T one", "raw T d, raw T dp, T dh",
        _GRU_BACKWARD, "dendrite_gru_backward")

    def forward_cell(pre, cs, t, n, half):
        lstm_forward(cs[t], half, pre[t], cs[t + 1])

    def backward_cell(pre, cs, tc, dpre, dh, dc, dseq, t, n, has_seq, one):
        lstm_backward(pre[t], cs[t], tc[t], dseq[t] if has_seq else dh, has_seq, one,
                      dpre[t], dh, dc)

    def gates(pre, tmpg, hn, t, n, half):
        gru_gates(tmpg, half, pre[t], hn[t])

    def state(pre, hs, t, n):
        gru_state(pre[t], hs[t], hs[t + 1])

    def backward(pre, hs, hn, dpre, dph, dh, dseq, t, n, has_seq, one):
        gru_backward(pre[t], hs[t], hn[t], dseq[t] if has_seq else dh, has_seq, one,
                     dpre[t], dph[t], dh)

    return {"lstm": (forward_cell, backward_cell), "gru": (gates, state, backward)}
