"""Strong Wolfe line search on host scalars (Nocedal & Wright, algorithms 3.5 and 3.6).

Chosen over Brent's method because CG and BFGS need the curvature condition
|phi'(alpha)| <= c2 |phi'(0)| for their theory (a descent direction for Fletcher-Reeves with
c2 < 1/2, a positive s'y for BFGS) and because every evaluation gives the slope for free (one
backward pass). The bracketing phase doubles alpha; the zoom phase interpolates cubically,
falls back to a quadratic and then to bisection, as scipy's scalar_search_wolfe2 does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SearchResult:
    """alpha is None when no point met the conditions; objective and slope are there."""

    alpha: float | None
    objective: float
    slope: float


def initial_step(objective: float, previous: float | None, slope: float) -> float:
    """The first trial alpha from the last decrease (scipy's guess, N&W eq. 3.60)."""
    if previous is None or slope == 0:
        return 1.0
    alpha = 1.01 * 2 * (objective - previous) / slope
    return min(1.0, alpha) if alpha > 0 else 1.0


def strong_wolfe(evaluate: Callable[[float], tuple], objective0: float, slope0: float,
                 alpha1: float = 1.0, c1: float = 1e-4, c2: float = 0.9,
                 max_iter: int = 20) -> SearchResult:
    """Search alpha > 0 with phi(alpha) <= phi(0) + c1 alpha phi'(0) and
    |phi'(alpha)| <= c2 |phi'(0)|. evaluate(alpha) -> (phi, phi') for phi(a) = f(w + a d);
    slope0 = phi'(0) must be negative."""
    alpha0, phi0_prev, dphi0_prev = 0.0, objective0, slope0
    phi1, dphi1 = evaluate(alpha1)
    for i in range(max_iter):
        if phi1 > objective0 + c1 * alpha1 * slope0 or (i > 0 and phi1 >= phi0_prev):
            return _zoom(evaluate, alpha0, alpha1, phi0_prev, phi1, dphi0_prev,
                         objective0, slope0, c1, c2)
        if abs(dphi1) <= -c2 * slope0:
            return SearchResult(alpha1, phi1, dphi1)
        if dphi1 >= 0:
            return _zoom(evaluate, alpha1, alpha0, phi1, phi0_prev, dphi1,
                         objective0, slope0, c1, c2)
        alpha0, phi0_prev, dphi0_prev = alpha1, phi1, dphi1
        alpha1 = 2 * alpha1
        phi1, dphi1 = evaluate(alpha1)
    return SearchResult(None, phi1, dphi1)


def _cubic_min(a, fa, fpa, b, fb, c, fc):
    """Minimiser of the cubic through (a, fa, fpa), (b, fb), (c, fc), or None."""
    try:
        db, dc = b - a, c - a
        denom = (db * dc) ** 2 * (db - dc)
        if denom == 0:
            return None
        rb, rc = fb - fa - fpa * db, fc - fa - fpa * dc
        A = (dc ** 2 * rb - db ** 2 * rc) / denom
        B = (-dc ** 3 * rb + db ** 3 * rc) / denom
        radical = B * B - 3 * A * fpa
        if A == 0 or radical < 0:
            return None
        return a + (-B + radical ** 0.5) / (3 * A)
    except (ArithmeticError, ValueError):
        return None


def _quad_min(a, fa, fpa, b, fb):
    """Minimiser of the quadratic through (a, fa, fpa) and (b, fb), or None."""
    db = b - a
    if db == 0:
        return None
    curvature = (fb - fa - fpa * db) / (db * db)
    if curvature <= 0:
        return None
    return a - fpa / (2 * curvature)


def _zoom(evaluate, a_lo, a_hi, phi_lo, phi_hi, dphi_lo, phi0, dphi0, c1, c2,
          max_iter: int = 20) -> SearchResult:
    """Shrink [a_lo, a_hi] (a_lo the best point so far) until a point meets both conditions."""
    a_rec, phi_rec = 0.0, phi0
    phi_j, dphi_j = phi_lo, dphi_lo
    for i in range(max_iter):
        width = a_hi - a_lo
        low, high = (a_hi, a_lo) if width < 0 else (a_lo, a_hi)
        a_j = None
        if i > 0:
            margin = 0.2 * abs(width)
            a_j = _cubic_min(a_lo, phi_lo, dphi_lo, a_hi, phi_hi, a_rec, phi_rec)
            if a_j is not None and not (low + margin < a_j < high - margin):
                a_j = None
        if a_j is None:
            margin = 0.1 * abs(width)
            a_j = _quad_min(a_lo, phi_lo, dphi_lo, a_hi, phi_hi)
            if a_j is None or not (low + margin < a_j < high - margin):
                a_j = a_lo + 0.5 * width
        phi_j, dphi_j = evaluate(a_j)
        if phi_j > phi0 + c1 * a_j * dphi0 or phi_j >= phi_lo:
            a_rec, phi_rec = a_hi, phi_hi
            a_hi, phi_hi = a_j, phi_j
            continue
        if abs(dphi_j) <= -c2 * dphi0:
            return SearchResult(a_j, phi_j, dphi_j)
        if dphi_j * (a_hi - a_lo) >= 0:
            a_rec, phi_rec = a_hi, phi_hi
            a_hi, phi_hi = a_lo, phi_lo
        else:
            a_rec, phi_rec = a_lo, phi_lo
        a_lo, phi_lo, dphi_lo = a_j, phi_j, dphi_j
    if a_lo != 0 and phi_lo < phi0:  # no Wolfe point in reach: keep the best decrease
        return SearchResult(a_lo, phi_lo, dphi_lo)
    return SearchResult(None, phi_j, dphi_j)
