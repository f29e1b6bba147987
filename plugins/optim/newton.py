"""Newton's method dW = -H^-1 grad E for small nets: the reference quasi-Newton methods
approximate.

The Hessian comes from central differences of the gradient, column j = (g(w + h e_j) -
g(w - h e_j)) / 2h: 2n gradient evaluations on the whole training split per step, a loop
over parameters (not samples), hence the parameter limit. Where H is not positive definite
lambda I is added (doubling from 1e-3 max|diag H|) until a Cholesky factorisation succeeds, and
a strong Wolfe line search along the Newton direction takes eta (1 when the quadratic model
is right).
"""

from __future__ import annotations

import numpy as np

from engines.program import Step
from graph.spec import ParamSpec, ParamType
from plugins.optim.common import (
    LineProbe,
    curve,
    flat_params,
    gtol_param,
    max_abs,
    optimizer_spec,
    scalar_report,
    stop_when_converged,
    wolfe_params,
)
from plugins.optim.linesearch import strong_wolfe

NEWTON_SPEC = optimizer_spec(
    "newton", "Newton",
    "Newton's method for small nets: dW = -eta H^-1 g with the Hessian H from central "
    "differences of the gradient (2n evaluations per step on the whole training split), "
    "lambda I added while H is not positive definite, eta from a strong Wolfe line search.",
    [ParamSpec("max_params", ParamType.INT, 500, "Refuse nets with more parameters (the "
               "Hessian costs 2n gradient evaluations and n^2 memory).", range=(1, 20000)),
     ParamSpec("fd_step", ParamType.FLOAT, 0.0, "Finite-difference step h (0: eps^(1/3) of "
               "the dtype, about 5e-3 in float32 and 6e-6 in float64).", range=(0.0, 1.0)),
     *wolfe_params(0.9), gtol_param()],
    [curve("Line search step eta", "step", "eta", log=True),
     curve("Hessian damping lambda", "damping", "lambda", log=True)])


def build_newton(ctx):
    xp, p = ctx.xp, ctx.params
    value, grad = flat_params(ctx)
    n = value.size
    if n > p["max_params"]:
        raise ctx.error(f"{ctx.label}: the net has {n} parameters, above max_params "
                        f"({p['max_params']}); use BFGS or conjugate gradients.")
    h = p["fd_step"] or float(np.finfo(np.dtype(ctx.dtype)).eps) ** (1 / 3)
    evaluate = ctx.reevaluate()
    probe = LineProbe(ctx, value, grad)
    hessian = np.zeros((n, n))
    grad_here, direction = xp.zeros_like(value), xp.zeros_like(value)
    to_host, from_host = ctx.backend.to_host, ctx.backend.from_host
    state: dict = {}
    report = scalar_report(ctx, "step", "damping")
    stop_when_converged(ctx, state)

    def fill_hessian():
        for j in range(n):
            saved = float(value[j])
            value[j] = saved + h
            evaluate()
            column = to_host(grad).astype(np.float64)
            value[j] = saved - h
            evaluate()
            hessian[:, j] = (column - to_host(grad)) / (2 * h)
            value[j] = saved
        hessian[...] = (hessian + hessian.T) / 2

    def update():
        if max_abs(xp, grad) < p["gtol"]:
            state["converged"] = "gradient below gtol"
            return
        objective = ctx.program.objective()
        xp.copyto(grad_here, grad)
        g = to_host(grad).astype(np.float64)
        fill_hessian()
        step, damping = _damped_newton(hessian, g)
        direction[...] = from_host(step.astype(value.dtype))
        xp.copyto(grad, grad_here)
        slope = float(xp.vdot(grad_here, direction))
        if not slope < 0:
            xp.negative(grad_here, out=direction)
            slope = -float(xp.vdot(grad_here, grad_here))
        probe.start(direction)
        found = strong_wolfe(probe, objective, slope, 1.0, p["c1"], p["c2"])
        probe.settle(found.alpha or 0.0)
        if found.alpha is None:
            state["converged"] = "the line search finds no lower loss"
        report.update(step=found.alpha or 0.0, damping=damping)

    return Step(update=update)


def _damped_newton(hessian: np.ndarray, grad: np.ndarray) -> tuple:
    """(-(H + lambda I)^-1 g, lambda) with the smallest tried lambda >= 0 that makes the
    matrix positive definite."""
    scale = max(float(np.abs(np.diag(hessian)).max()), 1e-12)
    damping = 0.0
    eye = np.eye(len(grad))
    for _ in range(60):
        try:
            factor = np.linalg.cholesky(hessian + damping * eye)
        except np.linalg.LinAlgError:
            damping = max(2 * damping, 1e-3 * scale)
            continue
        step = np.linalg.solve(factor.T, np.linalg.solve(factor, -grad))
        if np.all(np.isfinite(step)):
            return step, damping
        damping = max(2 * damping, 1e-3 * scale)
    return -grad, damping


NODES = [(NEWTON_SPEC, build_newton)]
