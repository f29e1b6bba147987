"""Recurrent layer nodes over whole sequences: SimpleRNN, LSTM (+ peephole) and GRU.

Each node reads a sequence x (batch, time, features) and gives every step's hidden state on
`y` (a sequence, when return_sequences is on) and the final state on `h` (and `c` for the
LSTM); optional `h0` / `c0` inputs set the initial state. With bidirectional on, a second cell
with its own weights (`W_back`, `U_back`, `b_back`) reads the sequence backwards and its states
are concatenated after the forward ones on the feature axis, as PyTorch does. The kernels are
in plugins.recurrent.kernels; this module turns a node's parameters into cells and buffers.
"""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np

from engines.events import Image
from engines.initializers import INITIALIZER_NAMES
from engines.program import Step
from engines.scan import curves, log_norms
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind
from plugins.core.views import WEIGHTS
from plugins.recurrent.kernels import CELLS, single_threaded_blas
from plugins.recurrent.pair import run_pair, two_cores

GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}
GATE_NAMES = {"lstm": ("input", "forget", "cell", "output"), "gru": ("reset", "update", "new")}
MONITOR_INTERVAL_S = 0.5


def directions(params) -> int:
    return 2 if params.get("bidirectional") else 1


def param_shapes(kind: str, params, features: int) -> dict:
    """Trainable parameter shapes of a recurrent layer: its count shows on the node card."""
    n, gates = params["units"], GATES[kind]
    shapes = {}
    for suffix in ("", "_back")[:directions(params)]:
        shapes[f"W{suffix}"] = (features, gates * n)
        shapes[f"U{suffix}"] = (n, gates * n)
        shapes[f"b{suffix}"] = (gates * n,)
        if kind == "lstm" and params.get("peephole"):
            shapes[f"P{suffix}"] = (3, n)
    return shapes


def make_shape_rule(kind: str):
    def infer_shapes(params, in_shapes):
        shape = in_shapes["x"]
        if shape is None:
            return {}, {}
        if len(shape) != 3:
            raise ShapeError(f"needs a (batch, time, features) sequence on 'x'; it receives "
                             f"{shape}.")
        if shape[1] == 0:
            raise ShapeError("its input sequence has length 0; give the data node a sequence "
                             "length of at least 1.")
        width = directions(params) * params["units"]
        for port in ("h0", "c0"):
            given = in_shapes.get(port)
            if given is not None and tuple(given[1:]) != (width,):
                raise ShapeError(f"its initial state '{port}' must have {width} features "
                                 f"(units x directions); it receives {given}.")
        outputs = {"y": (shape[0], shape[1], width), "h": (shape[0], width)}
        if kind == "lstm":
            outputs["c"] = (shape[0], width)
        return outputs, param_shapes(kind, params, shape[2])
    return infer_shapes


def common_params(units: int = 32) -> tuple:
    return (
        ParamSpec("units", ParamType.INT, units, "Hidden units n.", range=(1, 65536)),
        ParamSpec("return_sequences", ParamType.BOOL, True,
                  "Give every step's state on 'y' (off: only the final state on 'h')."),
        ParamSpec("bidirectional", ParamType.BOOL, False,
                  "Add a second cell reading the sequence backwards; its states follow the "
                  "forward ones on the feature axis (2n features)."),
        ParamSpec("init", ParamType.CHOICE, "glorot_uniform", "Initialiser of the input "
                  "weights W (the recurrent weights U start orthogonal).",
                  choices=INITIALIZER_NAMES),
        ParamSpec("stateful", ParamType.BOOL, False,
                  "Start each batch from the previous batch's final state (forward "
                  "direction, when h0 is unwired; no gradient flows into it; reset every epoch "
                  "and between training and evaluation). Turn the data node's shuffle off."),
    )


