"""MLP training speed: Dendrite (a compiled graph of core nodes) against PyTorch, and against
the matmul bound, each in its own process.

Each workload builds the graph data -> dense -> relu -> ... -> softmax_cross_entropy -> adam,
compiles it and times `program.train_step` over whole epochs, exactly the engine's path (the
data feed's gather included). PyTorch runs the same architecture, initial weights, batches and
Adam settings. The bound side times only the step's matmuls (forward, weight gradient, input
gradient) at the workload's own shapes: no training step can beat it, so Dendrite's share of it
says how much is left to gain. The floor side (CPU only) adds the two passes no step can skip,
the batch's gather and one Adam update: bound / floor is the highest share a step whose other
elementwise work runs on one core can reach. Sides run in separate processes (bench/sides.py),
their order rotating between rounds; medians are printed as samples/s with the ratio Dendrite /
PyTorch. The interleaved side measures both shares a second way: Dendrite's epochs alternating
with the bound's and floor's loops in one process.

    .venv/bin/python bench/bench_mlp.py                  # NumPy vs torch CPU vs the bound
    .venv/bin/python bench/bench_mlp.py --engine cupy    # CuPy vs torch CUDA (GPU machine)
    .venv/bin/python bench/bench_mlp.py --side dendrite --workload digits --json   # one side

torch is a benchmark-only dependency (pip install torch==2.13.0); it is not needed to run
Dendrite. Not run by CI.
"""

from __future__ import annotations

import argparse
import json
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


def _sync_for(engine: str):
    if engine == "cupy":
        import cupy
        return cupy.cuda.Device().synchronize
    return lambda: None


def side_dendrite(workload: Workload, engine: str, repeats: int, folder: Path) -> dict:
    backend, _ = select_backend(engine)
    sync = _sync_for(backend.name)
    x, labels = load_data(workload)
    program = dendrite_program(workload, x, labels, backend, folder)
    for _ in range(2):  # warm-up
        dendrite_epoch(program, sync)
    rates, last = [], {}
    for _ in range(repeats):
        seconds, samples, last = dendrite_epoch(program, sync)
        rates.append(samples / seconds)
    rate = statistics.median(rates)
    return {"per_s": rate, "step_ms": 1e3 * workload.batch / rate,
            "loss": float(last.get("loss", float("nan")))}


def side_torch(workload: Workload, engine: str, repeats: int, folder: Path) -> dict:
    import torch

    device = torch.device("cuda" if engine == "cupy" else "cpu")
    sync = torch.cuda.synchronize if engine == "cupy" else (lambda: None)
    x, labels = load_data(workload)
    numpy_backend, _ = select_backend("numpy")  # only for Dendrite's initial weights
    program = dendrite_program(workload, x, labels, numpy_backend, folder)
    epoch = torch_trainer(workload, x, labels, program, device)
    for _ in range(2):
        epoch(sync)
    rates, loss = [], float("nan")
    for _ in range(repeats):
        seconds, samples, loss = epoch(sync)
        rates.append(samples / seconds)
    rate = statistics.median(rates)
    return {"per_s": rate, "step_ms": 1e3 * workload.batch / rate, "loss": loss,
            "torch": torch.__version__, "threads": torch.get_num_threads()}


def _products(workload: Workload, xp) -> list:
    """(a, b, out) for each matmul of one step at the workload's shapes."""
    batch, sizes = workload.batch, workload.layers
    rng = np.random.default_rng(0)
    products = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        x = xp.asarray(rng.standard_normal((batch, fan_in), dtype=np.float32))
        w = xp.asarray(rng.standard_normal((fan_in, fan_out), dtype=np.float32))
        dy = xp.asarray(rng.standard_normal((batch, fan_out), dtype=np.float32))
        products.append((x, w, xp.empty((batch, fan_out), xp.float32)))  # forward
        products.append((x.T, dy, xp.empty((fan_in, fan_out), xp.float32)))  # weight grad
        if i > 0:  # the first layer needs no gradient for its input (the data)
            products.append((dy, w.T, xp.empty((batch, fan_in), xp.float32)))
    return products


