"""Recurrent cells over whole sequences, written once against `xp` (NumPy or CuPy).

Each cell runs a whole sequence per call. Work arrays are time-major, (T, rows, ...), and
preallocated for the largest batch; a short batch uses contiguous views of their first
T * rows entries. The input projection of every time step is one matmul before the loop, each
step is one matmul for all gates plus elementwise kernels over (rows, units), and the weight
gradients are one matmul each after the reverse loop. Nothing loops over the batch.

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

from math import prod


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

    forward(x_tm, h0, c0) runs the sequence x_tm (T, rows, features); the hidden states are
    then `hidden(rows)` (T + 1, rows, units) with the initial state first. backward(dh_seq,
    dh_last, dc_last) takes the gradient of every step's output (T, rows, units, any strides,
    or None) and of the final state, overwrites the parameter gradients and returns
    (dx_tm, dh0, dc0), views into the workspace valid until the next call.
    """

    gates = 1
    has_cell_state = False

    def __init__(self, xp, dtype, steps: int, batch: int, features: int, units: int,
                 W, U, b, P=None, **options):
        self.xp, self.T, self.F, self.n = xp, steps, features, units
        self.W, self.U, self.b, self.P = W, U, b, P
        self.options = options
        self.rows = batch
        T, n, G = steps, units, self.gates
        layout = {"pre": (T, None, G * n), "dpre": (T, None, G * n), "hs": (T + 1, None, n),
                  "dx": (T, None, features), "dh": (None, n), "tmp": (None, n),
                  "tmp2": (None, n), "tmpg": (None, G * n)}
        layout.update(self.extra_layout(T, n, G))
        self.work = Workspace(xp, dtype, batch, layout)
        self.ones = xp.ones(T * batch, dtype=dtype)

    def extra_layout(self, T, n, G) -> dict:
        return {}

    def hidden(self, rows: int):
        return self.work.views(rows)["hs"]

    def gate_values(self, rows: int):
        """(T, rows, G*units) gate activations of the last forward pass."""
        return self.work.views(rows)["pre"]

    def step_gradients(self, rows: int):
        """(T, rows, G*units) pre-activation gradients of the last backward pass."""
        return self.work.views(rows)["dpre"]

    def _project(self, v, x_tm) -> None:
        """pre = x W + b for every step at once."""
        T, rows = x_tm.shape[0], x_tm.shape[1]
        pre2 = v["pre"].reshape(T * rows, -1)
        self.xp.matmul(x_tm.reshape(T * rows, self.F), self.W.value, out=pre2)
        pre2 += self.b.value
        self.rows = rows
        hs = v["hs"]
        if self._h0 is None:
            hs[0].fill(0)
        else:
            hs[0] = self._h0

    def _input_grads(self, v, x_tm, dx_rows_major):
        """W, b and x gradients from dpre (T, rows, G*units), after the reverse loop."""
        xp = self.xp
        T, rows = x_tm.shape[0], x_tm.shape[1]
        dpre2 = v[dx_rows_major].reshape(T * rows, -1)
        xp.matmul(x_tm.reshape(T * rows, self.F).T, dpre2, out=self.W.grad)
        xp.matmul(self.ones[:T * rows], dpre2, out=self.b.grad)
        dx = v["dx"]
        xp.matmul(dpre2, self.W.value.T, out=dx.reshape(T * rows, self.F))
        return dx

    def forward(self, x_tm, h0=None, c0=None) -> None:
        self._h0, self._c0 = h0, c0
        v = self.work.views(x_tm.shape[1])
        self._x = x_tm
        self._project(v, x_tm)
        self._run(v)

    def _start_grads(self, v, dh_last):
        dh = v["dh"]
        if dh_last is None:
            dh.fill(0)
        else:
            dh[...] = dh_last
        return dh


