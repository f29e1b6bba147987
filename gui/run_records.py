"""The GUI's run records: one RunRecorder per session, finished once its worker has ended,
and the starting weights shipped beside a graph file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engines.checkpoint import attach_checkpoints
from engines.records import RunRecordError, load_initial_weights
from engines.session import Session
from gui.runs_panel import make_recorder


class RunRecords:
    """Records each run under runs_dir; status(text, timeout_ms) reports what goes wrong."""

    def __init__(self, runs_dir: str | Path, status: Callable[[str, int], None]):
        self.runs_dir = Path(runs_dir)
        self._status = status
        self._open: list = []  # (session, recorder, seed) until the session's worker ends

    @property
    def pending(self) -> bool:
        """True while a record waits for its run to end."""
        return bool(self._open)

    def record(self, session: Session, graph, graph_path: str | None, seed: int):
        """Record session's run of graph (the recorder observes every event it emits) and
        keep its checkpoints (engines.checkpoint); returns the recorder, or None."""
        recorder = make_recorder(self.runs_dir, graph, graph_path)
        if recorder is not None:
            session.observers.append(recorder.observe)
            self._open.append((session, recorder, seed))
            attach_checkpoints(session, recorder.folder, graph.settings)
        return recorder

    def record_of(self, session: Session):
        """The recorder of session's run, or None."""
        return next((r for s, r, _ in self._open if s is session), None)

    def finish_ended(self) -> bool:
        """Write weights and summary of every run whose worker has ended; True if any."""
        done = [entry for entry in self._open if entry[0].join(0)]
        for entry in done:
            session, recorder, seed = entry
            self._open.remove(entry)
            try:
                recorder.finish(session.program, engine=session.program.backend.name,
                                seed=seed, epochs=session.epochs, history=session.history)
            except OSError as exc:
                self._status(f"The run record could not be written: {exc}", 8000)
        return bool(done)

    def load_initial_weights(self, program, graph_path: str | None) -> None:
        """Start from <graph>.npz beside the file when it fits (an example's fixed weights)."""
        if not graph_path:
            return
        try:
            loaded = load_initial_weights(program, graph_path)
        except RunRecordError as exc:  # the graph was edited since: train from its own init
            self._status(f"Initial weights not used: {exc}", 8000)
            return
        if loaded is not None:
            self._status(f"Starting from the weights in {loaded.name}", 5000)
