"""Loss nodes: each takes a prediction and a target and gives a scalar LOSS.

Every loss is a mean over the batch of a per-sample sum over outputs, so for one sample MSE is
E = 1/2 sum (y - t)^2 as in the lecture notes. Each registers itself with ctx.loss (its grad is
seeded with 1) and reports the metrics 'loss' and 'accuracy'. Gradients flow into 'pred'; MSE
also passes one into 'target' when the target is computed by the network, the
cross-entropies treat the target as data.
"""

from __future__ import annotations

from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from plugins.core import fused
from plugins.core.class_report import add_class_report
from plugins.core.views import ACCURACY, CLASS_SCORES, CONFUSION, ERROR_HISTORY, GRADIENT_NORMS


def infer_loss_shapes(params, in_shapes):
    pred, target = in_shapes["pred"], in_shapes["target"]
    if tuple(pred[1:]) != tuple(target[1:]):
        raise ShapeError(f"prediction {pred} and target {target} have different shapes.")
    return {"loss": (1,)}, {}


_INPUTS = (PortSpec("pred", PortKind.TENSOR, "Network output."),
           PortSpec("target", PortKind.TENSOR, "Desired output."))
_OUTPUTS = (PortSpec("loss", PortKind.LOSS, "Mean loss over the batch."),)
# a loss node's backward pass makes the gradients, so it offers their norms too (a graph that
# only computes gradients, with no optimizer, still shows them)
_VIEWS = (ERROR_HISTORY, ACCURACY, GRADIENT_NORMS)
_CLASSIFIER_VIEWS = (ERROR_HISTORY, ACCURACY, GRADIENT_NORMS, CONFUSION, CLASS_SCORES)


# every loss node's one parameter: whether its right-or-wrong count is a metric
REPORT_ACCURACY = ParamSpec(
    "report_accuracy", ParamType.BOOL, True,
    "Report the accuracy (what counts as right: see above) as a metric and curve. Turn it off "
    "for regression and reconstruction, where a right-or-wrong count means nothing.")


def loss_outputs(ctx, *, prediction: bool = True):
    """The loss and accuracy buffers, registered as the loss and as metrics (accuracy only
    when the node's report_accuracy is on); with prediction, the first loss's prediction is
    what decision-region views draw (plugins.core.regions)."""
    loss = ctx.output("loss", (1,), batched=False)
    accuracy = ctx.output("accuracy", (1,), batched=False)
    ctx.loss(loss)
    ctx.metric("loss", loss)
    if ctx.params.get("report_accuracy", True):
        ctx.metric("accuracy", accuracy)
    if prediction:
        ctx.program.extras.setdefault("prediction", ctx.input("pred"))
    return loss, accuracy


MSE_SPEC = NodeSpec(
    type_id="core.mse", title="MSE loss", category="Losses",
    formula="E = 1/(2n) · Σ (y − t)²",
    doc="Mean squared error E = 1/(2n) sum (pred - target)^2 over the batch. A sample counts "
        "as right when every output is within 0.5 of its target.",
    inputs=_INPUTS, outputs=_OUTPUTS, params=(REPORT_ACCURACY,),
    infer_shapes=infer_loss_shapes, views=_VIEWS)


def build_mse(ctx):
    xp = ctx.xp
    pred, target = ctx.input("pred"), ctx.input("target")
    loss, accuracy = loss_outputs(ctx)
    ctx.sum_of_squares(loss, pred, target)
    diff = ctx.scratch(pred.storage.shape)
    work = ctx.scratch(pred.storage.shape)

    def forward():
        rows = pred.value.shape[0]
        d = diff[:rows]
        xp.subtract(pred.value, target.value, out=d)
        loss.value[0] = 0.5 * xp.vdot(d, d) / rows
        # a sample counts as right when every output is within 0.5 of its target
        accuracy.value[0] = xp.mean(xp.abs(d).max(axis=1) < 0.5)

    def backward():
        if pred.grad is None and target.grad is None:
            return
        rows = pred.value.shape[0]
        grad = work[:rows]
        xp.multiply(diff[:rows], loss.grad[0] / rows, out=grad)
        if pred.grad is not None:
            pred.grad += grad
        if target.grad is not None:  # a target computed by the network (e.g. a twin branch)
            target.grad -= grad

    return Step(forward, backward)


CE_SPEC = NodeSpec(
    type_id="core.softmax_cross_entropy", title="Softmax cross-entropy", category="Losses",
    formula="E = −1/n · Σ t · ln softmax(z)",
    doc="Softmax and cross-entropy fused: pred are logits (no softmax node before it), target "
        "one-hot rows (or probability rows). E = mean over the batch of "
        "-sum t log softmax(pred), via a stable log-sum-exp. Accuracy: the share of rows whose "
        "target class has the largest logit (for soft targets: all target weight on "
        "top-scoring classes).",
    inputs=_INPUTS, outputs=_OUTPUTS, params=(REPORT_ACCURACY,),
    infer_shapes=infer_loss_shapes, views=_CLASSIFIER_VIEWS)


