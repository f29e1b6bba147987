"""Deep belief net: a stack of RBMs pretrained greedily, then fine-tuned by backprop.

Layer l (sizes from `layers`) is the sigmoid map y_l = sigma(y_{l-1} W_l + b_l). For the first
`pretrain_epochs` epochs update() trains layer 1 as an RBM by contrastive divergence on the
data, for the next `pretrain_epochs` layer 2 on layer 1's hidden probabilities, and so on;
meanwhile the node's output is held at zero and its backward leaves its weights alone (zero
gradients), so nodes downstream learn nothing but their biases. After that the stack is an
ordinary differentiable node: its W_l, b_l are trainable parameters that the optimizer wired
downstream fine-tunes. pretrain_epochs = 0 gives the same net from a random (Glorot) start.

With stop_factor > 0 each layer's pretraining stops early, as in the notes: after every epoch
the layer's reconstruction error on the validation split (squared or Hamming, `error`) is
compared with its minimum so far, and the next layer starts once it rises more than
stop_factor above it (or after pretrain_epochs epochs at most). local_gains scales the RBM
steps by per-parameter gains (plugins/energy/rbm_core.py).
"""

from __future__ import annotations

import numpy as np

from engines.events import Image, Log, Scalar
from engines.imaging import weight_tiles
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind
from plugins.energy.kernels import sigmoid_, to_host
from plugins.energy.rbm import evaluation_error, gain_limits, rbm_params
from plugins.energy.rbm_core import RBMKernel

IMAGE_INTERVAL_S = 1.0
MAX_TILES = 100


def infer_shapes(params, in_shapes):
    shape = in_shapes["x"]
    sizes = list(params["layers"])
    if len(shape) != 2:
        raise ShapeError(f"needs a 2-D (batch, features) input on 'x'; it receives {shape}.")
    if not sizes:
        raise ShapeError("needs at least one layer size in 'layers'.")
    fan_in = [shape[1]] + sizes[:-1]
    param_shapes = {}
    for index, (n_in, n_out) in enumerate(zip(fan_in, sizes), start=1):
        param_shapes[f"W{index}"] = (n_in, n_out)
        param_shapes[f"b{index}"] = (n_out,)
    return {"y": (shape[0], sizes[-1])}, param_shapes


SPEC = NodeSpec(
    type_id="energy.dbn", title="Deep belief net", category="Energy models",
    formula="hₗ = σ(hₗ₋₁ Wₗ + bₗ), each Wₗ pretrained as an RBM",
    doc="A stack of sigmoid layers pretrained greedily as RBMs (layer by layer, "
        "pretrain_epochs each), then fine-tuned with backprop by the optimizer downstream.",
    inputs=(PortSpec("x", PortKind.TENSOR, "Input (batch, features), values in [0, 1]."),),
    outputs=(PortSpec("y", PortKind.TENSOR, "Top layer's activations (batch, layers[-1])."),),
    params=(
        ParamSpec("layers", ParamType.INTS, [100, 50], "Hidden layer sizes, bottom to top.",
                  range=(1, 1 << 16)),
        ParamSpec("pretrain_epochs", ParamType.INT, 5, "RBM epochs per layer before "
                  "fine-tuning (0: no pretraining, random start); the most per layer when "
                  "stop_factor stops layers early.", range=(0, 100000)),
        *rbm_params(),
    ),
    infer_shapes=infer_shapes,
    views=(
        View(ViewKind.CURVES, "Pretraining error", ("dbn/recon_error",),
             y=Axis("reconstruction error"),
             doc="Reconstruction error of the layer being pretrained as an RBM."),
        View(ViewKind.CURVES, "Pretraining layer", ("dbn/layer",), y=Axis("layer"),
             doc="Which layer is being pretrained (0: pretraining done, fine-tuning)."),
        View(ViewKind.IMAGE, "DBN weights", ("weights/{node}",),
             doc="First layer's weights, one tile per unit."),
    ),
)


