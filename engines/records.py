"""Run records: every run writes itself to runs/<time>-<graph>/ so it can be reopened.

A record holds graph.dgraph (the graph as it ran), metrics.jsonl (one JSON object per Scalar
event, appended line by line while the run goes), edits.jsonl (one line per live edit: step,
node, param, old, new), weights.npz (the parameters at the end,
loaded with allow_pickle=False) and summary.json (why it ended, final metrics, epochs,
seconds, engine, seed).
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engines.events import Failed, Finished, LiveEdit, Scalar
from engines.tensorboard import open_tensorboard_log

GRAPH_FILE = "graph.dgraph"
METRICS_FILE = "metrics.jsonl"
EDITS_FILE = "edits.jsonl"
WEIGHTS_FILE = "weights.npz"
SUMMARY_FILE = "summary.json"


class RunRecordError(ValueError):
    """A run record (or weights file) that cannot be read; the message names the file."""

    def __init__(self, path, message: str):
        self.path = Path(path)
        super().__init__(f"{self.path}: {message}")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "graph"


def _plain(value):
    """JSON-safe: NaN and infinities become null, NumPy scalars plain numbers."""
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class RunRecorder:
    """Writes one run's record. Pass `observe` to Session(observers=...), call finish() after.

    observe() runs on the session's worker thread and appends each Scalar to metrics.jsonl
    at once (line-buffered), so a crashed run still leaves its metrics behind.
    """

    def __init__(self, runs_dir, graph, graph_path=None, *, now: float | None = None):
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
        base = Path(runs_dir) / f"{stamp}-{_slug(graph.name)}"
        folder, n = base, 2
        while True:
            try:
                folder.mkdir(parents=True, exist_ok=False)
                break
            except FileExistsError:
                folder = base.with_name(f"{base.name}-{n}")
                n += 1
        self.folder = folder
        self.graph = graph
        self.graph_path = None if graph_path is None else str(graph_path)
        self._write_graph()
        self._metrics = open(folder / METRICS_FILE, "w", buffering=1, encoding="utf-8")
        self.tensorboard = open_tensorboard_log(folder)  # None without tensorboardX
        self._edits = open(folder / EDITS_FILE, "w", buffering=1, encoding="utf-8")
        self.ended = None  # the Finished or Failed event
        self.started = time.perf_counter()
        self.extra: dict = {}  # more summary fields (a branch's parent run and epoch)

    def _write_graph(self) -> None:
        try:
            from graph.fileio import save_graph
        except ImportError:  # an older checkout without graph files: a plain snapshot
            (self.folder / GRAPH_FILE).write_text(json.dumps(_plain(self.graph.snapshot())))
            return
        save_graph(self.graph, self.folder / GRAPH_FILE)

    def observe(self, event) -> None:
        """Session observer: record Scalars as they come, remember how the run ended."""
        if self.tensorboard is not None:
            self.tensorboard.observe(event)
        if isinstance(event, Scalar):
            if not self._metrics.closed:
                self._metrics.write(json.dumps({
                    "tag": event.tag, "step": int(event.step), "value": _plain(event.value),
                    "seconds": round(time.perf_counter() - self.started, 4)}) + "\n")
        elif isinstance(event, LiveEdit):
            if not self._edits.closed:
                self._edits.write(json.dumps(_plain({
                    "step": event.step, "node": event.node_id, "param": event.name,
                    "old": event.old, "new": event.new})) + "\n")
        elif isinstance(event, (Finished, Failed)):
            self.ended = event

    def finish(self, program=None, *, engine: str = "", seed: int | None = None,
               epochs: int | None = None, history: list | None = None) -> dict:
        """Write weights.npz and summary.json, close the metrics file; returns the summary."""
        self._metrics.close()
        if self.tensorboard is not None:
            self.tensorboard.close()
        self._edits.close()
        if program is not None:
            weights = program.weights_to_host()
            np.savez(self.folder / WEIGHTS_FILE, **weights)
        summary = {"graph": self.graph.name, "graph_path": self.graph_path,
                   "engine": engine, "seed": seed, "epochs_planned": epochs,
                   "seconds": round(time.perf_counter() - self.started, 3)}
        if isinstance(self.ended, Finished):
            summary["reason"] = str(self.ended.reason)
            summary["final"] = {k: v for k, v in self.ended.summary.items()
                                if k not in ("steps", "seconds", "epoch")}
            summary["steps"] = self.ended.summary.get("steps")
            summary["seconds"] = self.ended.summary.get("seconds", summary["seconds"])
        elif isinstance(self.ended, Failed):
            summary["reason"] = "failed"
            summary["error"] = self.ended.message
            summary["node_id"] = self.ended.node_id
        else:
            summary["reason"] = "unknown"
        if history is not None:
            summary["epochs"] = len(history)
            summary.setdefault("final", dict(history[-1]) if history else {})
            summary["final"].pop("epoch", None)
        summary.update(self.extra)
        (self.folder / SUMMARY_FILE).write_text(json.dumps(_plain(summary), indent=2) + "\n")
        return summary


@dataclass
class RunRecord:
    """A reopened run: its name, graph file, metrics by tag and summary."""

    name: str
    folder: Path
    graph_path: Path
    metrics: dict = field(default_factory=dict)  # tag -> (steps int array, values float array)
    summary: dict = field(default_factory=dict)
    edits: list = field(default_factory=list)  # LiveEdit, in the order they were applied
    times: dict = field(default_factory=dict)  # tag -> seconds since the start, per value
    # (absent for records written before the recorder kept wall time)

    def weights(self) -> dict:
        """The saved parameters, 'node_id/name' -> array (never unpickles anything)."""
        return load_weights_file(self.folder / WEIGHTS_FILE)


def load_weights_file(path) -> dict:
    """Arrays of a .npz weights file, loaded with allow_pickle=False."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise RunRecordError(path, "no such weights file.") from None
    except (OSError, ValueError) as exc:
        raise RunRecordError(path, f"is not a readable weights file ({exc}).") from None


