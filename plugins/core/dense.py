"""Dense (fully connected) layer: y = x W + b, with optional L1/L2 weight penalties.

Regularisation: with l1 or l2 set, the layer adds its own loss term, the penalty
P = l1 sum|W| + (l2/2) sum W^2, registered with ctx.loss (so its gradient l1 sign(W) + l2 W
flows into W.grad on every step) and reported as the metric 'penalty' (a second regularised
layer's shows as '<node>.penalty'). The data loss metric stays the data term alone. l1 and l2
are fixed at compile time (a variant, not a branch in the step).
"""

from __future__ import annotations

from engines.build import TRAINABLE
from engines.initializers import INITIALIZER_NAMES
from engines.program import Elementwise, Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from plugins.core import fused
from plugins.core.views import WEIGHT_PENALTIES, WEIGHTS


def infer_shapes(params, in_shapes):
    shape = in_shapes["x"]
    if len(shape) != 2:
        raise ShapeError(f"needs a 2-D (batch, features) input on 'x'; it receives {shape}. "
                         "Add a Flatten node before it.")
    units = params["units"]
    param_shapes = {"W": (shape[1], units)}
    if params["bias"]:
        param_shapes["b"] = (units,)
    return {"y": (shape[0], units)}, param_shapes


SPEC = NodeSpec(
    type_id="core.dense", title="Dense", category="Layers",
    formula="y = x·W + b",
    doc="Fully connected layer: y = x W + b. Optional L1/L2 penalties on W are an extra "
        "loss term l1 sum|W| + (l2/2) sum W^2, shown as the metric 'penalty'.",
    inputs=(PortSpec("x", PortKind.TENSOR, "Input (batch, features)."),),
    outputs=(PortSpec("y", PortKind.TENSOR, "Output (batch, units)."),),
    params=(
        ParamSpec("units", ParamType.INT, 32, "Output features.", range=(1, 65536)),
        ParamSpec("bias", ParamType.BOOL, True, "Add a learned bias b."),
        ParamSpec("init", ParamType.CHOICE, "glorot_uniform", "Weight initialiser.",
                  choices=INITIALIZER_NAMES),
        ParamSpec("l1", ParamType.FLOAT, 0.0, "L1 penalty factor on W (adds l1 sign(W)).",
                  range=(0.0, 10.0)),
        ParamSpec("l2", ParamType.FLOAT, 0.0, "L2 penalty factor on W (adds l2 W).",
                  range=(0.0, 10.0)),
        TRAINABLE,
    ),
    infer_shapes=infer_shapes,
    views=(WEIGHTS, WEIGHT_PENALTIES),
)


def build(ctx):
    xp = ctx.xp
    x, y = ctx.input("x"), ctx.output("y")
    fan_in, units = x.storage.shape[1], ctx.params["units"]
    W = ctx.param("W", (fan_in, units), init=ctx.params["init"])
    b = ctx.param("b", (units,), init="zeros") if ctx.params["bias"] else None
    grad_x_scratch = ctx.scratch((None, fan_in))
    ones = xp.ones(ctx.batch_size, dtype=ctx.dtype)  # b.grad = ones @ y.grad runs on BLAS
    l1, l2 = ctx.params["l1"], ctx.params["l2"]
    regularise = _penalty_kernels(ctx, W, l1, l2) if (l1 or l2) and W.requires_grad else None

    small = (ctx.backend.name == "numpy" and b is not None
             and ctx.batch_size * fan_in * units <= fused.SMALL_PRODUCT
             and x.storage.flags.c_contiguous)
    compiled_forward = fused.kernel("dense_forward") if small else None
    compiled_backward = fused.kernel("dense_backward") if small else None

    def forward():
        if compiled_forward is not None:
            compiled_forward(x.value, W.value, b.value, y.value)
            return
        xp.matmul(x.value, W.value, out=y.value)
        if b is not None:
            y.value += b.value

    def backward():
        grad_y = y.grad
        if grad_y is None:  # frozen, with nothing trainable upstream
            return
        if compiled_backward is not None and W.grad is not None and b.grad is not None:
            mode = _input_grad_mode(x)
            compiled_backward(x.value, W.value, grad_y, W.grad, b.grad,
                              grad_y if mode == 0 else x.grad,
                              grad_x_scratch[:grad_y.shape[0]], mode)
            return
        if b is not None and b.grad is not None:
            xp.matmul(ones[:grad_y.shape[0]], grad_y, out=b.grad)
        _product_grads(xp, x, W, grad_y, grad_x_scratch)

    def sample_grads(out):  # row i: x_i outer grad_y_i (W, row-major), then grad_y_i (b)
        rows = y.grad.shape[0]
        per_weight = out[:rows, :fan_in * units].reshape(rows, fan_in, units)
        xp.multiply(x.value[:, :, None], y.grad[:, None, :], out=per_weight)
        if b is not None:
            out[:rows, fan_in * units:] = y.grad

    def fuse(elementwise, out):
        """Dense + its only reader, a ReLU (Step.fuse): see _fused_relu."""
        if elementwise is not Elementwise.RELU or ctx.backend.name != "numpy" or b is None \
                or W.grad is None or b.grad is None or len(out.storage.shape) != 2:
            return None  # a frozen layer (its input's gradient still needed) stays apart
        return _fused_relu(xp, x, W, b, y, out, grad_x_scratch,
                           compiled_forward is not None)

    if regularise is None:
        return Step(forward, backward, sample_grads=sample_grads, overwrites=("x",),
                    fuse=fuse)
    penalty_forward, penalty_backward = regularise

    def forward_regularised():
        forward()
        penalty_forward()

    def backward_regularised():
        backward()
        penalty_backward()

    # the penalty is not a sum over samples, so per-sample gradients leave it out
    return Step(forward_regularised, backward_regularised, sample_grads=sample_grads,
                overwrites=("x",))


