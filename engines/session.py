"""Session: runs a Program on a worker thread and streams events to a non-blocking poll().

Why a thread and not a process: NumPy/BLAS and CuPy release the GIL in the heavy kernels, the
program's buffers stay shared with probes without copying, and the GUI latency benchmark
(bench/bench_gui_latency.py) shows the event loop stays responsive. Commands from other threads
(pause, step, set_param) are queued and applied between steps, never inside one.
"""

from __future__ import annotations

import collections
import enum
import math
import queue
import threading
import time
from collections.abc import Callable

import numpy as np

from engines import subnormals
from engines.events import Failed, Finished, FinishReason, LiveEdit, Log, Progress, Scalar, Stop
from engines.history import EpochHistory
from engines.program import Program


class SessionState(str, enum.Enum):
    """Where a Session is. A str enum, so its value reads well in messages and records."""

    IDLE = "idle"  # made, not started
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"  # ended normally (completed, early-stopped, converged)
    FAILED = "failed"
    STOPPED = "stopped"

    def __str__(self):
        return self.value


ENDED = frozenset({SessionState.FINISHED, SessionState.FAILED, SessionState.STOPPED})


class Session:
    """Train or simulate `program` for `epochs` epochs off the caller's thread."""

    def __init__(self, program: Program, epochs: int = 10, *, progress_interval_s: float = 0.1,
                 monitor_budget: float = 0.03, observers: list[Callable] | None = None):
        self.program = program
        self.epochs = int(epochs)
        self.progress_interval_s = progress_interval_s
        self.monitor_budget = monitor_budget  # max share of run time spent in monitors
        self.observers = list(observers or [])  # called with each event on the worker thread
        self.state = SessionState.IDLE
        self.history = EpochHistory()  # metrics per finished epoch (the last 1000 kept)
        self._events: collections.deque = collections.deque()
        self._commands: queue.Queue = queue.Queue()
        self._scheduled: list = []  # (step, node_id, name, value) by step: replayed edits
        # checkpoints and branches (engines.checkpoint): epoch_ends(epoch) run on the worker
        # after each epoch that does not end the run; a branch sets start_epoch and a
        # `resume_state` callable that puts a checkpoint's state back once begin() ran
        self.epoch_ends: list[Callable[[int], None]] = []
        self.start_epoch = 0
        self.resume_state: Callable[[], None] | None = None
        self._wake = threading.Condition()
        self._paused = False
        self._steps_allowed = 0  # steps to run while paused (from step())
        self._stop = False
        self._thread: threading.Thread | None = None
        self._monitor_time = 0.0
        self._start_time = 0.0
        self._lock = threading.RLock()  # held by the worker while a step runs
        self._peeks: queue.Queue = queue.Queue()  # (node_id, port, answer) served between steps
        self._idle = threading.Event()  # set while the worker waits, paused, between steps
        self.max_steps_per_s = 0.0  # a cap so short runs can be watched; 0: as fast as it goes
        self._next_step_at = 0.0

    # -- commands (any thread) ---------------------------------------------------------------
    def start(self, paused: bool = False) -> None:
        if self._thread is not None:
            raise RuntimeError("This session has already been started.")
        self._paused = paused
        self.state = SessionState.PAUSED if paused else SessionState.RUNNING
        self._thread = threading.Thread(target=self._run, name="dendrite-session", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """Pause before the next step (wait_idle() returns once the worker has)."""
        with self._wake:
            self._paused = True
            self._steps_allowed = 0

    def resume(self) -> None:
        with self._wake:
            self._paused = False
            self._idle.clear()
            self._wake.notify_all()

    def step(self, steps: int = 1) -> None:
        """Run `steps` training steps, then pause (starts the session paused if idle)."""
        with self._wake:
            self._paused = True
            self._steps_allowed += int(steps)
            self._idle.clear()
            self._wake.notify_all()
        if self._thread is None:
            self.start(paused=True)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until the worker is paused with no steps left, or has ended; True if so."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._idle.wait(0.02) or self.done or (
                    self._thread is not None and not self._thread.is_alive()):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False

    def set_speed(self, steps_per_s: float) -> None:
        """Cap the run at steps_per_s steps a second from the next step (0 lifts the cap)."""
        with self._wake:
            self.max_steps_per_s = max(0.0, float(steps_per_s))
            self._next_step_at = 0.0
            self._wake.notify_all()

    def stop(self) -> None:
        with self._wake:
            self._stop = True
            self._wake.notify_all()

    def set_param(self, node_id: str, name: str, value) -> None:
        """Change a live parameter between steps; kernels read it on their next call.

        Raises KeyError for an unknown node or parameter and ValueError for a value the
        parameter does not accept or a parameter that cannot change during a run. Each
        applied change is emitted as a LiveEdit (the run record keeps it).
        """
        value = self.accepted_value(node_id, name, value)
        self._commands.put((node_id, name, value))
        with self._wake:
            self._wake.notify_all()

    def schedule_param(self, step: int, node_id: str, name: str, value) -> None:
        """Set a live parameter just before training step `step` + 1, where a recorded
        LiveEdit was applied (a replay); call before start(). Raises as set_param does."""
        if self._thread is not None:
            raise RuntimeError("Schedule replayed edits before the session starts.")
        value = self.accepted_value(node_id, name, value)
        self._scheduled.append((int(step), node_id, name, value))
        self._scheduled.sort(key=lambda item: item[0])  # stable: same-step edits keep order

    def accepted_value(self, node_id: str, name: str, value):
        """value as set_param would apply it (resolved through the node's spec); raises
        KeyError or ValueError, as set_param does, when the run cannot take it."""
        live = self.program.live.get(node_id)
        if live is None:
            raise KeyError(f"There is no node '{node_id}' in this run.")
        if name not in live.values:
            raise KeyError(f"Node '{node_id}' has no parameter '{name}'.")
        spec = self.program.specs.get(node_id)
        if spec is None:
            return value
        if not spec.param(name).live:
            raise ValueError(f"'{name}' of node '{node_id}' is fixed when the run is "
                             "compiled; stop the run and edit the graph to change it.")
        return spec.resolve_value(name, value, where=f"node '{node_id}'")

    def peek(self, node_id: str, port: str, timeout: float = 5.0):
        """A NumPy copy of a wire's (or parameter's) current value, taken between steps.

        While the worker runs, the copy is made by the worker at its next step boundary, so a
        probe never sees a half-written buffer and never starves behind the step loop.
        """
        thread = self._thread
        if thread is None or not thread.is_alive() or thread is threading.current_thread():
            with self._lock:  # idle, ended, or asked by an observer on the worker itself
                return self.program.peek(node_id, port)
        answer: dict = {"done": threading.Event()}
        self._peeks.put((node_id, port, answer))
        with self._wake:
            self._wake.notify_all()
        if not answer["done"].wait(timeout):
            if not thread.is_alive():  # ended while we waited: read directly
                with self._lock:
                    return self.program.peek(node_id, port)
            raise TimeoutError(f"The run did not reach a step boundary within {timeout} s.")
        if "error" in answer:
            raise answer["error"]
        return answer["value"]

    def poll(self, max_events: int | None = None) -> list:
        """Events produced since the last poll, oldest first; never blocks."""
        out = []
        while self._events and (max_events is None or len(out) < max_events):
            out.append(self._events.popleft())
        return out

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker to end; True when it has."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    @property
    def done(self) -> bool:
        return self.state in ENDED

    def run(self) -> list:
        """Run to the end on the calling thread and return every event (tests, scripts)."""
        self._paused = False
        self.state = SessionState.RUNNING
        self._run()
        return self.poll()

    # -- worker ------------------------------------------------------------------------------
    def _emit(self, event) -> None:
        self._events.append(event)
        for observer in self.observers:
            observer(event)

    def _serve_peeks(self) -> None:
        while True:
            try:
                node_id, port, answer = self._peeks.get_nowait()
            except queue.Empty:
                return
            try:
                answer["value"] = self.program.peek(node_id, port)
            except Exception as exc:  # handed back to the asking thread
                answer["error"] = exc
            answer["done"].set()

    def _apply_commands(self) -> None:
        while self._scheduled and self._scheduled[0][0] <= self.program.phase.step:
            _, node_id, name, value = self._scheduled.pop(0)
            self._commands.put((node_id, name, value))
        while True:
            try:
                node_id, name, value = self._commands.get_nowait()
            except queue.Empty:
                return
            values = self.program.live[node_id].values
            old, values[name] = values[name], value
            if old != value:
                self._emit(LiveEdit(self.program.phase.step, node_id, name, old, value))

    def _checkpoint(self) -> bool:
        """Between steps: apply commands, honour pause/step; False means stop now."""
        while True:
            self._apply_commands()
            self._serve_peeks()
            with self._wake:
                if self._stop:
                    return False
                if not self._paused:
                    if self.max_steps_per_s > 0:  # paced: wait, still answering commands
                        wait = self._next_step_at - time.perf_counter()
                        if wait > 0:
                            self._wake.wait(min(wait, 0.05))
                            continue
                        self._next_step_at = time.perf_counter() + 1.0 / self.max_steps_per_s
                    self.state = SessionState.RUNNING
                    self._idle.clear()
                    return True
                if self._steps_allowed > 0:
                    self._steps_allowed -= 1
                    self._idle.clear()
                    return True
                self.state = SessionState.PAUSED
                self._idle.set()
                self._wake.wait(0.05)

    def _run(self) -> None:
        program = self.program
        try:
            # overflow is detected (and blamed on a node) at the epoch's end; no warnings spam;
            # subnormals count as zero (engines/subnormals.py: they are ~100x slower on x86)
            with np.errstate(all="ignore"), subnormals.flushed():
                self._start_time = time.perf_counter()
                program.begin()
                if self.resume_state is not None:
                    self.resume_state()
                reason = self._train(program)
                self._finish(reason)
        except Exception as exc:  # a kernel error must reach the user as an event
            node = getattr(exc, "node_id", None)
            self._emit(Failed(f"{type(exc).__name__}: {exc}", node))
            self.state = SessionState.FAILED  # after the event, so a caller seeing `done` finds it
        finally:
            self._serve_peeks()
            self._idle.set()

    def _train(self, program: Program) -> FinishReason | None:
        """Run the epochs; the reason it ended, or None when it failed."""
        steps = program.steps_per_epoch()
        total = steps * self.epochs
        last_progress = 0.0
        last_loss = None
        for epoch in range(self.start_epoch, self.epochs):
            program.phase.epoch = epoch
            for feed in program.feeds:
                feed.begin_epoch(epoch)
            for batch_index in range(steps):
                if not self._checkpoint():
                    return FinishReason.STOPPED
                with self._lock:
                    program.train_step(batch_index)
                    now = time.perf_counter()
                    self._run_monitors("step", now)
                if now - last_progress >= self.progress_interval_s:
                    last_progress = now
                    self._emit(self._progress(epoch, steps, total, last_loss, now))
            with self._lock:
                metrics = self._end_epoch(program, epoch)
            if metrics is None:
                return None
            last_loss = metrics.get("train/loss")
            self._emit(self._progress(epoch + 1, steps, total, last_loss, time.perf_counter()))
            for rule in program.stop_rules:
                stop = rule(self.history)
                if stop is not None:
                    if not isinstance(stop, Stop):
                        raise TypeError(f"A stop rule returned {stop!r}; stop rules return "
                                        "None or engines.events.Stop(reason, message).")
                    self._emit(Log(stop.message))
                    return stop.reason
            for hook in self.epoch_ends:
                hook(epoch)
        return FinishReason.COMPLETED

    def _end_epoch(self, program: Program, epoch: int) -> dict | None:
        metrics = {f"train/{k}": v for k, v in program.read_metrics().items()}
        if not all(math.isfinite(v) for v in metrics.values()):
            self._fail_nonfinite(metrics)
            return None
        metrics.update({f"val/{k}": v for k, v in program.evaluate("val").items()})
        for _node_id, fn in program.epoch_ends:
            fn(epoch)
        metrics["epoch"] = epoch + 1
        self.history.append(metrics)
        step = program.phase.step
        for tag, value in metrics.items():
            if tag != "epoch":
                self._emit(Scalar(tag, step, value))
        self._run_monitors("epoch", time.perf_counter())
        return metrics

    def _evaluate_test(self, program: Program) -> dict:
        """The held-out test split's metrics ('test/<name>'), once, with the weights the run
        ends with; {} when no data node serves a test split."""
        if not program.feeds or not program.feeds[0].batches("test"):
            return {}
        program.read_metrics()  # a stopped run's partial epoch: not an epoch's figures
        metrics = {f"test/{k}": v for k, v in program.evaluate("test").items()}
        rows = program.feeds[0].n_test
        figures = ", ".join(f"{k[5:]} {v:.6g}" for k, v in metrics.items())
        self._emit(Log(f"Test split ({rows} rows, evaluated once at the end): {figures}."))
        return metrics

    def _fail_nonfinite(self, metrics: dict) -> None:
        node_id = self.program.first_nonfinite_node()
        bad = ", ".join(k for k, v in metrics.items() if not math.isfinite(v))
        where = f" The first node whose output is not finite is '{node_id}'." if node_id else ""
        self._emit(Failed(f"The run diverged: {bad} became NaN or infinite.{where} "
                          "Lower the learning rate or check the data.", node_id))
        self.state = SessionState.FAILED

    def _run_monitors(self, every: str, now: float) -> None:
        """Run due monitors; every="final" runs the step monitors once more at the end."""
        elapsed = max(now - self._start_time, 1e-9)
        for monitor in self.program.monitors:
            if every == "final":
                if monitor.every != "step" or monitor.last_step == self.program.phase.step:
                    continue  # an epoch monitor, or one that has reported this step already
            elif monitor.every != every or not monitor.due(now, elapsed):
                continue
            if every == "step" and self._monitor_time > self.monitor_budget * elapsed:
                continue  # keep snapshots from slowing training by more than the budget
            began = time.perf_counter()
            events = monitor.run(self.program.phase, now)
            # the budget is for reading the device; observers (a recorder writing images)
            # must not starve the monitors that follow
            self._monitor_time += time.perf_counter() - began
            for event in events:
                self._emit(event)

    def _progress(self, epoch, steps, total, loss, now) -> Progress:
        done = self.program.phase.step
        elapsed = now - self._start_time
        eta = elapsed / done * (total - done) if done else None
        return Progress(epoch, self.epochs, done, steps, loss, eta)

    def _finish(self, reason: FinishReason | None) -> None:
        if reason is None:  # failed: the Failed event has been sent
            return
        with self._lock:
            for fn in self.program.run_ends:
                for event in fn(reason, self.history) or ():
                    self._emit(event)
            test = self._evaluate_test(self.program)
            self._run_monitors("final", time.perf_counter())
        summary = dict(self.history[-1]) if self.history else {}
        summary.update(test)
        summary["steps"] = self.program.phase.step
        summary["seconds"] = round(time.perf_counter() - self._start_time, 3)
        self._emit(Finished(reason, summary))
        self.state = SessionState.STOPPED if reason is FinishReason.STOPPED \
            else SessionState.FINISHED
