"""LSTM training speed: Dendrite's LSTM node against torch.nn.LSTM, each in its own process.

Workload: 128 units, sequences of 64 steps, batch 32, 32 input features, float32, a Dense per
step to one output, sequence MSE, Adam. Dendrite builds sequence file -> LSTM -> Dense per step
-> sequence MSE -> Adam and times `program.train_step` over whole epochs (the data gather
included); PyTorch runs nn.LSTM + nn.Linear + the same loss and Adam on the same batches. Sides
run in separate processes (bench/sides.py) with the order rotating between rounds; medians are
printed as sequences/s and the ratio Dendrite / PyTorch.

    .venv/bin/python bench/bench_lstm.py                        # NumPy vs torch CPU
    .venv/bin/python bench/bench_lstm.py --engine cupy          # CuPy vs torch CUDA
    .venv/bin/python bench/bench_lstm.py --side dendrite --json # one side

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

UNITS, STEPS, BATCH, FEATURES, BATCHES = 128, 64, 32, 32, 20


def _data(seed: int = 0) -> np.ndarray:
    """(BATCH * BATCHES, STEPS, FEATURES + 1) random sequences, last feature the target."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(BATCH * BATCHES, STEPS, FEATURES))
    target = np.tanh(x[:, :, :1] + 0.5 * np.roll(x[:, :, 1:2], 1, axis=1))
    return np.concatenate([x, target], axis=2).astype(np.float32)


def dendrite_side(engine: str, epochs: int) -> dict:
    from engines.backend import select_backend
    from engines.compiler import compile_graph
    from graph.model import Edge, Graph, Node
    from plugins import default_registry
    registry = default_registry()
    backend, _ = select_backend(engine)
    folder = Path(tempfile.mkdtemp())
    np.save(folder / "sequences.npy", _data())
    graph = Graph("bench_lstm")
    for node in [Node("data", "recurrent.sequence_file",
                      {"path": str(folder / "sequences.npy"), "targets": 1,
                       "batch_size": BATCH, "val_split": 0.0, "shuffle": False}),
                 Node("lstm", "recurrent.lstm", {"units": UNITS}),
                 Node("out", "recurrent.seq_dense", {"units": 1}),
                 Node("loss", "recurrent.seq_mse", {}),
                 Node("opt", "core.adam", {"lr": 0.001})]:
        graph.add_node(node)
    for text in ["data.x lstm.x", "lstm.y out.x", "out.y loss.pred", "data.y loss.target",
                 "loss.loss opt.loss"]:
        src, dst = text.split()
        graph.connect(Edge(*src.split("."), *dst.split(".")))
    program = compile_graph(graph, registry, backend, monitors=False)
    program.begin()
    sync = (lambda: backend.xp.cuda.Device().synchronize()) if backend.name == "cupy" \
        else (lambda: None)
    steps = program.steps_per_epoch()
    program.train_step(0)  # warm-up
    sync()
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(epochs):
        for index in range(steps):
            program.train_step(index)
    sync()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"side": "dendrite", "per_s": epochs * steps * BATCH / seconds,
            "per_cpu_s": epochs * steps * BATCH / cpu,
            "loss": float(program.read_metrics().get("loss", float("nan")))}


def torch_side(engine: str, epochs: int) -> dict:
    import torch
    device = "cuda" if engine == "cupy" else "cpu"
    data = torch.from_numpy(_data()).to(device)
    lstm = torch.nn.LSTM(FEATURES, UNITS, batch_first=True).to(device)
    head = torch.nn.Linear(UNITS, 1).to(device)
    optimizer = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.001)

    def step(index):
        batch = data[index * BATCH:(index + 1) * BATCH]
        optimizer.zero_grad(set_to_none=True)
        out, _ = lstm(batch[:, :, :FEATURES])
        loss = 0.5 * ((head(out) - batch[:, :, FEATURES:]) ** 2).sum() / BATCH
        loss.backward()
        optimizer.step()
        return loss

    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    step(0)
    sync()
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(epochs):
        for index in range(BATCHES):
            loss = step(index)
    sync()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"side": "torch", "per_s": epochs * BATCHES * BATCH / seconds,
            "per_cpu_s": epochs * BATCHES * BATCH / cpu,
            "loss": float(loss.detach()), "threads": torch.get_num_threads()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="numpy", choices=("numpy", "cupy"))
    parser.add_argument("--side", choices=("dendrite", "torch"))
    parser.add_argument("--workload", default="lstm128")  # bench/sides.py passes one
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--key", default="per_s", choices=("per_s", "per_cpu_s"),
                        help="rate to compare: wall time, or CPU time (steadier on a shared "
                             "machine)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.side:
        if args.threads:
            from threadpoolctl import threadpool_limits
            threadpool_limits(args.threads)
            if args.side == "torch":
                import torch
                torch.set_num_threads(args.threads)
        run = dendrite_side if args.side == "dendrite" else torch_side
        result = run(args.engine, args.epochs)
        print(json.dumps(result) if args.json else result)
        return 0
    from bench.sides import paired
    extra = ("--engine", args.engine, "--epochs", str(args.epochs))
    medians = paired("bench_lstm.py", "lstm128", ("dendrite", "torch"), args.rounds,
                     threads=args.threads, key=args.key, extra=extra)
    ours, theirs = medians["dendrite"]["median"], medians["torch"]["median"]
    print(f"LSTM {UNITS} units, {STEPS} steps, batch {BATCH}, {FEATURES} features, float32, "
          f"Adam ({args.engine}, {args.key}, median of {args.rounds} rounds)")
    print(f"  dendrite {ours:9.1f} sequences/s  (runs {medians['dendrite']['runs']})")
    print(f"  torch    {theirs:9.1f} sequences/s  (runs {medians['torch']['runs']})")
    print(f"  ratio dendrite / torch = {ours / theirs:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