def build_softmax_cross_entropy(ctx):
    xp = ctx.xp
    pred, target = ctx.input("pred"), ctx.input("target")
    loss, accuracy = loss_outputs(ctx)
    batch, classes = pred.storage.shape
    probs = ctx.scratch((batch, classes))  # softmax(pred), kept for backward
    work = ctx.scratch((batch, classes))
    row_max = ctx.scratch((batch, 1))
    row_sum = ctx.scratch((batch, 1))
    target_mass = ctx.scratch((batch, 1))  # sum_k t_k: 1 for one-hot rows
    target_logit = ctx.scratch((batch, 1))  # sum_k t_k (z_k - max)
    hits = ctx.scratch((batch, 1), dtype=bool)
    count_classes = add_class_report(ctx, pred, target)
    ones = xp.ones((classes, 1), dtype=ctx.dtype)  # row sums as a matmul: faster for few classes
    # NumPy's maximum.reduce skips max()'s wrapper overhead; CuPy keeps the plain max
    reduce_max = xp.maximum.reduce if ctx.backend.name == "numpy" else xp.max

    if ctx.backend.name == "cupy" and fused.kernel("softmax_cross_entropy", "cupy"):
        return _cupy_softmax_cross_entropy(pred, target, loss, accuracy, probs, target_mass,
                                           count_classes)
    compiled = fused.KERNELS.get() if ctx.backend.name == "numpy" else None
    if compiled is not None:
        return _compiled_softmax_cross_entropy(compiled, pred, target, loss, accuracy, probs,
                                               target_mass, count_classes)

    def forward():
        logits, t = pred.value, target.value
        rows = logits.shape[0]
        p, w = probs[:rows], work[:rows]
        top, total, mass, picked = row_max[:rows], row_sum[:rows], target_mass[:rows], \
            target_logit[:rows]
        reduce_max(logits, axis=1, keepdims=True, out=top)
        xp.subtract(logits, top, out=w)  # shifted logits z - max
        xp.exp(w, out=p)
        xp.matmul(p, ones, out=total)
        p /= total
        # per-sample loss: log(sum e^(z - max)) sum(t) - sum(t (z - max))
        xp.log(total, out=total)
        xp.matmul(t, ones, out=mass)
        w *= t
        xp.matmul(w, ones, out=picked)
        loss.value[0] = (xp.vdot(total, mass) - picked.sum()) / rows
        # right when the target's logit is the row maximum (argmax match for one-hot rows)
        hit = hits[:rows]
        xp.greater_equal(picked, 0, out=hit)
        accuracy.value[0] = xp.count_nonzero(hit) / rows
        count_classes()

    def backward():  # dE/dz = (p sum(t) - t) / n
        if pred.grad is None:
            return
        rows = pred.value.shape[0]
        w = work[:rows]
        xp.multiply(probs[:rows], target_mass[:rows], out=w)
        w -= target.value
        w *= loss.grad[0] / rows
        pred.grad += w

    return Step(forward, backward)


def _compiled_softmax_cross_entropy(kernels, pred, target, loss, accuracy, probs, target_mass,
                                    count_classes) -> Step:
    """The same node with one compiled pass forward and one backward (plugins/core/fused.py)."""
    forward_rows = kernels["softmax_cross_entropy"]
    grad_rows = kernels["softmax_cross_entropy_grad"]
    counts = count_classes.counts
    full = len(probs), probs, target_mass[:, 0]  # a full batch's views, made once

    def scratch(rows):
        return full[1:] if rows == full[0] else (probs[:rows], target_mass[:rows, 0])

    def forward():
        rows = pred.value.shape[0]
        p, mass = scratch(rows)
        forward_rows(pred.value, target.value, p, mass, counts, count_classes.active(),
                     loss.value, accuracy.value)

    def backward():  # dE/dz = (p sum(t) - t) / n
        if pred.grad is None:
            return
        rows = pred.value.shape[0]
        p, mass = scratch(rows)
        scale = pred.grad.dtype.type(loss.grad[0] / rows)
        grad_rows(p, mass, target.value, scale, pred.grad, not pred.grad_overwrite)

    return Step(forward, backward, overwrites=("pred",))