class SimpleRNNCell(Cell):
    """h' = act(x W + h U + b) with act tanh, relu or linear."""

    def _run(self, v):
        xp, U, pre, hs = self.xp, self.U.value, v["pre"], v["hs"]
        activation = self.options.get("activation", "tanh")
        for t in range(self.T):
            h = hs[t + 1]
            xp.matmul(hs[t], U, out=h)
            h += pre[t]
            if activation == "tanh":
                xp.tanh(h, out=h)
            elif activation == "relu":
                xp.maximum(h, 0, out=h)

    def backward(self, dh_seq, dh_last, dc_last=None):
        xp, v = self.xp, self.work.views(self.rows)
        U, hs, dpre = self.U.value, v["hs"], v["dpre"]
        dh = self._start_grads(v, dh_last)
        activation = self.options.get("activation", "tanh")
        for t in range(self.T - 1, -1, -1):
            if dh_seq is not None:
                dh += dh_seq[t]
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
            xp.matmul(d, U.T, out=dh)
        T, rows, n = self.T, self.rows, self.n
        xp.matmul(hs[:T].reshape(T * rows, n).T, dpre.reshape(T * rows, n), out=self.U.grad)
        return self._input_grads(v, self._x, "dpre"), dh, None


class LSTMCell(Cell):
    """LSTM with gates i, f, g, o; with P (3, units), a peephole LSTM."""

    gates = 4
    has_cell_state = True

    def extra_layout(self, T, n, G):
        return {"cs": (T + 1, None, n), "tc": (T, None, n), "dc": (None, n)}

    def cell_state(self, rows: int):
        return self.work.views(rows)["cs"]

    def _run(self, v):
        xp, n, U = self.xp, self.n, self.U.value
        pre, hs, cs, tc, tmp, tmpg = v["pre"], v["hs"], v["cs"], v["tc"], v["tmp"], v["tmpg"]
        P = None if self.P is None else self.P.value
        if self._c0 is None:
            cs[0].fill(0)
        else:
            cs[0] = self._c0
        for t in range(self.T):
            g = pre[t]
            xp.matmul(hs[t], U, out=tmpg)
            g += tmpg
            if P is not None:
                xp.multiply(cs[t], P[0], out=tmp)
                g[:, :n] += tmp
                xp.multiply(cs[t], P[1], out=tmp)
                g[:, n:2 * n] += tmp
                sigmoid_(xp, g[:, :2 * n])
            else:
                sigmoid_(xp, g[:, :2 * n])
                sigmoid_(xp, g[:, 3 * n:])
            xp.tanh(g[:, 2 * n:3 * n], out=g[:, 2 * n:3 * n])
            c = cs[t + 1]
            xp.multiply(g[:, n:2 * n], cs[t], out=c)
            xp.multiply(g[:, :n], g[:, 2 * n:3 * n], out=tmp)
            c += tmp
            if P is not None:
                xp.multiply(c, P[2], out=tmp)
                g[:, 3 * n:] += tmp
                sigmoid_(xp, g[:, 3 * n:])
            xp.tanh(c, out=tc[t])
            xp.multiply(g[:, 3 * n:], tc[t], out=hs[t + 1])

    def backward(self, dh_seq, dh_last, dc_last=None):
        xp, n, v = self.xp, self.n, self.work.views(self.rows)
        U, pre, dpre, hs, cs, tc = self.U.value, v["pre"], v["dpre"], v["hs"], v["cs"], v["tc"]
        tmp, dc = v["tmp"], v["dc"]
        P = None if self.P is None else self.P.value
        dh = self._start_grads(v, dh_last)
        if dc_last is None:
            dc.fill(0)
        else:
            dc[...] = dc_last
        for t in range(self.T - 1, -1, -1):
            if dh_seq is not None:
                dh += dh_seq[t]
            g, d = pre[t], dpre[t]
            i, f, gg, o = g[:, :n], g[:, n:2 * n], g[:, 2 * n:3 * n], g[:, 3 * n:]
            di, df, dgg, do = d[:, :n], d[:, n:2 * n], d[:, 2 * n:3 * n], d[:, 3 * n:]
            xp.multiply(dh, tc[t], out=do)  # do = dh tanh(c) sigma'(o)
            xp.subtract(1, o, out=tmp)
            tmp *= o
            do *= tmp
            xp.multiply(tc[t], tc[t], out=tmp)  # dc += dh o (1 - tanh(c)^2)
            xp.subtract(1, tmp, out=tmp)
            tmp *= o
            tmp *= dh
            dc += tmp
            if P is not None:
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
            if P is not None:
                xp.multiply(di, P[0], out=tmp)
                dc += tmp
                xp.multiply(df, P[1], out=tmp)
                dc += tmp
            xp.matmul(d, U.T, out=dh)
        T, rows = self.T, self.rows
        dpre2 = dpre.reshape(T * rows, 4 * n)
        xp.matmul(hs[:T].reshape(T * rows, n).T, dpre2, out=self.U.grad)
        if P is not None:
            grad = self.P.grad
            grad[0] = (dpre[:, :, :n] * cs[:T]).sum(axis=(0, 1))
            grad[1] = (dpre[:, :, n:2 * n] * cs[:T]).sum(axis=(0, 1))
            grad[2] = (dpre[:, :, 3 * n:] * cs[1:]).sum(axis=(0, 1))
        return self._input_grads(v, self._x, "dpre"), dh, dc


