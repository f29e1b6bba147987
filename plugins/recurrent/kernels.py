"""Recurrent cells over whole sequences, written once against `xp` (NumPy or CuPy).

Each cell runs a whole sequence per call. Work arrays are preallocated for the largest batch (a
short batch uses contiguous views of their first entries) and feature-major inside the loop,
(T, G*units, rows): every gate of a step is then one contiguous block, so each elementwise
kernel is a single flat loop (row-major (rows, G*units) gate slices are strided and several
times slower in NumPy). The input projection of every step is done before the loop (one
batched matmul), each step is one matmul for all gates, and the weight gradients are one
matmul each after the reverse loop. Nothing loops over the batch.

Weights: W (features, G*units) input weights, U (units, G*units) recurrent weights, b (G*units,).
Gate blocks along the G*units axis, in PyTorch's order:
  SimpleRNN  one block                 h' = act(x W + h U + b)
  LSTM       i, f, g, o                c' = f*c + i*g, h' = o*tanh(c')
             peephole P (3, units):    i, f see c, o sees c' (P rows: i, f, o)
  GRU        r, z, n  reset_after:     n = tanh(x W_n + r*(h U_n) + b_n), h' = (1-z)*n + z*h
                      notes:           n = tanh(x W_n + (r*h) U_n + b_n), h' = (1-z)*h + z*n
PyTorch's weight_ih is W.T and weight_hh is U.T; its bias_ih is b and its bias_hh is zero here.
"""

from __future__ import annotations

from contextlib import contextmanager
from math import prod

_BLAS = None


def _blas_libraries() -> list:
    global _BLAS
    if _BLAS is None:
        try:
            from threadpoolctl import ThreadpoolController
            _BLAS = list(ThreadpoolController().select(user_api="blas").lib_controllers)
        except Exception:  # threadpoolctl missing or unable to find the library: leave as is
            _BLAS = []
    return _BLAS


@contextmanager
def single_threaded_blas():
    """Run the enclosed NumPy code with one BLAS thread.

    A step's matmul is small ((units, 4 units) by (4 units, batch)); a threaded BLAS wakes its
    pool for each one, and with the elementwise kernels in between the threads never stay
    warm. One thread was 5x faster for a 32-unit LSTM here (see docs/PERFORMANCE.md).
    """
    libraries = _blas_libraries()
    saved = [lib.num_threads for lib in libraries]
    for lib in libraries:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, count in zip(libraries, saved):
            lib.set_num_threads(count)


def sigmoid_(xp, a) -> None:
    """a = 1 / (1 + exp(-a)) in place, via tanh (no overflow for large |a|)."""
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5


class Workspace:
    """Named flat work arrays viewed as (T, rows, ...) shapes for the current batch."""

    def __init__(self, xp, dtype, batch: int, layout: dict):
        self.xp, self.batch, self.layout = xp, batch, layout
        self.flat = {name: xp.zeros(prod(batch if d is None else d for d in shape), dtype=dtype)
                     for name, shape in layout.items()}
        self._views: dict[int, dict] = {}

    def views(self, rows: int) -> dict:
        views = self._views.get(rows)
        if views is None:
            views = {}
            for name, shape in self.layout.items():
                concrete = tuple(rows if d is None else d for d in shape)
                views[name] = self.flat[name][:prod(concrete)].reshape(concrete)
            self._views[rows] = views
        return views