def _cupy_softmax_cross_entropy(pred, target, loss, accuracy, probs, target_mass,
                                count_classes) -> Step:
    """The same node with one CUDA kernel forward and one backward (plugins/core/fused_cupy.py):
    loss, accuracy and the gradient's scale stay on the device."""
    forward_rows = fused.kernel("softmax_cross_entropy", "cupy")
    grad_rows = fused.kernel("softmax_cross_entropy_grad", "cupy")
    counts = count_classes.counts

    def forward():
        rows = pred.value.shape[0]
        forward_rows(pred.value, target.value, probs[:rows], target_mass[:rows, 0], counts,
                     count_classes.active(), loss.value, accuracy.value)

    def backward():  # dE/dz = (p sum(t) - t) / n
        if pred.grad is None:
            return
        rows = pred.value.shape[0]
        grad_rows(probs[:rows], target_mass[:rows, 0], target.value, loss.grad, pred.grad,
                  not pred.grad_overwrite)

    return Step(forward, backward, overwrites=("pred",))


BCE_SPEC = NodeSpec(
    type_id="core.binary_cross_entropy", title="Binary cross-entropy", category="Losses",
    formula="E = −1/n · Σ [t·ln p + (1 − t)·ln(1 − p)]",
    doc="E = mean over the batch of -sum [t log p + (1-t) log(1-p)] over independent outputs; "
        "pred are probabilities (e.g. after a sigmoid), clipped to [1e-7, 1 - 1e-7]. A sample "
        "counts as right when every output is on the target's side of 0.5.",
    inputs=_INPUTS, outputs=_OUTPUTS, params=(REPORT_ACCURACY,),
    infer_shapes=infer_loss_shapes, views=_VIEWS)

_CLIP = 1e-7


def build_binary_cross_entropy(ctx):
    xp = ctx.xp
    pred, target = ctx.input("pred"), ctx.input("target")
    loss, accuracy = loss_outputs(ctx)
    clipped = ctx.scratch(pred.storage.shape)
    work = ctx.scratch(pred.storage.shape)
    other = ctx.scratch(pred.storage.shape)

    def forward():
        t = target.value
        rows = t.shape[0]
        p, w, q = clipped[:rows], work[:rows], other[:rows]
        xp.clip(pred.value, _CLIP, 1 - _CLIP, out=p)
        xp.log(p, out=w)
        xp.subtract(1, p, out=q)
        xp.log(q, out=q)
        # t log p + (1 - t) log(1 - p) = t (log p - log(1 - p)) + log(1 - p)
        w -= q
        total = xp.vdot(t, w) + q.sum()
        loss.value[0] = -total / rows
        xp.greater_equal(p, 0.5, out=w)
        xp.greater_equal(t, 0.5, out=q)
        accuracy.value[0] = xp.mean((w == q).all(axis=1))

    def backward():  # dE/dp = (p - t) / (p (1 - p)) / n
        if pred.grad is None:
            return
        rows = pred.value.shape[0]
        p, w, q = clipped[:rows], work[:rows], other[:rows]
        xp.subtract(1, p, out=q)
        q *= p
        xp.subtract(p, target.value, out=w)
        w /= q
        w *= loss.grad[0] / rows
        pred.grad += w

    return Step(forward, backward)


KL_SPEC = NodeSpec(
    type_id="core.kl_divergence", title="KL divergence", category="Losses",
    formula="E = 1/n · Σ t · ln(t / p)",
    doc="E = mean over the batch of KL(target || pred) = sum t log(t / p); pred and target are "
        "probability rows (e.g. after a softmax), pred clipped to at least 1e-7, terms with "
        "t = 0 count 0. Accuracy: argmax of pred equals argmax of target.",
    inputs=_INPUTS, outputs=_OUTPUTS, params=(REPORT_ACCURACY,),
    infer_shapes=infer_loss_shapes, views=_VIEWS)


def build_kl_divergence(ctx):
    xp = ctx.xp
    pred, target = ctx.input("pred"), ctx.input("target")
    loss, accuracy = loss_outputs(ctx)
    clipped = ctx.scratch(pred.storage.shape)
    work = ctx.scratch(pred.storage.shape)

    def forward():
        t = target.value
        rows = t.shape[0]
        p, w = clipped[:rows], work[:rows]
        xp.maximum(pred.value, _CLIP, out=p)
        # sum t log t - sum t log p, with 0 log 0 = 0 (t clipped inside the log only)
        xp.maximum(t, 1e-30, out=w)
        xp.log(w, out=w)
        w *= t
        entropy_part = w.sum()
        xp.log(p, out=w)
        loss.value[0] = (entropy_part - xp.vdot(t, w)) / rows
        accuracy.value[0] = xp.mean(pred.value.argmax(axis=1) == t.argmax(axis=1))

    def backward():  # dE/dp = -t / p / n
        if pred.grad is None:
            return
        rows = pred.value.shape[0]
        w = work[:rows]
        xp.divide(target.value, clipped[:rows], out=w)
        w *= -loss.grad[0] / rows
        pred.grad += w

    return Step(forward, backward)


NODES = [(MSE_SPEC, build_mse), (CE_SPEC, build_softmax_cross_entropy),
         (BCE_SPEC, build_binary_cross_entropy), (KL_SPEC, build_kl_divergence)]
