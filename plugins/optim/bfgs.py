"""BFGS with the standard inverse-Hessian update, and L-BFGS for nets too big for n x n.

With s = w_new - w, y = g_new - g and rho = 1 / s'y, the inverse Hessian estimate H becomes
(I - rho s y') H (I - rho y s') + rho s s' (Nocedal & Wright eq. 6.17; the lecture notes'
slide mixes this with the direct update of B = H^-1, which is not used here). H starts as I,
as in scipy's BFGS. L-BFGS keeps the last `memory` pairs (s, y) and applies H by the
two-loop recursion, starting from gamma I with gamma = s'y / y'y (as L-BFGS-B does).
A step is d = -H g and a strong Wolfe line search along it; pairs with s'y <= 0 are skipped.
"""

from __future__ import annotations

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
from plugins.optim.linesearch import initial_step, strong_wolfe

AUTO_LIMIT = 2000

BFGS_SPEC = optimizer_spec(
    "bfgs", "BFGS",
    "Quasi-Newton steps d = -H g on the whole training split, H the inverse-Hessian estimate "
    "from the standard BFGS update with s = dW and y = d grad, eta from a strong Wolfe line "
    "search (several loss evaluations per step: the loss must be deterministic). Above "
    f"auto_limit parameters (default {AUTO_LIMIT}) 'auto' keeps L-BFGS with `memory` pairs "
    "instead of the n x n matrix; the card says which.",
    [ParamSpec("variant", ParamType.CHOICE, "auto", "full: n x n inverse Hessian; limited: "
               "L-BFGS; auto: full up to auto_limit parameters.",
               choices=("auto", "full", "limited")),
     ParamSpec("auto_limit", ParamType.INT, AUTO_LIMIT, "Largest parameter count for which "
               "'auto' keeps the full matrix.", range=(1, 1 << 20)),
     ParamSpec("memory", ParamType.INT, 10, "L-BFGS: (s, y) pairs kept.", range=(1, 1000)),
     *wolfe_params(0.9), gtol_param()],
    [curve("Line search step eta", "step", "eta", log=True),
     curve("Loss evaluations per step", "evaluations", "evaluations")])


def uses_limited_memory(params: dict, parameter_count: int) -> bool:
    """True when this BFGS node runs L-BFGS for a net of parameter_count weights."""
    if params["variant"] == "auto":
        return parameter_count > params["auto_limit"]
    return params["variant"] == "limited"


def build_bfgs(ctx):
    xp, p = ctx.xp, ctx.params
    value, grad = flat_params(ctx)
    probe = LineProbe(ctx, value, grad)
    direction, old_grad = xp.zeros_like(value), xp.zeros_like(value)
    inverse = _Limited(xp, value, p["memory"]) if uses_limited_memory(p, value.size) \
        else _Full(xp, value)
    objective_now = ctx.program.objective
    state: dict = {"previous": None}
    report = scalar_report(ctx, "step", "evaluations")
    stop_when_converged(ctx, state)

    def update():
        if max_abs(xp, grad) < p["gtol"]:
            state["converged"] = "gradient below gtol"
            return
        objective = objective_now()
        inverse.apply(grad, direction)
        xp.negative(direction, out=direction)
        slope = float(xp.vdot(grad, direction))
        if slope >= 0:  # H lost positive definiteness to rounding: start again from I
            inverse.reset()
            xp.negative(grad, out=direction)
            slope = -float(xp.vdot(grad, grad))
        previous = state["previous"]
        if previous is None:  # scipy's first guess: as if the last step gained |g| / 2
            previous = objective + (-slope) ** 0.5 / 2
        alpha = inverse.first_step(objective, previous, slope)
        xp.copyto(old_grad, grad)
        probe.start(direction)
        found = strong_wolfe(probe, objective, slope, alpha, p["c1"], p["c2"])
        if found.alpha is None:
            probe.settle(0.0)
            inverse.reset()
            state["converged"] = "the line search finds no lower loss"
        else:
            probe.settle(found.alpha)
            inverse.add(direction, found.alpha, old_grad, grad)
        state["previous"] = objective
        report.update(step=found.alpha or 0.0, evaluations=probe.evaluations)

    return Step(update=update)


