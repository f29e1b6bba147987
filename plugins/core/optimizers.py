"""Optimizer nodes: each takes a LOSS and updates every trainable parameter upstream of it.

An optimizer gathers its parameters into one contiguous value buffer and one gradient buffer
(the parameters' buffers become views of them), so each update is a handful of whole-array
in-place operations instead of a Python loop over layers. The learning rate is live on every
optimizer; decay factors that the state depends on are fixed at compile time.
"""

from __future__ import annotations

import math

import numpy as np

from engines.program import Step
from graph.spec import NodeRole, NodeSpec, ParamSpec, ParamType, PortKind, PortSpec
from plugins.core import fused
from plugins.core.views import GRADIENT_NORMS

_LOSS_IN = (PortSpec("loss", PortKind.LOSS, "The loss to minimise."),)


def _lr(default):
    return ParamSpec("lr", ParamType.FLOAT, default, "Learning rate.", range=(0.0, 1e3),
                     live=True)


def _eps(default):
    return ParamSpec("eps", ParamType.FLOAT, default, "Added to denominators for stability.",
                     range=(0.0, 1.0))


def _decay(name, default, doc):
    return ParamSpec(name, ParamType.FLOAT, default, doc, range=(0.0, 0.999999))


FORMULAS = {  # each optimizer's update rule, shown on its card (View > Show Formulas)
    "sgd": "v ← μv − η(g + λW);  W ← W + v",
    "adagrad": "G ← G + g²;  W ← W − η·g / (√G + ε)",
    "adadelta": "S ← ρS + (1−ρ)g²;  Δ = −√(D+ε)/√(S+ε)·g;  D ← ρD + (1−ρ)Δ²;  W ← W + Δ",
    "rmsprop": "S ← ρS + (1−ρ)g²;  W ← W − η·g / (√S + ε)",
    "adam": "m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  W ← W − η·m̂ / (√v̂ + ε)",
    "rprop": "ηᵢ ← ηᵢ·a if gᵢ keeps its sign, ηᵢ·b if it flips;  Wᵢ ← Wᵢ − ηᵢ·sign(gᵢ)",
}


def _spec(name, title, doc, params):
    return NodeSpec(type_id=f"core.{name}", title=title, category="Optimizers", doc=doc,
                    formula=FORMULAS.get(name, ""),
                    inputs=_LOSS_IN, params=tuple(params), role=NodeRole.OPTIMIZER,
                    views=(GRADIENT_NORMS,))


def coalesce(xp, params) -> list:
    """[(value, grad)] arrays an optimizer updates in place, covering every param with a grad.

    Parameters that own their storage are gathered into one flat value and one flat gradient
    buffer per dtype, and their Buffers re-pointed at views of them. Parameters that are
    already views (gathered by another optimizer) stay as they are, one pair each; since a
    view is never re-pointed again, two optimizers over the same parameters stay correct.
    """
    with_grad = [p for p in params if p.grad is not None]
    owners = {id(p) for p in with_grad if p.value.base is None and p.grad.base is None}
    pairs = [(p.value, p.grad) for p in with_grad if id(p) not in owners]
    by_dtype: dict = {}
    for p in with_grad:
        if id(p) in owners:
            by_dtype.setdefault(p.value.dtype, []).append(p)
    for members in by_dtype.values():
        pairs.append(_gather(xp, members))
    return pairs


def _gather(xp, members) -> tuple:
    total = sum(int(p.value.size) for p in members)
    values = xp.empty(total, dtype=members[0].value.dtype)
    grads = xp.zeros(total, dtype=members[0].value.dtype)
    start = 0
    for p in members:
        size, shape = int(p.value.size), p.value.shape
        value_view = values[start:start + size].reshape(shape)
        value_view[...] = p.value
        p.storage = p.value = value_view
        p.grad_storage = p.grad = grads[start:start + size].reshape(shape)
        start += size
    return values, grads


def _groups(ctx, states: int):
    """[(value, grad, work, *state)] with `states` zeroed state arrays per group."""
    xp = ctx.xp
    groups = []
    for value, grad in coalesce(xp, ctx.trainable_upstream("loss")):
        arrays = [xp.zeros_like(value) for _ in range(states + 1)]
        groups.append((value, grad, *arrays))
    return groups