def _fused_relu(xp, x, W, b, y, out, grad_x_scratch, small: bool):
    """(forward, backward) of Dense + ReLU with one pass for the bias and the ReLU after the
    product, and one for the ReLU's gradient and the bias gradient before the products (the
    whole layer in one call each way when small); None without the compiled kernels. y (the
    pre-activation) and its gradient are still written, for probes."""
    kernels = fused.KERNELS.get()
    if kernels is None:
        return None
    bias_relu, relu_grad_bias = kernels["bias_relu"], kernels["relu_grad_bias"]
    forward_all, backward_all = kernels["dense_relu_forward"], kernels["dense_relu_backward"]

    def forward():
        if small:
            forward_all(x.value, W.value, b.value, y.value, out.value)
            return
        xp.matmul(x.value, W.value, out=y.value)
        bias_relu(y.value, b.value, out.value)

    def backward():
        if out.grad is None or y.grad is None:
            return
        grad_y = y.grad
        if small:
            mode = _input_grad_mode(x)
            backward_all(x.value, W.value, out.value, out.grad, grad_y, W.grad, b.grad,
                         grad_y if mode == 0 else x.grad, grad_x_scratch[:grad_y.shape[0]],
                         mode)
            return
        relu_grad_bias(out.value, out.grad, grad_y, b.grad)
        _product_grads(xp, x, W, grad_y, grad_x_scratch)

    return forward, backward


def _input_grad_mode(x) -> int:
    """How the compiled kernels treat x's gradient: 0 none, 1 written whole (x's only
    reader), 2 added into (through the scratch)."""
    return 0 if x.grad is None else 1 if x.grad_overwrite else 2


def _product_grads(xp, x, W, grad_y, grad_x_scratch) -> None:
    """W.grad = x.T @ grad_y (when W learns) and x's gradient from grad_y @ W.T: written
    whole when this layer is x's only reader, else added through the scratch."""
    if W.grad is not None:
        xp.matmul(x.value.T, grad_y, out=W.grad)
    if x.grad is None:
        return
    if x.grad_overwrite:
        xp.matmul(grad_y, W.value.T, out=x.grad)
        return
    grad_x = grad_x_scratch[:grad_y.shape[0]]
    xp.matmul(grad_y, W.value.T, out=grad_x)
    x.grad += grad_x


def _penalty_kernels(ctx, W, l1, l2):
    """(forward, backward) adding l1 sign(W) + l2 W to W.grad and reporting the penalty."""
    xp = ctx.xp
    penalty = ctx.output("penalty", (1,), batched=False)
    ctx.loss(penalty)
    ctx.metric("penalty", penalty)
    work = ctx.scratch(W.value.shape)

    def forward():
        total = 0.0
        if l1:
            total = l1 * xp.abs(W.value).sum()
        if l2:
            total = total + (0.5 * l2) * xp.vdot(W.value, W.value)
        penalty.value[0] = total

    def backward():
        seed = penalty.grad[0]  # 1 in training; the gradient checker varies it
        if l1:
            xp.sign(W.value, out=work)
            xp.multiply(work, l1 * seed, out=work)
            W.grad += work
        if l2:
            xp.multiply(W.value, l2 * seed, out=work)
            W.grad += work

    return forward, backward


NODES = [(SPEC, build)]
