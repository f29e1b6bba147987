"""McCulloch-Pitts neuron (1943), a = step(sum_i x_i w_i - w_0), with the perceptron rule.

`neurons.logic` serves a truth table (AND, OR, NOT, NAND, NOR, XOR) or a linearly separable
2-D point set as (x, t) batches; `neurons.mcculloch_pitts` computes the threshold unit and,
when `learn` is on, applies Rosenblatt's rule w += lr (t - a) x, w_0 -= lr (t - a), summed over
the batch (batch size 1 gives the classic sample-by-sample rule). It shows its truth table and,
for 2-D inputs, the separating line w . x = w_0 over the data, moving while it learns.
"""

from __future__ import annotations

import numpy as np

from engines.datafeed import ArrayFeed
from engines.datasets import logic
from engines.events import Image, Points, Text
from engines.program import Buffer, Step
from graph.spec import NodeRole, NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind

TABLES = ("and", "or", "not", "nand", "nor", "xor")
SETS = (*TABLES, "separable_2d")
REGION_PIXELS = 64


def separable_points(rng: np.random.Generator, count: int, margin: float):
    """count points in [-1, 1]^2 labelled by a random line through the square, none closer to
    it than margin."""
    angle = rng.uniform(0, 2 * np.pi)
    normal = np.array([np.cos(angle), np.sin(angle)])
    offset = rng.uniform(-0.3, 0.3)
    points = np.zeros((0, 2))
    while len(points) < count:
        candidates = rng.uniform(-1, 1, (2 * count, 2))
        keep = np.abs(candidates @ normal - offset) >= margin
        points = np.concatenate([points, candidates[keep]])[:count]
    labels = (points @ normal - offset > 0).astype(np.int64)
    return points, labels


def make_set(params: dict, rng: np.random.Generator):
    if params["set"] == "separable_2d":
        return separable_points(rng, params["count"], params["margin"])
    x, labels = logic(params["set"])
    return x.astype(np.float64), np.asarray(labels)


def logic_shapes(params, in_shapes):
    features = 1 if params["set"] == "not" else 2
    return {"x": (None, features), "t": (None, 1)}, {}


LOGIC_SPEC = NodeSpec(
    type_id="neurons.logic", title="Truth table / 2-D points", category="Neurons",
    doc="A logic gate's truth table (inputs 0/1, target 0/1) or a seeded, linearly separable "
        "2-D point set, served as (x, t) batches.",
    outputs=(PortSpec("x", PortKind.TENSOR, "Inputs (batch, features)."),
             PortSpec("t", PortKind.TENSOR, "Targets 0/1 (batch, 1).")),
    params=(
        ParamSpec("set", ParamType.CHOICE, "and", "Which data.", choices=SETS),
        ParamSpec("count", ParamType.INT, 100, "2-D points.", range=(2, 1 << 20)),
        ParamSpec("margin", ParamType.FLOAT, 0.1, "2-D: gap between the classes and the "
                  "line.", range=(0.0, 0.5)),
        ParamSpec("batch_size", ParamType.INT, 1, "Samples per step (1: the classic rule).",
                  range=(1, 1 << 20)),
    ),
    infer_shapes=logic_shapes, role=NodeRole.DATA, differentiable=False,
)


def build_logic(ctx):
    x, labels = make_set(ctx.params.values, ctx.rng)
    targets = labels.reshape(-1, 1).astype(np.float64)
    out_x = ctx.output("x", (None, x.shape[1]))
    out_t = ctx.output("t", (None, 1))
    ctx.feed(ArrayFeed(ctx.backend, x, targets, x[:0], targets[:0], ctx.params["batch_size"],
                       int(ctx.rng.integers(2**31)), out_x, out_t, dtype=ctx.dtype))
    ctx.program.extras.setdefault("datasets", {})[ctx.node_id] = (x, targets)
    return None


def neuron_shapes(params, in_shapes):
    x = in_shapes["x"]
    if x is None or len(x) != 2:
        raise ShapeError(f"needs (batch, features) inputs on 'x'; got {x}.")
    weights = params["weights"]
    if weights and len(weights) != x[1]:
        raise ShapeError(f"has {len(weights)} weights but {x[1]} inputs; give one weight per "
                         "input, or none to start from zeros.")
    return {"a": (x[0], 1)}, {"w": (x[1],), "w0": (1,)}