def _compiled_update(ctx, name: str, groups) -> tuple:
    """(kernel, typed groups) for the optimizer's one-pass update on this backend (numba's,
    or CUDA's on CuPy: plugins/core/fused.py, fused_cupy.py), or (None, None): its NumPy
    passes then run. Each typed group is (its arrays as 1-D views, the dtype's scalar type,
    the dtype's smallest normal number): the kernels loop over one index, take their scalars
    in the arrays' dtype and flush averages below tiny to 0. A group is a flat buffer, or
    one parameter another optimizer gathered first (so of any shape)."""
    kernel = fused.kernel(name, ctx.backend.name)
    if kernel is None or not all(a.flags.c_contiguous for group in groups for a in group):
        return None, None  # a strided parameter's 1-D view would be a copy
    return kernel, [(tuple(a.reshape(-1) for a in group), group[0].dtype.type,
                     np.finfo(group[0].dtype).tiny) for group in groups]


SGD_SPEC = _spec(
    "sgd", "SGD",
    "Gradient descent with momentum and L2 weight decay: "
    "dW = -lr (grad + decay W) + momentum dW_prev; W += dW. Nesterov takes the gradient at "
    "the look-ahead point W + momentum dW_prev. Local gains scale each weight's step by its "
    "own gain: + bonus while the step keeps its sign, x penalty when it flips, clipped to "
    "[gain_min, gain_max] (the additive-up, multiplicative-down gains of Jacobs 1988).",
    [_lr(0.1),
     ParamSpec("momentum", ParamType.FLOAT, 0.0, "Momentum.", range=(0.0, 1.0), live=True),
     ParamSpec("weight_decay", ParamType.FLOAT, 0.0, "L2 factor.", range=(0.0, 10.0),
               live=True),
     ParamSpec("nesterov", ParamType.BOOL, False, "Nesterov accelerated gradient."),
     ParamSpec("local_gains", ParamType.BOOL, False,
               "Per-weight adaptive gains on the step, kept in [gain_min, gain_max]."),
     ParamSpec("gain_bonus", ParamType.FLOAT, 0.05, "Added to a gain while its weight's "
               "step keeps its sign.", range=(0.0, 10.0), live=True),
     ParamSpec("gain_penalty", ParamType.FLOAT, 0.95, "Multiplies a gain when its weight's "
               "step flips sign.", range=(0.0, 1.0), live=True),
     ParamSpec("gain_min", ParamType.FLOAT, 0.1, "Lower gain limit.", range=(0.0, 1e6),
               live=True),
     ParamSpec("gain_max", ParamType.FLOAT, 10.0, "Upper gain limit.", range=(0.0, 1e6),
               live=True)])


def build_sgd(ctx):
    xp, live = ctx.xp, ctx.params
    groups = _groups(ctx, states=1)
    nesterov = ctx.params["nesterov"]
    gains = _local_gains(ctx, groups) if ctx.params["local_gains"] else None
    compiled, typed = _compiled_update(ctx, "sgd", groups) if gains is None else (None, None)

    def update():
        lr, mu, decay = live["lr"], live["momentum"], live["weight_decay"]
        if compiled is not None:
            for (value, grad, _work, velocity), kind, tiny in typed:
                compiled(value, grad, velocity, kind(lr), kind(decay), kind(mu), nesterov, tiny)
            return
        for index, (value, grad, work, velocity) in enumerate(groups):
            if decay:  # work = lr (grad + decay W)
                xp.multiply(value, decay, out=work)
                work += grad
                work *= lr
            else:
                xp.multiply(grad, lr, out=work)
            if gains is not None:
                gains(index, work)
            velocity *= mu
            velocity -= work
            if nesterov:  # with Phi = W + mu dW: Phi += mu dW_new - lr grad(Phi)
                value -= work
                xp.multiply(velocity, mu, out=work)
                value += work
            else:
                value += velocity

    return Step(update=update)


def _local_gains(ctx, groups):
    """adjust(index, step): update group index's gains from the sign of `step` against the
    previous step, then scale `step` by them in place."""
    xp, live = ctx.xp, ctx.params
    state = []
    for value, *_ in groups:
        state.append((xp.ones_like(value), xp.zeros_like(value), xp.zeros_like(value),
                      xp.zeros(value.shape, dtype=bool), xp.zeros(value.shape, dtype=bool)))

    def adjust(index, step):
        gain, previous, work, kept, flipped = state[index]
        xp.multiply(step, previous, out=work)
        xp.greater(work, 0, out=kept)
        xp.less(work, 0, out=flipped)
        xp.add(gain, live["gain_bonus"], out=work)
        xp.copyto(gain, work, where=kept)
        xp.multiply(gain, live["gain_penalty"], out=work)
        xp.copyto(gain, work, where=flipped)
        xp.clip(gain, live["gain_min"], live["gain_max"], out=gain)
        xp.copyto(previous, step)
        step *= gain

    return adjust