class Cell:
    """Base: one direction of one recurrent layer, bound to its parameter buffers.

    forward(x_tm, h0, c0) runs the sequence x_tm (T, rows, features); `states(rows)` is then
    (T + 1, rows, units) with the initial state first. backward(dh_seq, dh_last, dc_last)
    takes the gradient of every step's output (T, rows, units, any strides, or None) and of
    the final state, overwrites the parameter gradients and returns (dx_tm, dh0, dc0), views
    into the workspace valid until the next call (dx_tm None when want_dx is off).
    """

    gates = 1
    has_cell_state = False

    def __init__(self, xp, dtype, steps: int, batch: int, features: int, units: int,
                 W, U, b, P=None, **options):
        self.xp, self.T, self.F, self.n = xp, steps, features, units
        self.W, self.U, self.b, self.P = W, U, b, P
        self.options = options
        self.rows = self.grad_rows = batch
        T, n, G = steps, units, self.gates
        layout = {"pre": (T, G * n, None), "dpre": (T, G * n, None), "hs": (T + 1, n, None),
                  "proj": (T, None, G * n), "hrows": (T, None, n), "dseq": (T, n, None),
                  "dx": (T, None, features), "xfm": (T, features + 1, None),
                  "dh": (n, None), "tmp": (n, None),
                  "tmp2": (n, None), "tmpg": (G * n, None)}
        layout.update(self.extra_layout(T, n, G))
        self.work = Workspace(xp, dtype, batch, layout)
        self.ones = xp.ones(T * batch, dtype=dtype)
        # input weights with the bias as one more row: x gets a row of ones, so the input
        # projection of every step adds the bias inside its matmul
        self.Wb = xp.zeros((features + 1, G * n), dtype=dtype)
        self.want_dx = True  # the owner clears it when its input takes no gradient

    def extra_layout(self, T, n, G) -> dict:
        return {}

    def states(self, rows: int):
        """(T + 1, rows, units) hidden states of the last forward pass, h0 first."""
        return self.work.views(rows)["hs"].transpose(0, 2, 1)

    def gate_values(self, rows: int):
        """(T, G*units, rows) gate activations of the last forward pass."""
        return self.work.views(rows)["pre"]

    def step_gradients(self):
        """(T, G*units, rows) pre-activation gradients of the last backward pass."""
        return self.work.views(self.grad_rows)["dpre"]

    def forward(self, x_tm, h0=None, c0=None) -> None:
        xp, rows = self.xp, x_tm.shape[1]
        v = self.work.views(rows)
        self._x, self.rows = x_tm, rows
        self._input_weights(self.Wb)
        x_fm, pre = v["xfm"], v["pre"]
        x_fm[:, :self.F] = x_tm.transpose(0, 2, 1)
        x_fm[:, self.F].fill(1)
        xp.matmul(self.Wb.T, x_fm, out=pre)  # one small matmul per step, into (T, G*n, rows)
        hs = v["hs"]
        if h0 is None:
            hs[0].fill(0)
        else:
            hs[0] = h0.T
        self._c0 = c0
        self._run(v)

    def _fused(self, kind: str):
        """The fused step kernels for `kind`: numba's on NumPy (plugins/recurrent/fused.py),
        CUDA ones on CuPy (fused_cupy.py); None where they cannot be built. The option
        fused=False keeps the plain array path."""
        if not self.options.get("fused", True):
            return None
        if self.xp.__name__ == "numpy":
            from plugins.recurrent.fused import KERNELS
            kernels = KERNELS.get()
        else:
            from plugins.recurrent.fused_cupy import kernels as cupy_kernels
            kernels = cupy_kernels()
        return None if kernels is None else kernels[kind]

    def _input_weights(self, Wb) -> None:
        """Fill Wb with [W; b] for the input projection (a cell may fold a scale in)."""
        Wb[:self.F] = self.W.value
        Wb[self.F] = self.b.value

    def _start_grads(self, v, dh_seq, dh_last):
        """dh (units, rows) seeded with the final state's gradient; dseq feature-major."""
        self.grad_rows = self.rows
        dh = v["dh"]
        if dh_last is None:
            dh.fill(0)
        else:
            dh[...] = dh_last.T
        if dh_seq is None:
            return dh, None
        dseq = v["dseq"]
        dseq[...] = dh_seq.transpose(0, 2, 1)
        return dh, dseq

    def _weight_grads(self, v, dpre, U_rows=None):
        """W, b, x gradients from dpre (T, G*units, rows); U's from dpre and h (or U_rows)."""
        xp, T, rows = self.xp, self.T, self.rows
        proj = v["proj"]
        proj[...] = dpre.transpose(0, 2, 1)
        proj2 = proj.reshape(T * rows, -1)
        xp.matmul(self._x.reshape(T * rows, self.F).T, proj2, out=self.W.grad)
        xp.matmul(self.ones[:T * rows], proj2, out=self.b.grad)
        dx = None
        if self.want_dx:  # a sequence straight from a data node needs no gradient
            dx = v["dx"]
            xp.matmul(proj2, self.W.value.T, out=dx.reshape(T * rows, self.F))
        if U_rows is None:
            hrows = v["hrows"]
            hrows[...] = v["hs"][:T].transpose(0, 2, 1)
            xp.matmul(hrows.reshape(T * rows, self.n).T, proj2, out=self.U.grad)
        return dx, proj2


