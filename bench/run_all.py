"""Every benchmark, each side in its own process, in one table; figures saved as JSON.

Paired benchmarks (MLP, RBM) run Dendrite, PyTorch and the matmul bound as separate processes
(bench/sides.py), rotating their order between rounds, and report medians: the ratio Dendrite /
PyTorch (> 1: Dendrite is faster) and Dendrite's share of the matmul bound (the rate of the
step's matmuls alone at their own shapes); on the CPU also the floor's share (the matmuls plus
the gather and Adam's pass: the most a step can reach, bench_mlp.side_floor). On the CPU the
shares are measured a second way, Dendrite's epochs alternating with the bound's and floor's
loops in one process (bench_mlp.side_interleaved), which a slow spell of a shared machine
moves less. Single-sided benchmarks (Hopfield, graph scale, LIF, and the LSTM / LeNet ones
when present) run as they are and their last lines are kept.
docs/PERFORMANCE.md's tables come from these files.

    .venv/bin/python bench/run_all.py [--quick] [--engine numpy|cupy] [--only mlp rbm ...]
    .venv/bin/python bench/run_all.py --markdown bench/results/<run>.json   # the doc's table
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.sides import SideFailed, paired, run_side  # noqa: E402

# single-sided benchmarks: script, arguments (quick, full) for numpy; cupy variants below
SINGLE = {
    "hopfield": ("bench_hopfield.py", ["--steps", "5", "--repeats", "2"], []),
    "graph_scale": ("bench_graph_scale.py", ["--sizes", "1000", "10000", "--repeats", "1"], []),
    "lif": ("bench_lif.py", ["--seconds", "0.2"], []),
    "lstm": ("bench_lstm.py", [], []),
    "lenet": ("bench_lenet.py", [], []),
}
GPU_SINGLE = {"lif": ["--engine", "cupy"], "lstm": ["--engine", "cupy"]}


def mlp_rows(engine: str, quick: bool, threads: int, rounds: int = 0) -> list[dict]:
    from bench.bench_mlp import WORKLOADS

    rows = []
    # the floor (the matmuls plus the gather and Adam's pass, bench_mlp.side_floor) is a CPU
    # measurement: bound / floor is the highest share a step with one-core elementwise reaches
    sides = ("dendrite", "torch", "bound") + (("floor",) if engine == "numpy" else ())
    for key in ("mlp784", "mlp784_1024", "digits"):
        rounds, repeats = rounds or (2 if quick else 5), 3 if quick else 5
        result = paired("bench_mlp.py", key, sides, rounds,
                        threads=threads, extra=("--engine", engine, "--repeats", str(repeats)))
        row = _row("mlp", WORKLOADS[key].name, "samples/s", result, engine, threads)
        if "floor" in result:
            row["floor"] = result["floor"]["median"]
            row["floor_share"] = row["floor"] / row["bound"]
            row["paired"]["floor_share"] = _paired(row["runs"], "floor", "bound")
        if engine == "numpy":  # on a GPU a step is launch-bound: its shares mean little
            row["interleaved"] = interleaved_shares(key, engine, threads, 1 if quick else 3)
        rows.append(row)
    return rows


def interleaved_shares(key: str, engine: str, threads: int, processes: int) -> dict:
    """Shares measured with Dendrite's epochs and the bound's (and floor's) loops alternating
    in one process (bench_mlp.side_interleaved): medians over processes of each process's
    median over blocks."""
    runs = [run_side("bench_mlp.py", "interleaved", key, threads=threads,
                     extra=("--engine", engine)) for _ in range(processes)]
    shares = {name: statistics.median(run[name] for run in runs)
              for name in ("bound_share", "floor_share") if name in runs[0]}
    return {**shares, "runs": runs}


def rbm_rows(engine: str, quick: bool, threads: int, rounds: int = 0) -> list[dict]:
    rounds, steps = rounds or (2 if quick else 5), "20" if quick else "60"
    result = paired("bench_rbm.py", "cd1", ("dendrite", "torch", "bound"), rounds,
                    threads=threads, extra=("--engine", engine, "--steps", steps))
    return [_row("rbm", "RBM CD-1 784x500, batch 256", "updates/s", result, engine, threads)]


def _row(benchmark, workload, unit, result, engine, threads) -> dict:
    ours, theirs, bound = (result[s]["median"] for s in ("dendrite", "torch", "bound"))
    runs = {side: result[side]["runs"] for side in result}
    return {"benchmark": benchmark, "workload": workload, "unit": unit, "engine": engine,
            "threads": threads or "default", "dendrite": ours, "torch": theirs,
            "bound": bound, "ratio": ours / theirs, "bound_share": ours / bound,
            "ratio_range": [result["dendrite"]["min"] / result["torch"]["max"],
                            result["dendrite"]["max"] / result["torch"]["min"]],
            # the same ratios within each round (its sides ran a minute apart), median over
            # rounds: a slow spell of a shared machine then falls on both sides of a ratio
            "paired": {"ratio": _paired(runs, "dendrite", "torch"),
                       "bound_share": _paired(runs, "dendrite", "bound")},
            "runs": runs}


NOISY_SPREAD = 1.25  # the bound's fastest round over its slowest: above this, a slow spell hit


def _bound_spread(row: dict) -> float:
    """max / min of the bound side's rounds (it does the same work every time)."""
    bound = row.get("runs", {}).get("bound") or [1.0]
    return max(bound) / min(bound)


def _paired(runs: dict, top: str, bottom: str) -> float:
    """Median over rounds of top / bottom, each round's own runs (side -> rates by round)."""
    return statistics.median(a / b for a, b in zip(runs[top], runs[bottom]))


def single_rows(names: list[str], engine: str, quick: bool) -> list[dict]:
    rows = []
    for name in names:
        script, quick_args, full_args = SINGLE[name]
        if not (BENCH / script).exists():
            rows.append({"benchmark": name, "workload": script, "status": "not present"})
            continue
        arguments = quick_args if quick else full_args
        if engine == "cupy":
            if name not in GPU_SINGLE:
                continue
            arguments = arguments + GPU_SINGLE[name]
        began = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, str(BENCH / script), *arguments],
                                  capture_output=True, text=True, timeout=600, cwd=ROOT)
            status = "ok" if done.returncode == 0 else f"exit {done.returncode}"
            output = (done.stdout + ("" if done.returncode == 0 else done.stderr)).strip()
        except subprocess.TimeoutExpired:
            status, output = "timed out (600 s)", ""
        rows.append({"benchmark": name, "workload": script, "status": status,
                     "seconds": round(time.perf_counter() - began, 1),
                     "output": output.splitlines()[-12:]})
    return rows


