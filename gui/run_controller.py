"""RunController: compiles the edited graph, runs a Session and feeds the run-side widgets.

Its collaborators are explicit: the document holding the graph, the run widgets (made and
placed by the window), a canvas that can mark a node, an inspector that locks for a run and a
status callback. The Session trains on its own worker thread; this object only sends it
commands and drains `session.poll()` on a ~30 Hz QTimer, dispatching each event through a
dict of handlers. Plots store points as events arrive; one dock redraws per tick at most, as
often as the RedrawPacer's CPU budget allows, so the GUI thread never waits on training and
painting (which holds the GIL) takes only a few percent of the run (STYLE rule 6;
bench/bench_gui_latency.py).

Live edits take one road: while a run goes, an engines.live.LiveLink forwards the graph's own
ParamSet events to the session and refuses edits the run cannot take; the run bar's
settings are graph settings changed by undoable SetSettings commands.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox

from engines.backend import select_backend
from engines.compiler import CompileError, compile_graph
from engines.events import (
    Failed,
    Finished,
    Image,
    LiveEdit,
    Log,
    Points,
    Progress,
    Raster,
    Scalar,
    Text,
    Trace,
)
from engines.live import LiveLink
from engines.session import Session, SessionState
from graph import commands
from graph.events import SettingSet, dispatch
from graph.model import Graph
from graph.registry import Registry
from gui.plots import PlotDocks
from gui.plots.pacer import RedrawPacer
from gui.probe import ProbeDock
from gui.run_bar import RunBar
from gui.run_records import RunRecords
from gui.run_widgets import RunWidgets
from gui.runs_panel import RunsPanel

log = logging.getLogger(__name__)

DRAIN_INTERVAL_MS = 33
EVENT_CHUNK = 2000
DRAIN_BUDGET_S = 0.015  # a backlog is worked off over several ticks, never in one
PROGRESS_INTERVAL_S = 0.1
PROGRESS_DISPLAY_S = 0.25  # repainting the progress bar costs more than reading it is worth


class Document(Protocol):
    """What holds the edited graph (the main window is one)."""

    graph: Graph
    graph_path: str | None
    registry: Registry
    undo_stack: object  # has push(command) -> bool


class NodeMarker(Protocol):
    def mark_node(self, node_id: str, message: str) -> bool: ...


class RunModeView(Protocol):
    def set_run_mode(self, running: bool) -> None: ...


class RunController(QObject):
    """Owns the current run of the document's graph and steers the run widgets."""

    run_started = Signal()
    run_ended = Signal(str)  # the Finished reason, or "failed"

    def __init__(self, document: Document, widgets: RunWidgets, *, canvas: NodeMarker,
                 inspector: RunModeView, status: Callable[[str, int], None],
                 runs_dir: str | Path = "runs", parent: QObject | None = None):
        super().__init__(parent)
        self.setObjectName("runController")
        self.document = document
        self.widgets = widgets
        self.canvas = canvas
        self.inspector = inspector
        self._show_status = status
        self.runs_dir = Path(runs_dir)
        self.session: Session | None = None
        self.live: LiveLink | None = None
        self.state = SessionState.IDLE  # IDLE, RUNNING or PAUSED
        self.last_progress: Progress | None = None
        self.last_failure: Failed | None = None
        self.last_finish: Finished | None = None
        self.live_edits: list[LiveEdit] = []  # of the current (or last) run
        self.session_drained = True
        self._next_progress = 0.0
        self.pacer = RedrawPacer()
        self.failure_box: QMessageBox | None = None
        self._scalar_batch: dict = {}  # tag -> (steps, values) gathered during one drain
        self.records = RunRecords(self.runs_dir, status)
        self._handlers = {Progress: self._on_progress, Scalar: self._on_scalar,
                          Image: self._on_image, Trace: self._on_trace, Log: self._on_log,
                          LiveEdit: self._on_live_edit, Finished: self._on_finished,
                          Failed: self._on_failed, Points: self._on_points,
                          Raster: self._on_raster, Text: self._on_text}
        self._graph_handlers = {SettingSet: self._setting_changed}
        self._graph: Graph | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(DRAIN_INTERVAL_MS)
        self.timer.timeout.connect(self.drain)
        bar = self.run_bar
        bar.start_action.triggered.connect(self.start)
        bar.pause_action.triggered.connect(self.toggle_pause)
        bar.step_action.triggered.connect(self.step)
        bar.stop_action.triggered.connect(self.stop)
        bar.settings_edited.connect(self.edit_settings)
        bar.speed.speed_changed.connect(self.set_speed)
        self.runs_panel.run_opened.connect(self.show_record)
        self.runs_panel.rerun_requested.connect(self.rerun)
        self.runs_panel.branch_requested.connect(self.branch)
        self._follow(document.graph)

    # -- the widgets it steers (made and placed by the window) -------------------------------
    @property
    def run_bar(self) -> RunBar:
        return self.widgets.run_bar

    @property
    def plots(self) -> PlotDocks:
        return self.widgets.plots

    @property
    def probe(self) -> ProbeDock:
        return self.widgets.probe

    @property
    def runs_panel(self) -> RunsPanel:
        return self.widgets.runs_panel

    def eventFilter(self, watched, event) -> bool:
        """While a run is active Space is the pause shortcut; its key release must not
        reach the canvas, which reads a Space tap as 'open the add-node search'. The window
        installs this filter on its canvas."""
        if (event.type() == QEvent.Type.KeyRelease and self.state != SessionState.IDLE
                and event.key() == Qt.Key.Key_Space):
            return True
        return super().eventFilter(watched, event)

    def _status(self, text: str, timeout_ms: int = 0) -> None:
        self._show_status(text, timeout_ms)

    # -- the graph's run settings ------------------------------------------------------------
    def _follow(self, graph: Graph) -> None:
        """Show graph's settings in the run bar and keep them in step with its events."""
        if self._graph is not None:
            self._graph.changed.disconnect(self._on_graph_changed)
        self._graph = graph
        graph.changed.connect(self._on_graph_changed)
        self.run_bar.load_settings(graph.settings)

    def _on_graph_changed(self, event) -> None:
        dispatch(self._graph_handlers, event)

    def _setting_changed(self, _event: SettingSet) -> None:
        self.run_bar.load_settings(self.document.graph.settings)

    def edit_settings(self, values: dict) -> None:
        """A run-bar edit becomes an undoable SetSettings (saved with the graph's file)."""
        settings = self.document.graph.settings
        changed = {k: v for k, v in values.items() if settings.get(k) != v}
        if changed and not self.document.undo_stack.push(commands.SetSettings(changed)):
            self.run_bar.load_settings(settings)  # refused: show what the graph holds

    # -- commands (GUI thread) ---------------------------------------------------------------
    def start(self) -> bool:
        """Compile the graph and train it; False (with a message) when it cannot run."""
        if self.state != SessionState.IDLE:
            return False
        session = self._new_session()
        if session is None:
            return False
        session.start()
        self._set_state(SessionState.RUNNING)
        engine = self.run_bar.engine_combo.currentText()
        self._status(f"Training {self.document.graph.name} on {engine}")
        return True

    def branch(self, record, checkpoint_path) -> bool:
        """Go on from a recorded run's checkpoint, paused: the graph opens as an unsaved copy,
        live parameters edited now are the branch's edits, Resume continues. The new record
        names its parent run and epoch."""
        from engines.checkpoint import CheckpointError, branch, load
        if self.state != SessionState.IDLE:
            self._status("Stop the current run to branch from a checkpoint.", 5000)
            return False
        try:
            checkpoint = load(checkpoint_path)
        except CheckpointError as exc:
            self._status(str(exc), 8000)
            return False
        if not self._open_record_graph(record):
            return False
        session = self._new_session()
        if session is None:
            return False
        branch(session, checkpoint)
        recorder = self.records.record_of(session)
        if recorder is not None:
            recorder.extra["parent"] = {"run": record.name, "epoch": checkpoint.next_epoch}
        session.progress_interval_s = 0.0
        session.start(paused=True)
        self._set_state(SessionState.PAUSED)
        self._status(f"Branched from {record.name} after epoch {checkpoint.next_epoch}: edit "
                     "live parameters, then Resume")
        return True

    def _open_record_graph(self, record) -> bool:
        """Open a record's graph as an unsaved copy with the seed and epochs it ran with."""
        files = self.document.files
        graph = files.load(str(record.graph_path))
        if graph is None or not files.maybe_save():
            return False
        for key, summary_key in (("seed", "seed"), ("epochs", "epochs_planned")):
            value = record.summary.get(summary_key)  # what the run used, overrides included
            if isinstance(value, int) and not isinstance(value, bool):
                graph.settings[key] = value
        self.document.set_graph(graph, None)
        return True

    def rerun(self, record) -> bool:
        """Run a recorded run again: its graph (opened as an unsaved copy) and seed, with its
        live edits re-applied at the steps they were made (engines.replay's rule)."""
        if self.state != SessionState.IDLE:
            self._status("Stop the current run to re-run a recorded one.", 5000)
            return False
        if not self._open_record_graph(record):
            return False
        session = self._new_session()
        if session is None:
            return False
        try:
            for edit in record.edits:
                session.schedule_param(edit.step, edit.node_id, edit.name, edit.new)
        except (KeyError, ValueError) as exc:
            self._status(f"Cannot replay the live edits of {record.name}: {exc}")
        session.start()
        self._set_state(SessionState.RUNNING)
        self._status(f"Re-running {record.name} ({len(record.edits)} live edits replayed)")
        return True

    def toggle_pause(self) -> None:
        if self.state == SessionState.RUNNING:
            self.pause()
        elif self.state == SessionState.PAUSED:
            self.resume()

    def pause(self) -> None:
        if self.state != SessionState.RUNNING:
            return
        self.session.progress_interval_s = 0.0  # report every step while paused or stepping
        self.session.pause()
        self._set_state(SessionState.PAUSED)
        self._status("Paused")

    def resume(self) -> None:
        if self.state != SessionState.PAUSED:
            return
        self.session.progress_interval_s = PROGRESS_INTERVAL_S
        self.session.resume()
        self._set_state(SessionState.RUNNING)
        self._status(f"Training {self.document.graph.name}")

    def step(self) -> bool:
        """One training step, then pause; starts a new paused run when none is going."""
        if self.state == SessionState.RUNNING:
            return False
        if self.state == SessionState.IDLE:
            if self._new_session() is None:
                return False
            self.session.progress_interval_s = 0.0
            self._set_state(SessionState.PAUSED)
        self.session.step()
        return True

    def set_speed(self, steps_per_s: float) -> None:
        """The run bar's speed cap, applied to the running session at once (0: full speed)."""
        if self.session is not None and self.state != SessionState.IDLE:
            self.session.set_speed(steps_per_s)

    def stop(self) -> None:
        if self.session is not None and self.state != SessionState.IDLE:
            self.session.stop()
            self._status("Stopping...")

    def show_record(self, record) -> None:
        """Redraw a recorded run's metrics and live-edit markers (only between runs)."""
        if self.state != SessionState.IDLE:
            self._status("Stop the current run to redraw a recorded one.", 5000)
            return
        self.plots.prepare(self.document.graph, self.document.registry,
                           metric_tags=list(record.metrics))
        self.plots.scalar_batch(record.metrics)
        for edit in record.edits:
            self.plots.mark(edit.step, edit.label)
        self.plots.refresh()
        self._status(f"Showing recorded run {record.name}", 5000)

    def probe_wire(self, edge) -> None:
        self.probe.probe(edge, self.session)

    def graph_replaced(self) -> None:
        """The document now holds another graph (New / Open): end any run, start clean."""
        if self.session is not None and self.state != SessionState.IDLE:
            self.session.stop()
        self.session = None
        self._set_state(SessionState.IDLE)
        self.plots.prepare(self.document.graph, self.document.registry)  # hidden until data
        self.probe.attach(None)
        self._follow(self.document.graph)
        self.last_progress = None
        self.run_bar.reset_progress()

    # -- building a run ----------------------------------------------------------------------
    def _new_session(self) -> Session | None:
        graph = self.document.graph
        settings = graph.settings
        try:
            backend, _why = select_backend(settings["engine"])
            program = compile_graph(graph, self.document.registry, backend,
                                    seed=settings["seed"])
        except CompileError as exc:
            node_id, message = exc.problems[0] if exc.problems else (None, str(exc))
            more = len(exc.problems) - 1
            text = f"Cannot run: {message}" + (f" (and {more} more problems)" if more else "")
            self._blame(node_id, text)
            return None
        except (RuntimeError, ValueError, KeyError) as exc:  # no CuPy, bad data file, ...
            self._blame(getattr(exc, "node_id", None), f"Cannot run: {exc}")
            return None
        self.records.load_initial_weights(program, self.document.graph_path)
        self.plots.prepare(graph, self.document.registry,  # the docks its nodes declare
                           metric_keys=program.metric_keys)
        self.last_progress = self.last_failure = self.last_finish = None
        self.live_edits = []
        session = Session(program, settings["epochs"], progress_interval_s=PROGRESS_INTERVAL_S)
        session.set_speed(self.run_bar.speed.steps_per_s)
        self.records.record(session, graph, self.document.graph_path, settings["seed"])
        self.session = session
        self.live = LiveLink(graph, self.document.registry, session)
        self.session_drained = False
        self.pacer.reset()
        self.probe.attach(session)
        self.timer.start()
        self.run_started.emit()
        return session

    def _blame(self, node_id: str | None, text: str) -> None:
        """Tell the user what went wrong and mark the node to blame on the canvas."""
        self._status(text)
        self.run_bar.show_message(text.splitlines()[0][:160])
        if node_id is not None:
            self.canvas.mark_node(node_id, text)

    def _set_state(self, state: SessionState) -> None:
        self.state = state
        self.run_bar.set_state(state.value)
        self.inspector.set_run_mode(state != SessionState.IDLE)
        if state == SessionState.IDLE and self.live is not None:
            self.live.close()  # edits of every kind are free again
            self.live = None

    # -- draining events ---------------------------------------------------------------------
    def drain(self) -> None:
        """Handle the events that arrived since the last tick, then redraw what changed."""
        session = self.session
        if session is not None:
            handled, drained_all = self._handle_events(session)
            if self.state == SessionState.PAUSED and session.state == SessionState.PAUSED:
                self._sync_paused_step(session)
            now = time.perf_counter()
            if self.last_progress is not None and handled and (
                    now >= self._next_progress or self.state != SessionState.RUNNING):
                self._next_progress = now + PROGRESS_DISPLAY_S
                p = self.last_progress
                self.run_bar.show_progress(p.epoch, p.epochs, p.step, p.loss, p.eta_s)
                self.plots.progress(p.step)
            if self.state == SessionState.IDLE and drained_all:
                self.session_drained = True
                self.plots.refresh()  # the run is over: draw everything it left
            elif self.pacer.due(time.perf_counter()) and self.plots.refresh_one():
                self.pacer.drawn(time.perf_counter())
        if self.records.finish_ended():
            self.runs_panel.refresh()
        if (session is None or self.session_drained) and not self.records.pending:
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
        self.plots.image(event.tag, event.array, event.extent)

    def _on_trace(self, event: Trace) -> None:
        self.plots.trace(event)

    def _on_points(self, event: Points) -> None:
        self.plots.points(event)

    def _on_raster(self, event: Raster) -> None:
        self.plots.raster(event)

    def _on_text(self, event: Text) -> None:
        self.plots.text(event)

    def _on_log(self, event: Log) -> None:
        self._status(event.message, 4000)

    def _on_live_edit(self, event: LiveEdit) -> None:
        """Mark the edit on the main curve at the step it took effect."""
        self.live_edits.append(event)
        self.plots.mark(event.step, event.label)
        self._status(f"{event.label} from step {event.step + 1}", 4000)

    def _on_finished(self, event: Finished) -> None:
        self.last_finish = event
        self._set_state(SessionState.IDLE)
        summary = event.summary
        facts = [f"{key.split('/')[-1] if key.startswith('train/') else key} "
                 f"{summary[key]:.4g}" for key in ("train/loss", "train/accuracy", "val/loss")
                 if isinstance(summary.get(key), (int, float))]
        epochs = summary.get("epoch")
        text = f"Run {event.reason.value.replace('_', ' ')}"
        text += f" after {epochs} epochs" if epochs else ""
        text += (": " + ", ".join(facts)) if facts else ""
        self._status(text)
        self.run_bar.show_message(text)
        self.run_ended.emit(event.reason.value)

    def _on_failed(self, event: Failed) -> None:
        self.last_failure = event
        self._set_state(SessionState.IDLE)
        graph = self.document.graph
        node = graph.nodes.get(event.node_id) if event.node_id else None
        where = f"Node '{node.label}' failed. " if node is not None else ""
        text = f"Run failed. {where}{event.message}"
        self._blame(event.node_id, text)
        self.failure_box = QMessageBox(QMessageBox.Icon.Warning, "Run failed", text,
                                       QMessageBox.StandardButton.Ok, self.parent())
        self.failure_box.setWindowModality(Qt.WindowModality.NonModal)
        self.failure_box.show()  # never exec(): the event loop and the plots keep going
        self.run_ended.emit("failed")
