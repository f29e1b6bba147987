"""How the conv pack exports (engines.export): Conv2D, transposed conv, subsampling, reshapes.

The pack defines its own op kinds here, each written for ONNX (Conv, ConvTranspose,
AveragePool / MaxPool), NumPy (strided windows and one tensordot) and PyTorch (nn.Conv2d,
nn.ConvTranspose2d, nn.AvgPool2d / nn.MaxPool2d). A partial connection table exports as a
full convolution whose kernel is masked (W * table) once, at export time.
"""

from __future__ import annotations

from engines.export import OpKind
from engines.export.ops import RESHAPE
from plugins.conv.kernels import conv_padding
from plugins.conv.layers import _pair, connection_table

# -- Conv2D -----------------------------------------------------------------------------------

_CONV_NUMPY = '''def _conv2d(x, w, b, stride, pads):
    top, left, bottom, right = pads
    x = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    windows = np.lib.stride_tricks.sliding_window_view(x, w.shape[2:], axis=(2, 3))
    windows = windows[:, :, ::stride[0], ::stride[1]]
    y = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    return y if b is None else y + b[:, None, None]'''


def _conv_onnx(op, g):
    inputs = [op.inputs[0], g.weight(op.weights["W"])]
    if "b" in op.weights:
        inputs.append(g.weight(op.weights["b"]))
    g.node("Conv", inputs, op.outputs, kernel_shape=list(op.attrs["kernel"]),
           strides=list(op.attrs["stride"]), pads=list(op.attrs["pads"]))


def _conv_numpy(op, c):
    c.helper("_conv2d", _CONV_NUMPY)
    bias = c.w(op.weights["b"]) if "b" in op.weights else "None"
    c.line(f"{c.v(op.outputs[0])} = _conv2d({c.v(op.inputs[0])}, {c.w(op.weights['W'])}, "
           f"{bias}, {tuple(op.attrs['stride'])}, {tuple(op.attrs['pads'])})")


def _conv_torch(op, c):
    out_channels, in_channels, kh, kw = c.shape(op.weights["W"])
    top, left, bottom, right = op.attrs["pads"]
    x = c.v(op.inputs[0])
    if (top, left) != (bottom, right):  # 'same' with an even kernel: pad more at the end
        pad = c._attribute(f"{op.node_id}_pad", f"nn.ZeroPad2d(({left}, {right}, {top}, "
                                                 f"{bottom}))")
        padded = c.v(f"{op.outputs[0]}.padded")
        c.line(f"{padded} = {pad}({x})")
        x, top, left = padded, 0, 0
    has_bias = "b" in op.weights
    layer = c.module(op, f"nn.Conv2d({in_channels}, {out_channels}, ({kh}, {kw}), "
                         f"stride={tuple(op.attrs['stride'])}, padding=({top}, {left}), "
                         f"bias={has_bias})")
    c.load(f"{layer}.weight", op.weights["W"])
    if has_bias:
        c.load(f"{layer}.bias", op.weights["b"])
    c.line(f"{c.v(op.outputs[0])} = {layer}({x})")


CONV2D = OpKind("conv2d", _conv_onnx, _conv_numpy, _conv_torch,
                "Cross-correlation of (n, c, h, w) with W (out, in, kh, kw); attrs kernel, "
                "stride, pads (top, left, bottom, right).")

# -- transposed convolution -------------------------------------------------------------------

_CONV_T_NUMPY = '''def _conv_transpose2d(x, w, b, stride, crop, size):
    n, _, h, width = x.shape
    kh, kw = w.shape[2:]
    full = np.zeros((n, w.shape[1], (h - 1) * stride[0] + kh, (width - 1) * stride[1] + kw),
                    dtype=x.dtype)
    for a in range(kh):
        for c in range(kw):
            rows = slice(a, a + stride[0] * (h - 1) + 1, stride[0])
            cols = slice(c, c + stride[1] * (width - 1) + 1, stride[1])
            full[:, :, rows, cols] += np.einsum("nihw,io->nohw", x, w[:, :, a, c])
    y = full[:, :, crop[0]:crop[0] + size[0], crop[1]:crop[1] + size[1]]
    return y if b is None else y + b[:, None, None]'''


def _conv_t_onnx(op, g):
    inputs = [op.inputs[0], g.weight(op.weights["W"])]
    if "b" in op.weights:
        inputs.append(g.weight(op.weights["b"]))
    g.node("ConvTranspose", inputs, op.outputs, kernel_shape=list(op.attrs["kernel"]),
           strides=list(op.attrs["stride"]), pads=list(op.attrs["pads"]))


def _conv_t_numpy(op, c):
    c.helper("_conv_transpose2d", _CONV_T_NUMPY)
    top, left = op.attrs["pads"][:2]
    bias = c.w(op.weights["b"]) if "b" in op.weights else "None"
    c.line(f"{c.v(op.outputs[0])} = _conv_transpose2d({c.v(op.inputs[0])}, "
           f"{c.w(op.weights['W'])}, {bias}, {tuple(op.attrs['stride'])}, ({top}, {left}), "
           f"{tuple(op.attrs['size'])})")


