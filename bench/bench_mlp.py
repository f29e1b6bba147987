"""MLP training speed: Dendrite (a compiled graph of core nodes) against PyTorch, same process.

Each workload builds the graph data -> dense -> relu -> ... -> softmax_cross_entropy -> adam,
compiles it and times `program.train_step` over whole epochs, exactly the engine's path (the
data feed's gather included). PyTorch runs the same architecture, initial weights, batches and
Adam settings. Timings alternate between the two, after a warm-up, and the medians are printed
as samples/s with the ratio Dendrite / PyTorch (> 1: Dendrite is faster).

    .venv/bin/python bench/bench_mlp.py                  # NumPy vs torch CPU
    .venv/bin/python bench/bench_mlp.py --engine cupy    # CuPy vs torch CUDA (GPU machine)

torch is a benchmark-only dependency (pip install torch==2.13.0); it is not needed to run
Dendrite. Not run by CI.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engines.backend import select_backend  # noqa: E402
from engines.compiler import compile_graph  # noqa: E402
from graph.model import Edge, Graph, Node  # noqa: E402
from plugins import default_registry  # noqa: E402


@dataclass
class Workload:
    name: str
    layers: list  # [inputs, hidden..., classes]
    batch: int
    data: str  # "random" or "digits"
    samples: int = 0  # random data: how many rows


WORKLOADS = {
    "mlp784": Workload("MLP 784-256-256-10, batch 128, random data", [784, 256, 256, 10], 128,
                       "random", 128 * 40),
    "digits": Workload("MLP 64-128-10, batch 32, digits", [64, 128, 10], 32, "digits"),
    "mlp784_1024": Workload("MLP 784-256-256-10, batch 1024, random data",
                            [784, 256, 256, 10], 1024, "random", 1024 * 8),
}


def load_data(workload: Workload):
    """(x float32, labels int) for the workload."""
    if workload.data == "digits":
        from engines import datasets
        x, labels = datasets.digits()
        return np.asarray(x, np.float32), np.asarray(labels, np.int64).reshape(-1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((workload.samples, workload.layers[0]), dtype=np.float32)
    return x, rng.integers(0, workload.layers[-1], workload.samples)


def dendrite_program(workload: Workload, x, labels, backend, folder: Path):
    path = folder / f"{workload.data}_{len(x)}.npz"
    np.savez(path, x=x, y=labels.reshape(-1, 1))
    graph = Graph("bench")
    graph.add_node(Node("data", "core.numpy_file", {
        "path": str(path), "one_hot": True, "batch_size": workload.batch, "val_split": 0.0,
        "shuffle": True}))
    previous = "data"
    sizes = workload.layers[1:]
    for i, units in enumerate(sizes):
        graph.add_node(Node(f"dense{i}", "core.dense", {"units": units}))
        graph.connect(Edge(previous, "x" if previous == "data" else "y", f"dense{i}", "x"))
        previous = f"dense{i}"
        if i < len(sizes) - 1:
            graph.add_node(Node(f"relu{i}", "core.relu", {}))
            graph.connect(Edge(previous, "y", f"relu{i}", "x"))
            previous = f"relu{i}"
    graph.add_node(Node("loss", "core.softmax_cross_entropy", {}))
    graph.add_node(Node("adam", "core.adam", {"lr": 1e-3}))
    graph.connect(Edge(previous, "y", "loss", "pred"))
    graph.connect(Edge("data", "y", "loss", "target"))
    graph.connect(Edge("loss", "loss", "adam", "loss"))
    return compile_graph(graph, default_registry(), backend=backend, seed=0)


def dendrite_epoch(program, sync):
    """Run one epoch; returns (seconds, samples)."""
    feed = program.feeds[0]
    start = time.perf_counter()
    feed.begin_epoch(0)
    for batch in range(feed.batches("train")):
        program.train_step(batch)
    metrics = program.read_metrics()  # the engine's one host sync per epoch
    sync()
    return time.perf_counter() - start, feed.n_train, metrics


def torch_trainer(workload: Workload, x, labels, program, device):
    import torch

    layers = []
    sizes = workload.layers
    for i in range(len(sizes) - 1):
        layer = torch.nn.Linear(sizes[i], sizes[i + 1])
        with torch.no_grad():  # start from Dendrite's initial weights
            layer.weight.copy_(torch.from_numpy(program.peek(f"dense{i}", "W").T.copy()))
            layer.bias.copy_(torch.from_numpy(program.peek(f"dense{i}", "b")))
        layers.append(layer)
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    x_all = torch.from_numpy(x).to(device)
    y_all = torch.from_numpy(labels).to(device)
    rng = np.random.default_rng(0)
    n, batch = len(x), workload.batch

    def epoch(sync):
        start = time.perf_counter()
        order = torch.from_numpy(rng.permutation(n)).to(device)
        total = 0.0
        for first in range(0, n, batch):
            index = order[first:first + batch]
            xb, yb = x_all.index_select(0, index), y_all.index_select(0, index)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total = total + loss.detach()
        mean_loss = float(total) / -(-n // batch)  # one host sync per epoch, like Dendrite
        sync()
        return time.perf_counter() - start, n, mean_loss

    return epoch


def blas_threads() -> int:
    try:
        from threadpoolctl import threadpool_info
        counts = [info["num_threads"] for info in threadpool_info()
                  if info.get("user_api") == "blas"]
        return max(counts) if counts else 1
    except ImportError:
        return 1


def bench(workload: Workload, engine: str, repeats: int, folder: Path) -> dict:
    import torch

    backend, _ = select_backend(engine)
    if backend.name == "cupy":
        import cupy
        device = torch.device("cuda")
        dendrite_sync = cupy.cuda.Device().synchronize
        torch_sync = torch.cuda.synchronize
    else:
        device = torch.device("cpu")

        def dendrite_sync():
            return None
        torch_sync = dendrite_sync
    x, labels = load_data(workload)
    program = dendrite_program(workload, x, labels, backend, folder)
    torch_epoch = torch_trainer(workload, x, labels, program, device)
    for _ in range(2):  # warm-up
        dendrite_epoch(program, dendrite_sync)
        torch_epoch(torch_sync)
    ours, theirs, last, torch_loss = [], [], {}, float("nan")
    for _ in range(repeats):
        seconds, samples, last = dendrite_epoch(program, dendrite_sync)
        ours.append(samples / seconds)
        seconds, samples, torch_loss = torch_epoch(torch_sync)
        theirs.append(samples / seconds)
    ours_median, theirs_median = statistics.median(ours), statistics.median(theirs)
    return {"workload": workload.name, "dendrite": ours_median, "torch": theirs_median,
            "ratio": ours_median / theirs_median, "loss": last.get("loss", float("nan")),
            "torch_loss": torch_loss}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("numpy", "cupy"), default="numpy")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for NumPy's BLAS and torch (default: BLAS's own count)")
    parser.add_argument("--workloads", nargs="*", default=None,
                        help=f"any of {', '.join(WORKLOADS)} (default: mlp784 digits, and "
                             "mlp784_1024 on cupy)")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: .venv/bin/pip install torch==2.13.0")
        return 2
    if args.threads:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads, user_api="blas")
    threads = blas_threads()
    torch.set_num_threads(threads)
    names = args.workloads or (["mlp784", "digits", "mlp784_1024"] if args.engine == "cupy"
                               else ["mlp784", "digits"])
    print(f"engine {args.engine}, torch {torch.__version__}, numpy {np.__version__}, "
          f"BLAS threads = torch threads = {threads}, median of {args.repeats} epochs")
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            row = bench(WORKLOADS[name], args.engine, args.repeats, Path(folder))
            print(f"{row['workload']}: Dendrite {row['dendrite']:,.0f} samples/s, "
                  f"PyTorch {row['torch']:,.0f} samples/s, ratio {row['ratio']:.2f} "
                  f"(last epoch's mean loss: Dendrite {row['loss']:.3f}, "
                  f"PyTorch {row['torch_loss']:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