def _time_steps(workload: Workload, step, sync, repeats: int) -> float:
    """Median seconds of step() over repeats timed loops (after one warm-up loop)."""
    steps = max(20, 20_000 // workload.batch)
    times = []
    for _ in range(repeats + 1):
        sync()
        start = time.perf_counter()
        for index in range(steps):
            step(index)
        sync()
        times.append((time.perf_counter() - start) / steps)
    return statistics.median(times[1:])


def _bound_step(products: list, xp):
    """step(index) running the products (_products) alone into their preallocated outputs."""

    def step(_index):
        for a, b, out in products:
            xp.matmul(a, b, out=out)

    return step


def side_bound(workload: Workload, engine: str, repeats: int, folder: Path) -> dict:
    """The step's matmuls alone, at the workload's shapes, into preallocated outputs."""
    backend, _ = select_backend(engine)
    products = _products(workload, backend.xp)
    seconds = _time_steps(workload, _bound_step(products, backend.xp),
                          _sync_for(backend.name), repeats)
    return {"per_s": workload.batch / seconds, "step_ms": 1e3 * seconds,
            "matmuls_per_step": len(products)}


def _floor_step(workload: Workload):
    """step(index): the bound's matmuls plus the two passes no NumPy step can skip, the
    batch's gather from the training data (as the data feed does it) and one Adam update over
    every parameter (the engine's compiled kernel)."""
    from plugins.core import fused

    products = _products(workload, np)
    data, _ = load_data(workload)
    order = np.random.default_rng(1).permutation(len(data))
    rows = np.empty((workload.batch, data.shape[1]), np.float32)
    batches = len(data) // workload.batch
    count = _parameter_count(workload)
    rng = np.random.default_rng(2)
    value, grad = (rng.standard_normal(count, dtype=np.float32) for _ in range(2))
    avg, sq_avg = np.zeros(count, np.float32), np.zeros(count, np.float32)
    adam = fused.kernel("adam")
    kind = np.float32
    scalars = (kind(0.9), kind(0.999), kind(1e-8), kind(1e-3), np.finfo(kind).tiny)

    def step(index):
        first = (index % batches) * workload.batch
        np.take(data, order[first:first + workload.batch], axis=0, out=rows, mode="clip")
        for a, b, out in products:
            np.matmul(a, b, out=out)
        adam(value, grad, avg, sq_avg, *scalars)

    return step


def _parameter_count(workload: Workload) -> int:
    return sum((fan_in + 1) * fan_out
               for fan_in, fan_out in zip(workload.layers[:-1], workload.layers[1:]))


def side_floor(workload: Workload, engine: str, repeats: int, folder: Path) -> dict:
    """The floor's step alone (_floor_step). bound / floor is the highest share of the bound
    a step can reach while the rest of its elementwise work runs on one core."""
    if engine != "numpy":
        raise SystemExit("the floor side is measured on the CPU (NumPy) only")
    seconds = _time_steps(workload, _floor_step(workload), lambda: None, repeats)
    return {"per_s": workload.batch / seconds, "step_ms": 1e3 * seconds,
            "parameters": _parameter_count(workload)}


BLOCK_SECONDS = 0.25  # one block of the interleaved side: short enough that a slow spell
#                       of a shared machine usually covers a whole block, both sides alike


def side_interleaved(workload: Workload, engine: str, repeats: int, folder: Path) -> dict:
    """Dendrite's epochs alternating with the bound's loop (and on the CPU the floor's) in one
    process, in blocks of about BLOCK_SECONDS each, the order flipping every block; returns the
    median over blocks of each block's own shares. Across processes a slow spell that falls
    on one side and not the other moves a share by 20-50% on this shared machine; within a
    block it falls on both. (The three use one BLAS thread pool one after another, so nothing
    competes; PyTorch stays in its own process.)"""
    backend, _ = select_backend(engine)
    sync = _sync_for(backend.name)
    x, labels = load_data(workload)
    program = dendrite_program(workload, x, labels, backend, folder)
    loops = {"bound": _bound_step(_products(workload, backend.xp), backend.xp)}
    if engine == "numpy":
        loops["floor"] = _floor_step(workload)
    batches = program.feeds[0].batches("train")
    for _ in range(2):  # warm-up; the second epoch's time sizes the blocks
        seconds, _, _ = dendrite_epoch(program, sync)
    epochs = max(1, round(BLOCK_SECONDS / seconds))

    def loop_rate(step) -> float:
        sync()
        start = time.perf_counter()
        for index in range(epochs * batches):
            step(index)
        sync()
        return epochs * batches * workload.batch / (time.perf_counter() - start)

    def dendrite_rate() -> float:
        elapsed = samples = 0
        for _ in range(epochs):
            seconds, count, _ = dendrite_epoch(program, sync)
            elapsed, samples = elapsed + seconds, samples + count
        return samples / elapsed

    for step in loops.values():
        loop_rate(step)
    rates: dict[str, list] = {"dendrite": [], **{name: [] for name in loops}}  # by block

    def run_loops() -> None:
        for name, step in loops.items():
            rates[name].append(loop_rate(step))

    for block in range(max(12, 4 * repeats)):
        if block % 2:
            run_loops()
        rates["dendrite"].append(dendrite_rate())
        if not block % 2:
            run_loops()
    bound_shares = [d / b for d, b in zip(rates["dendrite"], rates["bound"])]
    result = {"bound_share": statistics.median(bound_shares)}
    if "floor" in rates:
        result["floor_share"] = statistics.median(
            f / b for f, b in zip(rates["floor"], rates["bound"]))
    # per_s is the key bench/sides.py reads from every side
    result.update({"per_s": result["bound_share"], "blocks": len(bound_shares),
                   "block_epochs": epochs,
                   "rates": {name: statistics.median(v) for name, v in rates.items()},
                   "bound_share_range": [min(bound_shares), max(bound_shares)]})
    return result


SIDES = {"dendrite": side_dendrite, "torch": side_torch, "bound": side_bound,
         "floor": side_floor, "interleaved": side_interleaved}


def compare(names: list[str], engine: str, rounds: int, threads: int) -> list[dict]:
    """Every workload's three sides, each in its own process; one row per workload."""
    from bench.sides import paired

    rows = []
    for name in names:
        result = paired("bench_mlp.py", name, ("dendrite", "torch", "bound"), rounds,
                        threads=threads, extra=("--engine", engine))
        ours, theirs, bound = (result[s]["median"] for s in ("dendrite", "torch", "bound"))
        rows.append({"benchmark": "mlp", "workload": WORKLOADS[name].name, "key": name,
                     "engine": engine, "threads": threads or "default", "dendrite": ours,
                     "torch": theirs, "bound": bound, "ratio": ours / theirs,
                     "bound_share": ours / bound, "unit": "samples/s",
                     "ratio_range": [result["dendrite"]["min"] / result["torch"]["max"],
                                     result["dendrite"]["max"] / result["torch"]["min"]]})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("numpy", "cupy"), default="numpy")
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs per process")
    parser.add_argument("--rounds", type=int, default=3, help="processes per side")
    parser.add_argument("--threads", type=int, default=0,
                        help="threads for BLAS and torch (default: each library's own)")
    parser.add_argument("--workloads", nargs="*", default=None,
                        help=f"any of {', '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--side", choices=tuple(SIDES), help="run one side only")
    parser.add_argument("--workload", choices=tuple(WORKLOADS), help="with --side")
    parser.add_argument("--json", action="store_true", help="with --side: one JSON line")
    args = parser.parse_args(argv)
    if args.side:
        if args.threads:
            from threadpoolctl import threadpool_limits
            threadpool_limits(args.threads)
            if args.side == "torch":
                import torch
                torch.set_num_threads(args.threads)
        with tempfile.TemporaryDirectory() as folder:
            result = SIDES[args.side](WORKLOADS[args.workload or "digits"], args.engine,
                                      args.repeats, Path(folder))
        result.update({"side": args.side, "workload": args.workload, "engine": args.engine,
                       "blas_threads": blas_threads()})
        print(json.dumps(result) if args.json else result)
        return 0
    names = args.workloads or list(WORKLOADS)
    for row in compare(names, args.engine, args.rounds, args.threads):
        print(f"{row['workload']}: Dendrite {row['dendrite']:,.0f} samples/s, PyTorch "
              f"{row['torch']:,.0f}, ratio {row['ratio']:.2f} "
              f"(range {row['ratio_range'][0]:.2f}-{row['ratio_range'][1]:.2f}); matmul bound "
              f"{row['bound']:,.0f}, share {row['bound_share']:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
