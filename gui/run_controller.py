"""RunController: compiles the window's graph, runs a Session and feeds the run-side widgets.

The Session trains on its own worker thread; this object only sends it commands and drains
`session.poll()` on a ~30 Hz QTimer, dispatching each event through a dict of handlers. Plots
store points as events arrive; one dock redraws per tick at most, as often as the RedrawPacer's
CPU budget allows, so the GUI thread never waits on training and painting (which holds the
GIL) takes only a few percent of the run (STYLE rule 6; bench/bench_gui_latency.py).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox

from engines.backend import cupy_backend, select_backend
from engines.compiler import CompileError, compile_graph
from engines.events import Failed, Finished, Image, Log, Progress, Scalar, Trace
from engines.records import RunRecordError, load_initial_weights
from engines.session import Session
from gui.plots import PlotDocks
from gui.plots.pacer import RedrawPacer
from gui.probe import ProbeDock
from gui.run_bar import RunBar
from gui.runs_panel import RunsPanel, make_recorder

log = logging.getLogger(__name__)

DRAIN_INTERVAL_MS = 33
EVENT_CHUNK = 2000
DRAIN_BUDGET_S = 0.015  # a backlog is worked off over several ticks, never in one
PROGRESS_INTERVAL_S = 0.1
PROGRESS_DISPLAY_S = 0.25  # repainting the progress bar costs more than reading it is worth


class RunController(QObject):
    """Owns the current run of `window`'s graph and every run-side widget of the window."""

    run_started = Signal()
    run_ended = Signal(str)  # the Finished reason, or "failed"

    def __init__(self, window, runs_dir: str | Path | None = None):
        super().__init__(window)
        self.setObjectName("runController")
        self.window = window
        self.runs_dir = Path(runs_dir or getattr(window, "runs_dir", None) or "runs")
        self.session: Session | None = None
        self.state = "idle"  # idle | running | paused
        self.last_progress: Progress | None = None
        self.last_failure: Failed | None = None
        self.last_finish: Finished | None = None
        self.session_drained = True
        self._next_progress = 0.0
        cupy, why_not = cupy_backend()
        self.run_bar = RunBar(window, cupy_usable=cupy is not None, cupy_reason=why_not)
        self.plots = PlotDocks(window)
        self.pacer = RedrawPacer()
        self.probe = ProbeDock(window)
        self.runs_panel = RunsPanel(self.runs_dir, window)
        self.failure_box: QMessageBox | None = None
        self._scalar_batch: dict = {}  # tag -> (steps, values) gathered during one drain
        self._recorders: list = []  # (session, recorder, seed): finished once the worker ends
        self._handlers = {Progress: self._on_progress, Scalar: self._on_scalar,
                          Image: self._on_image, Trace: self._on_trace, Log: self._on_log,
                          Finished: self._on_finished, Failed: self._on_failed}
        self.timer = QTimer(self)
        self.timer.setInterval(DRAIN_INTERVAL_MS)
        self.timer.timeout.connect(self.drain)
        self._install(window)
        self.run_bar.load_settings(getattr(window.graph, "settings", {}) or {})
        self._show_engine_label(cupy is not None, why_not)
        if hasattr(window, "restore_layout"):
            window.restore_layout()  # the saved layout includes the docks made just now

    # -- wiring into the window --------------------------------------------------------------
    def _install(self, window) -> None:
        window.addToolBar(self.run_bar)
        self.plots.add_to(window, beside=(self.runs_panel,), tabs=((self.runs_panel, self.probe),))
        bar = self.run_bar
        bar.start_action.triggered.connect(self.start)
        bar.pause_action.triggered.connect(self.toggle_pause)
        bar.step_action.triggered.connect(self.step)
        bar.stop_action.triggered.connect(self.stop)
        menus = getattr(window, "menus", {})
        if "Run" in menus:
            menus["Run"].addActions(bar.actions_in_order())
        if "View" in menus:
            for dock in (self.probe, self.runs_panel):
                menus["View"].addAction(dock.toggleViewAction())
        self.runs_panel.run_opened.connect(self.show_record)
        window.graph_replaced.connect(self._graph_replaced)
        window.canvas.wire_clicked.connect(self.probe_wire)
        window.canvas.installEventFilter(self)
        window.inspector.live_param_edited.connect(self.set_live_param)

    def eventFilter(self, watched, event) -> bool:
        """While a run is active Space is the pause shortcut; its key release must not
        reach the canvas, which reads a Space tap as 'open the add-node search'."""
        if (event.type() == QEvent.Type.KeyRelease and self.state != "idle"
                and event.key() == Qt.Key.Key_Space):
            return True
        return super().eventFilter(watched, event)

    def _show_engine_label(self, cupy_usable: bool, why_not: str) -> None:
        label = getattr(self.window, "engine_label", None)
        if label is not None:
            label.setText("Engines: NumPy, CuPy" if cupy_usable else "Engine: NumPy")
            label.setToolTip(why_not)

    def _status(self, text: str, timeout_ms: int = 0) -> None:
        self.window.statusBar().showMessage(text, timeout_ms)

    # -- commands (GUI thread) ---------------------------------------------------------------
    def start(self) -> bool:
        """Compile the graph and train it; False (with a message) when it cannot run."""
        if self.state != "idle":
            return False
        session = self._new_session()
        if session is None:
            return False
        session.start()
        self._set_state("running")
        engine = self.run_bar.engine_combo.currentText()
        self._status(f"Training {self.window.graph.name} on {engine}")
        return True

    def toggle_pause(self) -> None:
        if self.state == "running":
            self.pause()
        elif self.state == "paused":
            self.resume()

    def pause(self) -> None:
        if self.state != "running":
            return
        self.session.progress_interval_s = 0.0  # report every step while paused or stepping
        self.session.pause()
        self._set_state("paused")

    def resume(self) -> None:
        if self.state != "paused":
            return
        self.session.progress_interval_s = PROGRESS_INTERVAL_S
        self.session.resume()
        self._set_state("running")

    def step(self) -> bool:
        """One training step, then pause; starts a new paused run when none is going."""
        if self.state == "running":
            return False
        if self.state == "idle":
            if self._new_session() is None:
                return False
            self.session.progress_interval_s = 0.0
            self._set_state("paused")
        self.session.step()
        return True

    def stop(self) -> None:
        if self.session is not None and self.state != "idle":
            self.session.stop()
            self._status("Stopping...")

    def set_live_param(self, node_id: str, name: str, value) -> None:
        """Forward an inspector edit of a live parameter to the running session."""
        if self.session is None or self.state == "idle":
            return
        try:
            self.session.set_param(node_id, name, value)
        except KeyError as exc:
            self._status(str(exc.args[0] if exc.args else exc), 5000)
        else:
            self._status(f"{node_id}.{name} = {value!r} from the next step", 3000)

    def show_record(self, record) -> None:
        """Redraw a recorded run's metrics in the plot docks (only between runs)."""
        if self.state != "idle":
            self._status("Stop the current run to redraw a recorded one.", 5000)
            return
        self.plots.clear()
        for tag, (steps, values) in record.metrics.items():
            for step, value in zip(steps, values):
                self.plots.scalar(tag, step, value)
        self.plots.refresh()
        self._status(f"Showing recorded run {record.name}", 5000)

    def probe_wire(self, edge) -> None:
        self.probe.probe(edge, self.session)

    # -- building a run ----------------------------------------------------------------------
    def _new_session(self) -> Session | None:
        graph = self.window.graph
        try:
            backend, _why = select_backend(self.run_bar.engine)
            program = compile_graph(graph, self.window.registry, backend,
                                    seed=self.run_bar.seed_spin.value())
        except CompileError as exc:
            node_id, message = exc.problems[0] if exc.problems else (None, str(exc))
            more = len(exc.problems) - 1
            text = f"Cannot run: {message}" + (f" (and {more} more problems)" if more else "")
            self._blame(node_id, text)
            return None
        except (RuntimeError, ValueError, KeyError) as exc:  # no CuPy, bad data file, ...
            self._blame(getattr(exc, "node_id", None), f"Cannot run: {exc}")
            return None
        self._load_initial_weights(program)
        self.plots.clear()
        self.last_progress = self.last_failure = self.last_finish = None
        session = Session(program, self.run_bar.epochs_spin.value(),
                          progress_interval_s=PROGRESS_INTERVAL_S)
        recorder = make_recorder(self.runs_dir, graph, getattr(self.window, "graph_path", None))
        if recorder is not None:
            session.observers.append(recorder.observe)
            self._recorders.append((session, recorder, self.run_bar.seed_spin.value()))
        self.session = session
        self.session_drained = False
        self.pacer.reset()
        self.probe.attach(session)
        self.timer.start()
        self.run_started.emit()
        return session

    def _load_initial_weights(self, program) -> None:
        """Start from <graph>.npz beside the file when it fits (an example's fixed weights)."""
        path = getattr(self.window, "graph_path", None)
        if not path:
            return
        try:
            loaded = load_initial_weights(program, path)
        except RunRecordError as exc:  # the graph was edited since: train from its own init
            self._status(f"Initial weights not used: {exc}", 8000)
            return
        if loaded is not None:
            self._status(f"Starting from the weights in {loaded.name}", 5000)

    def _blame(self, node_id: str | None, text: str) -> None:
        """Tell the user what went wrong and select the node to blame on the canvas."""
        self._status(text)
        self.run_bar.show_message(text.splitlines()[0][:160])
        if node_id is None:
            return
        canvas = self.window.canvas
        mark = getattr(canvas, "mark_node", None)
        if mark is not None:
            mark(node_id, text)
            return
        scene = canvas.scene() if hasattr(canvas, "scene") and callable(canvas.scene) else canvas
        item = getattr(scene, "nodes", {}).get(node_id)
        if item is not None:
            scene.clearSelection()
            item.setSelected(True)
            for view in scene.views():
                view.centerOn(item)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.run_bar.set_state(state)
        self.window.inspector.set_run_mode(state != "idle")

    # -- draining events ---------------------------------------------------------------------
    def drain(self) -> None:
        """Handle the events that arrived since the last tick, then redraw what changed."""
        session = self.session
        if session is not None:
            handled, drained_all = self._handle_events(session)
            if self.state == "paused" and session.state == "paused":
                self._sync_paused_step(session)
            now = time.perf_counter()
            if self.last_progress is not None and handled and (
                    now >= self._next_progress or self.state != "running"):
                self._next_progress = now + PROGRESS_DISPLAY_S
                p = self.last_progress
                self.run_bar.show_progress(p.epoch, p.epochs, p.step, p.loss, p.eta_s)
            if self.state == "idle" and drained_all:
                self.session_drained = True
                self.plots.refresh()  # the run is over: draw everything it left
            elif self.pacer.due(time.perf_counter()) and self.plots.refresh_one():
                self.pacer.drawn(time.perf_counter())
        self._finish_records()
        if (session is None or self.session_drained) and not self._recorders:
            self.timer.stop()  # the worker is gone, its last events drawn, its record written

    def _handle_events(self, session: Session) -> tuple[int, bool]:
        """Dispatch waiting events for at most DRAIN_BUDGET_S; returns (count, all done).

        A run of tiny epochs can emit tens of thousands of events a second: scalars are
        collected per tag and handed to the plots as one batch per tick, and a backlog is
        worked off over several ticks so the event loop never stalls."""
        deadline = time.perf_counter() + DRAIN_BUDGET_S
        handled = 0
        while True:
            events = session.poll(EVENT_CHUNK)
            for event in events:
                self._handlers[type(event)](event)
            handled += len(events)
            if len(events) < EVENT_CHUNK:
                drained_all = True
                break
            if time.perf_counter() >= deadline:
                drained_all = False
                break
        if self._scalar_batch:
            self.plots.scalar_batch(self._scalar_batch)
            self._scalar_batch = {}
        return handled, drained_all

    def _finish_records(self) -> None:
        """Write the record of every run whose worker has ended (weights, summary)."""
        done = [entry for entry in self._recorders if entry[0].join(0)]
        for entry in done:
            session, recorder, seed = entry
            self._recorders.remove(entry)
            try:
                recorder.finish(session.program, engine=session.program.backend.name,
                                seed=seed, epochs=session.epochs, history=session.history)
            except OSError as exc:
                self._status(f"The run record could not be written: {exc}", 8000)
        if done:
            self.runs_panel.refresh()

    def _sync_paused_step(self, session: Session) -> None:
        """While the worker waits paused, its step count is settled: show it exactly (a
        progress event can miss the step that ran while the pause was being requested)."""
        step = session.program.phase.step
        p = self.last_progress
        if p is not None and p.step != step:
            self.last_progress = Progress(p.epoch, p.epochs, step, p.steps_per_epoch, p.loss,
                                          p.eta_s)
            self.run_bar.show_progress(p.epoch, p.epochs, step, p.loss, p.eta_s)

    def _on_progress(self, event: Progress) -> None:
        self.last_progress = event

    def _on_scalar(self, event: Scalar) -> None:
        steps, values = self._scalar_batch.setdefault(event.tag, ([], []))
        steps.append(event.step)
        values.append(event.value)

    def _on_image(self, event: Image) -> None:
        self.plots.image(event.tag, event.array)

    def _on_trace(self, event: Trace) -> None:
        """Traces belong to model-specific views; the run side has none yet."""

    def _on_log(self, event: Log) -> None:
        self._status(event.message, 4000)

    def _on_finished(self, event: Finished) -> None:
        self.last_finish = event
        self._set_state("idle")
        summary = event.summary
        facts = [f"{key.split('/')[-1] if key.startswith('train/') else key} "
                 f"{summary[key]:.4g}" for key in ("train/loss", "train/accuracy", "val/loss")
                 if isinstance(summary.get(key), (int, float))]
        epochs = summary.get("epoch")
        text = f"Run {event.reason.replace('_', ' ')}"
        text += f" after {epochs} epochs" if epochs else ""
        text += (": " + ", ".join(facts)) if facts else ""
        self._status(text)
        self.run_bar.show_message(text)
        self.run_ended.emit(event.reason)

    def _on_failed(self, event: Failed) -> None:
        self.last_failure = event
        self._set_state("idle")
        graph = self.window.graph
        node = graph.nodes.get(event.node_id) if event.node_id else None
        where = f"Node '{node.label}' failed. " if node is not None else ""
        text = f"Run failed. {where}{event.message}"
        self._blame(event.node_id, text)
        self.failure_box = QMessageBox(QMessageBox.Icon.Warning, "Run failed", text,
                                       QMessageBox.StandardButton.Ok, self.window)
        self.failure_box.setWindowModality(Qt.WindowModality.NonModal)
        self.failure_box.show()  # never exec(): the event loop and the plots keep going
        self.run_ended.emit("failed")

    # -- graph replaced (New / Open) ---------------------------------------------------------
    def _graph_replaced(self, *_args) -> None:
        if self.session is not None and self.state != "idle":
            self.session.stop()
        self.session = None
        self._set_state("idle")
        self.plots.clear()
        self.probe.attach(None)
        self.run_bar.load_settings(getattr(self.window.graph, "settings", {}) or {})
        self.run_bar.show_message("")
