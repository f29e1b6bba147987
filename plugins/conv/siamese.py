"""Siamese networks: a digit-pair dataset and the contrastive loss on two embeddings.

The two branches G_W(X1), G_W(X2) are ordinary layers joined by weight ties (graph.ties), so
one parameter vector W serves both and its gradient is the sum of the two branches'.
"""

from __future__ import annotations

import numpy as np

from engines import datasets
from engines.events import Points
from engines.program import DataFeed, Step
from graph.spec import NodeRole, NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind
from plugins.core.views import ACCURACY, ERROR_HISTORY, GRADIENT_NORMS

VIEW_PAIRS = 1000  # validation pairs the embedding and distance views show at most


def make_pairs(labels: np.ndarray, rows: np.ndarray, count: int, rng) -> np.ndarray:
    """(count, 3) int rows (i, j, y) over sample indices `rows`: y = 0 when i and j show the
    same class, 1 when they differ, alternating so the two kinds are equally many."""
    by_class = {c: rows[labels[rows] == c] for c in np.unique(labels[rows])}
    first = rng.choice(rows, count)
    different = np.arange(count) % 2
    second = np.empty(count, dtype=np.int64)
    for k, (i, y) in enumerate(zip(first, different)):
        if y == 0:
            second[k] = rng.choice(by_class[labels[i]])
        else:
            other = rng.choice([c for c in by_class if c != labels[i]])
            second[k] = rng.choice(by_class[other])
    return np.stack([first, second, different], axis=1)


class PairFeed(DataFeed):
    """Serves (x1, x2, y, class1) rows of precomputed pairs into four output buffers."""

    def __init__(self, backend, images, labels, pairs: dict, batch_size: int, seed: int, outs,
                 dtype):
        xp = backend.xp
        self.xp = xp
        self.batch_size = int(batch_size)
        self.n_train, self.n_val = len(pairs["train"]), len(pairs["val"])
        self.arrays = {}
        for split, table in pairs.items():
            i, j, y = table[:, 0], table[:, 1], table[:, 2:3]
            self.arrays[split] = [xp.asarray(a, dtype=dtype) for a in
                                  (images[i], images[j], y, labels[i][:, None])]
        self.rng = np.random.default_rng(seed)
        self.order = {"train": xp.arange(self.n_train), "val": xp.arange(self.n_val)}
        self.outs = outs

    def begin_epoch(self, epoch: int) -> None:
        self.order["train"] = self.xp.asarray(self.rng.permutation(self.n_train))

    def load(self, split: str, batch_index: int) -> int:
        start = batch_index * self.batch_size
        index = self.order[split][start:start + self.batch_size]
        rows = int(index.shape[0])
        for array, out in zip(self.arrays[split], self.outs):
            self.xp.take(array, index, axis=0, out=out.storage[:rows])
        return rows


PAIRS_SPEC = NodeSpec(
    type_id="conv.digit_pairs", title="Digit pairs", category="Data",
    doc="Pairs of 8x8 digits for siamese networks: y = 0 when both show the same digit, 1 when "
        "they differ (half of each), as in LeCun's notation. Samples are split into train and "
        "validation before pairing, so validation pairs hold unseen images.",
    outputs=(PortSpec("x1", PortKind.TENSOR, "First images (batch, 64)."),
             PortSpec("x2", PortKind.TENSOR, "Second images (batch, 64)."),
             PortSpec("y", PortKind.TENSOR, "0 same class, 1 different (batch, 1)."),
             PortSpec("class1", PortKind.TENSOR, "Digit shown by x1 (batch, 1), for views.")),
    params=(
        ParamSpec("pairs", ParamType.INT, 4000, "Training pairs (validation gets a quarter "
                  "as many).", range=(2, 1 << 22)),
        ParamSpec("batch_size", ParamType.INT, 64, "Pairs per step.", range=(1, 1 << 20)),
        ParamSpec("val_split", ParamType.FLOAT, 0.2, "Share of images held out for "
                  "validation pairs.", range=(0.05, 0.9)),
    ),
    infer_shapes=lambda params, in_shapes: ({"x1": (None, 64), "x2": (None, 64),
                                             "y": (None, 1), "class1": (None, 1)}, {}),
    role=NodeRole.DATA,
)


