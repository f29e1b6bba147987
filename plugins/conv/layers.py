"""Convolutional layers on image tensors (batch, channels, height, width).

Conv2D (with an optional partial connection table between feature maps, LeNet-5's C3 as a
preset), transposed convolution for decoders, and average/max subsampling with any window
(2x2, or non-uniform such as 2x3). Kernels are in plugins.conv.kernels.
"""

from __future__ import annotations

import numpy as np

from engines.build import TRAINABLE
from engines.events import Image
from engines.imaging import normalise, tile_grid
from engines.initializers import INITIALIZER_NAMES
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind
from plugins.conv.kernels import Conv2D, ConvTranspose2D, Pool2D, conv_padding

IMAGE_INTERVAL_S = 1.0
CONNECTIONS = ("full", "lenet5_c3", "custom")


def lenet5_c3_table() -> np.ndarray:
    """LeNet-5's C3 connections (LeCun et al. 1998, table I) as a (16 out, 6 in) 0/1 matrix.

    Maps 0-5 read three neighbouring S2 maps, 6-11 four neighbouring, 12-14 four
    non-neighbouring, and map 15 all six.
    """
    table = np.zeros((16, 6), dtype=np.float32)
    for out in range(6):
        table[out, [(out + k) % 6 for k in range(3)]] = 1
    for out in range(6, 12):
        table[out, [(out - 6 + k) % 6 for k in range(4)]] = 1
    for out, inputs in zip((12, 13, 14), ((0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5))):
        table[out, list(inputs)] = 1
    table[15] = 1
    return table


def _pair(values, name: str) -> tuple[int, int]:
    if len(values) == 1:
        return int(values[0]), int(values[0])
    if len(values) == 2:
        return int(values[0]), int(values[1])
    raise ShapeError(f"'{name}' needs one or two numbers (height, width); got {list(values)}.")


def _image_shape(shape, port: str = "x") -> tuple:
    if shape is None or len(shape) != 4:
        raise ShapeError(f"needs an image tensor (batch, channels, height, width) on '{port}'; "
                         f"it receives {shape}. Add a Reshape node before it.")
    return tuple(shape[1:])


def connection_table(params: dict, in_channels: int) -> np.ndarray | None:
    """The (out, in) 0/1 table the params ask for, or None for full connection."""
    out_channels = params["channels"]
    kind = params["connections"]
    if kind == "full":
        return None
    if kind == "lenet5_c3":
        table = lenet5_c3_table()
        if table.shape != (out_channels, in_channels):
            raise ShapeError(f"the LeNet-5 C3 table joins 6 input maps to 16 output maps; this "
                             f"node has {in_channels} input and {out_channels} output maps.")
        return table
    values = list(params["table"])
    if len(values) != out_channels * in_channels:
        raise ShapeError(f"the custom connection table needs {out_channels} x {in_channels} = "
                         f"{out_channels * in_channels} entries (output map by input map, 0 or "
                         f"1); it has {len(values)}.")
    table = np.asarray(values, dtype=np.float32).reshape(out_channels, in_channels)
    if not np.all(table.sum(axis=1) > 0):
        empty = int(np.argmin(table.sum(axis=1)))
        raise ShapeError(f"output map {empty} of the connection table reads no input map.")
    return table


def infer_conv(params, in_shapes):
    c, h, w = _image_shape(in_shapes.get("x"))
    kh, kw = _pair(params["kernel"], "kernel")
    sh, sw = _pair(params["stride"], "stride")
    padding = params["padding"]
    if padding == "valid" and (kh > h or kw > w):
        raise ShapeError(f"its {kh}x{kw} kernel is larger than the {h}x{w} input; use a smaller "
                         "kernel or padding 'same'.")
    oh = conv_padding(h, kh, sh, padding)[2]
    ow = conv_padding(w, kw, sw, padding)[2]
    if oh < 1 or ow < 1:
        raise ShapeError(f"stride {sh}x{sw} leaves no output on a {h}x{w} input.")
    connection_table(params, c)
    out = params["channels"]
    shapes = {"W": (out, c, kh, kw)}
    if params["bias"]:
        shapes["b"] = (out,)
    return {"y": (None, out, oh, ow)}, shapes


_SIZE_PARAMS = (
    ParamSpec("kernel", ParamType.INTS, [5, 5], "Kernel height and width (one number: square).",
              range=(1, 1024)),
    ParamSpec("stride", ParamType.INTS, [1, 1], "Step between windows (height, width).",
              range=(1, 1024)),
)

_FEATURE_VIEWS = (
    View(ViewKind.IMAGE_GRID, "Feature maps", ("feature_maps/{node}",),
         x=Axis(), doc="The first sample's output maps, one tile per map, updated live."),
    View(ViewKind.IMAGE_GRID, "Kernels", ("kernels/{node}",), x=Axis(),
         doc="Each output map's kernels (rows) per input map (columns), normalised per tile."),
)