class _Full:
    """The n x n inverse Hessian estimate, updated in place."""

    def __init__(self, xp, like):
        n = like.size
        self.xp = xp
        self.matrix = xp.eye(n, dtype=like.dtype)
        self.work = xp.empty((n, n), dtype=like.dtype)
        self.step, self.change, self.h_change = (xp.empty_like(like) for _ in range(3))

    def reset(self):
        self.xp.copyto(self.matrix, self.xp.eye(self.matrix.shape[0], dtype=self.matrix.dtype))

    def apply(self, grad, out):
        self.xp.matmul(self.matrix, grad, out=out)

    def first_step(self, objective, previous, slope):
        return initial_step(objective, previous, slope)

    def add(self, direction, alpha, old_grad, new_grad):
        xp, s, y, hy, work = self.xp, self.step, self.change, self.h_change, self.work
        xp.multiply(direction, alpha, out=s)
        xp.subtract(new_grad, old_grad, out=y)
        sy = float(xp.vdot(s, y))
        if not sy > 0:
            return
        xp.matmul(self.matrix, y, out=hy)
        yhy = float(xp.vdot(y, hy))
        # H += (s'y + y'Hy) / (s'y)^2 s s' - (Hy s' + s (Hy)') / s'y
        xp.outer(s, s, out=work)
        work *= (sy + yhy) / (sy * sy)
        self.matrix += work
        xp.outer(hy, s, out=work)
        work *= 1.0 / sy
        self.matrix -= work
        self.matrix -= work.T


class _Limited:
    """The last `memory` (s, y) pairs; H g by the two-loop recursion."""

    def __init__(self, xp, like, memory):
        self.xp = xp
        self.steps = xp.zeros((memory, like.size), dtype=like.dtype)
        self.changes = xp.zeros((memory, like.size), dtype=like.dtype)
        self.rho = [0.0] * memory
        self.work = xp.zeros_like(like)
        self.count = 0  # pairs stored so far (slot = count % memory)
        self.gamma = 1.0

    def reset(self):
        self.count = 0
        self.gamma = 1.0

    def _slots(self):
        memory = len(self.rho)
        return [i % memory for i in range(max(0, self.count - memory), self.count)]

    def apply(self, grad, out):
        xp = self.xp
        xp.copyto(out, grad)
        slots = self._slots()
        alphas = {}
        for slot in reversed(slots):
            alphas[slot] = a = self.rho[slot] * float(xp.vdot(self.steps[slot], out))
            xp.multiply(self.changes[slot], a, out=self.work)
            out -= self.work
        out *= self.gamma
        for slot in slots:
            b = self.rho[slot] * float(xp.vdot(self.changes[slot], out))
            xp.multiply(self.steps[slot], alphas[slot] - b, out=self.work)
            out += self.work

    def first_step(self, objective, previous, slope):
        if self.count:
            return 1.0
        return min(1.0, 1.0 / (-slope) ** 0.5)  # L-BFGS-B's first step: 1 / |d|

    def add(self, direction, alpha, old_grad, new_grad):
        xp = self.xp
        slot = self.count % len(self.rho)
        s, y = self.steps[slot], self.changes[slot]
        xp.multiply(direction, alpha, out=s)
        xp.subtract(new_grad, old_grad, out=y)
        sy = float(xp.vdot(s, y))
        if not sy > 1e-10 * float(xp.vdot(y, y)):
            return
        self.rho[slot] = 1.0 / sy
        self.gamma = sy / float(xp.vdot(y, y))
        self.count += 1


NODES = [(BFGS_SPEC, build_bfgs)]