class SimpleRNNCell(Cell):
    """h' = act(x W + h U + b) with act tanh, relu or linear."""

    def _run(self, v):
        xp, UT, pre, hs = self.xp, self.U.value.T, v["pre"], v["hs"]
        activation = self.options.get("activation", "tanh")
        for t in range(self.T):
            h = hs[t + 1]
            xp.matmul(UT, hs[t], out=h)
            h += pre[t]
            if activation == "tanh":
                xp.tanh(h, out=h)
            elif activation == "relu":
                xp.maximum(h, 0, out=h)

    def backward(self, dh_seq, dh_last, dc_last=None):
        xp, v = self.xp, self.work.views(self.rows)
        U, hs, dpre = self.U.value, v["hs"], v["dpre"]
        dh, dseq = self._start_grads(v, dh_seq, dh_last)
        activation = self.options.get("activation", "tanh")
        for t in range(self.T - 1, -1, -1):
            if dseq is not None:
                dh += dseq[t]
            d = dpre[t]
            if activation == "tanh":
                xp.multiply(hs[t + 1], hs[t + 1], out=d)
                xp.subtract(1, d, out=d)
                d *= dh
            elif activation == "relu":
                xp.greater(hs[t + 1], 0, out=d)
                d *= dh
            else:
                d[...] = dh
            xp.matmul(U, d, out=dh)
        dx, _ = self._weight_grads(v, dpre)
        return dx, dh.T, None


