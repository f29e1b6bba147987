"""Comparing recorded runs: the x axis they share, a caption per run, its first-layer weights.

Runs of different optimizers take different numbers of steps per pass over the data (a
full-batch optimizer takes one), so the runs panel can put them side by side against steps,
passes over the data (epochs) or wall time (seconds, from the record's times).
"""

from __future__ import annotations

import enum
import json
from pathlib import Path

import numpy as np
import pyqtgraph as pg

from engines.imaging import weight_tiles


class XAxis(enum.Enum):
    """What the runs panel's comparison plot has along x."""

    STEPS = "steps"
    EPOCHS = "passes over the data"
    SECONDS = "seconds"


def x_values(record, tag: str, axis: XAxis):
    """x coordinates of record.metrics[tag] along axis, or None when the record lacks them
    (a record written before wall times were kept)."""
    steps, values = record.metrics[tag]
    if axis is XAxis.STEPS:
        return steps
    if axis is XAxis.EPOCHS:  # epoch metrics come once per pass, in order
        return np.arange(1, len(values) + 1)
    return getattr(record, "times", {}).get(tag)


def accuracy_text(record) -> str:
    """'val acc 93.1%' (or train accuracy when the run had no validation split), or ''."""
    final = record.summary.get("final") or {}
    for key, label in (("val/accuracy", "val acc"), ("train/accuracy", "train acc")):
        value = final.get(key)
        if isinstance(value, (int, float)):
            return f"{label} {100 * value:.1f}%"
    return ""


def first_layer_image(record):
    """A tile image of the run's first 2-D weight matrix 'W' (in build order), or None."""
    try:
        weights = record.weights()
    except Exception:  # no weights file: a failed or older run
        return None
    for key, array in weights.items():
        if key.endswith("/W") and np.ndim(array) == 2:
            return key.split("/")[0], weight_tiles(array)
    return None


def node_title(record, node_id: str) -> str:
    """The title the node had in the run's graph file (its id if the file says none)."""
    try:
        nodes = json.loads(Path(record.graph_path).read_text(encoding="utf-8"))["nodes"]
    except (OSError, ValueError, KeyError, TypeError):
        return node_id
    found = next((n for n in nodes if isinstance(n, dict) and n.get("id") == node_id), {})
    return found.get("title") or node_id


class WeightsPreview(pg.GraphicsLayoutWidget):
    """The selected run's first-layer weights and accuracy, under the comparison plot."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumHeight(140)
        self.plot = self.addPlot()
        self.plot.setTitle("the selected run's first-layer weights", size="8pt")
        self.plot.setMenuEnabled(False)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.invertY(True)
        self.plot.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.shown = None  # the record shown, for tests

    def show_record(self, record, name: str) -> None:
        self.shown = record
        found = first_layer_image(record)
        caption = " ".join(part for part in (name, accuracy_text(record)) if part)
        if found is None:
            self.image.clear()
            self.plot.setTitle(f"{caption}: no weight matrix recorded", size="8pt")
            return
        node_id, tiles = found
        self.image.setImage(tiles, levels=(0.0, 1.0))
        self.plot.autoRange(padding=0.02)
        self.plot.setTitle(f"{caption}: {node_title(record, node_id)}", size="8pt")


def run_differences(first, second) -> list[str]:
    """What differs between two recorded runs: their graphs and settings (graph.diff), the
    engine, seed and epochs they ran with, and their live edits."""
    import json

    from graph.diff import document_differences
    lines = []
    for key in ("engine", "seed", "epochs_planned"):
        old, new = first.summary.get(key), second.summary.get(key)
        if old != new:
            lines.append(f"run {key.replace('_planned', '')}: {old} → {new}")
    try:
        documents = [json.loads(r.graph_path.read_text(encoding="utf-8"))
                     for r in (first, second)]
    except (OSError, ValueError) as exc:
        return [*lines, f"cannot compare the graphs: {exc}"]
    said = {line.split(":")[0].removeprefix("run ") for line in lines}
    lines += [line for line in document_differences(*documents)
              if line.split(":")[0].removeprefix("setting ") not in said]
    edits = [[e.label + f" at step {e.step}" for e in r.edits] for r in (first, second)]
    if edits[0] != edits[1]:
        for index, (label, own) in enumerate((("first", edits[0]), ("second", edits[1]))):
            others = set(edits[1 - index])
            lines += [f"live edit {e} only in the {label}" for e in own if e not in others]
    return lines
