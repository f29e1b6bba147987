"""One sweep trial: the normal headless program with some parameters changed.

Loads the (staged) graph file, sets the trial's parameter values and seed, compiles, trains on
the calling thread and writes a normal run record. `report(metrics)` is called once per epoch
with that epoch's metrics (Ray Tune's `tune.report` in a sweep, anything in tests). No Ray here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engines.backend import select_backend
from engines.compiler import compile_graph
from engines.events import Failed, Finished
from engines.records import RunRecorder, load_initial_weights
from engines.session import Session
from graph.commands import SetParam
from graph.fileio import load_graph
from graph.registry import Registry


class TrialFailed(RuntimeError):
    """The trial could not run or diverged; the message is the user-facing reason."""

    def __init__(self, message: str, record: str = ""):
        super().__init__(message)
        self.record = record  # the failed run's record folder, when one was written


@dataclass(frozen=True)
class TrialResult:
    """How a trial ended: its final metrics, seconds, reason and record folder."""

    final: dict
    seconds: float
    reason: str
    record: str


def run_trial(graph_path, values: dict, seed: int, registry: Registry, runs_dir,
              epochs: int | None = None, report: Callable[[dict], None] | None = None,
              engine: str = "numpy") -> TrialResult:
    """Train graph_path with `values` ({"node.param": value}) and `seed`; TrialFailed on error."""
    graph_path = Path(graph_path)
    graph = load_graph(graph_path, registry)  # its relative file paths anchored to its folder
    for key, value in values.items():
        node_id, _, name = key.partition(".")
        SetParam(node_id, name, value).apply(graph)
    graph.name = f"{graph.name}-{_slug(values, seed)}"
    backend, _ = select_backend(engine)
    epochs = int(epochs if epochs is not None else graph.settings.get("epochs", 100))
    try:
        program = compile_graph(graph, registry, backend, seed=seed)
    except Exception as exc:  # a structural value that cannot compile: report, not crash
        raise TrialFailed(f"does not compile: {exc}") from None
    load_initial_weights(program, graph_path)
    recorder = RunRecorder(runs_dir, graph, graph_path)
    session = Session(program, epochs=epochs, observers=[recorder.observe])
    reported = 0

    def on_event(_event) -> None:
        nonlocal reported
        if report is not None and len(session.history) > reported:
            reported = len(session.history)
            report(_finite(session.history[-1]))

    session.observers.append(on_event)
    began = time.perf_counter()
    events = session.run()
    seconds = time.perf_counter() - began
    recorder.finish(program, engine=backend.name, seed=seed, epochs=epochs,
                    history=session.history)
    ended = next((e for e in reversed(events) if isinstance(e, (Finished, Failed))), None)
    if isinstance(ended, Failed):
        raise TrialFailed(ended.message, str(recorder.folder))
    final = dict(session.history[-1]) if session.history else {}
    reason = ended.reason if isinstance(ended, Finished) else "unknown"
    return TrialResult(final, seconds, str(getattr(reason, "value", reason)),
                       str(recorder.folder))


def _finite(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items()
            if isinstance(v, (int, float)) and math.isfinite(v)}


def _slug(values: dict, seed: int) -> str:
    parts = [f"{key.split('.')[-1]}{value:g}" if isinstance(value, float)
             else f"{key.split('.')[-1]}{value}" for key, value in values.items()]
    return "-".join(parts + [f"s{seed}"]).replace("/", "_").replace(" ", "")[:80]
