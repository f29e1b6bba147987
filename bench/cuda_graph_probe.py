"""Probe: can one Dendrite training step be captured as a CUDA graph, and what would it save?

Run on a GPU machine (bench/gpu_check.sh runs it): for each MLP workload it times eager steps,
then captures one step on a side stream and times replays of the captured graph. The replays
repeat the captured batch and Adam step (per-step host scalars are baked in), so this measures
the launch overhead a capture would remove, not a training run.

    python bench/cuda_graph_probe.py
"""

from __future__ import annotations

import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_mlp import WORKLOADS, dendrite_program, load_data  # noqa: E402
from engines.backend import select_backend  # noqa: E402


def timed(run, sync, repeats: int) -> float:
    """Milliseconds per call, median-free: one long timed loop after a synced start."""
    sync()
    start = time.perf_counter()
    for _ in range(repeats):
        run()
    sync()
    return 1e3 * (time.perf_counter() - start) / repeats


def probe(key: str, backend, folder: Path) -> None:
    import cupy
    workload = WORKLOADS[key]
    x, labels = load_data(workload)
    program = dendrite_program(workload, x, labels, backend, folder)
    sync = cupy.cuda.Device().synchronize
    program.feeds[0].begin_epoch(0)
    for _ in range(3):
        program.train_step(0)
    eager = timed(lambda: program.train_step(0), sync, 200)
    stream = cupy.cuda.Stream(non_blocking=True)
    try:
        with stream:
            program.train_step(0)  # warm the pool on this stream
            stream.synchronize()
            stream.begin_capture()
            try:
                program.train_step(0)
            finally:
                graph = stream.end_capture()
        replay = timed(lambda: graph.launch(stream), stream.synchronize, 200)
        print(f"{key}: eager step {eager:.3f} ms, captured replay {replay:.3f} ms "
              f"({eager / replay:.1f}x)", flush=True)
    except Exception:
        print(f"{key}: eager step {eager:.3f} ms; capture FAILED:", flush=True)
        traceback.print_exc(limit=8, file=sys.stdout)


def raw_cublas_capture() -> None:
    """CuPy refuses its own matmul during capture (cupy/cupy#6290); does cuBLAS called
    directly through CuPy's low-level bindings capture and replay correctly?"""
    import cupy
    import numpy as np
    from cupy_backends.cuda.libs import cublas
    m, k, n = 128, 256, 64
    a = cupy.random.random((m, k), dtype=cupy.float32)
    b = cupy.random.random((k, n), dtype=cupy.float32)
    c = cupy.zeros((m, n), dtype=cupy.float32)
    one, zero = np.ones(1, np.float32), np.zeros(1, np.float32)
    stream = cupy.cuda.Stream(non_blocking=True)
    handle = cupy.cuda.device.get_cublas_handle()
    try:
        with stream:
            cublas.setStream(handle, stream.ptr)
            cublas.setPointerMode(handle, cublas.CUBLAS_POINTER_MODE_HOST)
            stream.begin_capture()
            try:  # row-major C = A B is column-major C^T = B^T A^T
                cublas.sgemm(handle, 0, 0, n, m, k, one.ctypes.data, b.data.ptr, n,
                             a.data.ptr, k, zero.ctypes.data, c.data.ptr, n)
            finally:
                graph = stream.end_capture()
            graph.launch(stream)
            stream.synchronize()
        error = float(cupy.abs(c - a @ b).max())
        print(f"raw cuBLAS sgemm under capture: replayed, max error {error:.2e}", flush=True)
    except Exception:
        print("raw cuBLAS sgemm under capture FAILED:", flush=True)
        traceback.print_exc(limit=4, file=sys.stdout)


def main() -> int:
    backend, reason = select_backend("auto")
    if backend.name != "cupy":
        print(f"cuda_graph_probe: no GPU ({reason})")
        return 3
    with tempfile.TemporaryDirectory() as folder:
        for key in ("digits", "mlp784", "mlp784_1024"):
            probe(key, backend, Path(folder))
    raw_cublas_capture()
    return 0


if __name__ == "__main__":
    sys.exit(main())
