"""An independent Hodgkin-Huxley integration with scipy's solve_ivp (tight tolerances).

The equations are written out again here, not imported from the engine, so a typo in either
shows up as a disagreement.
"""

import numpy as np
from scipy.integrate import solve_ivp

THRESHOLD = 50.0


def _rhs(t, y, current):
    v, n, m, h = y.reshape(4, -1)
    alpha_n = 0.01 * (10.0 - v) / (np.exp((10.0 - v) / 10.0) - 1.0)
    beta_n = 0.125 * np.exp(-v / 80.0)
    alpha_m = 0.1 * (25.0 - v) / (np.exp((25.0 - v) / 10.0) - 1.0)
    beta_m = 4.0 * np.exp(-v / 18.0)
    alpha_h = 0.07 * np.exp(-v / 20.0)
    beta_h = 1.0 / (np.exp((30.0 - v) / 10.0) + 1.0)
    dv = (current - 36.0 * n**4 * (v + 12.0) - 120.0 * m**3 * h * (v - 115.0)
          - 0.3 * (v - 10.6)) / 1.0
    return np.concatenate([dv, alpha_n * (1 - n) - beta_n * n, alpha_m * (1 - m) - beta_m * m,
                           alpha_h * (1 - h) - beta_h * h])


def rest(count=1):
    """Steady state at V = 0 for count neurons, as a flat (4 * count,) vector."""
    v = 0.0
    an, bn = 0.01 * 10 / (np.exp(1.0) - 1), 0.125
    am, bm = 0.1 * 25 / (np.exp(2.5) - 1), 4.0
    ah, bh = 0.07, 1 / (np.exp(3.0) + 1)
    column = [v, an / (an + bn), am / (am + bm), ah / (ah + bh)]
    return np.repeat(np.array(column)[:, None], count, axis=1).ravel()


def spike_times(amplitude, start, end, tol=1e-10):
    """Upward 50 mV crossings of one neuron given a current step at `start` held to `end`."""
    before = solve_ivp(_rhs, (0.0, start), rest(), args=(0.0,), method="DOP853", rtol=tol,
                       atol=tol)
    crossing = lambda t, y, current: y[0] - THRESHOLD  # noqa: E731
    crossing.direction = 1
    after = solve_ivp(_rhs, (start, end), before.y[:, -1], args=(amplitude,), method="DOP853",
                      rtol=tol, atol=tol, events=crossing)
    return after.t_events[0]


def rates(currents, duration=500.0, window=200.0, tol=1e-7):
    """Firing rate (Hz) over the last `window` ms of a `duration` ms step from rest, for
    every current at once (one stacked system)."""
    currents = np.asarray(currents, dtype=np.float64)
    sample = np.arange(duration - window, duration + 1e-9, 0.02)
    solution = solve_ivp(_rhs, (0.0, duration), rest(len(currents)), args=(currents,),
                         method="DOP853", rtol=tol, atol=tol, t_eval=sample)
    v = solution.y[:len(currents)]
    upward = (v[:, :-1] < THRESHOLD) & (v[:, 1:] >= THRESHOLD)
    return upward.sum(axis=1) / (window / 1000.0)