class LSTMCell(Cell):
    """LSTM with gates i, f, g, o; with P (3, units), a peephole LSTM."""

    gates = 4
    has_cell_state = True

    def __init__(self, xp, dtype, steps, batch, features, units, W, U, b, P=None, **options):
        super().__init__(xp, dtype, steps, batch, features, units, W, U, b, P, **options)
        n = units
        # Without peepholes all four gates are activated by one tanh over the whole block:
        # sigma(a) = 0.5 tanh(a / 2) + 0.5, the 1/2 folded into scaled copies of W, U and b.
        self.scale = xp.full(4 * n, 0.5, dtype=dtype)
        self.scale[2 * n:3 * n] = 1
        self.scaled_U = xp.zeros((n, 4 * n), dtype=dtype)

    def extra_layout(self, T, n, G):
        return {"cs": (T + 1, n, None), "tc": (T, n, None), "dc": (n, None),
                "factor": (G * n, None)}

    def _input_weights(self, Wb) -> None:
        if self.P is not None:
            super()._input_weights(Wb)
            return
        xp = self.xp
        xp.multiply(self.W.value, self.scale, out=Wb[:self.F])
        xp.multiply(self.b.value, self.scale, out=Wb[self.F])
        xp.multiply(self.U.value, self.scale, out=self.scaled_U)

    def cell_states(self, rows: int):
        return self.work.views(rows)["cs"].transpose(0, 2, 1)

    def _run(self, v):
        cs = v["cs"]
        if self._c0 is None:
            cs[0].fill(0)
        else:
            cs[0] = self._c0.T
        if self.P is None:
            self._run_plain(v)
        else:
            self._run_peephole(v)


    def _run_plain(self, v):
        xp, n, UT = self.xp, self.n, self.scaled_U.T
        pre, hs, cs, tc, tmp, tmpg = v["pre"], v["hs"], v["cs"], v["tc"], v["tmp"], v["tmpg"]
        fused = self._fused("lstm")
        if fused is not None:
            forward_cell, half = fused[0], pre.dtype.type(0.5)
            for t in range(self.T):
                g = pre[t]
                xp.matmul(UT, hs[t], out=tmpg)
                g += tmpg
                xp.tanh(g, out=g)
                forward_cell(pre, cs, t, n, half)
                xp.tanh(cs[t + 1], out=tc[t])
                xp.multiply(g[3 * n:], tc[t], out=hs[t + 1])
            return
        for t in range(self.T):
            g = pre[t]
            xp.matmul(UT, hs[t], out=tmpg)
            g += tmpg
            xp.tanh(g, out=g)
            for gate in (g[:2 * n], g[3 * n:]):  # scalar ops beat a broadcast column here
                gate *= 0.5
                gate += 0.5
            c = cs[t + 1]
            xp.multiply(g[n:2 * n], cs[t], out=c)
            xp.multiply(g[:n], g[2 * n:3 * n], out=tmp)
            c += tmp
            xp.tanh(c, out=tc[t])
            xp.multiply(g[3 * n:], tc[t], out=hs[t + 1])

    def _run_peephole(self, v):
        xp, n, UT = self.xp, self.n, self.U.value.T
        pre, hs, cs, tc, tmp, tmpg = v["pre"], v["hs"], v["cs"], v["tc"], v["tmp"], v["tmpg"]
        P = self.P.value[:, :, None]
        for t in range(self.T):
            g = pre[t]
            xp.matmul(UT, hs[t], out=tmpg)
            g += tmpg
            xp.multiply(cs[t], P[0], out=tmp)
            g[:n] += tmp
            xp.multiply(cs[t], P[1], out=tmp)
            g[n:2 * n] += tmp
            sigmoid_(xp, g[:2 * n])
            xp.tanh(g[2 * n:3 * n], out=g[2 * n:3 * n])
            c = cs[t + 1]
            xp.multiply(g[n:2 * n], cs[t], out=c)
            xp.multiply(g[:n], g[2 * n:3 * n], out=tmp)
            c += tmp
            xp.multiply(c, P[2], out=tmp)
            g[3 * n:] += tmp
            sigmoid_(xp, g[3 * n:])
            xp.tanh(c, out=tc[t])
            xp.multiply(g[3 * n:], tc[t], out=hs[t + 1])

    def backward(self, dh_seq, dh_last, dc_last=None):
        v = self.work.views(self.rows)
        dh, dseq = self._start_grads(v, dh_seq, dh_last)
        dc = v["dc"]
        if dc_last is None:
            dc.fill(0)
        else:
            dc[...] = dc_last.T
        if self.P is None:
            self._backward_plain(v, dh, dseq, dc)
        else:
            self._backward_peephole(v, dh, dseq, dc)
        dx, _ = self._weight_grads(v, v["dpre"])
        return dx, dh.T, dc.T

    def _backward_plain(self, v, dh, dseq, dc):
        xp, n = self.xp, self.n
        U, pre, dpre, cs, tc = self.U.value, v["pre"], v["dpre"], v["cs"], v["tc"]
        tmp, factor = v["tmp"], v["factor"]
        fused = self._fused("lstm")
        if fused is not None:
            backward_cell, one = fused[1], pre.dtype.type(1)
            seq = dseq if dseq is not None else tc[:1]  # any array; has_seq says whether used
            for t in range(self.T - 1, -1, -1):
                backward_cell(pre, cs, tc, dpre, dh, dc, seq, t, n, dseq is not None, one)
                xp.matmul(U, dpre[t], out=dh)
            return
        for t in range(self.T - 1, -1, -1):
            if dseq is not None:
                dh += dseq[t]
            g, d = pre[t], dpre[t]
            i, f, gg, o = g[:n], g[n:2 * n], g[2 * n:3 * n], g[3 * n:]
            xp.multiply(dh, tc[t], out=d[3 * n:])  # do = dh tanh(c), before sigma'(o)
            xp.multiply(tc[t], tc[t], out=tmp)  # dc += dh o (1 - tanh(c)^2)
            xp.subtract(1, tmp, out=tmp)
            tmp *= o
            tmp *= dh
            dc += tmp
            xp.multiply(dc, gg, out=d[:n])  # di, df, dg before their activation's slope
            xp.multiply(dc, cs[t], out=d[n:2 * n])
            xp.multiply(dc, i, out=d[2 * n:3 * n])
            dc *= f
            xp.subtract(1, g, out=factor)  # slopes: a (1 - a) for i, f, o; 1 - g^2 for g
            factor *= g
            xp.multiply(gg, gg, out=factor[2 * n:3 * n])
            xp.subtract(1, factor[2 * n:3 * n], out=factor[2 * n:3 * n])
            d *= factor
            xp.matmul(U, d, out=dh)

    def _backward_peephole(self, v, dh, dseq, dc):
        xp, n = self.xp, self.n
        U, pre, dpre, cs, tc = self.U.value, v["pre"], v["dpre"], v["cs"], v["tc"]
        tmp = v["tmp"]
        P = self.P.value[:, :, None]
        for t in range(self.T - 1, -1, -1):
            if dseq is not None:
                dh += dseq[t]
            g, d = pre[t], dpre[t]
            i, f, gg, o = g[:n], g[n:2 * n], g[2 * n:3 * n], g[3 * n:]
            di, df, dgg, do = d[:n], d[n:2 * n], d[2 * n:3 * n], d[3 * n:]
            xp.multiply(dh, tc[t], out=do)  # do = dh tanh(c) sigma'(o)
            xp.subtract(1, o, out=tmp)
            tmp *= o
            do *= tmp
            xp.multiply(tc[t], tc[t], out=tmp)  # dc += dh o (1 - tanh(c)^2)
            xp.subtract(1, tmp, out=tmp)
            tmp *= o
            tmp *= dh
            dc += tmp
            xp.multiply(do, P[2], out=tmp)
            dc += tmp
            xp.multiply(dc, gg, out=di)
            xp.subtract(1, i, out=tmp)
            tmp *= i
            di *= tmp
            xp.multiply(dc, cs[t], out=df)
            xp.subtract(1, f, out=tmp)
            tmp *= f
            df *= tmp
            xp.multiply(gg, gg, out=tmp)
            xp.subtract(1, tmp, out=tmp)
            tmp *= i
            xp.multiply(dc, tmp, out=dgg)
            dc *= f
            xp.multiply(di, P[0], out=tmp)
            dc += tmp
            xp.multiply(df, P[1], out=tmp)
            dc += tmp
            xp.matmul(U, d, out=dh)
        grad = self.P.grad
        grad[0] = (dpre[:, :n] * cs[:-1]).sum(axis=(0, 2))
        grad[1] = (dpre[:, n:2 * n] * cs[:-1]).sum(axis=(0, 2))
        grad[2] = (dpre[:, 3 * n:] * cs[1:]).sum(axis=(0, 2))


