"""RBM CD-1 on 784 x 500, batch 256, float32: Dendrite's train_step against PyTorch (CPU).

Both run the same algorithm, each in its own process (bench/sides.py), on the same binary data
(MNIST-like density):
h0 = sigma(v W + b), sampled; v1 = sigma(h0 W^T + a) (means); h1 = sigma(v1 W + b);
momentum/weight-decay updates of W, a, b; the batch is gathered from the data set each step.
Prints updates per second of each and the ratio Dendrite / PyTorch (target >= 1.0).

    .venv/bin/python bench/bench_rbm.py [--steps 60] [--repeats 3] [--threads N]
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
sys.path.insert(0, str(ROOT))

VISIBLE, HIDDEN, BATCH, SAMPLES = 784, 500, 256, 256 * 40
LR, MOMENTUM, DECAY = 0.001, 0.5, 1e-4


def make_data(seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random((SAMPLES, VISIBLE)) < 0.13).astype(np.float32)


def dendrite_program(path: str, engine: str = "numpy"):
    from engines.backend import select_backend
    from engines.compiler import compile_graph
    from graph.model import Edge, Graph, Node
    from plugins import default_registry
    graph = Graph("bench rbm")
    graph.add_node(Node("data", "core.numpy_file", {"path": path, "y_key": "",
                                                    "batch_size": BATCH, "val_split": 0.0}))
    graph.add_node(Node("rbm", "energy.rbm", {"hidden": HIDDEN, "lr": LR, "momentum": MOMENTUM,
                                              "weight_decay": DECAY}))
    graph.connect(Edge("data", "x", "rbm", "x"))
    backend, _ = select_backend(engine)
    return compile_graph(graph, default_registry(), backend, seed=0, monitors=False)


def time_dendrite(program, steps: int, sync=lambda: None) -> float:
    batches = program.steps_per_epoch()
    for feed in program.feeds:
        feed.begin_epoch(0)
    for i in range(3):
        program.train_step(i % batches)
    start = time.perf_counter()
    for i in range(steps):
        program.train_step(i % batches)
    program.read_metrics()
    sync()
    return steps / (time.perf_counter() - start)


def time_torch(data: np.ndarray, steps: int, device: str = "cpu") -> float:
    import torch
    torch.manual_seed(0)
    x = torch.from_numpy(data).to(device)
    W = torch.randn(VISIBLE, HIDDEN, device=device) * 0.01
    a, b = torch.zeros(VISIBLE, device=device), torch.zeros(HIDDEN, device=device)
    vW, va, vb = torch.zeros_like(W), torch.zeros_like(a), torch.zeros_like(b)
    order = torch.randperm(SAMPLES, device=device)
    error = torch.zeros(1, device=device)

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


def time_bound(steps: int, xp=np, sync=lambda: None) -> float:
    """The update's five matmuls alone at their shapes: the rate no CD-1 step can beat."""
    rng = np.random.default_rng(0)
    v = xp.asarray(rng.random((BATCH, VISIBLE), dtype=np.float32))
    h = xp.asarray(rng.random((BATCH, HIDDEN), dtype=np.float32))
    W = xp.asarray(rng.standard_normal((VISIBLE, HIDDEN), dtype=np.float32))
    out_h, out_v = xp.empty_like(h), xp.empty_like(v)
    out_w = xp.empty_like(W)
    products = [(v, W, out_h), (h, W.T, out_v), (v, W, out_h), (v.T, h, out_w), (v.T, h, out_w)]
    for a, b, out in products:
        xp.matmul(a, b, out=out)
    sync()
    start = time.perf_counter()
    for _ in range(steps):
        for a, b, out in products:
            xp.matmul(a, b, out=out)
    sync()
    return steps / (time.perf_counter() - start)


def side(name: str, steps: int, repeats: int, engine: str = "numpy") -> dict:
    """One side in this process: best updates/s of `repeats` timings."""
    data = make_data()
    xp, sync = np, (lambda: None)
    if engine == "cupy":
        import cupy
        xp, sync = cupy, cupy.cuda.Device().synchronize
    if name == "bound":
        rates = [time_bound(steps, xp, sync) for _ in range(repeats)]
    elif name == "torch":
        device = "cuda" if engine == "cupy" else "cpu"
        rates = [time_torch(data, steps, device) for _ in range(repeats)]
    else:
        with tempfile.TemporaryDirectory() as folder:
            path = str(Path(folder) / "rbm_data.npy")
            np.save(path, data)
            program = dendrite_program(path, engine)
            rates = [time_dendrite(program, steps, sync) for _ in range(repeats)]
    return {"per_s": max(rates), "unit": "updates/s"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3, help="processes per side")
    parser.add_argument("--threads", type=int, default=0,
                        help="BLAS threads for both (0: each library's default)")
    parser.add_argument("--side", choices=("dendrite", "torch", "bound"),
                        help="run one side in this process and print its result")
    parser.add_argument("--workload", default="cd1", help="(one workload: cd1)")
    parser.add_argument("--engine", choices=("numpy", "cupy"), default="numpy")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.side:
        if args.threads:
            from threadpoolctl import threadpool_limits
            threadpool_limits(args.threads)
            if args.side == "torch":
                import torch
                torch.set_num_threads(args.threads)
        result = side(args.side, args.steps, args.repeats, args.engine)
        print(json.dumps(result) if args.json else result)
        return 0
    from bench.sides import paired
    result = paired("bench_rbm.py", "cd1", ("dendrite", "torch", "bound"), args.rounds,
                    threads=args.threads, extra=("--engine", args.engine))
    ours, theirs, bound = (result[s]["median"] for s in ("dendrite", "torch", "bound"))
    print(f"RBM CD-1 {VISIBLE}x{HIDDEN}, batch {BATCH}, float32, each side in its own process")
    print(f"  Dendrite (numpy): {ours:8.1f} updates/s")
    print(f"  PyTorch CPU:      {theirs:8.1f} updates/s")
    print(f"  matmul bound:     {bound:8.1f} updates/s")
    print(f"  ratio Dendrite / PyTorch: {ours / theirs:.2f}x; "
          f"share of the bound {ours / bound:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
