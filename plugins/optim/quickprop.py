"""quickProp (Fahlman 1988) in the lecture notes' form: a per-weight secant step on the whole
training split.

With S = grad E + rho W for each weight (rho: weight decay) and dW the last change added to W:
    beta = S(t) / (S(t-1) - S(t)),  gamma = S(t) (-dW(t-1)) beta
    mu   = mu_max if beta > mu_max or gamma < 0 (or S(t-1) = S(t)), else beta
    eta  = eta_0 if dW(t-1) = 0 or -dW(t-1) S(t) > 0 (still going downhill), else 0
    dW(t) = -eta S(t) + mu dW(t-1);  W += dW(t)
The notes write dW = eta (grad E + rho W) + mu dW_prev with dW subtracted from W; written
with dW added, the gradient term carries the minus sign, and the switch "eta = eta_0 while
-dW S > 0" is Fahlman's rule: add the gradient term only while the slope still points the
way of the last step.
"""

from __future__ import annotations

from engines.program import Step
from graph.spec import Batching, ParamSpec, ParamType
from plugins.core.optimizers import _groups
from plugins.optim.common import curve, optimizer_spec, scalar_report

QUICKPROP_SPEC = optimizer_spec(
    "quickprop", "quickProp",
    "Fahlman's quickProp on the whole training split: each weight jumps towards the minimum "
    "of the parabola through its last two slopes, dW = -eta S + mu dW_prev with mu = "
    "S / (S_prev - S) limited to mu_max, and the gradient term eta S only while the slope "
    "keeps pointing the way of the last step. S = grad + weight_decay W.",
    [ParamSpec("lr", ParamType.FLOAT, 0.1, "Gradient-term rate eta_0 (0.01 to 0.6 are "
               "typical).", range=(0.0, 1e3), live=True),
     ParamSpec("mu_max", ParamType.FLOAT, 1.75, "Largest growth factor of a step.",
               range=(0.0, 100.0), live=True),
     ParamSpec("weight_decay", ParamType.FLOAT, 0.0, "rho in S = grad + rho W.",
               range=(0.0, 10.0), live=True)],
    [curve("quickProp step size |dW|", "step_norm", "|dW|", log=True),
     curve("quickProp mean growth factor", "mean_mu", "mean mu")],
    batching=Batching.FULL_BATCH)


def build_quickprop(ctx):
    xp, live = ctx.xp, ctx.params
    # per group: value, grad, work, slope S, previous slope, previous change dW, mu
    groups = _groups(ctx, states=4)
    masks = [tuple(xp.zeros(g[0].shape, dtype=bool) for _ in range(2)) for g in groups]
    report = scalar_report(ctx, "step_norm", "mean_mu")
    state = {"first": True}

    def update():
        eta, mu_max, rho = live["lr"], live["mu_max"], live["weight_decay"]
        norm_sq, mu_sum, count = 0.0, 0.0, 0
        for (value, grad, work, slope, prev_slope, change, mu), (capped, downhill) in zip(
                groups, masks):
            xp.multiply(value, rho, out=slope)
            slope += grad
            if state["first"]:  # no previous slope: dW = 0, so mu is irrelevant
                mu.fill(0)
            else:
                xp.subtract(prev_slope, slope, out=work)  # S(t-1) - S(t)
                xp.equal(work, 0, out=capped)
                xp.copyto(work, 1, where=capped)  # masked writes: no device read
                xp.divide(slope, work, out=mu)  # beta
                xp.multiply(slope, change, out=work)  # S (-dW) beta < 0, i.e. S dW beta > 0
                work *= mu
                capped |= (mu > mu_max) | (work > 0)
                xp.copyto(mu, mu_max, where=capped)
            # gradient term while dW = 0 or -dW S > 0
            xp.multiply(change, slope, out=work)
            xp.less(work, 0, out=downhill)
            downhill |= change == 0
            change *= mu
            xp.multiply(slope, eta, out=work)
            work *= downhill
            change -= work
            value += change
            xp.copyto(prev_slope, slope)
            norm_sq = norm_sq + xp.vdot(change, change)  # device scalars, read by the
            mu_sum = mu_sum + mu.sum()  # report's monitor between steps
            count += mu.size
        state["first"] = False
        report.update(step_norm=xp.sqrt(norm_sq), mean_mu=mu_sum / max(count, 1))

    return Step(update=update)


NODES = [(QUICKPROP_SPEC, build_quickprop)]