class Carry:
    """A stateful layer's final state, handed to the next batch of the same size."""

    def __init__(self, xp, dtype, batch: int, units: int, cell_state: bool):
        self.h = xp.zeros((batch, units), dtype=dtype)
        self.c = xp.zeros((batch, units), dtype=dtype) if cell_state else None
        self.rows = 0
        self.training = True

    def start(self, rows: int, training: bool):
        """(h0, c0) for this batch, or (None, None) after a reset or a change of size."""
        if training != self.training:
            self.training, self.rows = training, 0
        if self.rows != rows:
            return None, None
        return self.h[:rows], None if self.c is None else self.c[:rows]

    def keep(self, cell, lo: int, hi: int) -> None:
        """Keep rows lo:hi of the final state from the cell that ran them (its rows 0:hi-lo);
        kept(rows) then marks the whole batch as kept."""
        self.h[lo:hi] = cell.states(hi - lo)[-1]
        if self.c is not None:
            self.c[lo:hi] = cell.cell_states(hi - lo)[-1]

    def kept(self, rows: int) -> None:
        self.rows = rows

    def reset(self, epoch=None) -> None:
        self.rows = 0


def views(kind: str) -> tuple:
    found = [WEIGHTS, View(ViewKind.HEATMAP, "Hidden state over time", ("hidden/{node}",),
                  y=Axis("unit"), x=Axis("time step"),
                  doc="The first sequence of the last batch: each row one hidden unit.")]
    if kind in GATE_NAMES:
        # one dock per cell kind: an LSTM's and a GRU's gates need their own legends
        found.append(View(ViewKind.LATTICE, f"{kind.upper()} gate activations",
                          ("gates/{node}",),
                          y=Axis("mean activation"), x=Axis("time step"),
                          classes=tuple(GATE_NAMES[kind]),
                          doc="Each gate's mean activation per time step over the batch, one "
                              "colour per gate in the order " + ", ".join(GATE_NAMES[kind])
                              + "."))
    found.append(View(ViewKind.LATTICE, "Gradient norm per time step", ("grad_time/{node}",),
                      y=Axis("log10 |dQ/da_t|"), x=Axis("time step"),
                      doc="How much gradient reaches each step's pre-activations: vanishing "
                          "or exploding gradients through time."))
    return tuple(found)


def ports(kind: str) -> tuple:
    inputs = [PortSpec("x", PortKind.SEQUENCE, "Input sequence (batch, time, features)."),
              PortSpec("h0", PortKind.TENSOR, "Initial hidden state (zeros if unwired).",
                       optional=True)]
    outputs = [PortSpec("y", PortKind.SEQUENCE, "Hidden state of every step (batch, time, "
                        "units)."),
               PortSpec("h", PortKind.TENSOR, "Final hidden state (batch, units).")]
    if kind == "lstm":
        inputs.append(PortSpec("c0", PortKind.TENSOR, "Initial cell state (zeros if unwired).",
                               optional=True))
        outputs.append(PortSpec("c", PortKind.TENSOR, "Final cell state (batch, units)."))
    return tuple(inputs), tuple(outputs)


def orthogonal_blocks(rng, units: int, gates: int) -> np.ndarray:
    """(units, gates*units): one random orthogonal matrix per gate block."""
    blocks = []
    for _ in range(gates):
        q, r = np.linalg.qr(rng.normal(size=(units, units)))
        blocks.append(q * np.sign(np.diag(r)))
    return np.concatenate(blocks, axis=1)


