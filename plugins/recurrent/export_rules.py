"""How the recurrent pack exports (engines.export).

SimpleRNN, LSTM and GRU become ONNX's own RNN / LSTM / GRU ops (gate blocks reordered to
ONNX's i,o,f,c and z,r,h; the recurrent bias is zero). The PyTorch-style GRU ('reset_after')
sets linear_before_reset=1; the notes' GRU sets it to 0 and negates its update gate, since
ONNX mixes h' = (1 - z) n + z h where the notes write (1 - z) h + z n. NumPy and PyTorch code
run an explicit cell, one loop over time steps, except that PyTorch code uses torch.nn's own
RNN / LSTM / GRU layers where they compute the same cell (no peepholes, the PyTorch GRU).
The attention window is unrolled for the sequence length it was built with: a fixed
(time, time) band matrix of its softmax weights.
Initial states wired into h0 / c0 are not exported (zeros only).
"""

from __future__ import annotations

import numpy as np

from engines.export import OpKind
from engines.export.ops import RELU, SIGMOID, TANH

# gate blocks of the engine (PyTorch order) in ONNX's order
_ONNX_GATES = {"simple_rnn": (0,), "lstm": (0, 3, 1, 2), "gru": (1, 0, 2)}
_ONNX_OP = {"simple_rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
_SUFFIXES = ("", "_back")


def _blocks(matrix, kind: str, units: int):
    return np.concatenate([matrix[..., g * units:(g + 1) * units] for g in _ONNX_GATES[kind]],
                          axis=-1)


def _onnx_direction(op, g, suffix: str):
    """(W, R, B, P or None) of one direction in ONNX's layout."""
    kind, units = op.attrs["kind"], op.attrs["units"]
    W = np.array(g.model.weights[op.weights["W" + suffix]], dtype=np.float32)
    U = np.array(g.model.weights[op.weights["U" + suffix]], dtype=np.float32)
    b = np.array(g.model.weights[op.weights["b" + suffix]], dtype=np.float32)
    if kind == "gru" and op.attrs["convention"] == "notes":
        for array in (W, U, b):
            array[..., units:2 * units] *= -1  # z -> 1 - z
    W, U, b = (_blocks(a, kind, units) for a in (W, U, b))
    P = None
    if "P" + suffix in op.weights:
        peep = g.model.weights[op.weights["P" + suffix]]
        P = np.concatenate([peep[0], peep[2], peep[1]])  # (i, f, o) -> ONNX (i, o, f)
    return W.T, U.T, np.concatenate([b, np.zeros_like(b)]), P


def _recurrent_onnx(op, g):
    kind, units, ndir = op.attrs["kind"], op.attrs["units"], op.attrs["directions"]
    parts = [_onnx_direction(op, g, suffix) for suffix in _SUFFIXES[:ndir]]
    base = op.outputs[0]
    x_tm = g.fresh(base + ".time_major")
    g.node("Transpose", [op.inputs[0]], [x_tm], perm=[1, 0, 2])
    inputs = [x_tm] + [g.const(np.stack([p[i] for p in parts]), f"{base}.{name}")
                       for i, name in enumerate(("W", "R", "B"))]
    if parts[0][3] is not None:
        inputs += ["", "", "", g.const(np.stack([p[3] for p in parts]), f"{base}.P")]
    attrs = {"hidden_size": units, "direction": "bidirectional" if ndir == 2 else "forward"}
    if kind == "gru":
        attrs["linear_before_reset"] = int(op.attrs["convention"] == "reset_after")
    if kind == "simple_rnn":
        attrs["activations"] = [{"tanh": "Tanh", "relu": "Relu"}[op.attrs["activation"]]] * ndir
    raw = [g.fresh(f"{base}.{name}") for name in ("Y", "Y_h", "Y_c")[:len(op.outputs)]]
    g.node(_ONNX_OP[kind], inputs, raw, **attrs)
    # Y (T, D, B, H) -> (B, T, D*H); Y_h, Y_c (D, B, H) -> (B, D*H)
    moved = g.fresh(base + ".batch_major")
    g.node("Transpose", [raw[0]], [moved], perm=[2, 0, 1, 3])
    g.node("Reshape", [moved, g.const(np.array([0, 0, -1], dtype=np.int64))], [op.outputs[0]])
    for state, out in zip(raw[1:], op.outputs[1:]):
        flipped = g.fresh(out + ".batch_major")
        g.node("Transpose", [state], [flipped], perm=[1, 0, 2])
        g.node("Reshape", [flipped, g.const(np.array([0, -1], dtype=np.int64))], [out])


_NUMPY_CELL = '''def _sigmoid_tanh(a):
    return 0.5 * np.tanh(0.5 * a) + 0.5


def _cell(x, W, U, b, P, kind, activation, convention):
    """One direction over x (batch, time, features): every state, the last h and c."""
    batch, steps, _ = x.shape
    n = U.shape[0]
    pre = x @ W + b
    h = np.zeros((batch, n), dtype=x.dtype)
    c = np.zeros((batch, n), dtype=x.dtype)
    states = []
    for t in range(steps):
        a = pre[:, t]
        if kind == "simple_rnn":
            s = a + h @ U
            h = np.tanh(s) if activation == "tanh" else np.maximum(s, 0) if \\
                activation == "relu" else s
        elif kind == "lstm":
            s = a + h @ U
            i, f, g, o = s[:, :n], s[:, n:2 * n], s[:, 2 * n:3 * n], s[:, 3 * n:]
            if P is not None:
                i, f = i + P[0] * c, f + P[1] * c
            c = _sigmoid_tanh(f) * c + _sigmoid_tanh(i) * np.tanh(g)
            if P is not None:
                o = o + P[2] * c
            h = _sigmoid_tanh(o) * np.tanh(c)
        elif convention == "reset_after":
            s = h @ U
            r = _sigmoid_tanh(a[:, :n] + s[:, :n])
            z = _sigmoid_tanh(a[:, n:2 * n] + s[:, n:2 * n])
            h = (1 - z) * np.tanh(a[:, 2 * n:] + r * s[:, 2 * n:]) + z * h
        else:  # the notes' GRU
            s = h @ U[:, :2 * n]
            r = _sigmoid_tanh(a[:, :n] + s[:, :n])
            z = _sigmoid_tanh(a[:, n:2 * n] + s[:, n:])
            h = (1 - z) * h + z * np.tanh(a[:, 2 * n:] + (r * h) @ U[:, 2 * n:])
        states.append(h)
    return np.stack(states, axis=1), h, c


def _recurrent(x, directions, kind, activation=None, convention=None):
    """A layer of one or two directions: (every state, final h, final c), features joined."""
    outs = []
    for d, (W, U, b, P) in enumerate(directions):
        ys, h, c = _cell(x if d == 0 else x[:, ::-1], W, U, b, P, kind, activation, convention)
        outs.append((ys if d == 0 else ys[:, ::-1], h, c))
    return tuple(np.concatenate(parts, axis=-1) for parts in zip(*outs))'''

_TORCH_CELL = _NUMPY_CELL.replace("np.tanh", "torch.tanh").replace(
    "np.maximum(s, 0)", "torch.relu(s)").replace(
    "np.zeros((batch, n), dtype=x.dtype)", "x.new_zeros((batch, n))").replace(
    "np.stack(states, axis=1)", "torch.stack(states, dim=1)").replace(
    "x[:, ::-1]", "x.flip(1)").replace("ys[:, ::-1]", "ys.flip(1)").replace(
    "np.concatenate(parts, axis=-1)", "torch.cat(parts, dim=-1)")


def _directions(op, weight, none="None") -> str:
    rows = []
    for suffix in _SUFFIXES[:op.attrs["directions"]]:
        names = [weight(op.weights[f"{w}{suffix}"]) if f"{w}{suffix}" in op.weights else none
                 for w in ("W", "U", "b", "P")]
        rows.append(f"({', '.join(names)})")
    return f"[{', '.join(rows)}]"


def _call(op, c, weight) -> None:
    names = [c.v(v) for v in op.outputs] + ["_"] * (3 - len(op.outputs))
    c.line(f"{', '.join(names)} = _recurrent({c.v(op.inputs[0])}, {_directions(op, weight)}, "
           f"{op.attrs['kind']!r}, {op.attrs['activation']!r}, {op.attrs['convention']!r})")


def _recurrent_numpy(op, c):
    c.helper("_recurrent", _NUMPY_CELL)
    _call(op, c, c.w)


_TORCH_LAYERS = {"simple_rnn": "nn.RNN", "lstm": "nn.LSTM", "gru": "nn.GRU"}


def _torch_builtin(op) -> bool:
    """Whether torch.nn's own layer computes this cell (the others run an explicit cell)."""
    kind = op.attrs["kind"]
    return (kind == "lstm" and "P" not in op.weights) or \
        (kind == "gru" and op.attrs["convention"] == "reset_after") or \
        (kind == "simple_rnn" and op.attrs["activation"] in ("tanh", "relu"))


def _recurrent_torch(op, c):
    if not _torch_builtin(op):
        c.helper("_recurrent", _TORCH_CELL)
        _call(op, c, c.param)
        return
    kind, ndir = op.attrs["kind"], op.attrs["directions"]
    features, units = c.shape(op.weights["W"])[0], op.attrs["units"]
    extra = f", nonlinearity={op.attrs['activation']!r}" if kind == "simple_rnn" else ""
    layer = c.module(op, f"{_TORCH_LAYERS[kind]}({features}, {units}, batch_first=True, "
                         f"bidirectional={ndir == 2}{extra})")
    for direction, suffix in enumerate(_SUFFIXES[:ndir]):
        tail = "_l0_reverse" if direction else "_l0"
        c.load(f"{layer}.weight_ih{tail}", op.weights["W" + suffix], transpose=True)
        c.load(f"{layer}.weight_hh{tail}", op.weights["U" + suffix], transpose=True)
        c.load(f"{layer}.bias_ih{tail}", op.weights["b" + suffix])
        c.load(f"{layer}.bias_hh{tail}", None)  # Dendrite's cells have one bias
    y, h = c.v(op.outputs[0]), c.v(op.outputs[1])
    x = c.v(op.inputs[0])
    if kind == "lstm":
        cell = c.v(op.outputs[2])
        c.line(f"{y}, ({h}, {cell}) = {layer}({x})")
        c.line(f"{cell} = {cell}.transpose(0, 1).reshape({x}.shape[0], -1)")
    else:
        c.line(f"{y}, {h} = {layer}({x})")
    c.line(f"{h} = {h}.transpose(0, 1).reshape({x}.shape[0], -1)  # (batch, directions*units)")


RECURRENT = OpKind("recurrent", _recurrent_onnx, _recurrent_numpy, _recurrent_torch,
                   "A SimpleRNN / LSTM / GRU layer over (batch, time, features); outputs every "
                   "state, the final h (and c).")

# -- the last step, a fixed time mixing ---------------------------------------------------------


def _last_onnx(op, g):
    g.node("Gather", [op.inputs[0], g.const(np.array(-1, dtype=np.int64))], op.outputs, axis=1)


def _last_code(op, c):
    c.line(f"{c.v(op.outputs[0])} = {c.v(op.inputs[0])}[:, -1]")


LAST_STEP = OpKind("last_step", _last_onnx, _last_code, _last_code, "x[:, -1].")


def _mix_onnx(op, g):
    g.node("MatMul", [g.weight(op.weights["M"]), op.inputs[0]], op.outputs)


def _mix_numpy(op, c):
    c.line(f"{c.v(op.outputs[0])} = {c.w(op.weights['M'])} @ {c.v(op.inputs[0])}")


def _mix_torch(op, c):
    c.line(f"{c.v(op.outputs[0])} = torch.matmul({c.param(op.weights['M'])}, "
           f"{c.v(op.inputs[0])})")


TIME_MIX = OpKind("time_mix", _mix_onnx, _mix_numpy, _mix_torch,
                  "y[:, t] = sum_s M[t, s] x[:, s]: a fixed mixing of the time steps.")

# -- rules ------------------------------------------------------------------------------------


def recurrent(kind: str):
    def rule(ctx):
        p = ctx.params
        for port in ("h0", "c0"):
            if ctx.spec.input(port) is not None and ctx.input(port) is not None:
                raise ctx.refuse(f"its initial state '{port}' is wired; the export starts "
                                 "from zeros only.")
        ndir = 2 if p["bidirectional"] else 1
        weights = {}
        for suffix in _SUFFIXES[:ndir]:
            for name in ("W", "U", "b") + (("P",) if kind == "lstm" and p["peephole"] else ()):
                weights[name + suffix] = ctx.weight(name + suffix)
        outputs = ("y", "h", "c") if kind == "lstm" else ("y", "h")
        values = ctx.emit(RECURRENT, [ctx.input("x")], {
            "kind": kind, "units": p["units"], "directions": ndir,
            "activation": p.get("activation", "tanh"),
            "convention": p.get("convention", "reset_after")}, weights, outputs=len(outputs))
        for port, value in zip(outputs, values):
            ctx.output(port, value)
    return rule


def simple_rnn(ctx):
    if ctx.params["activation"] == "linear":
        raise ctx.refuse("ONNX's RNN op has no linear activation; use tanh or relu.")
    recurrent("simple_rnn")(ctx)


_ACTIVATION = {"tanh": TANH, "sigmoid": SIGMOID, "relu": RELU}


def seq_dense(ctx):
    from engines.export.ops import GEMM
    value = ctx.emit(GEMM, [ctx.input("x")], {"sequence": True},
                     {"W": ctx.weight("W"), "b": ctx.weight("b")})
    kind = _ACTIVATION.get(ctx.params["activation"])
    ctx.output("y", value if kind is None else ctx.emit(kind, [value]))


def last_step(ctx):
    ctx.output("y", ctx.emit(LAST_STEP, [ctx.input("x")]))


def attention_window(ctx):
    window = ctx.params["window"]
    steps = ctx.in_shape("x")[0]
    logits = ctx.weight_array("logits").astype(np.float64)
    weights = np.exp(logits - logits.max())
    weights /= weights.sum()
    mix = np.zeros((steps, steps))
    for i, weight in enumerate(weights):
        shift = i - window
        for k in range(max(0, -shift), min(steps, steps - shift)):
            mix[k, k + shift] = weight
    ctx.output("y", ctx.emit(TIME_MIX, [ctx.input("x")],
                             weights={"M": ctx.new_weight("M", mix)}))


EXPORT_RULES = {
    "recurrent.simple_rnn": simple_rnn,
    "recurrent.lstm": recurrent("lstm"),
    "recurrent.gru": recurrent("gru"),
    "recurrent.seq_dense": seq_dense,
    "recurrent.last_step": last_step,
    "recurrent.attention_window": attention_window,
}