def build(ctx):
    xp, live, backend, phase = ctx.xp, ctx.params, ctx.backend, ctx.phase
    x = ctx.input("x")
    sizes = list(live["layers"])
    rows_max = x.storage.shape[0]
    fan_in = [x.storage.shape[1]] + sizes[:-1]
    pretrain = live["pretrain_epochs"]
    y = ctx.output("y", (rows_max, sizes[-1]), batched=x.batched)
    weights, biases, kernels = [], [], []
    rng = np.random.default_rng(int(ctx.rng.integers(2**31)))
    for index, (n_in, n_out) in enumerate(zip(fan_in, sizes), start=1):
        if pretrain:
            W = ctx.param(f"W{index}", (n_in, n_out), init="normal", scale=live["init_scale"])
        else:
            W = ctx.param(f"W{index}", (n_in, n_out), init="glorot_uniform")
        b = ctx.param(f"b{index}", (n_out,), init="zeros")
        a = ctx.param(f"a{index}", (n_in,), init="zeros", trainable=False)
        visible = live["visible"] if index == 1 else "binary"
        kernels.append(RBMKernel(xp, rng, W, a, b, rows_max, visible,
                                 ctx.dtype, gains=gain_limits(live)))
        weights.append(W)
        biases.append(b)
    activations = [ctx.scratch((rows_max, n)) for n in sizes]
    deltas = [ctx.scratch((rows_max, n)) for n in sizes]
    grads = [ctx.scratch((rows_max, n)) for n in sizes[:-1]]  # d loss / d y_l below the top
    persistent = live["method"] == "pcd"
    status = {"layer": None, "recon_sum": xp.zeros(1, dtype=ctx.dtype), "recon_steps": 0,
              "logs": []}
    adaptive = bool(pretrain and live["stop_factor"] > 0)  # layers stop on validation error
    early = {"current": 0, "epochs": 0, "best": float("inf"), "sum": 0.0, "rows": 0}
    val_error = ctx.scratch((1,))

    def training_layer() -> int | None:
        """0-based index of the layer being pretrained now, or None when fine-tuning."""
        if adaptive:
            layer = early["current"]
        else:
            layer = phase.epoch // pretrain if pretrain else len(sizes)
        return layer if layer < len(sizes) else None

    def forward():
        rows = x.value.shape[0]
        layer = training_layer()
        top = len(sizes) - 1 if layer is None else layer
        inputs = x.value
        for index in range(top + 1):
            out = activations[index][:rows]
            xp.matmul(inputs, weights[index].value, out=out)
            out += biases[index].value
            sigmoid_(xp, out, out)
            inputs = out
        if layer is None:
            y.value[...] = inputs
        else:
            y.value.fill(0)  # downstream learns nothing from half-trained features
            if adaptive and not phase.training:
                visible = x.value if layer == 0 else activations[layer - 1][:rows]
                evaluation_error(kernels[layer], visible, val_error, live["error"])
                early["sum"] += float(to_host(backend, val_error)[0]) * rows
                early["rows"] += rows

    def end_epoch(_epoch):
        layer = training_layer()
        if not adaptive or layer is None:
            return
        early["epochs"] += 1
        why = None
        if early["rows"]:
            error = early["sum"] / early["rows"]
            early["sum"], early["rows"] = 0.0, 0
            if error > (1.0 + live["stop_factor"]) * early["best"]:
                why = (f"its validation reconstruction error {error:.6g} rose more than "
                       f"{live['stop_factor']:.0%} above its best {early['best']:.6g}")
            early["best"] = min(early["best"], error)
        if why is None and early["epochs"] >= pretrain:
            why = f"it reached pretrain_epochs = {pretrain}"
        if why is not None:
            status["logs"].append(Log(f"{ctx.label}: layer {layer + 1} stops pretraining "
                                      f"after {early['epochs']} epochs: {why}."))
            early.update(current=layer + 1, epochs=0, best=float("inf"))

    def backward():
        rows = x.value.shape[0]
        if training_layer() is not None:
            for param in weights + biases:
                param.grad.fill(0)
            return
        grad = y.grad
        for index in reversed(range(len(sizes))):
            out, delta = activations[index][:rows], deltas[index][:rows]
            xp.subtract(1, out, out=delta)  # sigma' = y (1 - y)
            delta *= out
            delta *= grad
            inputs = x.value if index == 0 else activations[index - 1][:rows]
            xp.matmul(inputs.T, delta, out=weights[index].grad)
            xp.sum(delta, axis=0, out=biases[index].grad)
            if index > 0:
                grad = grads[index - 1][:rows]
                xp.matmul(delta, weights[index].value.T, out=grad)
            elif x.grad is not None:
                x.grad += delta @ weights[0].value.T

    def update():
        layer = training_layer()
        if layer != status["layer"]:
            announce(layer)
        if layer is None:
            return
        rows = x.value.shape[0]
        visible = x.value if layer == 0 else activations[layer - 1][:rows]
        error = kernels[layer].cd_update(visible, activations[layer][:rows], k=live["k"],
                                         lr=live["lr"], momentum=live["momentum"],
                                         weight_decay=live["weight_decay"],
                                         persistent=persistent)
        status["recon_sum"] += error
        status["recon_steps"] += 1

    def announce(layer):
        status["layer"] = layer
        if layer is None:
            text = (f"{ctx.label}: pretraining done; fine-tuning all {len(sizes)} layers "
                    "with backprop.")
        else:
            text = (f"{ctx.label}: pretraining layer {layer + 1} of {len(sizes)} as an RBM "
                    f"({fan_in[layer]} -> {sizes[layer]}).")
        status["logs"].append(Log(text))

    def report_epoch(phase_now):
        step = phase_now.step
        events, status["logs"] = status["logs"], []
        if pretrain:  # a random start has no pretraining phase to show
            events.append(Scalar("dbn/layer", step, 0.0 if status["layer"] is None
                                 else float(status["layer"] + 1)))
        if status["recon_steps"]:
            mean = float(to_host(backend, status["recon_sum"])[0]) / status["recon_steps"]
            events.append(Scalar("dbn/recon_error", step, mean))
            status["recon_sum"].fill(0)
            status["recon_steps"] = 0
        return events

    def report_images(phase_now):
        W_host = to_host(backend, weights[0].value)[:, :MAX_TILES]
        return [Image(f"weights/{ctx.node_id}", phase_now.step, weight_tiles(W_host))]

    ctx.monitor(report_epoch, every="epoch")
    ctx.monitor(report_images, every="step", min_interval_s=IMAGE_INTERVAL_S)
    return Step(forward, backward, update=update, end_epoch=end_epoch)


NODES = [(SPEC, build)]
