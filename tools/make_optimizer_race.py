"""Write examples/optimizer_race_<name>.dgraph: one net and data set, one file per optimizer.

The files differ only in the optimizer node (type, title, parameters) and the graph's name,
so with the same seed every run starts from the same weights; run them all and tick them in
the runs panel (see docs/OPTIMIZER_RACE.md). Run from the checkout: .venv/bin/python
tools/make_optimizer_race.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.fileio import save_graph  # noqa: E402
from graph.model import Edge, Graph, Node  # noqa: E402

EPOCHS = 200
RACE = [  # file suffix, node type, title, parameters
    ("sgd", "core.sgd", "SGD", {"lr": 0.5}),
    ("momentum", "core.sgd", "SGD + momentum", {"lr": 0.05, "momentum": 0.9}),
    ("adam", "core.adam", "Adam", {"lr": 0.01}),
    ("rprop", "core.rprop", "rProp", {"lr": 0.01}),
    ("quickprop", "optim.quickprop", "quickProp", {"lr": 0.5}),
    ("cg_fletcher_reeves", "optim.conjugate_gradient", "CG (Fletcher-Reeves)",
     {"beta": "fletcher_reeves"}),
    ("cg_polak_ribiere", "optim.conjugate_gradient", "CG (Polak-Ribiere+)",
     {"beta": "polak_ribiere"}),
    ("bfgs", "optim.bfgs", "BFGS", {}),
    ("levenberg_marquardt", "optim.levenberg_marquardt", "Levenberg-Marquardt", {}),
]


def race_graph(suffix: str, type_id: str, title: str, params: dict) -> Graph:
    graph = Graph(f"optimizer_race_{suffix}")
    graph.description = (f"Optimizer race on 8x8 digits (64-8-10, tanh and sigmoid, MSE): "
                         f"this file trains with {title}. The race's files differ only in "
                         "the optimizer node; see docs/OPTIMIZER_RACE.md.")
    graph.settings.update({"epochs": EPOCHS, "seed": 0, "engine": "auto"})
    nodes = [
        ("data", "core.dataset", "Digits 8x8",
         {"dataset": "digits", "batch_size": 32, "val_split": 0.2}, (0.0, 0.0)),
        ("hidden", "core.dense", "Hidden (8)", {"units": 8}, (225.0, -80.0)),
        ("hidden_act", "core.tanh", "tanh", {}, (450.0, -80.0)),
        ("output", "core.dense", "Output (10)", {"units": 10}, (675.0, -80.0)),
        ("output_act", "core.sigmoid", "sigmoid", {}, (900.0, -80.0)),
        ("loss", "core.mse", "MSE", {}, (1125.0, 0.0)),
        ("opt", type_id, title, dict(params), (1350.0, -80.0)),
    ]
    for node_id, node_type, node_title, node_params, position in nodes:
        graph.add_node(Node(node_id, node_type, node_params, position, node_title))
    for wire in ("data.x hidden.x", "hidden.y hidden_act.x", "hidden_act.y output.x",
                 "output.y output_act.x", "output_act.y loss.pred", "data.y loss.target",
                 "loss.loss opt.loss"):
        src, dst = (part.split(".") for part in wire.split())
        graph.connect(Edge(src[0], src[1], dst[0], dst[1]))
    return graph


def main() -> None:
    for suffix, type_id, title, params in RACE:
        path = ROOT / "examples" / f"optimizer_race_{suffix}.dgraph"
        save_graph(race_graph(suffix, type_id, title, params), path)
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
