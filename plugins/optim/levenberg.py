"""Levenberg-Marquardt for sum-of-squares losses: dW = -(J'J + mu D)^-1 J'e.

e are the residuals (pred - target) / sqrt(rows), so the MSE loss is e'e / 2 and J'e its
gradient. J (rows x outputs, n) comes from the engine: one backward pass per output column
seeded with that column on every row leaves each row's own deltas in the activation grads,
and each layer's Step.sample_grads turns them into that row's parameter gradients, for all
rows at once. D = diag(J'J) is Marquardt's scaling as in the notes (floored at 1e-9 of its
largest entry so a parameter the data never moves cannot make the system singular); D = I is
Levenberg's original. A step that lowers the loss is kept and mu /= mu_down; otherwise mu *=
mu_up and the system is solved again (up to max_tries); a singular system counts as a failure,
so mu grows until it is not.
"""

from __future__ import annotations

import numpy as np

from engines.program import Step
from graph.spec import ParamSpec, ParamType
from plugins.optim.common import (
    curve,
    flat_params,
    gtol_param,
    max_abs,
    optimizer_spec,
    scalar_report,
    stop_when_converged,
)

MAX_JACOBIAN_ENTRIES = 50_000_000
MU_CAP = 1e15

LM_SPEC = optimizer_spec(
    "levenberg_marquardt", "Levenberg-Marquardt",
    "For an MSE loss: dW = -(J'J + mu D)^-1 J'e on the whole training split, J the Jacobian "
    "of the residuals e (computed per sample by the engine), D = diag(J'J) (Marquardt) or I. "
    "mu shrinks after a step that lowers the loss and grows until one does. Needs Dense-like "
    "layers that give per-sample gradients and a loss that is a sum of squares.",
    [ParamSpec("mu", ParamType.FLOAT, 1e-3, "Initial damping mu.", range=(1e-12, 1e12)),
     ParamSpec("mu_up", ParamType.FLOAT, 10.0, "mu *= this after a rejected step.",
               range=(1.0001, 1e3), live=True),
     ParamSpec("mu_down", ParamType.FLOAT, 10.0, "mu /= this after an accepted step.",
               range=(1.0, 1e3), live=True),
     ParamSpec("scaling", ParamType.CHOICE, "marquardt", "D = diag(J'J) (marquardt) or "
               "D = I (levenberg).", choices=("marquardt", "levenberg")),
     ParamSpec("max_tries", ParamType.INT, 10, "Solves per step before giving up on it.",
               range=(1, 100)),
     gtol_param()],
    [curve("Levenberg-Marquardt mu", "mu", "mu", log=True),
     curve("Solves per step", "tries", "tries")])