class GRUCell(Cell):
    """GRU, gates r, z, n; options convention 'reset_after' (PyTorch, cuDNN) or 'notes'."""

    gates = 3

    def extra_layout(self, T, n, G):
        # reset_after keeps h U_n per step, notes keeps r*h; dph holds the U-side gradients
        return {"hn": (T, n, None), "dph": (T, G * n, None), "grh": (n, None)}

    def _run(self, v):
        if self.options.get("convention") == "notes":
            self._run_notes(v)
        else:
            self._run_reset_after(v)

    def backward(self, dh_seq, dh_last, dc_last=None):
        if self.options.get("convention") == "notes":
            return self._backward_notes(dh_seq, dh_last)
        return self._backward_reset_after(dh_seq, dh_last)

    # -- PyTorch / cuDNN form: the reset gate scales h U_n -----------------------------------
    def _run_reset_after(self, v):
        xp, n, UT = self.xp, self.n, self.U.value.T
        pre, hs, hn, tmp, tmpg = v["pre"], v["hs"], v["hn"], v["tmp"], v["tmpg"]
        fused = self._fused("gru")
        if fused is not None:
            gates, state, half = fused[0], fused[1], pre.dtype.type(0.5)
            for t in range(self.T):
                g = pre[t]
                xp.matmul(UT, hs[t], out=tmpg)
                rz = g[:2 * n]
                rz += tmpg[:2 * n]
                rz *= 0.5  # sigmoid(a) = 0.5 tanh(a / 2) + 0.5, as sigmoid_
                xp.tanh(rz, out=rz)
                gates(pre, tmpg, hn, t, n, half)
                xp.tanh(g[2 * n:], out=g[2 * n:])
                state(pre, hs, t, n)
            return
        for t in range(self.T):
            g = pre[t]
            xp.matmul(UT, hs[t], out=tmpg)
            g[:2 * n] += tmpg[:2 * n]
            sigmoid_(xp, g[:2 * n])
            hn[t] = tmpg[2 * n:]
            new = g[2 * n:]
            xp.multiply(g[:n], hn[t], out=tmp)
            new += tmp
            xp.tanh(new, out=new)
            xp.subtract(hs[t], new, out=tmp)  # h' = n + z (h - n)
            tmp *= g[n:2 * n]
            xp.add(new, tmp, out=hs[t + 1])

    def _backward_reset_after(self, dh_seq, dh_last):
        xp, n, v = self.xp, self.n, self.work.views(self.rows)
        U, pre, dpre, dph, hs, hn = (self.U.value, v["pre"], v["dpre"], v["dph"], v["hs"],
                                     v["hn"])
        tmp, tmp2 = v["tmp"], v["tmp2"]
        dh, dseq = self._start_grads(v, dh_seq, dh_last)
        fused = self._fused("gru")
        steps = range(self.T - 1, -1, -1)
        if fused is not None:
            backward_cell, one = fused[2], pre.dtype.type(1)
            seq = dseq if dseq is not None else hn[:1]  # any array; has_seq says whether used
            for t in steps:
                backward_cell(pre, hs, hn, dpre, dph, dh, seq, t, n, dseq is not None, one)
                xp.matmul(U, dph[t], out=tmp)
                dh += tmp
            steps = ()
        for t in steps:
            if dseq is not None:
                dh += dseq[t]
            g, d, dhs = pre[t], dpre[t], dph[t]
            r, z, new = g[:n], g[n:2 * n], g[2 * n:]
            dr, dz, dn = d[:n], d[n:2 * n], d[2 * n:]
            xp.subtract(hs[t], new, out=tmp)  # dz = dh (h - n) z (1 - z)
            tmp *= dh
            xp.subtract(1, z, out=tmp2)
            tmp2 *= z
            xp.multiply(tmp, tmp2, out=dz)
            xp.multiply(new, new, out=tmp)  # dn = dh (1 - z) (1 - n^2)
            xp.subtract(1, tmp, out=tmp)
            xp.subtract(1, z, out=tmp2)
            tmp *= tmp2
            xp.multiply(tmp, dh, out=dn)
            xp.multiply(dn, hn[t], out=tmp)  # dr = dn (h U_n) r (1 - r)
            xp.subtract(1, r, out=tmp2)
            tmp2 *= r
            xp.multiply(tmp, tmp2, out=dr)
            dhs[:2 * n] = d[:2 * n]
            xp.multiply(dn, r, out=dhs[2 * n:])
            dh *= z
            xp.matmul(U, dhs, out=tmp)
            dh += tmp
        dx, _ = self._weight_grads(v, dpre, U_rows=False)
        T, rows = self.T, self.rows
        proj = v["proj"]
        proj[...] = dph.transpose(0, 2, 1)
        hrows = v["hrows"]
        hrows[...] = hs[:T].transpose(0, 2, 1)
        xp.matmul(hrows.reshape(T * rows, n).T, proj.reshape(T * rows, 3 * n),
                  out=self.U.grad)
        return dx, dh.T, None

    # -- the lecture notes' form: the reset gate scales h before U_n ------------------------
    def _run_notes(self, v):
        xp, n, UT = self.xp, self.n, self.U.value.T
        pre, hs, rh, tmp, tmpg = v["pre"], v["hs"], v["hn"], v["tmp"], v["tmpg"]
        UT_rz, UT_n = UT[:2 * n], UT[2 * n:]
        for t in range(self.T):
            g = pre[t]
            rz = tmpg[:2 * n]
            xp.matmul(UT_rz, hs[t], out=rz)
            g[:2 * n] += rz
            sigmoid_(xp, g[:2 * n])
            xp.multiply(g[:n], hs[t], out=rh[t])
            xp.matmul(UT_n, rh[t], out=tmp)
            new = g[2 * n:]
            new += tmp
            xp.tanh(new, out=new)
            xp.subtract(new, hs[t], out=tmp)  # h' = h + z (n - h)
            tmp *= g[n:2 * n]
            xp.add(hs[t], tmp, out=hs[t + 1])

    def _backward_notes(self, dh_seq, dh_last):
        xp, n, v = self.xp, self.n, self.work.views(self.rows)
        U, pre, dpre, hs, rh = self.U.value, v["pre"], v["dpre"], v["hs"], v["hn"]
        tmp, tmp2, grad_rh = v["tmp"], v["tmp2"], v["grh"]
        U_rz, U_n = U[:, :2 * n], U[:, 2 * n:]
        dh, dseq = self._start_grads(v, dh_seq, dh_last)
        for t in range(self.T - 1, -1, -1):
            if dseq is not None:
                dh += dseq[t]
            g, d = pre[t], dpre[t]
            r, z, new = g[:n], g[n:2 * n], g[2 * n:]
            dr, dz, dn = d[:n], d[n:2 * n], d[2 * n:]
            xp.multiply(new, new, out=tmp)  # dn = dh z (1 - n^2)
            xp.subtract(1, tmp, out=tmp)
            tmp *= z
            xp.multiply(tmp, dh, out=dn)
            xp.subtract(new, hs[t], out=tmp)  # dz = dh (n - h) z (1 - z)
            tmp *= dh
            xp.subtract(1, z, out=tmp2)
            tmp2 *= z
            xp.multiply(tmp, tmp2, out=dz)
            xp.matmul(U_n, dn, out=grad_rh)  # d(r*h)
            xp.multiply(grad_rh, hs[t], out=dr)  # dr = d(r*h) h r (1 - r)
            xp.subtract(1, r, out=tmp2)
            tmp2 *= r
            dr *= tmp2
            xp.subtract(1, z, out=tmp)  # dh_prev = dh (1 - z) + d(r*h) r + U_rz [dr dz]
            dh *= tmp
            xp.multiply(grad_rh, r, out=tmp)
            dh += tmp
            xp.matmul(U_rz, d[:2 * n], out=tmp)
            dh += tmp
        dx, proj2 = self._weight_grads(v, dpre, U_rows=False)
        T, rows = self.T, self.rows
        hrows = v["hrows"]
        hrows[...] = hs[:T].transpose(0, 2, 1)
        grad_U = self.U.grad
        grad_U[:, :2 * n] = hrows.reshape(T * rows, n).T @ proj2[:, :2 * n]
        hrows[...] = rh.transpose(0, 2, 1)
        grad_U[:, 2 * n:] = hrows.reshape(T * rows, n).T @ proj2[:, 2 * n:]
        return dx, dh.T, None


CELLS = {"simple_rnn": SimpleRNNCell, "lstm": LSTMCell, "gru": GRUCell}