def _momentum_params():
    return [ParamSpec("momentum", ParamType.FLOAT, 0.0, "Momentum mu on the adaptive step.",
                      range=(0.0, 1.0), live=True),
            ParamSpec("weight_decay", ParamType.FLOAT, 0.0, "L2 factor rho.",
                      range=(0.0, 10.0), live=True)]


def _apply_step(xp, value, step, velocity, scratch, lr, decay, mu):
    """The notes' outer rule around an adaptive direction `step` (overwritten):
    dW = -lr (step + decay W) + mu dW_prev; W += dW."""
    if decay:
        xp.multiply(value, decay, out=scratch)
        step += scratch
    step *= lr
    velocity *= mu
    velocity -= step
    value += velocity


ADAGRAD_SPEC = _spec(
    "adagrad", "AdaGrad",
    "Per-weight rates from the summed squared gradients: G += g^2; "
    "dW = -lr (g / (sqrt(G) + eps) + decay W) + momentum dW_prev (momentum and decay 0: "
    "plain AdaGrad).",
    [_lr(0.01), _eps(1e-10), *_momentum_params()])


def build_adagrad(ctx):
    xp, live = ctx.xp, ctx.params
    groups = _groups(ctx, states=3)
    eps = ctx.params["eps"]

    compiled, typed = _compiled_update(ctx, "adagrad", groups)

    def update():
        lr, decay, mu = live["lr"], live["weight_decay"], live["momentum"]
        if compiled is not None:
            for (value, grad, _work, total, velocity, _scratch), kind, tiny in typed:
                compiled(value, grad, total, velocity, kind(lr), kind(eps), kind(decay),
                         kind(mu), tiny)
            return
        for value, grad, work, total, velocity, scratch in groups:
            xp.multiply(grad, grad, out=work)
            total += work
            xp.sqrt(total, out=work)
            work += eps
            xp.divide(grad, work, out=work)
            _apply_step(xp, value, work, velocity, scratch, lr, decay, mu)

    return Step(update=update)


ADADELTA_SPEC = _spec(
    "adadelta", "AdaDelta",
    "S = a S + (1-a) g^2; step = sqrt(D + eps) / sqrt(S + eps) g; D = b D + (1-b) step^2; "
    "dW = -lr (step + decay W) + momentum dW_prev. lr = 1 with no momentum or decay is "
    "Zeiler's method; D accumulates the step before lr, decay and momentum.",
    [_lr(1.0), _decay("alpha", 0.9, "Decay a of the squared-gradient average S."),
     _decay("beta", 0.9, "Decay b of the squared-step average D."), _eps(1e-6),
     *_momentum_params()])


def build_adadelta(ctx):
    xp, live = ctx.xp, ctx.params
    groups = _groups(ctx, states=5)
    alpha, beta, eps = ctx.params["alpha"], ctx.params["beta"], ctx.params["eps"]

    compiled, typed = _compiled_update(ctx, "adadelta", groups)

    def update():
        lr, decay, mu = live["lr"], live["weight_decay"], live["momentum"]
        if compiled is not None:
            for (value, grad, _work, sq_grad, sq_step, _step, velocity, _scratch), kind, tiny \
                    in typed:
                compiled(value, grad, sq_grad, sq_step, velocity, kind(lr), kind(alpha),
                         kind(1 - alpha), kind(beta), kind(1 - beta), kind(eps), kind(decay),
                         kind(mu), tiny)
            return
        for value, grad, work, sq_grad, sq_step, step, velocity, scratch in groups:
            sq_grad *= alpha
            xp.multiply(grad, grad, out=work)
            work *= 1 - alpha
            sq_grad += work
            xp.add(sq_step, eps, out=step)
            xp.add(sq_grad, eps, out=work)
            step /= work
            xp.sqrt(step, out=step)
            step *= grad
            sq_step *= beta
            xp.multiply(step, step, out=work)
            work *= 1 - beta
            sq_step += work
            _apply_step(xp, value, step, velocity, scratch, lr, decay, mu)

    return Step(update=update)


