"""`main.py sweep GRAPH ...`: check the plan, run it on Ray, write and print the summary."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from engines.sweep.plan import make_plan
from engines.sweep.ray_tune import import_tune, run_sweep
from engines.sweep.summary import table, write_summary
from graph.fileio import load_graph
from graph.registry import Registry


def sweep_command(graph_path: Path, registry_factory: Callable[[], Registry], *,
                  params: list[str], ranges: list[str], samples: int = 1, seeds: int = 1,
                  metric: str | None = None, mode: str | None = None,
                  scheduler: str | None = None, workers: int | None = None,
                  address: str | None = None, runs_dir: str = "runs",
                  epochs: int | None = None) -> int:
    """Run a sweep from the command line; returns the exit code (0 when any trial finished)."""
    registry = registry_factory()
    graph = load_graph(graph_path, registry)
    plan = make_plan(graph, registry, params, ranges, samples, seeds, metric, mode)
    epochs = int(epochs or graph.settings.get("epochs", 100))
    import_tune()  # say which extra is missing before anything is written
    trials = plan.trials(sample_seed=plan.seeds[0])
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{graph.name}-sweep"
    folder = Path(runs_dir) / name
    where = f"the Ray cluster at {address}" if address else \
        f"a local Ray with {workers or 'all'} CPU{'s' if workers != 1 else ''}"
    print(f"Sweep '{name}': {len(trials)} trial{'s' * (len(trials) != 1)} of "
          f"{graph.name} on {where}; metric {plan.metric} ({plan.mode.value}).", flush=True)
    began = time.perf_counter()
    outcomes = run_sweep(plan, trials, graph, graph_path, registry, registry_factory, folder,
                         epochs=epochs, workers=workers, address=address, scheduler=scheduler,
                         echo=lambda line: print(line, flush=True))
    seconds = time.perf_counter() - began
    json_path, csv_path = write_summary(plan, outcomes, folder, graph_path)
    print(table(plan, outcomes))
    done = sum(o.status == "ok" for o in outcomes)
    early = sum(o.status == "stopped early" for o in outcomes)
    print(f"{done} of {len(outcomes)} trials finished"
          f"{f' ({early} stopped early by ASHA)' if early else ''} in {seconds:.1f} s; "
          f"summary: {csv_path} and {json_path.name}.", flush=True)
    if done + early == 0:
        print("error: no trial finished.", file=sys.stderr)
        return 1
    return 0
