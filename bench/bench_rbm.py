"""RBM CD-1 on 784 x 500, batch 256, float32: Dendrite's train_step against PyTorch (CPU).

Both run the same algorithm in the same process on the same binary data (MNIST-like density):
h0 = sigma(v W + b), sampled; v1 = sigma(h0 W^T + a) (means); h1 = sigma(v1 W + b);
momentum/weight-decay updates of W, a, b; the batch is gathered from the data set each step.
Prints updates per second of each and the ratio Dendrite / PyTorch (target >= 1.0).

    .venv/bin/python bench/bench_rbm.py [--steps 60] [--repeats 3] [--threads N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VISIBLE, HIDDEN, BATCH, SAMPLES = 784, 500, 256, 256 * 40
LR, MOMENTUM, DECAY = 0.001, 0.5, 1e-4


def make_data(seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random((SAMPLES, VISIBLE)) < 0.13).astype(np.float32)


def dendrite_program(path: str):
    from engines.compiler import compile_graph
    from graph.model import Edge, Graph, Node
    from plugins import default_registry
    graph = Graph("bench rbm")
    graph.add_node(Node("data", "core.numpy_file", {"path": path, "y_key": "",
                                                    "batch_size": BATCH, "val_split": 0.0}))
    graph.add_node(Node("rbm", "energy.rbm", {"hidden": HIDDEN, "lr": LR, "momentum": MOMENTUM,
                                              "weight_decay": DECAY}))
    graph.connect(Edge("data", "x", "rbm", "x"))
    return compile_graph(graph, default_registry(), seed=0, monitors=False)


def time_dendrite(program, steps: int) -> float:
    batches = program.steps_per_epoch()
    for feed in program.feeds:
        feed.begin_epoch(0)
    for i in range(3):
        program.train_step(i % batches)
    start = time.perf_counter()
    for i in range(steps):
        program.train_step(i % batches)
    program.read_metrics()
    return steps / (time.perf_counter() - start)


def time_torch(data: np.ndarray, steps: int) -> float:
    import torch
    torch.manual_seed(0)
    x = torch.from_numpy(data)
    W = torch.randn(VISIBLE, HIDDEN) * 0.01
    a, b = torch.zeros(VISIBLE), torch.zeros(HIDDEN)
    vW, va, vb = torch.zeros_like(W), torch.zeros_like(a), torch.zeros_like(b)
    order = torch.randperm(SAMPLES)
    error = torch.zeros(1)

    def step(i):
        index = order[(i % (SAMPLES // BATCH)) * BATCH:][:BATCH]
        v0 = x.index_select(0, index)
        h0 = torch.sigmoid(torch.addmm(b, v0, W))
        h_sample = torch.bernoulli(h0)
        v1 = torch.sigmoid(torch.addmm(a, h_sample, W.t()))
        h1 = torch.sigmoid(torch.addmm(b, v1, W))
        grad = v0.t() @ h0 - v1.t() @ h1
        vW.mul_(MOMENTUM).add_(grad, alpha=LR / BATCH).sub_(W, alpha=LR * DECAY)
        W.add_(vW)
        va.mul_(MOMENTUM).add_((v0 - v1).sum(0), alpha=LR / BATCH)
        vb.mul_(MOMENTUM).add_((h0 - h1).sum(0), alpha=LR / BATCH)
        a.add_(va)
        b.add_(vb)
        error.copy_(((v0 - v1) ** 2).mean())

    with torch.no_grad():
        for i in range(3):
            step(i)
        start = time.perf_counter()
        for i in range(steps):
            step(i)
        float(error)
        return steps / (time.perf_counter() - start)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0,
                        help="BLAS threads for both (0: each library's default)")
    args = parser.parse_args(argv)
    import torch
    if args.threads:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
        torch.set_num_threads(args.threads)
    data = make_data()
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "rbm_data.npy")
        np.save(path, data)
        program = dendrite_program(path)
        ours, theirs = [], []
        for _ in range(args.repeats):  # interleaved, best of n: the machine is shared
            ours.append(time_dendrite(program, args.steps))
            theirs.append(time_torch(data, args.steps))
    best_ours, best_theirs = max(ours), max(theirs)
    print(f"RBM CD-1 {VISIBLE}x{HIDDEN}, batch {BATCH}, float32, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads)")
    print(f"  Dendrite (numpy): {best_ours:8.1f} updates/s")
    print(f"  PyTorch CPU:      {best_theirs:8.1f} updates/s")
    print(f"  ratio Dendrite / PyTorch: {best_ours / best_theirs:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
