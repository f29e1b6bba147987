"""ART1 (Carpenter and Grossberg, 1987): binary inputs, vigilance, category search, resonance.

Fast learning. For input I and category prototypes w_j (binary rows):

    choice  T_j = |I and w_j| / (beta + |w_j|)
    match   |I and w_j| / |I| >= vigilance  ->  resonance: w_j <- I and w_j
    otherwise reset j and try the next best; when none is left, a new category w = I.

The search in descending T is the same as taking the best T among the categories that pass
vigilance, so one input costs a few vector operations over all categories. One program step
presents every input once, in order; the run ends when an epoch changes nothing. Vigilance is
live: a new value relearns the categories from scratch, so raising it gives more, finer
categories and lowering it fewer, coarser ones.
"""

from __future__ import annotations

import numpy as np

from engines.events import FinishReason, Image, Scalar, Stop, Text
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind
from plugins.energy.kernels import glyph_shape, tile_images

UNASSIGNED = -1


class Art1:
    """Category prototypes and the presentation of one input (host NumPy: tiny, branchy)."""

    def __init__(self, features: int, max_categories: int):
        self.prototypes = np.zeros((max_categories, features), dtype=bool)
        self.sizes = np.zeros(max_categories)
        self.count = 0

    def reset(self) -> None:
        self.prototypes[:] = False
        self.sizes[:] = 0
        self.count = 0

    def present(self, pattern: np.ndarray, vigilance: float, beta: float) -> int:
        """Category chosen for pattern (learning on resonance), or UNASSIGNED when full."""
        active = self.prototypes[:self.count]
        overlap = (active & pattern).sum(axis=1).astype(np.float64)
        norm = pattern.sum()
        match = overlap / norm if norm else np.ones(self.count)
        choice = overlap / (beta + self.sizes[:self.count])
        choice[match < vigilance] = -np.inf
        if self.count and np.isfinite(choice.max()):
            winner = int(np.argmax(choice))
            active[winner] &= pattern
            self.sizes[winner] = active[winner].sum()
            return winner
        if self.count == len(self.prototypes):
            return UNASSIGNED
        winner = self.count
        self.prototypes[winner] = pattern
        self.sizes[winner] = norm
        self.count += 1
        return winner


def infer_shapes(params, in_shapes):
    x = in_shapes["x"]
    if x is None or len(x) != 2:
        raise ShapeError(f"needs 2-D (inputs, features) binary patterns; got {x}.")
    return {"category": (x[0], 1)}, {}


SPEC = NodeSpec(
    type_id="selforg.art1", title="ART1", category="Self-organising",
    doc="Adaptive resonance theory for binary inputs: each input resonates with the best "
        "category whose prototype matches it at least 'vigilance' (|I and w| / |I|), which "
        "then learns I and w; otherwise it founds a new category. Vigilance is live.",
    inputs=(PortSpec("x", PortKind.TENSOR, "Binary inputs (inputs, features)."),),
    outputs=(PortSpec("category", PortKind.TENSOR, "Category of each input (inputs, 1); -1 "
                      "when none was free."),),
    params=(
        ParamSpec("vigilance", ParamType.FLOAT, 0.7, "Match needed for resonance, in [0, 1].",
                  range=(0.0, 1.0), live=True),
        ParamSpec("beta", ParamType.FLOAT, 0.001, "Choice parameter (small and positive).",
                  range=(1e-9, 1e6)),
        ParamSpec("max_categories", ParamType.INT, 64, "Category units available.",
                  range=(1, 100000)),
        ParamSpec("stop_when_stable", ParamType.BOOL, False, "End the run when an epoch "
                  "changes nothing (off: keep running so vigilance can be changed)."),
        ParamSpec("names", ParamType.STRING, "", "Optional: one character per input for the "
                  "assignment text (e.g. the letters shown)."),
    ),
    infer_shapes=infer_shapes, differentiable=False,
    views=(
        View(ViewKind.IMAGE_GRID, "Category prototypes", ("art1/{node}/prototypes",)),
        View(ViewKind.IMAGE_GRID, "Inputs by category", ("art1/{node}/assignment",),
             doc="Each row is one category: its prototype, then the inputs it holds."),
        View(ViewKind.TEXT, "Assignments", ("art1/{node}/text",)),
        View(ViewKind.CURVES, "Categories", ("art1/{node}/categories",),
             y=Axis("categories")),
    ),
)


def build(ctx):
    live, backend = ctx.params, ctx.backend
    data = ctx.input("x")
    inputs, features = data.storage.shape
    out = ctx.output("category", (inputs, 1), batched=False)
    net = Art1(features, live["max_categories"])
    state = {"vigilance": None, "assigned": np.full(inputs, UNASSIGNED), "stable": False,
             "epochs": 0, "patterns": None}
    names = live["names"]

    def forward():
        if state["patterns"] is None:
            host = np.asarray(backend.to_host(data.value))
            if not np.all((host == 0) | (host == 1)):
                raise ctx.error(f"{ctx.label} takes binary (0/1) inputs; its 'x' input holds "
                                "other values. Set the source to binary.")
            state["patterns"] = host.astype(bool)
        if state["vigilance"] != live["vigilance"]:  # a new vigilance: learn afresh
            state["vigilance"] = live["vigilance"]
            net.reset()
            state["assigned"][:] = UNASSIGNED
            state["stable"] = False
        before = net.prototypes[:net.count].copy()
        assigned = np.array([net.present(p, live["vigilance"], live["beta"])
                             for p in state["patterns"]])
        state["stable"] = (np.array_equal(assigned, state["assigned"])
                           and np.array_equal(before, net.prototypes[:len(before)])
                           and len(before) == net.count)
        state["assigned"] = assigned
        state["epochs"] += 1
        out.value[:, 0] = ctx.xp.asarray(assigned.astype(ctx.dtype))

    def label(i: int) -> str:
        return names[i] if i < len(names) else str(i)

    def report(phase):
        if state["patterns"] is None or net.count == 0:
            return []
        node, step = ctx.node_id, phase.step
        shape = glyph_shape(features)
        prototypes = net.prototypes[:net.count].astype(np.float32)
        groups = [np.flatnonzero(state["assigned"] == c) for c in range(net.count)]
        widest = max(len(g) for g in groups) + 1
        rows = np.full((net.count, widest, features), 0.5, dtype=np.float32)
        for c, members in enumerate(groups):
            rows[c, 0] = prototypes[c]
            rows[c, 1:1 + len(members)] = state["patterns"][members]
        lines = [f"category {c}: {' '.join(label(i) for i in members)}"
                 for c, members in enumerate(groups)]
        return [
            Scalar(f"art1/{node}/categories", step, float(net.count)),
            Image(f"art1/{node}/prototypes", step,
                  tile_images(prototypes, shape, normalize="none")),
            Image(f"art1/{node}/assignment", step,
                  tile_images(rows.reshape(-1, features), shape, columns=widest,
                              normalize="none")),
            Text(f"art1/{node}/text", step, f"vigilance {state['vigilance']:g}\n"
                 + "\n".join(lines)),
        ]

    def stop_rule(history):
        if state["stable"] and live["stop_when_stable"]:
            return Stop(FinishReason.CONVERGED, f"{ctx.label} is stable with {net.count} "
                        f"categories at vigilance {state['vigilance']:g}.")
        return None

    ctx.program.extras.setdefault("art1", {})[ctx.node_id] = (net, state)
    ctx.simulation_steps(1)
    ctx.monitor(report, every="epoch")
    ctx.stop_rule(stop_rule)
    return Step(forward)


NODES = [(SPEC, build)]
