"""Elementwise activation functions, each its own node type with forward and derivative.

Kernels write into preallocated outputs and accumulate x.grad through a scratch buffer, so a
step allocates nothing. `threshold` is a hard step: it passes zero gradient, so anything
upstream of it learns nothing from a loss downstream (use it for McCulloch-Pitts neurons
with hand-set or perceptron-rule weights, not under a gradient optimizer). Its spec carries
the tag "no_gradient" so validation can warn about that wiring.
"""

from __future__ import annotations

from engines.program import Elementwise, Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, no_params_same_shape
from plugins.core import fused
from plugins.core.noise import uniform_filler

_IN = (PortSpec("x", PortKind.TENSOR),)
_OUT = (PortSpec("y", PortKind.TENSOR),)


FORMULAS = {  # what each activation computes, shown on its card (View > Show Formulas)
    "elu": "y = x if x > 0, else α(eˣ − 1)",
    "leaky_relu": "y = x if x > 0, else α·x",
    "linear": "y = x",
    "relu": "y = max(x, 0)",
    "sigmoid": "y = 1 / (1 + e^(−a·x))",
    "softmax": "yᵢ = e^(xᵢ) / Σⱼ e^(xⱼ)",
    "softplus": "y = ln(1 + eˣ)",
    "stochastic_binary": "y = 1 with probability σ(x), else 0",
    "tanh": "y = tanh(x)",
    "threshold": "y = 1 if x ≥ 0, else 0 (or −1)",
}


def _spec(name, title, doc, params=(), differentiable=True, stochastic=False):
    return NodeSpec(type_id=f"core.{name}", title=title, category="Activations", doc=doc,
                    formula=FORMULAS.get(name, ""),
                    inputs=_IN, outputs=_OUT, params=tuple(params),
                    infer_shapes=no_params_same_shape, differentiable=differentiable,
                    stochastic=stochastic)


def _bind(ctx):
    """xp, x, y and a scratch the shape of y (sliced to the batch at call time)."""
    x, y = ctx.input("x"), ctx.output("y")
    return ctx.xp, x, y, ctx.scratch(y.storage.shape)


def _accumulate(x, work, fill):
    """Call fill(out) to write this node's input gradient: into x.grad itself when this node
    is x's only reader (grad_overwrite), else into work and then add it into x.grad."""
    def backward():
        if x.grad is None:
            return
        if x.grad_overwrite:
            fill(x.grad)
            return
        grad = work[:x.grad.shape[0]]
        fill(grad)
        x.grad += grad
    return backward


def _grad_step(forward, x, work, fill) -> Step:
    """The Step of an elementwise node whose input gradient fill(out) writes."""
    return Step(forward, _accumulate(x, work, fill), overwrites=("x",))


def build_sigmoid(ctx):
    xp, x, y, work = _bind(ctx)
    live = ctx.params

    def forward():
        xp.multiply(x.value, -live["slope"], out=y.value)
        xp.exp(y.value, out=y.value)
        y.value += 1
        xp.reciprocal(y.value, out=y.value)

    def grad(out):  # f' = a f (1 - f)
        xp.subtract(1, y.value, out=out)
        out *= y.value
        out *= y.grad
        if live["slope"] != 1.0:
            out *= live["slope"]

    return _grad_step(forward, x, work, grad)


def build_tanh(ctx):
    xp, x, y, work = _bind(ctx)

    def forward():
        xp.tanh(x.value, out=y.value)

    def grad(out):  # 1 - y^2
        xp.multiply(y.value, y.value, out=out)
        xp.subtract(1, out, out=out)
        out *= y.grad

    return _grad_step(forward, x, work, grad)


