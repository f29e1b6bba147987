"""The core export vocabulary: dense maps, activations, joins and reshapes, each written three
ways (ONNX nodes, NumPy source, PyTorch source).

Emitters receive the op and a target writer: `g` (OnnxGraph) for ONNX, `c` (NumpyCode or
TorchCode) for source code. A pack with an operation not listed here defines its own OpKind
the same way, beside its export rule.
"""

from __future__ import annotations

from engines.export.ir import OpKind

# -- dense: y = x W (+ b) ---------------------------------------------------------------------


def _gemm_onnx(op, g):
    x, W, b = op.inputs[0], g.weight(op.weights["W"]), op.weights.get("b")
    if b is None:
        g.node("MatMul", [x, W], op.outputs)
    elif op.attr("sequence"):  # (batch, time, features): Gemm takes matrices only
        product = g.fresh(op.outputs[0] + ".product")
        g.node("MatMul", [x, W], [product])
        g.node("Add", [product, g.weight(b)], op.outputs)
    else:
        g.node("Gemm", [x, W, g.weight(b)], op.outputs)


def _gemm_numpy(op, c):
    x, y = c.v(op.inputs[0]), c.v(op.outputs[0])
    bias = f" + {c.w(op.weights['b'])}" if "b" in op.weights else ""
    c.line(f"{y} = {x} @ {c.w(op.weights['W'])}{bias}")


def _gemm_torch(op, c):
    fan_in, units = c.shape(op.weights["W"])
    has_bias = "b" in op.weights
    layer = c.module(op, f"nn.Linear({fan_in}, {units}, bias={has_bias})")
    c.load(f"{layer}.weight", op.weights["W"], transpose=True)
    if has_bias:
        c.load(f"{layer}.bias", op.weights["b"])
    c.line(f"{c.v(op.outputs[0])} = {layer}({c.v(op.inputs[0])})")


GEMM = OpKind("gemm", _gemm_onnx, _gemm_numpy, _gemm_torch,
              "y = x @ W + b with W (in, out); weights W and optionally b; attr sequence "
              "for (batch, time, features) inputs.")

# -- elementwise activations ------------------------------------------------------------------

_NUMPY_HELPERS = {
    "sigmoid": '''def _sigmoid(x, slope=1.0):
    with np.errstate(over="ignore"):  # exp(-slope x) -> inf gives 0, as intended
        return 1.0 / (1.0 + np.exp(-slope * x))''',
    "softmax": '''def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)''',
    "softplus": '''def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))''',
    "elu": '''def _elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))''',
}


def _unary(name, onnx_type, numpy_expr, torch_module, doc, onnx_attrs=()):
    """An elementwise op. numpy_expr formats with x and the op's attrs; a helper of the same
    name is included when the expression calls _<name>."""

    def to_onnx(op, g):
        attrs = {key: float(op.attrs[key]) for key in onnx_attrs}
        g.node(onnx_type, [op.inputs[0]], op.outputs, **attrs)

    def to_numpy(op, c):
        if f"_{name}(" in numpy_expr:
            c.helper(f"_{name}", _NUMPY_HELPERS[name])
        expr = numpy_expr.format(x=c.v(op.inputs[0]), **op.attrs)
        c.line(f"{c.v(op.outputs[0])} = {expr}")

    def to_torch(op, c):
        layer = c.module(op, torch_module.format(**op.attrs))
        c.line(f"{c.v(op.outputs[0])} = {layer}({c.v(op.inputs[0])})")

    return OpKind(name, to_onnx, to_numpy, to_torch, doc)


TANH = _unary("tanh", "Tanh", "np.tanh({x})", "nn.Tanh()", "Hyperbolic tangent.")
RELU = _unary("relu", "Relu", "np.maximum({x}, 0)", "nn.ReLU()", "max(x, 0).")
LEAKY_RELU = _unary("leaky_relu", "LeakyRelu", "np.where({x} > 0, {x}, {alpha!r} * {x})",
                    "nn.LeakyReLU({alpha!r})", "x, or alpha x below 0.", onnx_attrs=("alpha",))
ELU = _unary("elu", "Elu", "_elu({x}, {alpha!r})", "nn.ELU({alpha!r})",
             "x, or alpha (e^x - 1) below 0.", onnx_attrs=("alpha",))
SOFTPLUS = _unary("softplus", "Softplus", "_softplus({x})", "nn.Softplus()",
                  "log(1 + e^x), computed stably.")
SOFTMAX = _unary("softmax", "Softmax", "_softmax({x})", "nn.Softmax(dim=-1)",
                 "Softmax over the last axis.")
IDENTITY = _unary("identity", "Identity", "{x}", "nn.Identity()", "y = x.")


def _sigmoid_onnx(op, g):
    x, slope = op.inputs[0], float(op.attr("slope", 1.0))
    if slope != 1.0:
        scaled = g.fresh(op.outputs[0] + ".scaled")
        g.node("Mul", [x, g.const(slope)], [scaled])
        x = scaled
    g.node("Sigmoid", [x], op.outputs)


def _sigmoid_numpy(op, c):
    c.helper("_sigmoid", _NUMPY_HELPERS["sigmoid"])
    slope = float(op.attr("slope", 1.0))
    extra = f", {slope!r}" if slope != 1.0 else ""
    c.line(f"{c.v(op.outputs[0])} = _sigmoid({c.v(op.inputs[0])}{extra})")


def _sigmoid_torch(op, c):
    slope = float(op.attr("slope", 1.0))
    layer = c.module(op, "nn.Sigmoid()")
    x = c.v(op.inputs[0])
    c.line(f"{c.v(op.outputs[0])} = {layer}({x} * {slope!r})" if slope != 1.0
           else f"{c.v(op.outputs[0])} = {layer}({x})")


