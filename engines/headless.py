"""Headless runs: `python main.py run GRAPH` trains a graph file in a terminal.

Loads the graph, picks the backend (and says why), compiles, runs a Session with a progress bar,
prints a summary table and writes the run record. Bad input ends with one clear line on stderr
and exit code 1, never a traceback.
"""

from __future__ import annotations

import sys

from engines.backend import select_backend
from engines.compiler import CompileError, compile_graph
from engines.events import Failed, Finished, Log, Progress, Scalar
from engines.records import RunRecorder, RunRecordError, load_initial_weights
from engines.session import Session
from graph.registry import Registry


def _fail(message: str) -> int:
    text = " ".join(part.strip() for part in str(message).splitlines() if part.strip())
    print(f"error: {text}", file=sys.stderr, flush=True)
    return 1


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class _Bar:
    """A tqdm bar over epochs showing loss, validation loss and the ETA (or nothing)."""

    def __init__(self, epochs: int, quiet: bool):
        self.bar = None
        self.val_loss = None
        if not quiet:
            from tqdm import tqdm
            self.bar = tqdm(total=epochs, unit="epoch", dynamic_ncols=True, leave=True,
                            file=sys.stderr)

    def handle(self, event) -> None:
        if isinstance(event, Scalar) and event.tag == "val/loss":
            self.val_loss = event.value
        elif isinstance(event, Progress) and self.bar is not None:
            if event.epoch > self.bar.n:
                self.bar.update(event.epoch - self.bar.n)
            postfix = {"loss": _fmt(event.loss)}
            if self.val_loss is not None:
                postfix["val"] = _fmt(self.val_loss)
            self.bar.set_postfix(postfix, refresh=False)
        elif isinstance(event, Log):
            self.write(event.message)

    def write(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=sys.stdout)
        else:
            print(text, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def summary_rows(history: list, seconds: float, samples_per_epoch: int, record) -> list:
    """(label, value) rows of the end-of-run table."""
    last = history[-1] if history else {}
    epochs = len(history)
    rows = [(label, _fmt(last.get(key))) for label, key in (
        ("train loss", "train/loss"), ("train accuracy", "train/accuracy"),
        ("val loss", "val/loss"), ("val accuracy", "val/accuracy")) if key in last]
    rows.append(("epochs", str(epochs)))
    rows.append(("seconds", f"{seconds:.2f}"))
    if samples_per_epoch and seconds > 0:
        rows.append(("samples/s", f"{samples_per_epoch * epochs / seconds:,.0f}"))
    rows.append(("record", str(record)))
    return rows


def run_graph_file(path, registry: Registry, engine: str = "auto", epochs: int | None = None,
                   seed: int | None = None, runs_dir="runs", quiet: bool = False) -> int:
    """Train the graph in file `path` with the node types of registry; returns the process
    exit code (0 ok, 1 failed)."""
    from graph.fileio import GraphFileError, load_graph

    try:
        graph = load_graph(path, registry)
    except (GraphFileError, OSError) as exc:
        return _fail(str(exc))
    settings = graph.settings
    choice = engine if engine != "auto" else settings.get("engine", "auto")
    try:
        backend, why = select_backend(choice)
    except (RuntimeError, ValueError) as exc:
        return _fail(str(exc))
    epochs = int(epochs if epochs is not None else settings.get("epochs", 100))
    seed = int(seed if seed is not None else settings.get("seed", 0))
    print(f"Engine: {why}", flush=True)
    try:
        program = compile_graph(graph, registry, backend, seed=seed)
        loaded = load_initial_weights(program, path)
    except (CompileError, RunRecordError) as exc:
        return _fail(str(exc))
    if loaded is not None:
        print(f"Initial weights: {loaded}", flush=True)
    total_params = sum(program.param_counts.values())
    print(f"Graph '{graph.name}': {len(graph.nodes)} nodes, {total_params:,} parameters, "
          f"{epochs} epochs, seed {seed}", flush=True)

    # the record's graph says how this run went, command-line overrides included
    graph.settings.update(epochs=epochs, seed=seed, engine=backend.name)
    recorder = RunRecorder(runs_dir, graph, path)
    session = Session(program, epochs=epochs, observers=[recorder.observe])
    bar = _Bar(epochs, quiet)
    ended = None
    try:
        session.start()
        while True:
            alive = not session.join(0.1)
            for event in session.poll():
                bar.handle(event)
                if isinstance(event, (Finished, Failed)):
                    ended = event
            if not alive:
                break
    except KeyboardInterrupt:
        session.stop()
        session.join()
        for event in session.poll():
            if isinstance(event, (Finished, Failed)):
                ended = event
    finally:
        bar.close()
    summary = recorder.finish(program, engine=backend.name, seed=seed, epochs=epochs,
                              history=session.history)
    if isinstance(ended, Failed):
        print(f"Run record: {recorder.folder}", flush=True)
        return _fail(ended.message)
    samples = program.feeds[0].n_train if program.feeds else 0
    seconds = float(summary.get("seconds") or 0.0)
    reason = ended.reason if isinstance(ended, Finished) else "unknown"
    print(f"Finished ({reason.replace('_', ' ')}).")
    rows = summary_rows(session.history, seconds, samples, recorder.folder)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    return 0

