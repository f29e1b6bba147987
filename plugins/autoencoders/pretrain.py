"""Greedy layer-wise autoencoder pretraining, run inside the one training run.

Before the first epoch, the pretraining node trains one small autoencoder per listed Dense
layer, in order (the notes' 1-2-1, then 2-3-2 networks): the layers below it frozen (their
`trainable` switch off) and already pretrained, the layer itself with its activation, and a
decoder back to the layer's input, scored by MSE against that input. The decoder is either
its own Dense layer or, with `tied`, the layer's weights transposed (a weight tie). Each
autoencoder trains for `epochs` epochs (the notes: at most 100), then its layer's weights are
copied into the real network, which then trains (fine-tunes) as usual. The run's graph file
is unchanged; the phases are ordinary programs compiled from generated graphs.
"""

from __future__ import annotations

from engines.events import Scalar
from engines.program import Step
from graph.model import Edge, Graph, Node
from graph.spec import NodeRole, NodeSpec, ParamSpec, ParamType, PortKind, PortSpec
from graph.ties import Tie
from graph.views import Axis, View, ViewKind

SPEC = NodeSpec(
    type_id="ae.layerwise_pretrain", title="Autoencoder pretraining", category="Autoencoders",
    doc="Greedy layer-wise pretraining before the first epoch: for each listed Dense layer in "
        "order, an autoencoder input -> layer -> activation -> decoder is trained on the "
        "layer's input with the lower layers frozen; its weights then start the real run "
        "(fine-tuning). Wire any loss of the network into it. Set epochs to 0 to compare "
        "with random initialisation.",
    inputs=(PortSpec("loss", PortKind.LOSS, "The network's loss (shows what is pretrained).",
                     optional=True),),
    params=(
        ParamSpec("layers", ParamType.STRING, "", "Dense node ids to pretrain, bottom up, "
                  "comma-separated (e.g. 'h1, h2')."),
        ParamSpec("epochs", ParamType.INT, 20, "Epochs per autoencoder (0: no pretraining).",
                  range=(0, 100000)),
        ParamSpec("lr", ParamType.FLOAT, 0.003, "Adam learning rate of the autoencoders.",
                  range=(1e-9, 10.0)),
        ParamSpec("tied", ParamType.BOOL, False, "Decoders use the layer's weights "
                  "transposed (a tie) instead of their own."),
    ),
    role=NodeRole.TRAINER,
    differentiable=False,
    views=(View(ViewKind.CURVES, "Pretraining reconstruction", ("pretrain/{node}/*",),
                y=Axis("MSE"), x=Axis("epoch")),),
)


def _activation_after(graph: Graph, registry, layer: str) -> str | None:
    """The activation node reading the layer's output, if one does."""
    for edge in graph.edges_from(layer):
        spec = registry.spec(graph.nodes[edge.dst].type_id)
        if spec.category == "Activations":
            return edge.dst
    return None


def autoencoder_graph(graph: Graph, registry, layers: list[str], index: int, lr: float,
                      tied: bool) -> Graph:
    """The graph that pretrains layers[index]: lower layers frozen, a decoder to its input."""
    layer = layers[index]
    first = graph.source_of(layers[0], "x")
    if first is None:
        raise ValueError(f"'{layers[0]}' has no input wire.")
    ae = Graph(f"pretrain {layer}")
    data = graph.nodes[first.src]
    ae.add_node(Node(data.id, data.type_id, dict(data.params)))
    wire = (data.id, first.src_port)
    for position, node_id in enumerate(layers[:index + 1]):
        node = graph.nodes[node_id]
        if node.type_id != "core.dense":
            raise ValueError(f"'{node_id}' is a {node.type_id}; pretraining takes Dense "
                             "layers.")
        params = dict(node.params, trainable=position == index)
        ae.add_node(Node(node_id, node.type_id, params))
        ae.connect(Edge(*wire, node_id, "x"))
        layer_input, wire = wire, (node_id, "y")
        activation = _activation_after(graph, registry, node_id)
        if activation is not None:
            act = graph.nodes[activation]
            ae.add_node(Node(act.id, act.type_id, dict(act.params)))
            ae.connect(Edge(*wire, act.id, "x"))
            wire = (act.id, "y")
    fan_in = _width(registry, layer_input, ae)
    decoder = f"{layer}__decoder"
    ae.add_node(Node(decoder, "core.dense", {"units": fan_in}))
    ae.connect(Edge(*wire, decoder, "x"))
    if tied:
        ae.set_tie(decoder, Tie(decoder, layer, transpose=True))
    ae.add_node(Node("pretrain_loss", "core.mse", {}))
    ae.connect(Edge(decoder, "y", "pretrain_loss", "pred"))
    ae.connect(Edge(*layer_input, "pretrain_loss", "target"))
    ae.add_node(Node("pretrain_opt", "core.adam", {"lr": lr}))
    ae.connect(Edge("pretrain_loss", "loss", "pretrain_opt", "loss"))
    return ae


def _width(registry, wire, ae) -> int:
    from graph.shapes import infer_shapes
    shape = infer_shapes(ae, registry).port_shapes.get(wire)
    if shape is None:
        raise ValueError(f"the width of '{wire[0]}.{wire[1]}' is unknown.")
    return int(shape[1])


def build(ctx):
    from engines.compiler import CompileError, compile_graph
    from engines.session import Session

    layers = [name.strip() for name in ctx.params["layers"].split(",") if name.strip()]
    missing = [name for name in layers if name not in ctx.graph.nodes]
    if missing:
        raise ctx.error(f"{ctx.label}: there is no node {', '.join(map(repr, missing))} to "
                        "pretrain.")
    epochs, lr, tied = ctx.params["epochs"], ctx.params["lr"], ctx.params["tied"]
    graph, registry, program = ctx.graph, ctx.registry, ctx.program
    backend, dtype, node_id = ctx.backend, ctx.dtype, ctx.node_id
    seed = int(ctx.rng.integers(2**31))
    try:
        plans = [autoencoder_graph(graph, registry, layers, i, lr, tied)
                 for i in range(len(layers))]
    except (ValueError, KeyError) as exc:
        raise ctx.error(f"{ctx.label}: {exc}") from None
    history: list = []

    def begin():
        if epochs == 0 or not layers:
            return
        weights: dict = {}
        for plan, layer in zip(plans, layers):
            try:
                phase_program = compile_graph(plan, registry, backend, seed=seed, dtype=dtype,
                                              monitors=False)
            except CompileError as exc:
                raise ctx.error(f"{ctx.label}: the autoencoder for '{layer}' cannot be "
                                f"built: {exc}") from None
            phase_program.load_weights(weights)
            session = Session(phase_program, epochs=epochs)
            session.run()
            history.append((layer, [h.get("train/loss") for h in session.history]))
            weights.update({key: value for key, value in phase_program.weights_to_host().items()
                            if key.startswith(f"{layer}/")})
        program.load_weights(weights)

    def report(phase):
        events = [Scalar(f"pretrain/{node_id}/{layer}", epoch + 1, value)
                  for layer, losses in history for epoch, value in enumerate(losses)]
        history.clear()
        return events

    ctx.monitor(report, every="epoch")
    return Step(begin=begin)


NODES = [(SPEC, build)]