def print_table(rows: list[dict]) -> None:
    paired_rows = [r for r in rows if "ratio" in r]
    if paired_rows:
        print(f"{'benchmark':<44} {'Dendrite':>12} {'PyTorch':>12} {'ratio':>6} "
              f"{'range':>11} {'bound share':>11} {'floor share':>11} {'one process':>13}")
        for r in paired_rows:
            low, high = r["ratio_range"]
            floor = f"{r['floor_share']:.0%}" if "floor_share" in r else "-"
            print(f"{r['workload']:<44} {r['dendrite']:>12,.1f} {r['torch']:>12,.1f} "
                  f"{r['ratio']:>6.2f} {low:>5.2f}-{high:<5.2f} {r['bound_share']:>11.0%} "
                  f"{floor:>11} {_interleaved_cell(r):>13}")
    for r in paired_rows:
        if _bound_spread(r) > NOISY_SPREAD:
            print(f"noisy: {r['workload']}: the bound's rounds differ {_bound_spread(r):.2f}x; "
                  "rerun on a quieter machine or with more --rounds")
    for r in rows:
        if "ratio" in r:
            continue
        print(f"\n{r['benchmark']} ({r['workload']}): {r['status']}")
        for line in r.get("output", []):
            print(f"    {line}")


def _interleaved_cell(row: dict) -> str:
    """"bound share / floor share" measured in one process, or "-" where not measured."""
    shares = row.get("interleaved") or {}
    if "bound_share" not in shares:
        return "-"
    floor = f" / {shares['floor_share']:.0%}" if "floor_share" in shares else ""
    return f"{shares['bound_share']:.0%}{floor}"