def _read_metrics(path: Path, times: dict | None = None) -> dict:
    """tag -> (steps, values); fills times (tag -> seconds) where every line has them."""
    series: dict = {}
    seconds: dict = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise RunRecordError(path, "is missing; this is not a complete run record.") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            tag, step, value = item["tag"], int(item["step"]), item["value"]
        except (ValueError, KeyError, TypeError):
            raise RunRecordError(path, f"line {number} is not a metric record "
                                       "(expected {\"tag\", \"step\", \"value\"}).") from None
        steps, values = series.setdefault(tag, ([], []))
        steps.append(step)
        values.append(math.nan if value is None else float(value))
        if isinstance(item.get("seconds"), (int, float)):
            seconds.setdefault(tag, []).append(float(item["seconds"]))
    if times is not None:
        times.update({tag: np.asarray(s, dtype=np.float64) for tag, s in seconds.items()
                      if len(s) == len(series[tag][0])})
    return {tag: (np.asarray(s, dtype=np.int64), np.asarray(v, dtype=np.float64))
            for tag, (s, v) in series.items()}


def _read_edits(path: Path) -> list[LiveEdit]:
    """The live edits of a record (an older record without the file had none)."""
    if not path.exists():
        return []
    edits = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            edits.append(LiveEdit(int(item["step"]), str(item["node"]), str(item["param"]),
                                  item["old"], item["new"]))
        except (ValueError, KeyError, TypeError):
            raise RunRecordError(path, f"line {number} is not a live-edit record (expected "
                                       "{\"step\", \"node\", \"param\", \"old\", \"new\"}).") \
                from None
    return edits


def load_run(folder) -> RunRecord:
    """Reopen the run record in folder; a missing or malformed part raises RunRecordError."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RunRecordError(folder, "is not a run record folder.")
    summary_path = folder / SUMMARY_FILE
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunRecordError(summary_path, "is missing; the run did not finish writing its "
                                           "record.") from None
    except ValueError as exc:
        raise RunRecordError(summary_path, f"is not valid JSON ({exc}).") from None
    if not isinstance(summary, dict):
        raise RunRecordError(summary_path, "should hold a JSON object.")
    graph_path = folder / GRAPH_FILE
    if not graph_path.is_file():
        raise RunRecordError(graph_path, "is missing from the run record.")
    times: dict = {}
    metrics = _read_metrics(folder / METRICS_FILE, times)
    return RunRecord(folder.name, folder, graph_path, metrics, summary,
                     _read_edits(folder / EDITS_FILE), times)


def list_runs(runs_dir="runs") -> list[Path]:
    """Run record folders under runs_dir (and in its sweeps' folders), oldest first (names
    start with the time)."""
    root = Path(runs_dir)
    if not root.is_dir():
        return []
    folders = []
    for path in root.iterdir():
        if path.is_dir() and path.name.endswith(SWEEP_SUFFIX):
            folders += [p for p in path.iterdir() if _is_record(p)]  # a sweep's trials
        elif _is_record(path):
            folders.append(path)
    return sorted(folders, key=lambda p: p.name)


SWEEP_SUFFIX = "-sweep"  # runs/<time>-<graph>-sweep/ holds one record per trial


def _is_record(path: Path) -> bool:
    return path.is_dir() and ((path / SUMMARY_FILE).exists() or (path / METRICS_FILE).exists())


def initial_weights_path(graph_path) -> Path:
    """Where a graph's starting weights live: the .npz beside it with the same stem."""
    return Path(graph_path).with_suffix(".npz")


def load_initial_weights(program, graph_path) -> Path | None:
    """Copy <graph>.npz (when it exists) into the program's parameters; returns its path.

    This is how an example fixes exact starting weights (the vanishing-gradient chain).
    """
    path = initial_weights_path(graph_path)
    if not path.is_file():
        return None
    arrays = load_weights_file(path)
    unknown = [key for key in arrays if tuple(key.partition("/")[::2]) not in program.params]
    if unknown:
        raise RunRecordError(path, f"has weights for parameters this graph lacks: "
                                   f"{', '.join(sorted(unknown))}.")
    try:
        program.load_weights(arrays)
    except ValueError as exc:
        raise RunRecordError(path, str(exc)) from None
    return path