SIGMOID = OpKind("sigmoid", _sigmoid_onnx, _sigmoid_numpy, _sigmoid_torch,
                 "1 / (1 + e^(-slope x)); attr slope (default 1).")


def _step_onnx(op, g):
    hit = g.fresh(op.outputs[0] + ".hit")
    g.node("GreaterOrEqual", [op.inputs[0], g.const(0.0)], [hit])
    if not op.attr("bipolar"):
        g.node("Cast", [hit], op.outputs, to=1)  # TensorProto.FLOAT
        return
    ones = g.fresh(op.outputs[0] + ".ones")
    doubled = g.fresh(op.outputs[0] + ".doubled")
    g.node("Cast", [hit], [ones], to=1)
    g.node("Mul", [ones, g.const(2.0)], [doubled])
    g.node("Sub", [doubled, g.const(1.0)], op.outputs)


def _step_numpy(op, c):
    x, y = c.v(op.inputs[0]), c.v(op.outputs[0])
    expr = f"({x} >= 0).astype({x}.dtype)"
    c.line(f"{y} = {expr} * 2 - 1" if op.attr("bipolar") else f"{y} = {expr}")


def _step_torch(op, c):
    x, y = c.v(op.inputs[0]), c.v(op.outputs[0])
    expr = f"({x} >= 0).to({x}.dtype)"
    c.line(f"{y} = {expr} * 2 - 1" if op.attr("bipolar") else f"{y} = {expr}")


STEP = OpKind("step", _step_onnx, _step_numpy, _step_torch,
              "1 where x >= 0 else 0 (or -1 when attr bipolar).")

# -- joins and cuts ---------------------------------------------------------------------------


def _add_onnx(op, g):
    g.node("Add", list(op.inputs), op.outputs)


def _add_code(op, c):
    c.line(f"{c.v(op.outputs[0])} = {c.v(op.inputs[0])} + {c.v(op.inputs[1])}")


ADD = OpKind("add", _add_onnx, _add_code, _add_code, "y = a + b.")


def _concat_onnx(op, g):
    g.node("Concat", list(op.inputs), op.outputs, axis=int(op.attr("axis", 1)))


def _concat_numpy(op, c):
    parts = ", ".join(c.v(v) for v in op.inputs)
    c.line(f"{c.v(op.outputs[0])} = np.concatenate([{parts}], axis={op.attr('axis', 1)})")


def _concat_torch(op, c):
    parts = ", ".join(c.v(v) for v in op.inputs)
    c.line(f"{c.v(op.outputs[0])} = torch.cat([{parts}], dim={op.attr('axis', 1)})")


CONCAT = OpKind("concat", _concat_onnx, _concat_numpy, _concat_torch,
                "Join along attr axis (default 1, the features).")


def _slice_onnx(op, g):
    import numpy as np
    starts = g.const(np.array([op.attrs["start"]], dtype=np.int64))
    ends = g.const(np.array([op.attrs["stop"]], dtype=np.int64))
    axes = g.const(np.array([op.attr("axis", 1)], dtype=np.int64))
    g.node("Slice", [op.inputs[0], starts, ends, axes], op.outputs)


def _slice_code(op, c):
    lead = ":, " * int(op.attr("axis", 1))
    c.line(f"{c.v(op.outputs[0])} = {c.v(op.inputs[0])}[{lead}{op.attrs['start']}:"
           f"{op.attrs['stop']}]")


SLICE = OpKind("slice", _slice_onnx, _slice_code, _slice_code,
               "x[..., start:stop] along attr axis (default 1).")


def _reshape_onnx(op, g):
    import numpy as np
    shape = g.const(np.array([-1, *op.attrs["shape"]], dtype=np.int64))
    g.node("Reshape", [op.inputs[0], shape], op.outputs)


def _reshape_code(op, c):
    dims = ", ".join(str(int(d)) for d in op.attrs["shape"])
    c.line(f"{c.v(op.outputs[0])} = {c.v(op.inputs[0])}.reshape("
           f"{c.v(op.inputs[0])}.shape[0], {dims})")


RESHAPE = OpKind("reshape", _reshape_onnx, _reshape_code, _reshape_code,
                 "Reshape every sample to attr shape (a tuple without the batch axis).")

# -- time steps (loops over time unrolled) ------------------------------------------------------


def _take_onnx(op, g):
    import numpy as np
    index = g.const(np.array(int(op.attrs["index"]), dtype=np.int64))
    g.node("Gather", [op.inputs[0], index], op.outputs, axis=1)


def _take_code(op, c):
    c.line(f"{c.v(op.outputs[0])} = {c.v(op.inputs[0])}[:, {int(op.attrs['index'])}]")


TAKE = OpKind("take", _take_onnx, _take_code, _take_code, "x[:, index]: one time step.")


def _stack_onnx(op, g):
    import numpy as np
    axes = g.const(np.array([1], dtype=np.int64))
    parts = []
    for value in op.inputs:
        part = g.fresh(f"{op.outputs[0]}.{value}")
        g.node("Unsqueeze", [value, axes], [part])
        parts.append(part)
    g.node("Concat", parts, op.outputs, axis=1)


def _stack_numpy(op, c):
    parts = ", ".join(c.v(v) for v in op.inputs)
    c.line(f"{c.v(op.outputs[0])} = np.stack([{parts}], axis=1)")


def _stack_torch(op, c):
    parts = ", ".join(c.v(v) for v in op.inputs)
    c.line(f"{c.v(op.outputs[0])} = torch.stack([{parts}], dim=1)")


STACK = OpKind("stack", _stack_onnx, _stack_numpy, _stack_torch,
               "Join per-step (batch, features) values into (batch, time, features).")
