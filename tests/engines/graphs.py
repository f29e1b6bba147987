"""Small graphs built in code for the engine tests."""

from __future__ import annotations

from graph.model import Edge, Graph, Node


def build(name: str, nodes: list, edges: list) -> Graph:
    """nodes: (id, type_id, params); edges: 'src.port -> dst.port' strings."""
    graph = Graph(name)
    for x, (node_id, type_id, params) in enumerate(nodes):
        graph.add_node(Node(node_id, type_id, dict(params), (x * 160.0, 0.0)))
    for text in edges:
        src, dst = (part.strip() for part in text.split("->"))
        (src_node, src_port), (dst_node, dst_port) = src.split("."), dst.split(".")
        graph.connect(Edge(src_node, src_port, dst_node, dst_port))
    return graph


def xor_mlp(lr: float = 0.5, momentum: float = 0.9, hidden: int = 4) -> Graph:
    return build("xor", [
        ("data", "core.dataset", {"dataset": "xor", "batch_size": 4}),
        ("d1", "core.dense", {"units": hidden}),
        ("t1", "core.tanh", {}),
        ("d2", "core.dense", {"units": 1}),
        ("s2", "core.sigmoid", {}),
        ("loss", "core.mse", {}),
        ("opt", "core.sgd", {"lr": lr, "momentum": momentum}),
    ], ["data.x -> d1.x", "d1.y -> t1.x", "t1.y -> d2.x", "d2.y -> s2.x", "s2.y -> loss.pred",
        "data.y -> loss.target", "loss.loss -> opt.loss"])


def digits_mlp(lr: float = 0.01, hidden: int = 32, batch_size: int = 64,
               val_split: float = 0.2, extra: list | None = None, extra_edges=()) -> Graph:
    """digits 64-hidden-10 with MSE and SGD (only the lead's first nodes)."""
    return build("digits", [
        ("data", "core.dataset", {"dataset": "digits", "batch_size": batch_size,
                                  "val_split": val_split}),
        ("d1", "core.dense", {"units": hidden}),
        ("t1", "core.tanh", {}),
        ("d2", "core.dense", {"units": 10}),
        ("s2", "core.sigmoid", {}),
        ("loss", "core.mse", {}),
        ("opt", "core.sgd", {"lr": lr, "momentum": 0.9}),
    ] + list(extra or []), ["data.x -> d1.x", "d1.y -> t1.x", "t1.y -> d2.x", "d2.y -> s2.x",
                            "s2.y -> loss.pred", "data.y -> loss.target",
                            "loss.loss -> opt.loss", *extra_edges])


def trained(graph: Graph, steps: int | None, seed: int):
    """graph compiled for NumPy (no monitors) after `steps` training steps that cycle over
    the epoch's batches (None: two epochs, so each ends on its short last batch)."""
    from engines.backend import select_backend
    from engines.compiler import compile_graph
    from plugins import default_registry
    program = compile_graph(graph, default_registry(), select_backend("numpy")[0], seed=seed,
                            monitors=False)
    program.begin()
    per_epoch = program.steps_per_epoch()
    for index in range(2 * per_epoch if steps is None else steps):
        program.train_step(index % per_epoch)
    return program