CONV_SPEC = NodeSpec(
    type_id="conv.conv2d", title="Conv2D", category="Convolution",
    doc="2-D convolution (cross-correlation as in PyTorch): y[o] = b[o] + sum over input maps "
        "i of W[o, i] * x[i], for image tensors (batch, channels, height, width). 'valid' keeps "
        "whole windows only; 'same' zero-pads so the output is ceil(size / stride). The "
        "connection table says which input maps feed each output map (LeNet-5's C3 preset, or "
        "a custom out x in list of 0/1). im2col through a strided view, then one matmul.",
    inputs=(PortSpec("x", PortKind.TENSOR, "Images (batch, channels, height, width)."),),
    outputs=(PortSpec("y", PortKind.TENSOR, "Feature maps (batch, channels, h', w')."),),
    params=(
        ParamSpec("channels", ParamType.INT, 6, "Output feature maps.", range=(1, 4096)),
        *_SIZE_PARAMS,
        ParamSpec("padding", ParamType.CHOICE, "valid", "valid: no padding; same: zero "
                  "padding so the output is ceil(size / stride).", choices=("valid", "same")),
        ParamSpec("bias", ParamType.BOOL, True, "Add a learned bias per output map."),
        ParamSpec("init", ParamType.CHOICE, "he_uniform", "Kernel initialiser (fans count "
                  "the kernel area).", choices=INITIALIZER_NAMES),
        ParamSpec("connections", ParamType.CHOICE, "full", "Which input maps feed each output "
                  "map: all, LeNet-5's C3 table (6 -> 16), or the custom table.",
                  choices=CONNECTIONS),
        ParamSpec("table", ParamType.INTS, [], "Custom table: channels x input maps entries, "
                  "row by row, 1 where the input map feeds the output map.", range=(0, 1)),

        TRAINABLE,
    ),
    infer_shapes=infer_conv,
    views=_FEATURE_VIEWS,
)


MIN_TILE_PX = 12  # smaller maps and kernels are enlarged, so each stays a readable picture