RMSPROP_SPEC = _spec(
    "rmsprop", "RMSprop",
    "S = a S + (1-a) g^2; W -= lr g / (sqrt(S) + eps).",
    [_lr(0.001), _decay("decay", 0.9, "Decay a of the squared-gradient average."),
     _eps(1e-8)])


def build_rmsprop(ctx):
    xp, live = ctx.xp, ctx.params
    groups = _groups(ctx, states=1)
    decay, eps = ctx.params["decay"], ctx.params["eps"]

    compiled, typed = _compiled_update(ctx, "rmsprop", groups)

    def update():
        lr = live["lr"]
        if compiled is not None:
            for (value, grad, _work, sq_grad), kind, tiny in typed:
                compiled(value, grad, sq_grad, kind(lr), kind(decay), kind(1 - decay),
                         kind(eps), tiny)
            return
        for value, grad, work, sq_grad in groups:
            sq_grad *= decay
            xp.multiply(grad, grad, out=work)
            work *= 1 - decay
            sq_grad += work
            xp.sqrt(sq_grad, out=work)
            work += eps
            xp.divide(grad, work, out=work)
            work *= lr
            value -= work

    return Step(update=update)


ADAM_SPEC = _spec(
    "adam", "Adam",
    "m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; W -= lr m_hat / (sqrt(v_hat) + eps) with the "
    "bias corrections m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t).",
    [_lr(0.001), _decay("beta1", 0.9, "Decay of the gradient average m."),
     _decay("beta2", 0.999, "Decay of the squared-gradient average v."), _eps(1e-8)])


def build_adam(ctx):
    xp, live = ctx.xp, ctx.params
    groups = _groups(ctx, states=2)
    beta1, beta2, eps = ctx.params["beta1"], ctx.params["beta2"], ctx.params["eps"]
    state = {"t": 0}
    on_gpu = _cupy_adam_kernel() if ctx.backend.name == "cupy" else None
    compiled, typed = _compiled_update(ctx, "adam", groups) if ctx.backend.name == "numpy" \
        else (None, None)

    def update():
        # m and v are kept divided by (1 - b1) and (1 - b2), which saves two passes:
        # m' = b1 m' + g, v' = b2 v' + g^2, and the constant factors move into the scalars.
        state["t"] = t = state["t"] + 1
        bias1, bias2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
        k = math.sqrt((1.0 - beta2) / bias2)  # sqrt(v_hat) = k sqrt(v')
        step_size = live["lr"] * (1.0 - beta1) / (bias1 * k)
        eps_scaled = eps / k
        if on_gpu is not None:
            for value, grad, _work, avg, sq_avg in groups:
                on_gpu(grad, beta1, beta2, eps_scaled, step_size, value, avg, sq_avg)
            return
        if compiled is not None:  # one pass per number; scalars in the buffers' dtype
            for (value, grad, _work, avg, sq_avg), kind, betas_and_tiny in compiled_groups:
                b1, b2, tiny = betas_and_tiny
                compiled(value, grad, avg, sq_avg, b1, b2, kind(eps_scaled), kind(step_size),
                         tiny)
            return
        for value, grad, work, avg, sq_avg in groups:
            avg *= beta1
            avg += grad
            sq_avg *= beta2
            xp.multiply(grad, grad, out=work)
            sq_avg += work
            xp.sqrt(sq_avg, out=work)
            work += eps_scaled
            xp.divide(avg, work, out=work)
            work *= step_size
            value -= work

    compiled_groups = [(group, kind, (kind(beta1), kind(beta2), tiny))
                       for group, kind, tiny in typed or ()]
    return Step(update=update)


def _cupy_adam_kernel():
    """One GPU launch per update instead of ten (same scaled-moment formula)."""
    import cupy
    return cupy.ElementwiseKernel(
        "T grad, T beta1, T beta2, T eps_scaled, T step_size",
        "T value, T avg, T sq_avg",
        """
        avg = beta1 * avg + grad;
        sq_avg = beta2 * sq_avg + grad * grad;
        value -= step_size * avg / (sqrt(sq_avg) + eps_scaled);
        """,
        "dendrite_adam")


NODES = [(SGD_SPEC, build_sgd), (ADAGRAD_SPEC, build_adagrad), (ADADELTA_SPEC, build_adadelta),
         (RMSPROP_SPEC, build_rmsprop), (ADAM_SPEC, build_adam)]