def build_pairs(ctx):
    p = ctx.params
    images, labels = datasets.digits()
    order = ctx.rng.permutation(len(images))
    n_val = int(round(len(images) * p["val_split"]))
    splits = {"train": order[n_val:], "val": order[:n_val]}
    counts = {"train": p["pairs"], "val": max(2, p["pairs"] // 4)}
    pairs = {split: make_pairs(labels, rows, counts[split], ctx.rng)
             for split, rows in splits.items()}
    outs = [ctx.output(name) for name in ("x1", "x2", "y", "class1")]
    ctx.feed(PairFeed(ctx.backend, images, labels, pairs, p["batch_size"],
                      int(ctx.rng.integers(2**31)), outs, ctx.dtype))


def infer_contrastive(params, in_shapes):
    a, b, y = in_shapes["a"], in_shapes["b"], in_shapes["y"]
    if tuple(a[1:]) != tuple(b[1:]) or len(a) != 2:
        raise ShapeError(f"the two embeddings must be (batch, features) of one size; got {a} "
                         f"and {b}.")
    if tuple(y[1:]) != (1,):
        raise ShapeError(f"'y' must be one 0/1 column (batch, 1); it receives {y}.")
    return {"loss": (1,)}, {}


CONTRASTIVE_SPEC = NodeSpec(
    type_id="conv.contrastive_loss", title="Contrastive loss", category="Losses",
    doc="Siamese energy E = ||G(X1) - G(X2)|| and the loss (1 - Y) L_G(E) + Y L_I(E) averaged "
        "over the batch, with L_G = E^2 / 2 pulling same pairs (Y = 0) together and "
        "L_I = max(0, m - E)^2 / 2 pushing different pairs (Y = 1) at least the margin m apart "
        "(Hadsell, Chopra, LeCun 2006). Accuracy: a pair is called 'same' when E < m / 2.",
    inputs=(PortSpec("a", PortKind.TENSOR, "Embedding G(X1) (batch, features)."),
            PortSpec("b", PortKind.TENSOR, "Embedding G(X2) from the tied twin."),
            PortSpec("y", PortKind.TENSOR, "0 for same pairs, 1 for different (batch, 1)."),
            PortSpec("classes", PortKind.TENSOR, "Class of X1, to colour the embedding view.",
                     optional=True)),
    outputs=(PortSpec("loss", PortKind.LOSS, "Mean contrastive loss."),),
    params=(ParamSpec("margin", ParamType.FLOAT, 1.0, "Margin m for different pairs.",
                      range=(1e-6, 1e6), live=True),),
    infer_shapes=infer_contrastive,
    views=(
        ERROR_HISTORY, ACCURACY, GRADIENT_NORMS,
        View(ViewKind.SCATTER, "Embedding", ("embedding/{node}",), y=Axis("dimension 2"),
             x=Axis("dimension 1"), classes=tuple("0123456789"),
             doc="G(X1) of validation pairs, by class (digit)."),
        View(ViewKind.HISTOGRAM, "Pair distances", ("distances/{node}",), y=Axis("pairs"),
             x=Axis("E"), classes=("same pairs", "different pairs"),
             doc="Distances E of same (0) and different (1) validation pairs."),
    ),
)


def build_contrastive(ctx):
    xp, live = ctx.xp, ctx.params
    a, b, y = ctx.input("a"), ctx.input("b"), ctx.input("y")
    classes = ctx.input("classes")
    loss = ctx.output("loss", (1,), batched=False)
    accuracy = ctx.output("accuracy", (1,), batched=False)
    ctx.loss(loss)
    ctx.metric("loss", loss)
    ctx.metric("accuracy", accuracy)
    batch, features = a.storage.shape
    diff = ctx.scratch((batch, features))
    energy = ctx.scratch((batch, 1))
    gap = ctx.scratch((batch, 1))  # max(0, m - E)
    coef = ctx.scratch((batch, 1))  # dL/dE / E per row
    work = ctx.scratch((batch, features))

    def forward():
        rows = a.value.shape[0]
        d, e, g, t = diff[:rows], energy[:rows], gap[:rows], y.value
        m = live["margin"]
        xp.subtract(a.value, b.value, out=d)
        xp.sqrt(xp.sum(d * d, axis=1, keepdims=True), out=e)
        xp.subtract(m, e, out=g)
        xp.maximum(g, 0, out=g)
        total = xp.vdot(1 - t, e * e) + xp.vdot(t, g * g)
        loss.value[0] = 0.5 * total / rows
        called_same = e < 0.5 * m
        accuracy.value[0] = xp.mean(called_same == (t < 0.5))
        collect()

    def backward():
        rows = a.value.shape[0]
        d, e, g, t, c = diff[:rows], energy[:rows], gap[:rows], y.value, coef[:rows]
        # d/d(a - b): same pairs (a - b); different pairs -(m - E)/E (a - b) inside the margin
        xp.divide(g, xp.maximum(e, 1e-12), out=c)
        c *= -t
        c += 1 - t
        c *= loss.grad[0] / rows
        grad = work[:rows]
        xp.multiply(d, c, out=grad)
        if a.grad is not None:
            a.grad += grad
        if b.grad is not None:
            b.grad -= grad

    backend, node_id, phase = ctx.backend, ctx.node_id, ctx.phase
    seen: dict[str, list] = {"energy": [], "y": [], "xy": [], "classes": []}

    def collect():  # host copies over the validation pass, for the views (up to VIEW_PAIRS)
        if phase.training or sum(len(e) for e in seen["energy"]) >= VIEW_PAIRS:
            return
        rows = a.value.shape[0]
        seen["energy"].append(np.array(backend.to_host(energy[:rows, 0])))
        seen["y"].append(np.array(backend.to_host(y.value[:, 0])).astype(int))
        seen["xy"].append(np.array(backend.to_host(a.value[:, :2])))
        if classes is not None:
            seen["classes"].append(np.array(backend.to_host(classes.value[:, 0])).astype(int))

    def report(phase):
        if not seen["energy"]:  # no validation pass: the last training batch
            collect_phase, phase.training = phase.training, False
            collect()
            phase.training = collect_phase
        joined = {key: np.concatenate(parts)[:VIEW_PAIRS] if parts else None
                  for key, parts in seen.items()}
        for parts in seen.values():
            parts.clear()
        energies = joined["energy"]
        return [Points(f"distances/{node_id}", phase.step,
                       np.stack([energies, np.zeros(len(energies))], 1), labels=joined["y"]),
                Points(f"embedding/{node_id}", phase.step, joined["xy"],
                       labels=joined["classes"])]

    ctx.monitor(report, every="epoch")
    return Step(forward, backward)


NODES = [(PAIRS_SPEC, build_pairs), (CONTRASTIVE_SPEC, build_contrastive)]
