"""Re-run a recorded run: its graph, seed, engine choice and epochs, with its recorded live
edits (edits.jsonl) applied again at the steps where they were applied. On NumPy the replay
is bit for bit the original run (a test checks)."""

from __future__ import annotations

from pathlib import Path

from engines.backend import select_backend
from engines.compiler import compile_graph
from engines.records import RunRecord, load_initial_weights
from engines.session import Session
from graph.fileio import load_graph
from graph.registry import Registry


def replay_session(record: RunRecord, registry: Registry, *, engine: str | None = None,
                   observers: list | None = None):
    """(graph, program, session) ready to start: the record's graph compiled with its seed,
    its initial weights file when the original graph had one, its live edits scheduled.
    engine None uses the record's engine. Raises CompileError, RunRecordError or
    GraphFileError (each names the culprit)."""
    graph = load_graph(record.graph_path, registry)
    summary = record.summary
    seed = int(summary.get("seed") if summary.get("seed") is not None
               else graph.settings.get("seed", 0))
    epochs = int(summary.get("epochs_planned") or graph.settings.get("epochs", 100))
    backend, _why = select_backend(engine or summary.get("engine") or
                                   graph.settings.get("engine", "auto"))
    program = compile_graph(graph, registry, backend, seed=seed)
    original = summary.get("graph_path")
    if original and Path(original).is_file():
        load_initial_weights(program, original)
    session = Session(program, epochs=epochs, observers=observers)
    for edit in record.edits:
        session.schedule_param(edit.step, edit.node_id, edit.name, edit.new)
    return graph, program, session