def image_tiles(tiles: np.ndarray, columns: int | None = None) -> np.ndarray:
    """(n, h, w) maps normalised one by one, enlarged to at least MIN_TILE_PX, tiled."""
    h, w = tiles.shape[1:]
    factor = max(1, -(-MIN_TILE_PX // min(h, w)))
    big = np.kron(normalise(tiles), np.ones((1, factor, factor), dtype=np.float32))
    return tile_grid(big, gap=1, columns=columns)


def _feature_monitor(ctx, y, W):
    backend, node_id = ctx.backend, ctx.node_id

    def emit(phase):
        maps = np.array(backend.to_host(y.value[0]))
        kernels = np.array(backend.to_host(W.value))
        out, inp = kernels.shape[:2]
        columns = inp if inp > 1 else None  # rows: output maps, columns: input maps
        return [Image(f"feature_maps/{node_id}", phase.step, image_tiles(maps)),
                Image(f"kernels/{node_id}", phase.step,
                      image_tiles(kernels.reshape(out * inp, *kernels.shape[2:]), columns))]

    ctx.monitor(emit, every="step", min_interval_s=IMAGE_INTERVAL_S)


def build_conv(ctx):
    x, y = ctx.input("x"), ctx.output("y")
    p = ctx.params
    in_shape = tuple(x.storage.shape[1:])
    table = connection_table(p, in_shape[0])
    kernel, stride = _pair(p["kernel"], "kernel"), _pair(p["stride"], "stride")
    values = None
    if table is not None:  # start unconnected weights at zero so saved weights show the table
        from engines.initializers import initial_values
        values = initial_values(p["init"], ctx.rng, (p["channels"], in_shape[0], *kernel))
        values = values * table[:, :, None, None]
    W = ctx.param("W", (p["channels"], in_shape[0], *kernel), init=p["init"], values=values)
    b = ctx.param("b", (p["channels"],), init="zeros") if p["bias"] else None
    conv = Conv2D(ctx.xp, ctx.dtype, ctx.batch_size, in_shape, p["channels"], kernel, stride,
                  p["padding"], table)
    _feature_monitor(ctx, y, W)
    return _kernel_step(conv, x, y, W, b)


def _kernel_step(conv, x, y, W, b) -> Step:
    """Forward and backward of a Conv2D or ConvTranspose2D kernel object on the node's buffers
    (read at call time: short batches and flat optimizer buffers re-point them)."""

    def forward():
        conv.forward(x.value, W.value, None if b is None else b.value, y.value)

    def backward():
        if y.grad is not None:  # None: frozen, with nothing trainable upstream
            conv.backward(y.grad, W.value, W.grad, None if b is None else b.grad, x.grad)

    return Step(forward, backward)


def infer_conv_transpose(params, in_shapes):
    c, h, w = _image_shape(in_shapes.get("x"))
    kh, kw = _pair(params["kernel"], "kernel")
    sh, sw = _pair(params["stride"], "stride")
    if params["padding"] == "same":
        oh, ow = h * sh, w * sw
        if kh < sh or kw < sw:
            raise ShapeError(f"padding 'same' needs a kernel at least as large as the stride; "
                             f"got kernel {kh}x{kw}, stride {sh}x{sw}.")
    else:
        oh, ow = (h - 1) * sh + kh, (w - 1) * sw + kw
    out = params["channels"]
    shapes = {"W": (c, out, kh, kw)}
    if params["bias"]:
        shapes["b"] = (out,)
    return {"y": (None, out, oh, ow)}, shapes


CONV_TRANSPOSE_SPEC = NodeSpec(
    type_id="conv.conv_transpose2d", title="Transposed conv", category="Convolution",
    doc="Transposed convolution (the gradient of Conv2D with respect to its input; PyTorch's "
        "conv_transpose2d), for convolutional decoders: each input pixel stamps its kernel "
        "into the output, stride apart. 'valid' gives (h - 1) * stride + k rows, 'same' "
        "crops to h * stride. W is (input maps, output maps, kh, kw).",
    inputs=(PortSpec("x", PortKind.TENSOR, "Feature maps (batch, channels, height, width)."),),
    outputs=(PortSpec("y", PortKind.TENSOR, "Upsampled maps (batch, channels, h', w')."),),
    params=(
        ParamSpec("channels", ParamType.INT, 1, "Output feature maps.", range=(1, 4096)),
        *_SIZE_PARAMS,
        ParamSpec("padding", ParamType.CHOICE, "valid", "valid: full output; same: output "
                  "size times stride.", choices=("valid", "same")),
        ParamSpec("bias", ParamType.BOOL, True, "Add a learned bias per output map."),
        ParamSpec("init", ParamType.CHOICE, "glorot_uniform", "Kernel initialiser.",
                  choices=INITIALIZER_NAMES),

        TRAINABLE,
    ),
    infer_shapes=infer_conv_transpose,
    views=_FEATURE_VIEWS,
)


def build_conv_transpose(ctx):
    x, y = ctx.input("x"), ctx.output("y")
    p = ctx.params
    in_shape = tuple(x.storage.shape[1:])
    kernel, stride = _pair(p["kernel"], "kernel"), _pair(p["stride"], "stride")
    W = ctx.param("W", (in_shape[0], p["channels"], *kernel), init=p["init"])
    b = ctx.param("b", (p["channels"],), init="zeros") if p["bias"] else None
    conv = ConvTranspose2D(ctx.xp, ctx.dtype, ctx.batch_size, in_shape, p["channels"], kernel,
                           stride, p["padding"])
    _feature_monitor(ctx, y, W)
    return _kernel_step(conv, x, y, W, b)


def infer_pool(params, in_shapes):
    c, h, w = _image_shape(in_shapes.get("x"))
    ph, pw = _pair(params["size"], "size")
    if ph > h or pw > w:
        raise ShapeError(f"its {ph}x{pw} window is larger than the {h}x{w} input.")
    return {"y": (None, c, h // ph, w // pw)}, {}


POOL_SPEC = NodeSpec(
    type_id="conv.subsample", title="Subsampling", category="Convolution",
    doc="Subsampling (pooling) over non-overlapping windows, height x width (2x2 halves each "
        "side; non-uniform windows such as 2x3 are allowed). average: the window mean, as in "
        "LeNet; max: the largest value (its gradient goes to the first maximum). Rows or "
        "columns that do not fill a whole window are dropped.",
    inputs=(PortSpec("x", PortKind.TENSOR, "Feature maps (batch, channels, height, width)."),),
    outputs=(PortSpec("y", PortKind.TENSOR, "Subsampled maps."),),
    params=(
        ParamSpec("size", ParamType.INTS, [2, 2], "Window height and width.", range=(1, 1024)),
        ParamSpec("mode", ParamType.CHOICE, "average", "average or max.",
                  choices=("average", "max")),
    ),
    infer_shapes=infer_pool,
    views=(_FEATURE_VIEWS[0],),
)


def build_pool(ctx):
    x, y = ctx.input("x"), ctx.output("y")
    pool = Pool2D(ctx.xp, ctx.dtype, ctx.batch_size, tuple(x.storage.shape[1:]),
                  _pair(ctx.params["size"], "size"), ctx.params["mode"])
    backend, node_id = ctx.backend, ctx.node_id

    def emit(phase):
        return [Image(f"feature_maps/{node_id}", phase.step,
                      image_tiles(np.array(backend.to_host(y.value[0]))))]
    ctx.monitor(emit, every="step", min_interval_s=IMAGE_INTERVAL_S)

    def forward():
        pool.forward(x.value, y.value)

    def backward():
        if x.grad is not None:
            pool.backward(y.grad, x.grad)

    return Step(forward, backward)


NODES = [(CONV_SPEC, build_conv), (CONV_TRANSPOSE_SPEC, build_conv_transpose),
         (POOL_SPEC, build_pool)]
