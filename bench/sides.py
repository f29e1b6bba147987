"""Each side of a benchmark in its own process, so NumPy's and PyTorch's thread pools never
compete: `run_side` starts `python bench/<script> --side SIDE --workload W --json` and reads the
one JSON object it prints; `paired` alternates which side goes first over the rounds and
returns the medians."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent


class SideFailed(RuntimeError):
    """A side's process failed or printed no result; the message holds its last lines."""


def run_side(script: str, side: str, workload: str, *, threads: int = 0,
             extra: tuple = (), timeout: float = 900) -> dict:
    """One side of one workload in a fresh interpreter; returns its JSON result."""
    env = dict(os.environ)
    if threads:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(threads)
    command = [sys.executable, str(BENCH / script), "--side", side, "--workload", workload,
               "--json", *extra]
    if threads:
        command += ["--threads", str(threads)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
        raise SideFailed(f"{script} --side {side} --workload {workload}: exit "
                         f"{done.returncode}\n{tail}")
    return json.loads(lines[-1])


def paired(script: str, workload: str, sides: tuple, rounds: int, *, threads: int = 0,
           key: str = "per_s", extra: tuple = ()) -> dict:
    """Median of `key` per side over rounds, the order of sides rotating each round."""
    values: dict[str, list] = {side: [] for side in sides}
    last: dict[str, dict] = {}
    for round_index in range(rounds):
        order = sides[round_index % len(sides):] + sides[:round_index % len(sides)]
        for side in order:
            result = run_side(script, side, workload, threads=threads, extra=extra)
            values[side].append(result[key])
            last[side] = result
    return {side: {"median": statistics.median(v), "min": min(v), "max": max(v),
                   "runs": v, "last": last[side]} for side, v in values.items()}
