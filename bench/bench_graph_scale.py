"""Graph scale: load + validate + infer shapes for a long network, time per node.

The graph is a deep MLP as a user would wire it: a dataset, then alternating Dense (8 units)
and tanh nodes, an MSE loss fed by the last layer and the dataset's targets, and SGD. Every
node holds parameters and a position, every wire is a file entry. For each size the script
writes the `.dgraph` file, then times, separately and best of --repeats:

- load: `load_graph` (parse JSON, check every node and wire, build the indexed Graph);
- validate: `validate` (settings, parameters, wires, required inputs, order, shapes, gradient
  flow), what the editor runs after each edit and `main.py validate` runs once;
- shapes: `infer_shapes` alone, what the canvas redraws from.

Time per node must stay flat (within 2x from the smallest size to the largest). Times are
CPU seconds of this process (time.process_time), best of --repeats, so other jobs on a shared
machine distort them less. `--gc off` disables Python's cyclic garbage collector during the
timings, as the GUI does (gui.app collects on a timer): a full collection walks every live
object, so with the collector on part of the time per node grows with the graph's size.

    .venv/bin/python bench/bench_graph_scale.py [--sizes 1000 10000 100000] [--repeats 3]
                                                [--gc on|off]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.setrecursionlimit(10_000)


def chain_document(nodes: int) -> dict:
    """A valid .dgraph document with exactly `nodes` nodes (nodes >= 5)."""
    layers = nodes - 3  # dataset, loss, optimizer
    items = [{"id": "data", "type": "core.dataset", "params": {"dataset": "xor",
                                                                "batch_size": 4},
              "position": [0.0, 0.0]}]
    edges, previous = [], "data.x"
    for i in range(layers):
        kind = "core.dense" if i % 2 == 0 else "core.tanh"
        node_id = f"n{i}"
        params = {"units": 8} if kind == "core.dense" else {}
        if i == layers - 1 and kind == "core.dense":
            params = {"units": 1}
        items.append({"id": node_id, "type": kind, "params": params,
                      "position": [225.0 * (i + 1), 0.0]})
        edges.append({"from": previous, "to": f"{node_id}.x"})
        previous = f"{node_id}.y"
    if layers % 2 == 0:  # ends on tanh: it must give one output for the xor target
        items[-2]["params"] = {"units": 1}
    items += [{"id": "loss", "type": "core.mse", "params": {}, "position": [0.0, 200.0]},
              {"id": "opt", "type": "core.sgd", "params": {"lr": 0.1},
               "position": [0.0, 400.0]}]
    edges += [{"from": previous, "to": "loss.pred"}, {"from": "data.y", "to": "loss.target"},
              {"from": "loss.loss", "to": "opt.loss"}]
    return {"format": "dendrite-graph", "version": 1, "name": f"chain{nodes}",
            "settings": {"epochs": 1, "seed": 0, "engine": "numpy"},
            "nodes": items, "edges": edges}


def best_of(repeats: int, fn):
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.process_time()
        result = fn()
        best = min(best, time.process_time() - start)
    return best, result


def measure(nodes: int, repeats: int, registry, folder: Path) -> dict:
    from graph.fileio import load_graph
    from graph.shapes import infer_shapes
    from graph.validate import validate

    path = folder / f"chain{nodes}.dgraph"
    path.write_text(json.dumps(chain_document(nodes), indent=1), encoding="utf-8")
    load_s, graph = best_of(repeats, lambda: load_graph(path, registry))
    validate_s, problems = best_of(repeats, lambda: validate(graph, registry))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise SystemExit(f"the benchmark graph is invalid: {errors[0]}")
    shapes_s, info = best_of(repeats, lambda: infer_shapes(graph, registry))
    assert info.port_shapes[("loss", "loss")] is not None
    return {"nodes": len(graph.nodes), "wires": len(graph.edges), "bytes": path.stat().st_size,
            "load": load_s, "validate": validate_s, "shapes": shapes_s}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gc", choices=("on", "off"), default="on")
    args = parser.parse_args(argv)
    from plugins import default_registry
    registry = default_registry()
    rows = []
    if args.gc == "off":
        gc.disable()
    with tempfile.TemporaryDirectory() as folder:
        for nodes in args.sizes:
            rows.append(measure(nodes, args.repeats, registry, Path(folder)))
            gc.collect()  # the previous size's garbage is not charged to the next
    print(f"{'nodes':>8} {'wires':>8} {'file MiB':>9} | {'load':>8} {'validate':>9} "
          f"{'shapes':>8}  (seconds) | us per node: load validate shapes")
    for row in rows:
        n = row["nodes"]
        print(f"{n:>8} {row['wires']:>8} {row['bytes'] / 2**20:>9.1f} | {row['load']:>8.3f} "
              f"{row['validate']:>9.3f} {row['shapes']:>8.3f}            | "
              f"{1e6 * row['load'] / n:7.1f} {1e6 * row['validate'] / n:8.1f} "
              f"{1e6 * row['shapes'] / n:6.1f}")
    worst = 0.0
    for key in ("load", "validate", "shapes"):
        per_node = [row[key] / row["nodes"] for row in rows]
        worst = max(worst, max(per_node) / min(per_node))
    print(f"largest / smallest time per node over all three: {worst:.2f}x (target <= 2x); "
          f"cyclic GC {args.gc}")
    return 0 if worst <= 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