def build_relu(ctx):
    xp, x, y, work = _bind(ctx)
    zeros = ctx.scratch(y.storage.shape)  # maximum against an array is ~4x faster than a scalar
    mask = ctx.scratch(y.storage.shape, dtype=bool)

    def forward():
        xp.maximum(x.value, zeros[:x.value.shape[0]], out=y.value)

    def grad(out):
        m = mask[:out.shape[0]]
        xp.greater(y.value, 0, out=m)
        xp.multiply(y.grad, m, out=out)

    compiled = fused.kernel("relu_grad", ctx.backend.name)
    if compiled is None or len(y.storage.shape) != 2:
        return _grad_step(forward, x, work, grad)

    def backward():  # one fused pass (plugins/core/fused.py, fused_cupy.py)
        if x.grad is not None:
            compiled(y.value, y.grad, x.grad, not x.grad_overwrite)

    return Step(forward, backward, overwrites=("x",), elementwise=Elementwise.RELU)


def build_leaky_relu(ctx):
    xp, x, y, work = _bind(ctx)
    live = ctx.params
    mask = ctx.scratch(y.storage.shape, dtype=bool)

    def forward():
        m = mask[:x.value.shape[0]]
        xp.greater(x.value, 0, out=m)
        xp.multiply(x.value, live["alpha"], out=y.value)
        xp.copyto(y.value, x.value, where=m)

    def grad(out):  # the mask again from x: inside a loop over time x is this step's
        m = mask[:out.shape[0]]
        xp.greater(x.value, 0, out=m)
        xp.multiply(y.grad, live["alpha"], out=out)
        xp.copyto(out, y.grad, where=m)

    return _grad_step(forward, x, work, grad)


def build_elu(ctx):
    xp, x, y, work = _bind(ctx)
    live = ctx.params
    mask = ctx.scratch(y.storage.shape, dtype=bool)

    def forward():  # x for x > 0, alpha (e^x - 1) otherwise
        m = mask[:x.value.shape[0]]
        xp.greater(x.value, 0, out=m)
        xp.minimum(x.value, 0, out=y.value)  # exp of the positive side could overflow
        xp.expm1(y.value, out=y.value)
        y.value *= live["alpha"]
        xp.copyto(y.value, x.value, where=m)

    def grad(out):  # 1 for x > 0, y + alpha otherwise (mask again from this step's x)
        m = mask[:out.shape[0]]
        xp.greater(x.value, 0, out=m)
        xp.add(y.value, live["alpha"], out=out)
        xp.copyto(out, 1, where=m)
        out *= y.grad

    return _grad_step(forward, x, work, grad)


def build_softplus(ctx):
    xp, x, y, work = _bind(ctx)
    positive = ctx.scratch(y.storage.shape)

    def forward():  # log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for large |x|
        xp.abs(x.value, out=y.value)
        xp.negative(y.value, out=y.value)
        xp.exp(y.value, out=y.value)
        xp.log1p(y.value, out=y.value)
        relu = positive[:x.value.shape[0]]
        xp.maximum(x.value, 0, out=relu)
        y.value += relu

    def grad(out):  # sigmoid(x) = 1 - e^-y, stable since y >= 0
        xp.negative(y.value, out=out)
        xp.expm1(out, out=out)
        xp.negative(out, out=out)
        out *= y.grad

    return _grad_step(forward, x, work, grad)


def build_softmax(ctx):
    xp, x, y, work = _bind(ctx)
    row = ctx.scratch((y.storage.shape[0], 1))

    def forward():  # row-wise, shifted by the row maximum
        r = row[:x.value.shape[0]]
        xp.max(x.value, axis=1, keepdims=True, out=r)
        xp.subtract(x.value, r, out=y.value)
        xp.exp(y.value, out=y.value)
        xp.sum(y.value, axis=1, keepdims=True, out=r)
        y.value /= r

    def grad(out):  # y * (g - sum(g * y))
        r = row[:out.shape[0]]
        xp.multiply(y.grad, y.value, out=out)
        xp.sum(out, axis=1, keepdims=True, out=r)
        xp.subtract(y.grad, r, out=out)
        out *= y.value

    return _grad_step(forward, x, work, grad)


