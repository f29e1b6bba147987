"""Conjugate gradients, Fletcher-Reeves and Polak-Ribiere (PR+), with a strong Wolfe search.

d = -g + beta d_prev, w += alpha d. FR: beta = g'g / g_'g_. PR+: beta = max(0, g'(g - g_) /
g_'g_), the max being the automatic restart (Gilbert and Nocedal). The direction restarts as
steepest descent every `restart_every` steps (0: every n steps, n the parameter count) and
whenever it is not a descent direction.
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

CG_SPEC = optimizer_spec(
    "conjugate_gradient", "Conjugate gradients",
    "Conjugate gradients on the whole training split: d = -g + beta d_prev, W += eta d, with "
    "eta from a strong Wolfe line search (several loss evaluations per step, so the loss "
    "must be deterministic). Fletcher-Reeves beta = g'g / g_'g_; Polak-Ribiere+ beta = "
    "max(0, g'(g - g_) / g_'g_). Restarts as steepest descent every restart_every steps "
    "and when d stops being a descent direction.",
    [ParamSpec("beta", ParamType.CHOICE, "polak_ribiere", "Formula for beta.",
               choices=("polak_ribiere", "fletcher_reeves")),
     ParamSpec("restart_every", ParamType.INT, 0, "Restart as steepest descent every this "
               "many steps (0: the parameter count n).", range=(0, 1 << 30)),
     *wolfe_params(0.1), gtol_param()],
    [curve("Line search step eta", "step", "eta", log=True),
     curve("CG beta", "beta", "beta"),
     curve("CG restarts", "restarts", "restarts so far"),
     curve("Loss evaluations per step", "evaluations", "evaluations")])


def build_conjugate_gradient(ctx):
    xp, p = ctx.xp, ctx.params
    value, grad = flat_params(ctx)
    probe = LineProbe(ctx, value, grad)
    direction, previous_grad, work = (xp.zeros_like(value) for _ in range(3))
    restart_every = p["restart_every"] or value.size
    polak_ribiere = p["beta"] == "polak_ribiere"
    objective_now = ctx.program.objective
    state = {"since_restart": 0, "restarts": 0, "previous": None, "previous_norm": None}
    report = scalar_report(ctx, "step", "beta", "restarts", "evaluations")
    stop_when_converged(ctx, state)

    def beta(grad_norm):
        if polak_ribiere:
            xp.subtract(grad, previous_grad, out=work)
            return max(0.0, float(xp.vdot(grad, work)) / state["previous_norm"])
        return grad_norm / state["previous_norm"]

    def steepest():
        xp.negative(grad, out=direction)
        state["since_restart"] = 0
        state["restarts"] += 1
        return 0.0

    def update():
        if max_abs(xp, grad) < p["gtol"]:
            state["converged"] = "gradient below gtol"
            return
        objective = objective_now()
        grad_norm = float(xp.vdot(grad, grad))
        if state["previous_norm"] is None or state["since_restart"] >= restart_every:
            b = steepest()
        else:
            b = beta(grad_norm)
            xp.multiply(direction, b, out=direction)
            xp.subtract(direction, grad, out=direction)
            if float(xp.vdot(grad, direction)) >= 0:
                b = steepest()
        state["since_restart"] += 1
        slope = float(xp.vdot(grad, direction))
        previous = state["previous"]
        if previous is None:  # scipy's first guess: as if the last step gained |g| / 2
            previous = objective + grad_norm ** 0.5 / 2
        xp.copyto(previous_grad, grad)
        probe.start(direction)
        found = strong_wolfe(probe, objective, slope, initial_step(objective, previous, slope),
                             p["c1"], p["c2"])
        if found.alpha is None and state["since_restart"] > 1:  # once more, steepest
            xp.negative(previous_grad, out=direction)  # grad itself is at the last trial
            b = 0.0
            state["since_restart"] = 1
            state["restarts"] += 1
            slope = -grad_norm
            found = strong_wolfe(probe, objective, slope, initial_step(objective, previous,
                                                                      slope), p["c1"], p["c2"])
        if found.alpha is None:
            probe.settle(0.0)
            state["converged"] = "the line search finds no lower loss"
        else:
            probe.settle(found.alpha)
        state["previous"], state["previous_norm"] = objective, grad_norm
        report.update(step=found.alpha or 0.0, beta=b, restarts=state["restarts"],
                      evaluations=probe.evaluations)

    return Step(update=update)


NODES = [(CG_SPEC, build_conjugate_gradient)]