class GRUCell(Cell):
    """GRU, gates r, z, n; options convention 'reset_after' (PyTorch, cuDNN) or 'notes'."""

    gates = 3

    def extra_layout(self, T, n, G):
        # reset_after keeps h U_n per step; notes keeps r*h per step; both need dph (U side)
        return {"hn": (T, None, n), "dph": (T, None, G * n), "grh": (None, n)}

    def _run(self, v):
        if self.options.get("convention", "reset_after") == "notes":
            self._run_notes(v)
        else:
            self._run_reset_after(v)

    def backward(self, dh_seq, dh_last, dc_last=None):
        if self.options.get("convention", "reset_after") == "notes":
            return self._backward_notes(dh_seq, dh_last)
        return self._backward_reset_after(dh_seq, dh_last)

    # -- PyTorch / cuDNN form: the reset gate scales h U_n -----------------------------------
    def _run_reset_after(self, v):
        xp, n, U = self.xp, self.n, self.U.value
        pre, hs, hn, tmp, tmpg = v["pre"], v["hs"], v["hn"], v["tmp"], v["tmpg"]
        for t in range(self.T):
            g = pre[t]
            xp.matmul(hs[t], U, out=tmpg)
            g[:, :2 * n] += tmpg[:, :2 * n]
            sigmoid_(xp, g[:, :2 * n])
            hn[t] = tmpg[:, 2 * n:]
            xp.multiply(g[:, :n], hn[t], out=tmp)
            new = g[:, 2 * n:]
            new += tmp
            xp.tanh(new, out=new)
            xp.subtract(hs[t], new, out=tmp)  # h' = n + z (h - n)
            tmp *= g[:, n:2 * n]
            xp.add(new, tmp, out=hs[t + 1])

    def _backward_reset_after(self, dh_seq, dh_last):
        xp, n, v = self.xp, self.n, self.work.views(self.rows)
        U, pre, dpre, dph, hs, hn = (self.U.value, v["pre"], v["dpre"], v["dph"], v["hs"],
                                     v["hn"])
        tmp, tmp2 = v["tmp"], v["tmp2"]
        dh = self._start_grads(v, dh_last)
        for t in range(self.T - 1, -1, -1):
            if dh_seq is not None:
                dh += dh_seq[t]
            g, d, dhs = pre[t], dpre[t], dph[t]
            r, z, new = g[:, :n], g[:, n:2 * n], g[:, 2 * n:]
            dr, dz, dn = d[:, :n], d[:, n:2 * n], d[:, 2 * n:]
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
            dhs[:, :2 * n] = d[:, :2 * n]
            xp.multiply(dn, r, out=dhs[:, 2 * n:])
            dh *= z
            xp.matmul(dhs, U.T, out=tmp)
            dh += tmp
        T, rows = self.T, self.rows
        xp.matmul(hs[:T].reshape(T * rows, n).T, dph.reshape(T * rows, 3 * n), out=self.U.grad)
        return self._input_grads(v, self._x, "dpre"), dh, None

    # -- the lecture notes' form: the reset gate scales h before U_n ------------------------
    def _run_notes(self, v):
        xp, n, U = self.xp, self.n, self.U.value
        pre, hs, rh, tmp, tmpg = v["pre"], v["hs"], v["hn"], v["tmp"], v["tmpg"]
        U_rz, U_n = U[:, :2 * n], U[:, 2 * n:]
        for t in range(self.T):
            g = pre[t]
            rz = tmpg[:, :2 * n]
            xp.matmul(hs[t], U_rz, out=rz)
            g[:, :2 * n] += rz
            sigmoid_(xp, g[:, :2 * n])
            xp.multiply(g[:, :n], hs[t], out=rh[t])
            xp.matmul(rh[t], U_n, out=tmp)
            new = g[:, 2 * n:]
            new += tmp
            xp.tanh(new, out=new)
            xp.subtract(new, hs[t], out=tmp)  # h' = h + z (n - h)
            tmp *= g[:, n:2 * n]
            xp.add(hs[t], tmp, out=hs[t + 1])

    def _backward_notes(self, dh_seq, dh_last):
        xp, n, v = self.xp, self.n, self.work.views(self.rows)
        U, pre, dpre, hs, rh = self.U.value, v["pre"], v["dpre"], v["hs"], v["hn"]
        tmp, tmp2, grad_rh = v["tmp"], v["tmp2"], v["grh"]
        U_rz, U_n = U[:, :2 * n], U[:, 2 * n:]
        dh = self._start_grads(v, dh_last)
        for t in range(self.T - 1, -1, -1):
            if dh_seq is not None:
                dh += dh_seq[t]
            g, d = pre[t], dpre[t]
            r, z, new = g[:, :n], g[:, n:2 * n], g[:, 2 * n:]
            dr, dz, dn = d[:, :n], d[:, n:2 * n], d[:, 2 * n:]
            xp.multiply(new, new, out=tmp)  # dn = dh z (1 - n^2)
            xp.subtract(1, tmp, out=tmp)
            tmp *= z
            xp.multiply(tmp, dh, out=dn)
            xp.subtract(new, hs[t], out=tmp)  # dz = dh (n - h) z (1 - z)
            tmp *= dh
            xp.subtract(1, z, out=tmp2)
            tmp2 *= z
            xp.multiply(tmp, tmp2, out=dz)
            xp.matmul(dn, U_n.T, out=grad_rh)  # d(r*h)
            xp.multiply(grad_rh, hs[t], out=dr)  # dr = d(r*h) h r (1 - r)
            xp.subtract(1, r, out=tmp2)
            tmp2 *= r
            dr *= tmp2
            xp.subtract(1, z, out=tmp)  # dh_prev = dh (1 - z) + d(r*h) r + [dr dz] U_rz^T
            dh *= tmp
            xp.multiply(grad_rh, r, out=tmp)
            dh += tmp
            xp.matmul(d[:, :2 * n], U_rz.T, out=tmp)
            dh += tmp
        T, rows = self.T, self.rows
        dpre2 = dpre.reshape(T * rows, 3 * n)
        grad_U = self.U.grad
        grad_U[:, :2 * n] = hs[:T].reshape(T * rows, n).T @ dpre2[:, :2 * n]
        grad_U[:, 2 * n:] = rh.reshape(T * rows, n).T @ dpre2[:, 2 * n:]
        return self._input_grads(v, self._x, "dpre"), dh, None


CELLS = {"simple_rnn": SimpleRNNCell, "lstm": LSTMCell, "gru": GRUCell}
