"""Deep belief net: a stack of RBMs pretrained greedily, then fine-tuned by backprop.

Layer l (sizes from `layers`) is the sigmoid map y_l = sigma(y_{l-1} W_l + b_l). For the first
`pretrain_epochs` epochs update() trains layer 1 as an RBM by contrastive divergence on the
data, for the next `pretrain_epochs` layer 2 on layer 1's hidden probabilities, and so on;
meanwhile the node's output is held at zero and its backward leaves its weights alone (zero
gradients), so nodes downstream learn nothing but their biases. After that the stack is an
ordinary differentiable node: its W_l, b_l are trainable parameters that the optimizer wired
downstream fine-tunes. pretrain_epochs = 0 gives the same net from a random (Glorot) start.

With a stop factor each layer's pretraining stops early, as in the notes: after every epoch
the layer's reconstruction error on the validation split (squared or Hamming, `error`) is
compared with its minimum so far, and the next layer starts once it rises more than the
layer's stop factor above it (from its stop_min_epochs-th epoch on), or after pretrain_epochs
epochs at most; the layer then keeps its weights of its best epoch. stop_factors gives one
factor per layer (the notes: 0.5, 0.1, 0.1), else stop_factor holds for every layer.
rbm_batch runs the RBM updates on minibatches of that many rows of each data batch (the
notes: 10, while fine-tuning takes the whole training set per step), each with the hidden
probabilities of its rows under the current weights. local_gains scales the RBM steps by
per-parameter gains (plugins/energy/rbm_core.py). While a layer pretrains the node is in
`phase.holding`, so early stopping downstream waits for fine-tuning.
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
    factors = list(params.get("stop_factors") or [])
    if factors and len(factors) != len(sizes):
        raise ShapeError(f"has {len(factors)} values in 'stop_factors' for {len(sizes)} "
                         "layers; give one per layer, or none to use stop_factor for all.")
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
        ParamSpec("stop_factors", ParamType.FLOATS, [], "One stop factor per layer, bottom "
                  "to top, e.g. [0.5, 0.1, 0.1] (0: that layer runs pretrain_epochs); empty: "
                  "stop_factor for every layer.", range=(0.0, 1e6)),
        ParamSpec("stop_min_epochs", ParamType.INT, 1, "Epochs a layer pretrains before its "
                  "stop factor may stop it.", range=(1, 1 << 30)),
        ParamSpec("rbm_batch", ParamType.INT, 0, "Rows per RBM update while pretraining "
                  "(each data batch is split into these); 0: the data node's batch. "
                  "Fine-tuning always takes the data node's batch.", range=(0, 1 << 20)),
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
    weights, biases, kernels, visible_biases = [], [], [], []
    rng = np.random.default_rng(int(ctx.rng.integers(2**31)))
    for index, (n_in, n_out) in enumerate(zip(fan_in, sizes), start=1):
        if pretrain:
            W = ctx.param(f"W{index}", (n_in, n_out), init="normal", scale=live["init_scale"])
        else:
            W = ctx.param(f"W{index}", (n_in, n_out), init="glorot_uniform")
        b = ctx.param(f"b{index}", (n_out,), init="zeros")
        a = ctx.param(f"a{index}", (n_in,), init="zeros", trainable=False)
        visible_biases.append(a)
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
    def factor(layer: int) -> float:  # read each epoch: stop_factor is live
        return (list(live["stop_factors"]) or [live["stop_factor"]] * len(sizes))[layer]

    adaptive = bool(pretrain and any(factor(i) for i in range(len(sizes))))
    early = {"current": 0, "epochs": 0, "best": float("inf"), "best_epoch": 0, "sum": 0.0,
             "rows": 0}
    val_error = ctx.scratch((1,))
    # a layer's parameters at its best validation error, put back when it stops
    kept = [(xp.zeros_like(w.value), xp.zeros_like(b.value), xp.zeros_like(a_.value))
            for w, b, a_ in zip(weights, biases, visible_biases)] if adaptive else []
    chunk_hidden = [ctx.scratch((rows_max, n)) for n in sizes] if live["rbm_batch"] else []

    def training_layer() -> int | None:
        """0-based index of the layer being pretrained now, or None when fine-tuning."""
        if adaptive:  # each layer pretrains pretrain_epochs at most, so by the epoch
            # pretrain x layers every layer is done (an exporter evaluates at the last epoch)
            layer = early["current"] if phase.epoch < pretrain * len(sizes) else len(sizes)
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
        stop = factor(layer)
        why = None
        if early["rows"]:
            error = early["sum"] / early["rows"]
            early["sum"], early["rows"] = 0.0, 0
            if stop and early["epochs"] >= live["stop_min_epochs"] \
                    and error > (1.0 + stop) * early["best"]:
                why = (f"its validation reconstruction error {error:.6g} rose more than "
                       f"{stop:.0%} above its best {early['best']:.6g}")
            if error < early["best"]:
                early["best"], early["best_epoch"] = error, early["epochs"]
                for kept_array, param in zip(kept[layer], (weights[layer], biases[layer],
                                                           visible_biases[layer])):
                    kept_array[...] = param.value
        if why is None and early["epochs"] >= pretrain:
            why = f"it reached pretrain_epochs = {pretrain}"
        if why is not None:
            restored = ""
            if early["best"] < float("inf") and early["best_epoch"] != early["epochs"]:
                for kept_array, param in zip(kept[layer], (weights[layer], biases[layer],
                                                           visible_biases[layer])):
                    param.value[...] = kept_array
                restored = f"; it keeps its weights of epoch {early['best_epoch']}"
            status["logs"].append(Log(f"{ctx.label}: layer {layer + 1} stops pretraining "
                                      f"after {early['epochs']} epochs: {why}{restored}."))
            early.update(current=layer + 1, epochs=0, best=float("inf"), best_epoch=0)

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
        if layer is None:  # every step, so a run branched from a checkpoint has it right
            phase.holding.discard(ctx.node_id)
        else:  # the output is held at zero: early stopping downstream waits
            phase.holding.add(ctx.node_id)
        if layer != status["layer"]:
            announce(layer)
        if layer is None:
            return
        rows = x.value.shape[0]
        visible = x.value if layer == 0 else activations[layer - 1][:rows]
        chunk = live["rbm_batch"] or rows
        if chunk >= rows:
            cd_update(layer, visible, activations[layer][:rows])
            return
        for start in range(0, rows, chunk):  # RBM minibatches inside the data batch
            part = visible[start:start + chunk]
            hidden = kernels[layer].hidden_probs(part, chunk_hidden[layer][:part.shape[0]])
            cd_update(layer, part, hidden)

    def cd_update(layer, visible, hidden):
        error = kernels[layer].cd_update(visible, hidden, k=live["k"], lr=live["lr"],
                                         momentum=live["momentum"],
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
