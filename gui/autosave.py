"""Debounced autosave that never blocks the GUI.

Each edit restarts a short timer; when the edits pause for DELAY_MS (or MAX_WAIT_MS after the
first unsaved edit, so a long drag cannot postpone it forever), the graph is copied on the GUI
thread (plain Python data, quick) and written to the recovery file by one worker thread
(JSON, fsync and an atomic rename, which can take long on a slow disk). Writes are serialised,
so the file always holds a whole graph, the newest one written last.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from graph.fileio import GraphFileError, save_graph
from graph.model import Graph

DELAY_MS = 2000  # quiet time after the last edit before the recovery file is written
MAX_WAIT_MS = 4000  # at most this long after the first unsaved edit


class Autosaver(QObject):
    """Writes copy() to path() in the background, DELAY_MS after the last `edited()` call.

    copy returns the graph to write (a copy the GUI will not touch again) or None when there
    is nothing unsaved. `failed` carries a one-line message; it is emitted from the worker
    thread and delivered on the GUI thread (a queued Qt signal).
    """

    failed = Signal(str)
    written = Signal()  # after each successful background write

    def __init__(self, copy: Callable[[], Graph | None], path: Callable[[], Path], parent=None,
                 delay_ms: int = DELAY_MS, max_wait_ms: int = MAX_WAIT_MS):
        super().__init__(parent)
        self._copy, self._path = copy, path
        self.delay_ms, self.max_wait_ms = delay_ms, max_wait_ms
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.write_soon)
        self._first_edit: float | None = None
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autosave")
        self._pending: Future | None = None

    def is_scheduled(self) -> bool:
        return self._timer.isActive()

    def edited(self) -> None:
        """An edit happened: write DELAY_MS from now (sooner if one has waited long)."""
        now = time.monotonic()
        if self._first_edit is None:
            self._first_edit = now
        waited_ms = (now - self._first_edit) * 1000.0
        self._timer.start(int(max(0.0, min(self.delay_ms, self.max_wait_ms - waited_ms))))

    def write_soon(self) -> None:
        """Copy the graph now and hand the write to the worker thread."""
        self._timer.stop()
        self._first_edit = None
        graph = self._copy()
        if graph is not None:
            self._pending = self._writer.submit(self._write, graph, self._path())

    def _write(self, graph: Graph, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_graph(graph, path)
        except (GraphFileError, OSError) as exc:
            self.failed.emit(f"Autosave failed: {exc}")
            return
        self.written.emit()

    def cancel(self) -> None:
        """Drop a scheduled write and wait for one in progress (before the file is removed)."""
        self._timer.stop()
        self._first_edit = None
        self.wait()

    def wait(self) -> None:
        """Block until the write in progress, if any, has finished."""
        pending = self._pending
        if pending is not None:
            pending.result()