def build_recurrent(ctx, kind: str):
    """The Step of a recurrent layer node (any cell kind, one or two directions)."""
    xp, p = ctx.xp, ctx.params
    x = ctx.input("x")
    batch, steps, features = x.storage.shape
    if steps == 0:
        raise ctx.error(f"{ctx.label}: its input sequence has length 0; give the data node a "
                        "sequence length of at least 1.")
    units, gates = p["units"], GATES[kind]
    ndir = directions(p)
    h0, c0 = ctx.input("h0"), ctx.input("c0") if kind == "lstm" else None
    y, h_out = ctx.output("y"), ctx.output("h")
    c_out = ctx.output("c") if kind == "lstm" else None
    if not p["return_sequences"] and ctx.consumers("y"):
        raise ctx.error(f"{ctx.label}: 'y' is wired but return_sequences is off; turn it on "
                        "or take the final state from 'h'.")
    options = {"activation": p.get("activation"), "convention": p.get("convention")}
    carry = Carry(xp, ctx.dtype, batch, units, kind == "lstm") \
        if p["stateful"] and h0 is None and c0 is None else None
    # two cells per direction, each half the rows, on two threads (plugins/recurrent/pair.py)
    split = ctx.backend.name == "numpy" and batch >= SPLIT_ROWS and two_cores()
    capacities = [(batch + 1) // 2, batch // 2] if split else [batch]
    directions_parts = []  # per direction: [(cell, x_time scratch), ...], one per row part
    for suffix in ("", "_back")[:ndir]:
        W = ctx.param(f"W{suffix}", (features, gates * units), init=p["init"])
        U = ctx.param(f"U{suffix}", (units, gates * units),
                      values=orthogonal_blocks(ctx.rng, units, gates))
        bias = np.zeros(gates * units)
        if kind == "lstm":
            bias[units:2 * units] = p["forget_bias"]
        b = ctx.param(f"b{suffix}", (gates * units,), values=bias)
        P = ctx.param(f"P{suffix}", (3, units), init="zeros") \
            if kind == "lstm" and p["peephole"] else None
        parts = []
        for index, capacity in enumerate(capacities):
            # the second part's gradients go to its own arrays, added after both finish
            own = (W, U, b, P) if index == 0 else tuple(
                None if q is None else PartGradient(q, xp) for q in (W, U, b, P))
            parts.append((CELLS[kind](xp, ctx.dtype, steps, capacity, features, units, *own,
                                      **options),
                          ctx.scratch((steps * capacity * features,))))
        directions_parts.append(parts)
    phase = ctx.phase
    seqs = p["return_sequences"]

    def row_ranges(rows):
        """[(part, lo, hi)]: the rows each part takes this batch (a part may get none)."""
        if len(capacities) == 1:
            return [(0, 0, rows)]
        middle = (rows + 1) // 2
        return [(0, 0, middle), (1, middle, rows)]

    def time_major(scratch, lo, hi, direction):
        view = scratch[:steps * (hi - lo) * features].reshape(steps, hi - lo, features)
        source = x.value[lo:hi].transpose(1, 0, 2)
        view[...] = source if direction == 0 else source[::-1]
        return view

    def half(array, direction):
        return array[..., direction * units:(direction + 1) * units]

    def in_parts(work, rows):
        """work(part, lo, hi) for every part with rows, the two on two threads."""
        jobs = [(part, lo, hi) for part, lo, hi in row_ranges(rows) if hi > lo]
        if len(jobs) == 1:
            work(*jobs[0])
        else:
            run_pair(lambda: work(*jobs[0]), lambda: work(*jobs[1]))
        return jobs

    # one BLAS thread for the whole layer: its step matmuls are small, and OpenBLAS's
    # threads, woken for each, spin against each other and any other load (measured in
    # docs/PERFORMANCE.md: 5x slower per step, 10x for the weight gradients on a busy machine)
    serial = single_threaded_blas if ctx.backend.name == "numpy" else nullcontext

    def forward():
        with serial():
            run_forward()

    def backward():
        with serial():
            run_backward()

    def run_forward():
        rows = x.value.shape[0]
        carried = carry.start(rows, phase.training) if carry is not None else None
        for direction, parts in enumerate(directions_parts):
            def work(part, lo, hi, direction=direction, parts=parts):
                cell, scratch = parts[part]
                start_h = None if h0 is None else half(h0.value, direction)[lo:hi]
                start_c = None if c0 is None else half(c0.value, direction)[lo:hi]
                if carried is not None and direction == 0:
                    start_h, start_c = (None if state is None else state[lo:hi]
                                        for state in carried)
                cell.forward(time_major(scratch, lo, hi, direction), start_h, start_c)
                if carried is not None and direction == 0:
                    carry.keep(cell, lo, hi)
                hs = cell.states(hi - lo)
                if seqs:
                    states = hs[1:] if direction == 0 else hs[:0:-1]
                    half(y.value, direction)[lo:hi] = states.transpose(1, 0, 2)
                half(h_out.value, direction)[lo:hi] = hs[steps]
                if c_out is not None:
                    half(c_out.value, direction)[lo:hi] = cell.cell_states(hi - lo)[steps]

            in_parts(work, rows)
        if carry is not None:
            carry.kept(rows)

    def run_backward():
        rows = x.value.shape[0]
        for direction, parts in enumerate(directions_parts):
            def work(part, lo, hi, direction=direction, parts=parts):
                cell = parts[part][0]
                dh_seq = None
                if seqs and y.grad is not None:
                    dh_seq = half(y.grad, direction)[lo:hi].transpose(1, 0, 2)
                    if direction == 1:
                        dh_seq = dh_seq[::-1]
                dh_last = None if h_out.grad is None else half(h_out.grad, direction)[lo:hi]
                dc_last = None if c_out is None or c_out.grad is None \
                    else half(c_out.grad, direction)[lo:hi]
                cell.want_dx = x.grad is not None
                dx, dh0, dc0 = cell.backward(dh_seq, dh_last, dc_last)
                if x.grad is not None:
                    x.grad[lo:hi] += (dx if direction == 0 else dx[::-1]).transpose(1, 0, 2)
                if h0 is not None and h0.grad is not None:
                    half(h0.grad, direction)[lo:hi] += dh0
                if c0 is not None and c0.grad is not None and dc0 is not None:
                    half(c0.grad, direction)[lo:hi] += dc0

            if len(in_parts(work, rows)) == 2:  # the second part's weight gradients
                for own, part in zip(_params(parts[0][0]), _params(parts[1][0])):
                    if own is not None and own.grad is not None:
                        own.grad += part.grad

    def forward_cells():
        """The forward direction's cells that ran the last batch (a part may get no rows)."""
        parts = directions_parts[0]
        return [parts[part][0] for part, lo, hi in row_ranges(x.value.shape[0]) if hi > lo]

    ctx.monitor(_monitor(ctx, kind, forward_cells), every="step",
                min_interval_s=MONITOR_INTERVAL_S)
    return Step(forward, backward, end_epoch=None if carry is None else carry.reset)


SPLIT_ROWS = 16  # fewer rows per part and a second thread costs more than it saves


class PartGradient:
    """A parameter as the second row part's cell sees it: the layer's values (read at call
    time, since optimizers re-point them) and gradient arrays of its own."""

    def __init__(self, param, xp):
        self.param, self.xp = param, xp
        self._grad = None

    @property
    def value(self):
        return self.param.value

    @property
    def grad(self):
        """None while the layer's parameter has none (frozen); made on first use, since the
        compiler gives parameters their gradients after the nodes are built."""
        if self.param.grad is None:
            return None
        if self._grad is None:
            self._grad = self.xp.zeros_like(self.param.grad)
        return self._grad


def _params(cell) -> tuple:
    return cell.W, cell.U, cell.b, cell.P


def _monitor(ctx, kind, forward_cells):
    """Events for the node's views: hidden-state heatmap, gate traces, gradient per step
    (over the forward direction's cells, one per row part)."""
    backend, node_id, xp = ctx.backend, ctx.node_id, ctx.xp
    label = ctx.program.order.index(node_id) if node_id in ctx.program.order else 0

    def emit(phase):
        used = forward_cells()
        cell, n = used[0], used[0].n  # the first part holds sequence 0
        hidden = backend.to_host(cell.states(cell.rows)[1:, 0, :])  # (T, units), sequence 0
        times = np.arange(hidden.shape[0])
        events = [Image(f"hidden/{node_id}", phase.step, np.ascontiguousarray(hidden.T))]
        if kind in GATE_NAMES:
            sums = sum(part.gate_values(part.rows).reshape(part.T, -1, n, part.rows)
                       .sum(axis=(2, 3)) for part in used)
            means = backend.to_host(sums / (n * sum(part.rows for part in used)))
            events.append(curves(f"gates/{node_id}", phase.step, times, *means.T))
        if phase.training and cell.W.grad is not None:
            squares = sum((g * g).sum(axis=(1, 2)) for g in
                          (part.step_gradients() for part in used))
            norms = backend.to_host(xp.sqrt(squares))
            events.append(curves(f"grad_time/{node_id}", phase.step, times, log_norms(norms),
                                 first_label=label))
        return events

    return emit


FORMULAS = {
    "simple_rnn": "hₖ = act(xₖ·W + hₖ₋₁·U + b)",
    "lstm": "cₖ = f∗cₖ₋₁ + i∗g,  hₖ = o∗tanh(cₖ)",
    "gru": "hₖ = (1−z)∗h̃ₖ + z∗hₖ₋₁  (notes: (1−z)∗hₖ₋₁ + z∗h̃ₖ)",
}


def make_spec(kind: str, type_id: str, title: str, doc: str, extra: tuple) -> NodeSpec:
    inputs, outputs = ports(kind)
    return NodeSpec(type_id=type_id, title=title, category="Recurrent", doc=doc,
                    inputs=inputs, outputs=outputs, params=common_params() + extra,
                    infer_shapes=make_shape_rule(kind), views=views(kind),
                    formula=FORMULAS[kind])


SIMPLE_RNN_SPEC = make_spec(
    "simple_rnn", "recurrent.simple_rnn", "SimpleRNN",
    "Elman layer over a whole sequence: h_k = act(x_k W + h_{k-1} U + b); n^2 + mn + n "
    "parameters (m input features, n units). Equals torch.nn.RNN with bias_hh = 0.",
    (ParamSpec("activation", ParamType.CHOICE, "tanh", "Activation of the state.",
               choices=("tanh", "relu", "linear")),))

LSTM_SPEC = make_spec(
    "lstm", "recurrent.lstm", "LSTM",
    "Long short-term memory over a whole sequence: gates i, f, o and candidate g from "
    "[x_k, h_{k-1}]; c_k = f*c_{k-1} + i*g, h_k = o*tanh(c_k); 4(n^2 + mn + n) parameters "
    "(gate order i, f, g, o as in PyTorch). Peephole: i and f also see c_{k-1}, o sees c_k "
    "(3n more parameters).",
    (ParamSpec("peephole", ParamType.BOOL, False, "Let the gates see the cell state."),
     ParamSpec("forget_bias", ParamType.FLOAT, 1.0, "Initial bias of the forget gate (1 "
               "keeps memories at the start of training).", range=(-10.0, 10.0))))

GRU_SPEC = make_spec(
    "gru", "recurrent.gru", "GRU",
    "Gated recurrent unit over a whole sequence, gates r, z and candidate n; 3(n^2 + mn + n) "
    "parameters. 'reset_after' (PyTorch, cuDNN): n = tanh(x W_n + r*(h U_n) + b_n), "
    "h = (1-z)*n + z*h. 'notes' (reset before U_n, as Cho et al. 2014): "
    "n = tanh(x W_n + (r*h) U_n + b_n), "
    "h = (1-z)*h + z*n.",
    (ParamSpec("convention", ParamType.CHOICE, "reset_after", "Where the reset gate acts, "
               "and which way z mixes.", choices=("reset_after", "notes")),))

NODES = [
    (SIMPLE_RNN_SPEC, lambda ctx: build_recurrent(ctx, "simple_rnn")),
    (LSTM_SPEC, lambda ctx: build_recurrent(ctx, "lstm")),
    (GRU_SPEC, lambda ctx: build_recurrent(ctx, "gru")),
]
