"""LeNet training speed: Dendrite's conv pack against PyTorch CPU, each in its own process.

Workloads: 'digits' is examples/lenet_digits.dgraph (8x8 digits, C1 6@3x3 same, S2, C3 16@3x3
with LeNet-5's table, S4, F5 64, batch 32); 'lenet5' is LeNet-5 on 28x28 random images (C1
6@5x5, S2, C3 16@5x5 with the table, S4, C5 120, F6 84, batch 64). Both train with softmax
cross-entropy and Adam. Dendrite compiles the graph and times `program.train_step` over whole
epochs (the data gather included); PyTorch runs the same layers (the C3 table as a weight
mask), batches and Adam. Sides run in separate processes (bench/sides.py), the order rotating
between rounds; medians are printed as samples/s with the ratio Dendrite / PyTorch.

    .venv/bin/python bench/bench_lenet.py                      # both workloads, NumPy vs CPU
    .venv/bin/python bench/bench_lenet.py --workload lenet5 --side dendrite --json

torch is a benchmark-only dependency; it is not needed to run Dendrite. Not run by CI.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WORKLOADS = {"digits": (8, 32, 1797), "lenet5": (28, 64, 64 * 30)}  # side, batch, samples


def _data(workload: str):
    side, _, samples = WORKLOADS[workload]
    if workload == "digits":
        from engines import datasets
        x, labels = datasets.digits()
        return np.asarray(x, np.float32), np.asarray(labels, np.int64)
    rng = np.random.default_rng(0)
    x = rng.random((samples, side * side), dtype=np.float32)
    return x, rng.integers(0, 10, samples)


def _graph(workload: str, path: str):
    from graph.fileio import load_graph
    from graph.model import Node
    from plugins import default_registry
    registry = default_registry()
    name = "lenet_digits" if workload == "digits" else "lenet5_mnist_idx"
    graph = load_graph(ROOT / "examples" / f"{name}.dgraph", registry)
    _, batch, _ = WORKLOADS[workload]
    data = graph.nodes["data"]
    graph.nodes["data"] = Node("data", "core.numpy_file", {
        "path": path, "one_hot": True, "batch_size": batch, "val_split": 0.0},
        data.position, data.title)
    return graph, registry


def dendrite_side(workload: str, epochs: int) -> dict:
    from engines.backend import select_backend
    from engines.compiler import compile_graph
    x, labels = _data(workload)
    folder = Path(tempfile.mkdtemp())
    np.savez(folder / "data.npz", x=x, y=labels.reshape(-1, 1))
    graph, registry = _graph(workload, str(folder / "data.npz"))
    backend, _ = select_backend("numpy")
    program = compile_graph(graph, registry, backend, monitors=False)
    program.begin()
    steps = program.steps_per_epoch()
    program.train_step(0)  # warm-up
    start, cpu = time.perf_counter(), time.process_time()
    for epoch in range(epochs):
        program.feeds[0].begin_epoch(epoch)
        for index in range(steps):
            program.train_step(index)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    rows = program.feeds[0].n_train
    return {"side": "dendrite", "per_s": epochs * rows / seconds,
            "per_cpu_s": epochs * rows / cpu_seconds,
            "loss": float(program.read_metrics().get("loss", float("nan")))}


def torch_side(workload: str, epochs: int) -> dict:
    import torch
    import torch.nn.functional as F

    from plugins.conv.layers import lenet5_c3_table
    side, batch, _ = WORKLOADS[workload]
    x, labels = _data(workload)
    x = torch.from_numpy(x).reshape(-1, 1, side, side)
    y = torch.from_numpy(labels)
    mask = torch.from_numpy(lenet5_c3_table())[:, :, None, None]
    k, pad = (3, 1) if workload == "digits" else (5, 0)
    c1 = torch.nn.Conv2d(1, 6, k, padding=pad)
    c3 = torch.nn.Conv2d(6, 16, k, padding=pad)
    flat = 16 * 2 * 2 if workload == "digits" else 16 * 4 * 4
    dense = [torch.nn.Linear(flat, 64), torch.nn.Linear(64, 10)] if workload == "digits" \
        else [torch.nn.Linear(flat, 120), torch.nn.Linear(120, 84), torch.nn.Linear(84, 10)]
    params = [p for m in (c1, c3, *dense) for p in m.parameters()]
    optimizer = torch.optim.Adam(params, lr=0.001)

    def forward(images):
        h = F.avg_pool2d(torch.tanh(c1(images)), 2)
        h = F.conv2d(h, c3.weight * mask, c3.bias, padding=pad)
        h = F.avg_pool2d(torch.tanh(h), 2).flatten(1)
        for layer in dense[:-1]:
            h = torch.tanh(layer(h))
        return dense[-1](h)

    steps = len(x) // batch + (len(x) % batch > 0)
    generator = torch.Generator().manual_seed(0)

    def epoch():
        order = torch.randperm(len(x), generator=generator)
        for index in range(steps):
            rows = order[index * batch:(index + 1) * batch]
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(forward(x[rows]), y[rows])
            loss.backward()
            optimizer.step()
        return loss

    epoch()  # warm-up
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(epochs):
        loss = epoch()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    return {"side": "torch", "per_s": epochs * len(x) / seconds,
            "per_cpu_s": epochs * len(x) / cpu_seconds, "loss": float(loss.detach()),
            "threads": torch.get_num_threads()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", choices=("dendrite", "torch"))
    parser.add_argument("--workload", choices=tuple(WORKLOADS))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--key", default="per_s", choices=("per_s", "per_cpu_s"),
                        help="compare wall-clock or CPU-time rates (steadier on a busy machine)")
    args = parser.parse_args(argv)
    if args.side:
        if args.threads:
            from threadpoolctl import threadpool_limits
            threadpool_limits(args.threads)
            if args.side == "torch":
                import torch
                torch.set_num_threads(args.threads)
        run = dendrite_side if args.side == "dendrite" else torch_side
        result = run(args.workload or "digits", args.epochs)
        print(json.dumps(result) if args.json else result)
        return 0
    from bench.sides import paired
    for workload in [args.workload] if args.workload else list(WORKLOADS):
        medians = paired("bench_lenet.py", workload, ("dendrite", "torch"), args.rounds,
                         threads=args.threads, key=args.key,
                         extra=("--epochs", str(args.epochs)))
        ours, theirs = medians["dendrite"]["median"], medians["torch"]["median"]
        print(f"LeNet '{workload}' ({args.key}, median of {args.rounds} rounds, {args.epochs} "
              "epochs each)")
        print(f"  dendrite {ours:9.0f} samples/s  (runs {medians['dendrite']['runs']})")
        print(f"  torch    {theirs:9.0f} samples/s  (runs {medians['torch']['runs']})")
        print(f"  ratio dendrite / torch = {ours / theirs:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