def markdown(document: dict) -> str:
    """The paired rows of a saved run as the Markdown table docs/PERFORMANCE.md shows."""
    load = ", ".join(f"{x:g}" for x in document.get("load") or [])
    lines = [f"{document['time']}, engine {document['engine']}, {document['cpus']} CPUs "
             f"(load average {load or '?'}), NumPy {document['numpy']}, "
             f"torch {document['torch']}{', quick' if document['quick'] else ''}:", "",
             "| workload | unit | Dendrite | PyTorch | ratio (range) | matmul bound | share "
             "| floor share | one process: share / floor share |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in document["rows"]:
        if "ratio" not in r:
            continue
        low, high = r["ratio_range"]
        runs = r.get("runs", {})  # derived here, so older files without "paired" show it too
        paired = {key: _paired(runs, top, "bound")
                  for key, top in (("bound_share", "dendrite"), ("floor_share", "floor"))
                  if top in runs and "bound" in runs}

        def share(key, r=r, paired=paired):  # "median ratio (paired by round)" when known
            if key not in r:
                return "-"
            return f"{r[key]:.0%}" + (f" ({paired[key]:.0%})" if key in paired else "")

        lines.append(f"| {r['workload']} | {r['unit']} | {r['dendrite']:,.0f} | "
                     f"{r['torch']:,.0f} | {r['ratio']:.2f}x ({low:.2f}-{high:.2f}) | "
                     f"{r['bound']:,.0f} | {share('bound_share')} | {share('floor_share')} | "
                     f"{_interleaved_cell(r)} |")
    noisy = [f"{r['workload']} ({_bound_spread(r):.2f}x)" for r in document["rows"]
             if "ratio" in r and _bound_spread(r) > NOISY_SPREAD]
    if noisy:
        lines += ["", "Noisy (the bound's rounds differ by more than "
                  f"{NOISY_SPREAD:.2f}x): " + ", ".join(noisy) + "."]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("numpy", "cupy"), default="numpy")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and smaller sizes")
    parser.add_argument("--rounds", type=int, default=0,
                        help="processes per side of a paired benchmark (default 5, quick 2): "
                             "more on a noisy machine")
    parser.add_argument("--threads", type=int, default=0,
                        help="BLAS and torch threads (default: each library's own)")
    parser.add_argument("--only", nargs="*", default=None,
                        help=f"any of mlp, rbm, {', '.join(SINGLE)}")
    parser.add_argument("--out", help="JSON file (default bench/results/<time>-<engine>.json)")
    parser.add_argument("--markdown", metavar="JSON",
                        help="print a saved run's table as Markdown (for PERFORMANCE.md)")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(json.loads(Path(args.markdown).read_text())))
        return 0
    wanted = set(args.only or ["mlp", "rbm", *SINGLE])
    try:
        import torch
        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    rows = []
    if torch_version is None:
        print("PyTorch is not installed: paired benchmarks skipped "
              "(.venv/bin/pip install torch==2.13.0).")
    else:
        for name, make in (("mlp", mlp_rows), ("rbm", rbm_rows)):
            if name in wanted:
                try:
                    rows += make(args.engine, args.quick, args.threads, args.rounds)
                except SideFailed as exc:
                    rows.append({"benchmark": name, "workload": name,
                                 "status": f"failed: {exc}"})
    rows += single_rows([n for n in SINGLE if n in wanted], args.engine, args.quick)
    print_table(rows)
    import numpy
    document = {"time": time.strftime("%Y-%m-%d %H:%M:%S"), "engine": args.engine,
                "quick": args.quick, "python": platform.python_version(),
                "numpy": numpy.__version__, "torch": torch_version,
                "machine": platform.machine(), "cpus": _cpus(), "load": _load(), "rows": rows}
    out = Path(args.out) if args.out else \
        BENCH / "results" / f"{time.strftime('%Y%m%d-%H%M%S')}-{args.engine}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nFigures written to {out}")
    return 0


def _cpus() -> int:
    import os
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _load():
    try:
        import os
        return [round(v, 2) for v in os.getloadavg()]  # a busy machine's figures say so
    except OSError:
        return None


if __name__ == "__main__":
    sys.exit(main())
