"""Oja's Hebbian PCA rules: a linear layer y = x W that learns by a local rule, not backprop.

Batch-averaged updates with learning rate eta (X: rows x, Y = X W):
  single      (1 unit)  dw = eta (X^T y - w y^T y)         -> the first principal component
  symmetric   (Oja's subspace rule) dW = eta (X^T Y - W Y^T Y)     -> the principal subspace
  sanger      (generalised Hebbian) dW = eta (X^T Y - W triu(Y^T Y)) -> components in order
  nonlinear   (Oja-Karhunen) G = tanh(X W), dW = eta (X^T G - W G^T G); no SVD target, its
              units tend toward independent directions rather than principal ones.
The data should be centred (the notes' pca3d set is standardised).
"""

from __future__ import annotations

from engines.events import Image
from engines.imaging import weight_tiles
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind

RULES = ("single", "symmetric", "sanger", "nonlinear")


def infer_oja(params, in_shapes):
    shape = in_shapes["x"]
    if len(shape) != 2:
        raise ShapeError(f"needs a 2-D (batch, features) input on 'x'; it receives {shape}.")
    k = params["components"]
    if params["rule"] == "single" and k != 1:
        raise ShapeError(f"the single-unit rule learns one component; set components to 1 "
                         f"(it is {k}) or choose the symmetric or Sanger rule.")
    if k > shape[1]:
        raise ShapeError(f"asks for {k} components of {shape[1]}-dimensional data.")
    return {"y": (shape[0], k)}, {"W": (shape[1], k)}


SPEC = NodeSpec(
    type_id="ae.oja", title="Oja PCA", category="Autoencoders",
    doc="Hebbian PCA: y = x W learned by Oja's rule without backprop. single: one unit, "
        "converges to the first principal component; symmetric: Oja's subspace rule, spans "
        "the principal subspace (rotated); sanger: the generalised Hebbian algorithm, the "
        "components in order; nonlinear: Oja-Karhunen with tanh (documented; no SVD target). "
        "Updates are averaged over the batch; feed centred data. Reports recon_error, the "
        "mean squared distance |x - W W^T x|^2 per sample.",
    inputs=(PortSpec("x", PortKind.TENSOR, "Centred data (batch, features)."),),
    outputs=(PortSpec("y", PortKind.TENSOR, "Projections (batch, components)."),),
    params=(
        ParamSpec("components", ParamType.INT, 2, "Output units (principal components).",
                  range=(1, 4096)),
        ParamSpec("rule", ParamType.CHOICE, "symmetric", "Which Hebbian rule.", choices=RULES),
        ParamSpec("lr", ParamType.FLOAT, 0.01, "Learning rate eta.", range=(0.0, 10.0),
                  live=True),
    ),
    infer_shapes=infer_oja,
    differentiable=False,
    views=(View(ViewKind.CURVES, "Oja reconstruction error", ("train/recon_error",
                                                            "val/recon_error"),
                y=Axis("mean |x - W W^T x|^2")),
           View(ViewKind.IMAGE_GRID, "Oja weights", ("weights/{node}",), x=Axis(),
                doc="Each unit's weight vector (as an image when the input is square).")),
)


def build(ctx):
    xp, live, phase = ctx.xp, ctx.params, ctx.phase
    x, y = ctx.input("x"), ctx.output("y")
    features, k = x.storage.shape[1], ctx.params["components"]
    W = ctx.param("W", (features, k), init="normal", trainable=False, scale=0.1)
    rule = ctx.params["rule"]
    activity = ctx.scratch((None, k))  # y, or tanh(y) for the nonlinear rule
    hebb = ctx.scratch((features, k))
    decay = ctx.scratch((features, k))
    gram = ctx.scratch((k, k))
    recon = ctx.scratch((None, features))
    error = ctx.output("recon_error", (1,), batched=False)
    ctx.metric("recon_error", error)
    upper = xp.triu(xp.ones((k, k), dtype=ctx.dtype))

    def forward():
        xp.matmul(x.value, W.value, out=y.value)
        rows = y.value.shape[0]
        r = recon[:rows]
        xp.matmul(y.value, W.value.T, out=r)
        xp.subtract(x.value, r, out=r)
        error.value[0] = xp.vdot(r, r) / rows

    def update():
        if not phase.training:
            return
        rows = y.value.shape[0]
        act = activity[:rows]
        if rule == "nonlinear":
            xp.tanh(y.value, out=act)
        else:
            xp.copyto(act, y.value)
        xp.matmul(x.value.T, act, out=hebb)
        xp.matmul(act.T, act, out=gram)
        if rule == "sanger":
            xp.multiply(gram, upper, out=gram)
        xp.matmul(W.value, gram, out=decay)
        xp.subtract(hebb, decay, out=hebb)
        xp.multiply(hebb, live["lr"] / rows, out=hebb)
        W.value += hebb

    backend, node_id = ctx.backend, ctx.node_id

    def report(phase):
        return [Image(f"weights/{node_id}", phase.step, weight_tiles(backend.to_host(W.value)))]
    ctx.monitor(report, every="step", min_interval_s=1.0)
    return Step(forward, None, update)


NODES = [(SPEC, build)]