def _conv_t_torch(op, c):
    in_channels, out_channels, kh, kw = c.shape(op.weights["W"])
    has_bias = "b" in op.weights
    layer = c.module(op, f"nn.ConvTranspose2d({in_channels}, {out_channels}, ({kh}, {kw}), "
                         f"stride={tuple(op.attrs['stride'])}, bias={has_bias})")
    c.load(f"{layer}.weight", op.weights["W"])
    if has_bias:
        c.load(f"{layer}.bias", op.weights["b"])
    top, left, bottom, right = op.attrs["pads"]
    (oh, ow) = op.attrs["size"]
    crop = f"[:, :, {top}:{top + oh}, {left}:{left + ow}]" if top or left or bottom or right \
        else ""
    c.line(f"{c.v(op.outputs[0])} = {layer}({c.v(op.inputs[0])}){crop}")


CONV_TRANSPOSE2D = OpKind("conv_transpose2d", _conv_t_onnx, _conv_t_numpy, _conv_t_torch,
                          "Transposed convolution with W (in, out, kh, kw), cropped by pads "
                          "(top, left, bottom, right) to attr size.")

# -- subsampling ------------------------------------------------------------------------------

_POOL_NUMPY = '''def _pool2d(x, size, mode):
    n, c, h, w = x.shape
    rows, cols = h // size[0], w // size[1]
    x = x[:, :, :rows * size[0], :cols * size[1]].reshape(n, c, rows, size[0], cols, size[1])
    return x.mean(axis=(3, 5)) if mode == "average" else x.max(axis=(3, 5))'''


def _pool_onnx(op, g):
    size = list(op.attrs["size"])
    kind = "AveragePool" if op.attrs["mode"] == "average" else "MaxPool"
    g.node(kind, [op.inputs[0]], op.outputs, kernel_shape=size, strides=size)


def _pool_numpy(op, c):
    c.helper("_pool2d", _POOL_NUMPY)
    c.line(f"{c.v(op.outputs[0])} = _pool2d({c.v(op.inputs[0])}, {tuple(op.attrs['size'])}, "
           f"{op.attrs['mode']!r})")


def _pool_torch(op, c):
    kind = "nn.AvgPool2d" if op.attrs["mode"] == "average" else "nn.MaxPool2d"
    layer = c.module(op, f"{kind}({tuple(op.attrs['size'])})")
    c.line(f"{c.v(op.outputs[0])} = {layer}({c.v(op.inputs[0])})")


POOL2D = OpKind("pool2d", _pool_onnx, _pool_numpy, _pool_torch,
                "Average or max over non-overlapping windows attr size; leftovers dropped.")

# -- rules ------------------------------------------------------------------------------------


def conv2d(ctx):
    p = ctx.params
    channels, height, width = ctx.in_shape("x")
    kernel, stride = _pair(p["kernel"], "kernel"), _pair(p["stride"], "stride")
    top, bottom, _ = conv_padding(height, kernel[0], stride[0], p["padding"])
    left, right, _ = conv_padding(width, kernel[1], stride[1], p["padding"])
    table = connection_table(p, channels)
    if table is None:
        weights = {"W": ctx.weight("W")}
    else:
        weights = {"W": ctx.new_weight("W_masked",
                                       ctx.weight_array("W") * table[:, :, None, None])}
    if p["bias"]:
        weights["b"] = ctx.weight("b")
    ctx.output("y", ctx.emit(CONV2D, [ctx.input("x")], {
        "kernel": kernel, "stride": stride, "pads": (top, left, bottom, right)}, weights))


def conv_transpose2d(ctx):
    p = ctx.params
    _, height, width = ctx.in_shape("x")
    kernel, stride = _pair(p["kernel"], "kernel"), _pair(p["stride"], "stride")
    size = ctx.out_shape("y")[1:]
    crop_h = (height - 1) * stride[0] + kernel[0] - size[0]
    crop_w = (width - 1) * stride[1] + kernel[1] - size[1]
    pads = (crop_h // 2, crop_w // 2, crop_h - crop_h // 2, crop_w - crop_w // 2)
    weights = {"W": ctx.weight("W")}
    if p["bias"]:
        weights["b"] = ctx.weight("b")
    ctx.output("y", ctx.emit(CONV_TRANSPOSE2D, [ctx.input("x")], {
        "kernel": kernel, "stride": stride, "pads": pads, "size": tuple(size)}, weights))


def subsample(ctx):
    ctx.output("y", ctx.emit(POOL2D, [ctx.input("x")], {
        "size": _pair(ctx.params["size"], "size"), "mode": ctx.params["mode"]}))


def reshape(ctx):
    ctx.output("y", ctx.emit(RESHAPE, [ctx.input("x")], {"shape": ctx.out_shape("y")}))


EXPORT_RULES = {
    "conv.conv2d": conv2d,
    "conv.conv_transpose2d": conv_transpose2d,
    "conv.subsample": subsample,
    "conv.flatten": reshape,
    "conv.reshape": reshape,
}