def build_linear(ctx):
    xp, x, y, _ = _bind(ctx)

    def forward():
        xp.copyto(y.value, x.value)

    def backward():
        if x.grad is not None:
            x.grad += y.grad

    return Step(forward, backward)


def build_threshold(ctx):
    xp = ctx.xp
    x, y = ctx.input("x"), ctx.output("y")
    bipolar = ctx.params["bipolar"]

    def forward():  # 1 if x >= 0 else 0 (or -1)
        xp.greater_equal(x.value, 0, out=y.value)
        if bipolar:
            y.value *= 2
            y.value -= 1

    return Step(forward)  # no backward: the step's derivative is zero almost everywhere


def build_stochastic_binary(ctx):
    xp, x, y, work = _bind(ctx)
    probability = ctx.scratch(y.storage.shape)
    phase = ctx.phase
    uniform = uniform_filler(ctx)

    def forward():  # p = sigmoid(x); y = 1 with probability p (training), p >= 0.5 otherwise
        p = probability[:x.value.shape[0]]
        xp.negative(x.value, out=p)
        xp.exp(p, out=p)
        p += 1
        xp.reciprocal(p, out=p)
        if phase.training:
            uniform(y.value)
            xp.less(y.value, p, out=y.value)
        else:
            xp.greater_equal(p, 0.5, out=y.value)

    def grad(out):  # straight-through: the derivative of the expectation, p (1 - p)
        p = probability[:out.shape[0]]
        xp.subtract(1, p, out=out)
        out *= p
        out *= y.grad

    return _grad_step(forward, x, work, grad)


_ALPHA = "Slope for x < 0."

NODES = [
    (_spec("sigmoid", "Sigmoid", "Logistic function f(s) = 1 / (1 + exp(-a s)); f' = a f (1-f).",
           [ParamSpec("slope", ParamType.FLOAT, 1.0, "Slope a.", range=(1e-6, 1e6),
                      live=True)]),
     build_sigmoid),
    (_spec("tanh", "Tanh", "Hyperbolic tangent."), build_tanh),
    (_spec("relu", "ReLU", "Rectified linear unit max(x, 0)."), build_relu),
    (_spec("leaky_relu", "Leaky ReLU", "x for x > 0, alpha x otherwise.",
           [ParamSpec("alpha", ParamType.FLOAT, 0.01, _ALPHA, range=(0.0, 1.0), live=True)]),
     build_leaky_relu),
    (_spec("elu", "ELU", "x for x > 0, alpha (e^x - 1) otherwise.",
           [ParamSpec("alpha", ParamType.FLOAT, 1.0, "Saturation value -alpha for x << 0.",
                      range=(0.0, 100.0), live=True)]),
     build_elu),
    (_spec("softplus", "Softplus", "Smooth ReLU log(1 + e^x), computed stably."),
     build_softplus),
    (_spec("softmax", "Softmax", "Row-wise exp(x_i) / sum_j exp(x_j), shifted for stability. "
           "Before a cross-entropy loss use core.softmax_cross_entropy on the logits instead."),
     build_softmax),
    (_spec("linear", "Linear", "Identity f(s) = s."), build_linear),
    (_spec("threshold", "Threshold",
           "McCulloch-Pitts hard step: 1 if x >= 0 else 0 (or -1 when bipolar). Passes zero "
           "gradient: nodes upstream of it do not learn from a loss through it.",
           [ParamSpec("bipolar", ParamType.BOOL, False, "Output -1/1 instead of 0/1.")],
           differentiable=False),
     build_threshold),
    (_spec("stochastic_binary", "Stochastic binary",
           "Outputs 1 with probability p = 1 / (1 + e^-x), else 0, while training (seeded); "
           "1 where p >= 0.5 in evaluation. Backward passes the straight-through gradient "
           "p (1 - p), the derivative of the expected output.", stochastic=True),
     build_stochastic_binary),
]
