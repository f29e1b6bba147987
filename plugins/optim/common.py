"""What the classical optimizers share: their spec shape, one flat parameter vector, a probe
that moves the weights along a direction, per-step scalars and a convergence stop rule."""

from __future__ import annotations

from engines.events import FinishReason, Scalar, Stop
from graph.spec import Batching, NodeRole, NodeSpec, ParamSpec, ParamType, PortKind, PortSpec
from graph.views import Axis, View, ViewKind
from plugins.core.optimizers import coalesce
from plugins.core.views import GRADIENT_NORMS

_LOSS_IN = (PortSpec("loss", PortKind.LOSS, "The loss to minimise."),)


def optimizer_spec(name: str, title: str, doc: str, params, views,
                   batching: Batching = Batching.REEVALUATES) -> NodeSpec:
    """A node spec in the Optimizers palette group with type id optim.<name>."""
    return NodeSpec(type_id=f"optim.{name}", title=title, category="Optimizers", doc=doc,
                    inputs=_LOSS_IN, params=tuple(params), role=NodeRole.OPTIMIZER,
                    batching=batching, views=(GRADIENT_NORMS, *views))


def curve(title: str, key: str, label: str, log: bool = False, doc: str = "") -> View:
    """A curves dock for the scalar optim/<node>/<key>, one point per step."""
    return View(ViewKind.CURVES, title, (f"optim/{{node}}/{key}",), y=Axis(label, log=log),
                doc=doc)


def gtol_param(default: float = 1e-5) -> ParamSpec:
    return ParamSpec("gtol", ParamType.FLOAT, default, "Stop (converged) once the largest "
                     "gradient component is below this (scipy's gtol).", range=(0.0, 1e3))


def wolfe_params(c2: float) -> list:
    return [ParamSpec("c1", ParamType.FLOAT, 1e-4, "Sufficient decrease constant of the "
                      "strong Wolfe line search.", range=(1e-8, 0.5)),
            ParamSpec("c2", ParamType.FLOAT, c2, "Curvature constant of the strong Wolfe line "
                      "search (0.9 for quasi-Newton, below 0.5 for conjugate gradients).",
                      range=(1e-4, 0.9999))]


def flat_params(ctx) -> tuple:
    """(value, grad): every trainable parameter upstream of 'loss' as one flat vector each."""
    groups = coalesce(ctx.xp, ctx.trainable_upstream("loss"))
    if not groups:
        raise ctx.error(f"{ctx.label}: nothing trainable feeds its loss.")
    if len(groups) > 1:
        raise ctx.error(f"{ctx.label} must own all the parameters it trains as one vector; "
                        "another optimizer already trains some of them, or they mix dtypes.")
    return groups[0]


def scalar_report(ctx, *names: str) -> dict:
    """A host dict the optimizer fills each step; a step monitor emits optim/<node>/<name>."""
    values: dict = {}
    node_id = ctx.node_id

    def emit(phase):
        return [Scalar(f"optim/{node_id}/{name}", phase.step, float(values[name]))
                for name in names if name in values]

    ctx.monitor(emit, every="step")
    return values


def stop_when_converged(ctx, state: dict) -> None:
    """End the run as converged once the optimizer sets state['converged'] to a reason."""
    label = ctx.label
    ctx.stop_rule(lambda history: (Stop(FinishReason.CONVERGED,
                                        f"{label} converged: {state['converged']}.")
                                   if state.get("converged") else None))


class LineProbe:
    """Evaluates the objective along origin + alpha * direction for a line search.

    __call__(alpha) sets the weights, runs forward and backward, and returns the objective
    and its slope g'd there (host floats); the weights and grads stay at the last point.
    """

    def __init__(self, ctx, value, grad):
        self.xp, self.value, self.grad = ctx.xp, value, grad
        self.evaluate = ctx.reevaluate()
        self.origin = ctx.xp.empty_like(value)
        self.direction = None
        self.evaluations = 0
        self.last_alpha = None

    def start(self, direction) -> None:
        self.xp.copyto(self.origin, self.value)
        self.direction = direction
        self.evaluations = 0
        self.last_alpha = 0.0

    def move(self, alpha: float) -> None:
        self.xp.multiply(self.direction, alpha, out=self.value)
        self.value += self.origin
        self.last_alpha = alpha

    def __call__(self, alpha: float) -> tuple:
        self.move(alpha)
        self.evaluations += 1
        objective = self.evaluate()
        return objective, float(self.xp.vdot(self.grad, self.direction))

    def settle(self, alpha: float) -> None:
        """Leave weights, loss and grads at origin + alpha d (re-evaluating when the search
        ended elsewhere)."""
        if alpha != self.last_alpha:
            self(alpha)


def max_abs(xp, array) -> float:
    return float(xp.abs(array).max()) if array.size else 0.0