def build_levenberg_marquardt(ctx):
    xp, p, program = ctx.xp, ctx.params, ctx.program
    loss = ctx.input("loss")
    pred, target = _residual_buffers(ctx, loss)
    value, grad = flat_params(ctx)
    blocks = _jacobian_blocks(ctx, value.size)
    rows_max, outputs = pred.storage.shape[0], int(np.prod(pred.storage.shape[1:]))
    if rows_max * outputs * value.size > MAX_JACOBIAN_ENTRIES:
        raise ctx.error(f"{ctx.label}: the Jacobian would have {rows_max * outputs} x "
                        f"{value.size} entries; use BFGS or conjugate gradients for a net "
                        "or data set this size.")
    jacobian = xp.zeros((rows_max, outputs, value.size), dtype=value.dtype)
    seed = xp.zeros(pred.storage.shape, dtype=value.dtype).reshape(rows_max, outputs)
    origin = xp.empty_like(value)
    state = {"mu": p["mu"]}
    report = scalar_report(ctx, "mu", "tries")
    stop_when_converged(ctx, state)

    def fill_jacobian(rows):
        for column in range(outputs):
            seed[:rows].fill(0)
            seed[:rows, column] = 1
            program.backward_seeded(pred, seed[:rows].reshape(pred.value.shape))
            for start, size, sample_grads, scratch in blocks:
                sample_grads(scratch)
                jacobian[:rows, column, start:start + size] = scratch[:rows]

    def update():
        if max_abs(xp, grad) < p["gtol"]:
            state["converged"] = "gradient below gtol"
            return
        objective = program.objective()
        rows = pred.value.shape[0]
        residual = (pred.value - target.value).reshape(rows * outputs) / rows ** 0.5
        fill_jacobian(rows)
        flat_j = jacobian[:rows].reshape(rows * outputs, value.size)
        normal = ctx.backend.to_host(flat_j.T @ flat_j).astype(np.float64) / rows
        gradient = ctx.backend.to_host(flat_j.T @ residual).astype(np.float64) / rows ** 0.5
        scaling = _scaling(normal, p["scaling"])
        xp.copyto(origin, value)
        accepted, tries = False, 0
        while not accepted and tries < p["max_tries"]:
            tries += 1
            step = _solve(normal, state["mu"] * scaling, gradient)
            if step is not None:
                value[...] = ctx.backend.from_host(step.astype(value.dtype))
                xp.add(value, origin, out=value)
                program.forward()
                trial = program.objective()
                accepted = trial < objective
            if accepted:
                state["mu"] = max(state["mu"] / ctx.params["mu_down"], 1e-15)
            else:
                state["mu"] = min(state["mu"] * ctx.params["mu_up"], MU_CAP)
        if not accepted:
            xp.copyto(value, origin)
            program.forward()
            if state["mu"] >= MU_CAP:
                state["converged"] = "mu reached its cap and no step lowers the loss"
        program.backward()  # leave grads at the new weights for monitors and gtol
        report.update(mu=state["mu"], tries=tries)

    return Step(update=update)


def _residual_buffers(ctx, loss) -> tuple:
    found = ctx.program.residuals.get(loss.name)
    source = ctx.source("loss")
    if found is None:
        what = ctx.program.specs[source[0]].title if source else "its input"
        raise ctx.error(f"{ctx.label} minimises a sum of squares, and {what} "
                        f"'{source[0] if source else ''}' is not one; wire an MSE loss into "
                        "it, or use BFGS or conjugate gradients for this loss.")
    if len(ctx.program.loss_seeds) > 1:
        raise ctx.error(f"{ctx.label} needs the sum of squares to be the only loss; this "
                        "graph has others (an L1/L2 penalty on a Dense layer, a second loss "
                        "node). Remove them, or use BFGS.")
    pred, target = found
    if target.requires_grad:
        raise ctx.error(f"{ctx.label}: the MSE's target is computed by the net; "
                        "Levenberg-Marquardt needs it to be data.")
    return pred, target


def _jacobian_blocks(ctx, total: int) -> list:
    """[(start, size, sample_grads, scratch)] per layer, in the flat vector's order."""
    blocks, start = [], 0
    owners: dict = {}
    for buf in ctx.trainable_upstream("loss"):
        owners.setdefault(buf.node_id, 0)
        owners[buf.node_id] += int(buf.value.size)
    for node_id, size in owners.items():
        sample_grads = ctx.program.sample_grads.get(node_id)
        if sample_grads is None:
            title = ctx.program.specs[node_id].title
            raise ctx.error(f"{ctx.label} needs per-sample gradients, and {title} "
                            f"'{node_id}' does not give them; use BFGS or conjugate gradients "
                            "with this layer.")
        blocks.append((start, size, sample_grads, ctx.scratch((None, size))))
        start += size
    assert start == total
    return blocks


def _scaling(normal: np.ndarray, kind: str) -> np.ndarray:
    if kind == "levenberg":
        return np.ones(len(normal))
    diagonal = np.diag(normal).copy()
    return np.maximum(diagonal, 1e-9 * max(float(diagonal.max()), 0.0))


def _solve(normal, damping, gradient):
    """-(J'J + diag(damping))^-1 J'e, or None when that system is singular or not finite."""
    matrix = normal + np.diag(damping)
    try:
        step = np.linalg.solve(matrix, -gradient)
    except np.linalg.LinAlgError:
        return None
    return step if np.all(np.isfinite(step)) else None


NODES = [(LM_SPEC, build_levenberg_marquardt)]
