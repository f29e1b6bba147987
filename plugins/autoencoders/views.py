"""View nodes: sinks that turn wires into pictures (code scatters, decoded latent grids).

They compute nothing the loss depends on; their monitors run after each epoch's evaluation.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from engines.events import Image, Points
from engines.imaging import tile_grid
from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind


def class_labels(array) -> np.ndarray:
    """Integer labels from one-hot rows, a single label column or a 0/1 column."""
    array = np.asarray(array)
    if array.ndim == 2 and array.shape[1] > 1:
        return array.argmax(axis=1)
    return np.rint(array.reshape(len(array))).astype(int)


def infer_scatter(params, in_shapes):
    shape = in_shapes["points"]
    dims = params["dims"]
    if len(shape) != 2 or len(dims) != 2 or max(dims) >= shape[1]:
        raise ShapeError(f"shows two columns {dims} of a (batch, features) wire; it receives "
                         f"{shape}.")
    return {}, {}


SCATTER_SPEC = NodeSpec(
    type_id="ae.scatter", title="Scatter view", category="Autoencoders",
    doc="Shows two columns of a wire (codes, latent means, embeddings, or the data itself) as a "
        "scatter of the validation split (up to max_points; the last training batch without "
        "one), coloured by the optional labels (one-hot rows "
        "or a class column). A sink: nothing flows out of it.",
    inputs=(PortSpec("points", PortKind.TENSOR, "(batch, features) values to show."),
            PortSpec("labels", PortKind.TENSOR, "Classes for colour.", optional=True)),
    params=(ParamSpec("dims", ParamType.INTS, [0, 1], "The two columns to plot.",
                      range=(0, 1 << 20)),
            ParamSpec("max_points", ParamType.INT, 1000, "Validation samples shown at most.",
                      range=(1, 1 << 20))),
    infer_shapes=infer_scatter,
    differentiable=False,
    views=(View(ViewKind.SCATTER, "Scatter", ("scatter/{node}",), y=Axis("second column"),
                x=Axis("first column")),),
)


def build_scatter(ctx):
    points, labels = ctx.input("points"), ctx.input("labels")
    first, second = ctx.params["dims"]
    limit = ctx.params["max_points"]
    backend, node_id, phase = ctx.backend, ctx.node_id, ctx.phase
    seen: dict[str, list] = {"xy": [], "labels": []}

    def forward():  # collects the validation pass (host copies of a few columns per batch)
        if phase.training or sum(len(a) for a in seen["xy"]) >= limit:
            return
        seen["xy"].append(backend.to_host(points.value[:, [first, second]]))
        if labels is not None:
            seen["labels"].append(class_labels(backend.to_host(labels.value)))

    def report(phase):
        if not seen["xy"]:  # no validation split: show the last training batch
            forward_rows = backend.to_host(points.value[:, [first, second]])
            xy = forward_rows
            colours = None if labels is None else class_labels(backend.to_host(labels.value))
        else:
            xy = np.concatenate(seen["xy"])[:limit]
            colours = np.concatenate(seen["labels"])[:limit] if seen["labels"] else None
        seen["xy"].clear()
        seen["labels"].clear()
        return [Points(f"scatter/{node_id}", phase.step, xy, labels=colours)]

    ctx.monitor(report, every="epoch")
    return Step(forward)


def infer_grid(params, in_shapes):
    z, decoded = in_shapes["z"], in_shapes["decoded"]
    if len(z) != 2 or z[1] < 2:
        raise ShapeError(f"needs a latent wire (batch, >= 2) on 'z'; it receives {z}.")
    side = params["image_shape"]
    if int(np.prod(decoded[1:])) != int(np.prod(side)):
        raise ShapeError(f"image_shape {side} does not hold the {int(np.prod(decoded[1:]))} "
                         "values per sample of 'decoded'.")
    return {}, {}


GRID_SPEC = NodeSpec(
    type_id="ae.latent_grid", title="Latent grid view", category="Autoencoders",
    doc="Decodes a grid of latent points and random draws through the graph itself: the "
        "nodes between the wire on 'z' and the wire on 'decoded' run on z values placed at the "
        "normal quantiles (a side x side grid over the first two latent dimensions, the rest "
        "0) and on z ~ N(0, I) (new samples). Runs after each epoch's evaluation.",
    inputs=(PortSpec("z", PortKind.TENSOR, "The latent wire (batch, latent)."),
            PortSpec("decoded", PortKind.TENSOR, "The decoder's output (batch, pixels).")),
    params=(
        ParamSpec("side", ParamType.INT, 15, "Grid points per latent axis.", range=(2, 64)),
        ParamSpec("samples", ParamType.INT, 16, "New samples drawn from N(0, I).",
                  range=(0, 256)),
        ParamSpec("image_shape", ParamType.INTS, [8, 8], "Height and width of one decoded "
                  "image.", range=(1, 4096)),
    ),
    infer_shapes=infer_grid,
    differentiable=False,
    views=(View(ViewKind.IMAGE, "Decoded latent grid", ("latent_grid/{node}",), x=Axis(),
                doc="Images decoded from a grid over the first two latent dimensions."),
           View(ViewKind.IMAGE_GRID, "New samples", ("samples/{node}",), x=Axis(),
                doc="Images decoded from z ~ N(0, I).")),
)


def downstream_forwards(program, graph, start: str, end: str) -> list:
    """(node_id, forward kernel) of the nodes fed (directly or not) by `start` that feed `end`
    (or are `end`), in program order: the part of the graph between two wires."""
    below, stack = set(), [start]
    while stack:
        for edge in graph.edges_from(stack.pop()):
            if edge.dst not in below:
                below.add(edge.dst)
                stack.append(edge.dst)
    above, stack = {end}, [end]
    while stack:
        for edge in graph.edges_into(stack.pop()):
            if edge.src not in above:
                above.add(edge.src)
                stack.append(edge.src)
    between = below & above
    return [(node_id, fn) for node_id, fn in program.forwards if node_id in between]


def build_grid(ctx):
    z, decoded = ctx.input("z"), ctx.input("decoded")
    z_node, _ = ctx.source("z")
    decoded_node, _ = ctx.source("decoded")
    p = ctx.params
    side, samples, shape = p["side"], p["samples"], tuple(p["image_shape"])
    program, graph, backend = ctx.program, ctx.graph, ctx.backend
    latent = z.storage.shape[1]
    quantiles = [NormalDist().inv_cdf(q) for q in np.linspace(0.05, 0.95, side)]
    grid = np.zeros((side * side, latent), dtype=np.float32)
    rows, cols = np.meshgrid(quantiles[::-1], quantiles, indexing="ij")  # z2 grows upward
    grid[:, 0], grid[:, 1] = cols.ravel(), rows.ravel()
    draws = np.random.default_rng(int(ctx.rng.integers(2**31))).standard_normal(
        (samples, latent)).astype(np.float32)
    kernels: list = []
    node_id = ctx.node_id

    touched: list = []  # buffers the decoding overwrites: z and the decoder's outputs

    def plan() -> None:  # once the program is complete: its kernels exist by now
        found = downstream_forwards(program, graph, z_node, decoded_node)
        kernels.extend(fn for _, fn in found)
        owners = {node for node, _ in found}
        touched.extend([z] + [buf for (owner, _), buf in program.outputs.items()
                              if owner in owners and buf.batched])

    def decode(points: np.ndarray) -> np.ndarray:
        out, batch = [], z.storage.shape[0]
        for start in range(0, len(points), batch):
            chunk = points[start:start + batch]
            program.set_rows(len(chunk))
            z.value[...] = backend.from_host(chunk.astype(z.value.dtype))
            for fn in kernels:
                fn()
            out.append(np.array(backend.to_host(decoded.value)).reshape(len(chunk), *shape))
        return np.concatenate(out)

    def report(phase):
        # put the batch back afterwards: probes and later monitors see the real last batch
        if not kernels:
            plan()
        rows = z.value.shape[0]
        saved = [buf.storage[:rows].copy() for buf in touched]
        was_training, phase.training = phase.training, False
        try:
            images = decode(grid)
            events = [Image(f"latent_grid/{node_id}", phase.step,
                            tile_grid(np.clip(images, 0, 1), gap=1, columns=side))]
            if samples:
                events.append(Image(f"samples/{node_id}", phase.step,
                                    tile_grid(np.clip(decode(draws), 0, 1))))
        finally:
            phase.training = was_training
            program.set_rows(rows)
            for buf, values in zip(touched, saved):
                buf.storage[:rows] = values
        return events

    ctx.monitor(report, every="epoch")
    return Step()


def infer_side_by_side(params, in_shapes):
    shapes = [tuple(s[1:]) for s in in_shapes.values()]
    if len(set(shapes)) != 1:
        raise ShapeError(f"the rows it shows must have one shape; got {shapes}.")
    side = params["image_shape"]
    if int(np.prod(shapes[0])) != int(np.prod(side)):
        raise ShapeError(f"image_shape {side} does not hold the {int(np.prod(shapes[0]))} "
                         "values per sample.")
    return {}, {}


SIDE_BY_SIDE_SPEC = NodeSpec(
    type_id="ae.side_by_side", title="Side-by-side view", category="Autoencoders",
    doc="Shows the first samples of up to three wires as rows of images: e.g. the noisy "
        "input, the autoencoder's output and the clean input of a denoising autoencoder. "
        "Updated after each epoch's evaluation (the last validation batch).",
    inputs=(PortSpec("top", PortKind.TENSOR, "First row (e.g. the noisy input)."),
            PortSpec("middle", PortKind.TENSOR, "Second row (e.g. the output)."),
            PortSpec("bottom", PortKind.TENSOR, "Third row (e.g. the clean input).",
                     optional=True)),
    params=(
        ParamSpec("samples", ParamType.INT, 8, "Images per row.", range=(1, 64)),
        ParamSpec("image_shape", ParamType.INTS, [8, 8], "Height and width of one image.",
                  range=(1, 4096)),
    ),
    infer_shapes=infer_side_by_side,
    differentiable=False,
    views=(View(ViewKind.IMAGE_GRID, "Side by side", ("side_by_side/{node}",), x=Axis(),
                doc="Rows: top, middle, bottom wires."),),
)


def build_side_by_side(ctx):
    wires = [w for w in (ctx.input("top"), ctx.input("middle"), ctx.input("bottom"))
             if w is not None]
    count, shape = ctx.params["samples"], tuple(ctx.params["image_shape"])
    backend, node_id = ctx.backend, ctx.node_id

    def report(phase):
        n = min(count, wires[0].value.shape[0])
        rows = [np.array(backend.to_host(w.value[:n])).reshape(n, *shape) for w in wires]
        return [Image(f"side_by_side/{node_id}", phase.step,
                      tile_grid(np.clip(np.concatenate(rows), 0, 1), columns=n))]

    ctx.monitor(report, every="epoch")
    return Step()


NODES = [(SCATTER_SPEC, build_scatter), (GRID_SPEC, build_grid),
         (SIDE_BY_SIDE_SPEC, build_side_by_side)]
