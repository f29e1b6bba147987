"""Hodgkin-Huxley (1952) equations and their integrators, written once against `xp`.

Standard squid-axon constants in the rest = 0 mV convention (MODELS.md, section A):

    C dV/dt = I - g_K n^4 (V - E_K) - g_Na m^3 h (V - E_Na) - g_L (V - E_L)
    dx/dt = alpha_x(V) (1 - x) - beta_x(V) x      for x in n, m, h

The state of B neurons is one (4, B) array of rows V, n, m, h. The integrators advance it over
an interval with the injected current held constant (the current sources are sampled once per
tick) and report upward crossings of the spike threshold, linearly interpolated between steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

C_M = 1.0  # uF/cm^2
G_NA, G_K, G_L = 120.0, 36.0, 0.3  # mS/cm^2
E_NA, E_K, E_L = 115.0, -12.0, 10.6  # mV, rest = 0
SPIKE_THRESHOLD_MV = 50.0  # an upward crossing of this potential is a spike
RK4_MAX_STEP_MS = 0.05  # above this, fixed-step RK4 loses the spike shape and then stability

# Dormand-Prince 5(4) tableau (the pair behind scipy's RK45)
_DP_C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
_DP_A = ((), (1 / 5,), (3 / 40, 9 / 40), (44 / 45, -56 / 15, 32 / 9),
         (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
         (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
         (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84))
_DP_B5 = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0)
_DP_B4 = (5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40)
_DP_E = tuple(b5 - b4 for b5, b4 in zip(_DP_B5, _DP_B4))


# The six rates in two vectorised calls: expm1 of u = (10 - V)/10 and (25 - V)/10 for the
# alphas with a removable singularity, exp of an affine map of V for the rest.
_U_SLOPE, _U_OFFSET = np.array([[-0.1], [-0.1]]), np.array([[1.0], [2.5]])
_E_SLOPE = np.array([[-1 / 80], [-1 / 18], [-1 / 20], [-0.1]])
_E_OFFSET = np.array([[0.0], [0.0], [0.0], [3.0]])


def rates(xp, v):
    """(alpha_n, beta_n, alpha_m, beta_m, alpha_h, beta_h) at membrane potential v (mV)."""
    v = xp.asarray(v)
    u = _coefficients(xp, _U_SLOPE, v) * v + _coefficients(xp, _U_OFFSET, v)
    denominator = xp.expm1(u)
    at_zero = denominator == 0  # only where u is exactly 0, where u / expm1(u) tends to 1
    ratio = (u + at_zero) / (denominator + at_zero)
    e = xp.exp(_coefficients(xp, _E_SLOPE, v) * v + _coefficients(xp, _E_OFFSET, v))
    return (0.1 * ratio[0], 0.125 * e[0], ratio[1], 4.0 * e[1], 0.07 * e[2],
            1.0 / (e[3] + 1.0))


_COLUMNS: dict = {}


def _coefficients(xp, host, v):
    """A constant column shaped to broadcast against v, on v's device and in v's dtype
    (made once per array module, dtype and rank: the integrators call this 4x per step)."""
    key = (id(host), xp.__name__, v.dtype.str, v.ndim)
    column = _COLUMNS.get(key)
    if column is None:
        column = xp.asarray(host.reshape((host.shape[0],) + (1,) * v.ndim), dtype=v.dtype)
        _COLUMNS[key] = column
    return column


def resting_state(xp, count: int, dtype=np.float64, v: float = 0.0):
    """(4, count) state at potential v with every gate at its steady state there."""
    an, bn, am, bm, ah, bh = rates(np, np.float64(v))
    column = np.array([v, an / (an + bn), am / (am + bm), ah / (ah + bh)])
    return xp.asarray(np.repeat(column[:, None], count, axis=1).astype(dtype))


def derivatives(xp, state, current, out) -> None:
    """d(state)/dt into out (both (4, B)); current (B,) or scalar, in uA/cm^2."""
    v, n, m, h = state[0], state[1], state[2], state[3]
    an, bn, am, bm, ah, bh = rates(xp, v)
    n2 = n * n
    i_ion = G_K * n2 * n2 * (v - E_K) + G_NA * m * m * m * h * (v - E_NA) + G_L * (v - E_L)
    out[0] = (current - i_ion) / C_M
    # dx/dt = alpha (1 - x) - beta x = alpha - (alpha + beta) x
    out[1] = an - (an + bn) * n
    out[2] = am - (am + bm) * m
    out[3] = ah - (ah + bh) * h


@dataclass
class Crossings:
    """Per neuron: spikes seen in the last advance() and the time of the latest one (ms)."""

    count: object  # (B,) number of upward threshold crossings
    last_time: object  # (B,) time of the latest crossing, NaN when none


class Integrator:
    """Advances a (4, B) HH state over an interval; fixed-step RK4 or adaptive Dormand-Prince.

    Work arrays are allocated once. `advance(state, current, t0, span)` integrates in place and
    returns the threshold crossings inside [t0, t0 + span).
    """

    def __init__(self, xp, batch: int, dtype, method: str = "rk4", step_ms: float = 0.01,
                 rtol: float = 1e-6, atol: float = 1e-6):
        self.xp, self.method, self.step_ms = xp, method, float(step_ms)
        self.rtol, self.atol = float(rtol), float(atol)
        self.stages = [xp.zeros((4, batch), dtype=dtype) for _ in range(7)]
        self.trial = xp.zeros((4, batch), dtype=dtype)
        self.previous_v = xp.zeros(batch, dtype=dtype)
        self.count = xp.zeros(batch, dtype=dtype)
        self.last_time = xp.full(batch, np.nan, dtype=dtype)
        self.adaptive_step = float(step_ms)
        self.steps_taken = 0

    def advance(self, state, current, t0: float, span: float) -> Crossings:
        self.count.fill(0)
        self.last_time.fill(np.nan)
        if self.method == "rk4":
            steps = max(1, round(span / self.step_ms))
            h = span / steps
            for k in range(steps):
                self._rk4(state, current, h, t0 + k * h)
        else:
            self._adaptive(state, current, t0, span)
        return Crossings(self.count, self.last_time)

    def _note_crossings(self, state, t: float, h: float) -> None:
        xp, v_old, v_new = self.xp, self.previous_v, state[0]
        crossed = (v_old < SPIKE_THRESHOLD_MV) & (v_new >= SPIKE_THRESHOLD_MV)
        fraction = (SPIKE_THRESHOLD_MV - v_old) / xp.where(crossed, v_new - v_old, 1.0)
        self.count += crossed
        self.last_time[...] = xp.where(crossed, t + h * fraction, self.last_time)

    def _rk4(self, state, current, h: float, t: float) -> None:
        k1, k2, k3, k4 = self.stages[:4]
        trial = self.trial
        self.previous_v[...] = state[0]
        derivatives(self.xp, state, current, k1)
        derivatives(self.xp, _axpy(trial, state, 0.5 * h, k1), current, k2)
        derivatives(self.xp, _axpy(trial, state, 0.5 * h, k2), current, k3)
        derivatives(self.xp, _axpy(trial, state, h, k3), current, k4)
        k2 += k3
        k1 += k4
        k1 += 2.0 * k2
        state += (h / 6.0) * k1
        self.steps_taken += 1
        self._note_crossings(state, t, h)

    def _adaptive(self, state, current, t0: float, span: float) -> None:
        xp, k, trial = self.xp, self.stages, self.trial
        t, end = t0, t0 + span
        while t < end - 1e-12:
            h = min(self.adaptive_step, end - t)
            derivatives(xp, state, current, k[0])
            for stage in range(1, 7):
                trial[...] = state
                for j, a in enumerate(_DP_A[stage]):
                    if a:
                        trial += (h * a) * k[j]
                derivatives(xp, trial, current, k[stage])
            # trial now holds the 5th-order solution (the last stage is evaluated there)
            error = sum((h * e) * k[j] for j, e in enumerate(_DP_E) if e)
            scale = self.atol + self.rtol * xp.maximum(xp.abs(state), xp.abs(trial))
            norm = float(xp.sqrt(xp.mean((error / scale) ** 2)))
            if norm <= 1.0:
                self.previous_v[...] = state[0]
                state[...] = trial
                self._note_crossings(state, t, h)
                t += h
                self.steps_taken += 1
            factor = 0.9 * norm ** -0.2 if norm > 0 else 5.0
            self.adaptive_step = h * min(5.0, max(0.2, factor))


def _axpy(out, x, a: float, y):
    """out = x + a y, in place; returns out."""
    out[...] = y
    out *= a
    out += x
    return out


def check_step(method: str, step_ms: float) -> str | None:
    """A sentence when fixed-step RK4 at step_ms is too coarse for these equations, else None."""
    if method == "rk4" and step_ms > RK4_MAX_STEP_MS:
        return (f"its RK4 step of {step_ms:g} ms is above the stable limit of "
                f"{RK4_MAX_STEP_MS:g} ms for the HH equations")
    return None


def substeps_for(tick_ms: float, max_step_ms: float) -> int:
    """How many equal RK4 steps split one tick so that none exceeds max_step_ms."""
    return max(1, math.ceil(tick_ms / max_step_ms - 1e-9))