NEURON_SPEC = NodeSpec(
    type_id="neurons.mcculloch_pitts", title="McCulloch-Pitts neuron", category="Neurons",
    doc="Threshold unit a = 1 if sum x_i w_i - w_0 >= 0 else 0. With 'learn' on and targets "
        "wired into 't', the perceptron rule w += lr (t - a) x, w_0 -= lr (t - a) finds a "
        "separating line whenever one exists.",
    inputs=(PortSpec("x", PortKind.TENSOR, "Inputs (batch, features)."),
            PortSpec("t", PortKind.TENSOR, "Targets 0/1 for the perceptron rule.",
                     optional=True)),
    outputs=(PortSpec("a", PortKind.TENSOR, "Output 0/1 (batch, 1)."),),
    params=(
        ParamSpec("weights", ParamType.FLOATS, [], "Initial weights w_i (empty: zeros)."),
        ParamSpec("threshold", ParamType.FLOAT, 0.0, "Initial threshold w_0."),
        ParamSpec("learn", ParamType.BOOL, True, "Apply the perceptron rule."),
        ParamSpec("learning_rate", ParamType.FLOAT, 0.1, "Perceptron step.", range=(0.0, 1e3),
                  live=True),
    ),
    infer_shapes=neuron_shapes, differentiable=False,
    views=(
        View(ViewKind.CURVES, "Errors", ("train/errors",), y=Axis("errors per sample")),
        View(ViewKind.SCATTER, "Separating line", ("mp/{node}/data", "mp/{node}/line"),
             y=Axis("x2"), x=Axis("x1"), classes=("target 0", "target 1", "line"),
             doc="The line w . x = w_0 over the data."),
        View(ViewKind.DECISION_REGIONS, "Decision regions", ("mp/{node}/regions",
             "mp/{node}/data"), y=Axis("x2"), x=Axis("x1")),
        View(ViewKind.TEXT, "Truth table", ("mp/{node}/table",)),
    ),
)


def build_neuron(ctx):
    xp, live = ctx.xp, ctx.params
    x, t = ctx.input("x"), ctx.input("t")
    features = x.storage.shape[1]
    start = live["weights"] or [0.0] * features
    w = ctx.param("w", (features,), trainable=False, values=np.asarray(start, dtype=float))
    w0 = ctx.param("w0", (1,), trainable=False, values=np.array([live["threshold"]]))
    a = ctx.output("a", (None, 1))
    errors = Buffer(f"{ctx.node_id}.errors", ctx.scratch((1,)), batched=False,
                    node_id=ctx.node_id)
    dataset = _dataset_of(ctx)
    learn = live["learn"] and t is not None

    def forward():
        xp.greater_equal(x.value @ w.value - w0.value, 0.0, out=a.value[:, 0],
                         casting="unsafe")
        if t is not None:
            errors.value[0] = xp.abs(t.value - a.value).mean()

    def update():
        miss = t.value[:, 0] - a.value[:, 0]  # +1: should have fired, -1: should not
        w.value[...] += live["learning_rate"] * (miss @ x.value)
        w0.value[...] -= live["learning_rate"] * miss.sum()

    def report(phase):
        weights = np.asarray(ctx.backend.to_host(w.value), dtype=np.float64)
        bias = float(ctx.backend.to_host(w0.value)[0])
        return _views(ctx.node_id, phase.step, weights, bias, dataset)

    if t is not None:
        ctx.metric("errors", errors)
    ctx.monitor(report, every="step", min_interval_s=0.1)
    return Step(forward, update=update if learn else None)


def _dataset_of(ctx):
    source = ctx.source("x")
    if source is None:
        return None
    return ctx.program.extras.get("datasets", {}).get(source[0])


def _views(node: str, step: int, weights, bias: float, dataset) -> list:
    if dataset is None:
        return []
    x, targets = dataset
    events = []
    if np.all((x == 0) | (x == 1)):  # a truth table
        fired = (x @ weights - bias >= 0).astype(int)
        rows = [" ".join(f"{v:g}" for v in row) + f" | {a} | {int(t)}"
                for row, a, t in zip(x, fired, targets[:, 0])]
        events.append(Text(f"mp/{node}/table", step, "x | a | t\n" + "\n".join(rows)))
    if x.shape[1] != 2:
        return events
    low, high = x.min(axis=0) - 0.2, x.max(axis=0) + 0.2
    grid_x, grid_y = np.meshgrid(np.linspace(low[0], high[0], REGION_PIXELS),
                                 np.linspace(low[1], high[1], REGION_PIXELS))
    region = (grid_x * weights[0] + grid_y * weights[1] - bias >= 0).astype(np.float32)
    extent = (float(low[0]), float(high[0]), float(low[1]), float(high[1]))
    events.append(Image(f"mp/{node}/regions", step, region, extent=extent))  # row 0 = low x2
    events.append(Points(f"mp/{node}/data", step, x, labels=targets[:, 0].astype(np.int64)))
    line = _line_in_box(weights, bias, low, high)
    if line is not None:
        events.append(Points(f"mp/{node}/line", step, line, labels=np.array([2, 2]),
                             edges=np.array([[0, 1]])))
    return events


def _line_in_box(weights, bias: float, low, high):
    """The two ends of w . x = w_0 inside the box [low, high], or None when it misses."""
    w1, w2 = weights
    ends = []
    if abs(w2) > 1e-12:
        for x1 in (low[0], high[0]):
            ends.append((x1, (bias - w1 * x1) / w2))
    if abs(w1) > 1e-12:
        for x2 in (low[1], high[1]):
            ends.append(((bias - w2 * x2) / w1, x2))
    inside = [p for p in ends if low[0] - 1e-9 <= p[0] <= high[0] + 1e-9
              and low[1] - 1e-9 <= p[1] <= high[1] + 1e-9]
    return np.array(inside[:2]) if len(inside) >= 2 else None


NODES = [(LOGIC_SPEC, build_logic), (NEURON_SPEC, build_neuron)]
