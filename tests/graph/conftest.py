"""A small, fixed registry of toy node types, so graph tests do not depend on the core pack."""

import pytest

from graph.model import Edge, Graph, Node
from graph.registry import Registry
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError


def _source_shapes(params, in_shapes):
    return {"y": (None, params["features"])}, {}


def _layer_shapes(params, in_shapes):
    shape = in_shapes["x"]
    if len(shape) != 2:
        raise ShapeError(f"needs a 2-D input on 'x'; it receives {shape}.")
    return {"y": (shape[0], params["units"])}, {"W": (shape[1], params["units"]),
                                                  "b": (params["units"],)}


def _pair_shapes(params, in_shapes):
    a, b = in_shapes["a"], in_shapes.get("b")
    if b is not None and a != b:
        raise ShapeError(f"inputs differ: {a} and {b}.")
    return {"y": a}, {}


def _delay_shapes(params, in_shapes):
    fixed = tuple(params["shape"])
    given = in_shapes.get("x")
    if fixed and given is not None and tuple(given[1:]) != fixed:
        raise ShapeError(f"shape {list(fixed)} differs from its input {given}.")
    return {"y": (None, *fixed) if fixed else given}, {}


def _broken_shapes(params, in_shapes):
    raise ZeroDivisionError("bug in a plugin")


T, L, S = PortKind.TENSOR, PortKind.LOSS, PortKind.SEQUENCE

SPECS = [
    NodeSpec("toy.source", "Source", "Data", "Emits (batch, features).",
             outputs=(PortSpec("y", T),),
             params=(ParamSpec("features", ParamType.INT, 3, range=(1, 100)),
                     ParamSpec("kind", ParamType.CHOICE, "a", choices=("a", "b"))),
             infer_shapes=_source_shapes),
    NodeSpec("toy.layer", "Layer", "Layers", "y = x W + b.",
             inputs=(PortSpec("x", T),), outputs=(PortSpec("y", T),),
             params=(ParamSpec("units", ParamType.INT, 4, range=(1, 100)),
                     ParamSpec("rate", ParamType.FLOAT, 0.5, range=(0.0, 1.0), live=True),
                     ParamSpec("sizes", ParamType.INTS, [1, 2]),
                     ParamSpec("name", ParamType.STRING, "")),
             infer_shapes=_layer_shapes),
    NodeSpec("toy.pair", "Pair", "Layers", "y = a (+ b).",
             inputs=(PortSpec("a", T), PortSpec("b", T, optional=True)),
             outputs=(PortSpec("y", T),), infer_shapes=_pair_shapes),
    NodeSpec("toy.loss", "Loss", "Losses", "A loss.",
             inputs=(PortSpec("pred", T), PortSpec("target", T)),
             outputs=(PortSpec("loss", L),)),
    NodeSpec("toy.optimizer", "Optimizer", "Optimizers", "Minimises a loss.",
             inputs=(PortSpec("loss", L),),
             params=(ParamSpec("lr", ParamType.FLOAT, 0.1, range=(0.0, 10.0), live=True),
                     ParamSpec("nesterov", ParamType.BOOL, False))),
    NodeSpec("toy.sequence", "Sequence", "Data", "Emits a sequence.",
             outputs=(PortSpec("y", S),)),
    NodeSpec("toy.delay", "Delay", "Layers", "z^-1.",
             inputs=(PortSpec("x", T),), outputs=(PortSpec("y", T),),
             params=(ParamSpec("shape", ParamType.INTS, [], range=(1, 1000)),),
             infer_shapes=_delay_shapes, delay=True),
    NodeSpec("toy.broken_shape", "Broken", "Layers", "Its shape rule has a bug.",
             inputs=(PortSpec("x", T),), outputs=(PortSpec("y", T),),
             infer_shapes=_broken_shapes),
]


@pytest.fixture
def toy_registry():
    registry = Registry()
    for spec in SPECS:
        registry.register(spec, pack="toy")
    return registry


def make_graph(nodes, edges=(), name="g"):
    """nodes: [(id, type_id, params)], edges: ['src.port -> dst.port']."""
    graph = Graph(name)
    for i, (node_id, type_id, params) in enumerate(nodes):
        graph.add_node(Node(node_id, type_id, dict(params), (10.0 * i, 0.0)))
    for text in edges:
        src, dst = (part.strip() for part in text.split("->"))
        graph.connect(Edge(*src.split("."), *dst.split(".")))
    return graph


@pytest.fixture
def chain(toy_registry):
    """source -> layer(units 5) -> layer(units 2): a valid graph."""
    return make_graph(
        [("src", "toy.source", {"features": 3}), ("h", "toy.layer", {"units": 5}),
         ("out", "toy.layer", {"units": 2})],
        ["src.y -> h.x", "h.y -> out.x"])
