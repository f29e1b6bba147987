"""Runs panel: the run records under runs/, ticked ones overlaid in one comparison plot."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui.plots.curves import PALETTE, CurveSet
from gui.plots.docks import make_plot
from gui.run_compare import WeightsPreview, XAxis, run_differences, x_values

log = logging.getLogger(__name__)

COMPARED_TAGS = ("train/loss", "val/loss")
RUN_DIR_ROLE = Qt.ItemDataRole.UserRole


def make_recorder(runs_dir: Path, graph, graph_path):
    """A RunRecorder for a run of graph under runs_dir, or None when it cannot be made (the
    run itself must not fail because its record cannot be written)."""
    try:
        from engines.records import RunRecorder
        return RunRecorder(runs_dir, graph, graph_path)
    except Exception as exc:  # missing module, unwritable folder: say so, run anyway
        log.warning("This run will not be recorded: %s", exc)
        return None


_RUN_NAME = re.compile(r"^(\d{8})-(\d{2})(\d{2})(\d{2})-(.+)$")


def display_name(folder_name: str) -> str:
    """'20261123-120138-digits_mlp' -> '12:01:38 digits_mlp' (other names unchanged)."""
    match = _RUN_NAME.match(folder_name)
    if match is None:
        return folder_name
    _day, hours, minutes, seconds, rest = match.groups()
    return f"{hours}:{minutes}:{seconds} {rest}"


def _parent_of(folder: Path) -> dict | None:
    """{"run", "epoch"} when the run in folder is a branch (its summary says so)."""
    import json
    try:
        parent = json.loads((folder / "summary.json").read_text(encoding="utf-8")).get("parent")
    except (OSError, ValueError, AttributeError):
        return None
    return parent if isinstance(parent, dict) and "run" in parent else None


def _as_tree(folders: list[Path]) -> list[tuple[Path, int, dict | None]]:
    """(folder, depth, parent) in list order, each branch right under the run it came from."""
    parents = {f.name: _parent_of(f) for f in folders}
    children: dict[str, list[Path]] = {}
    roots = []
    for folder in folders:
        parent = parents[folder.name]
        if parent and parent["run"] in parents and parent["run"] != folder.name:
            children.setdefault(parent["run"], []).append(folder)
        else:
            roots.append(folder)
    ordered, seen = [], set()

    def add(folder: Path, depth: int) -> None:
        if folder.name in seen:
            return
        seen.add(folder.name)
        ordered.append((folder, depth, parents[folder.name] if depth else None))
        for child in children.get(folder.name, []):
            add(child, depth + 1)

    for folder in roots:
        add(folder, 0)
    return ordered


def _run_dir(entry) -> Path:
    """list_runs may give folders or records; both name a folder."""
    for name in ("path", "directory", "dir"):
        value = getattr(entry, name, None)
        if value is not None:
            return Path(value)
    return Path(entry)


class RunsPanel(QDockWidget):
    """Lists recorded runs, newest first; ticking a run overlays its loss curves.

    Double-clicking a run emits `run_opened(record)` so the window can redraw every metric
    of that run in the live plot docks.
    """

    run_opened = Signal(object)  # engines.records.RunRecord
    rerun_requested = Signal(object)  # the RunRecord to run again with its seed and edits
    branch_requested = Signal(object, object)  # RunRecord, checkpoint file to go on from

    def __init__(self, runs_dir: str | Path, parent=None):
        super().__init__("Runs", parent)
        self.setObjectName("runsPanel")
        self.runs_dir = Path(runs_dir)
        self.records: dict[str, object] = {}  # run folder -> loaded RunRecord
        self.run_list = QListWidget()
        self.run_list.setToolTip("Tick runs to compare their loss curves; "
                                 "double-click to redraw a run in the plots.")
        self.run_list.itemChanged.connect(self._ticked)
        self.run_list.itemDoubleClicked.connect(self._opened)
        self.run_list.currentItemChanged.connect(self._selected)
        self.x_axis = XAxis.STEPS
        self.x_axis_box = QComboBox()
        self.x_axis_box.addItems([axis.value for axis in XAxis])
        self.x_axis_box.setToolTip("Compare runs against steps, passes over the data or wall "
                                   "time (full-batch optimizers take one step per pass).")
        self.x_axis_box.currentIndexChanged.connect(
            lambda index: self.set_x_axis(list(XAxis)[index]))
        self.weights_preview = WeightsPreview()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.rerun_button = QPushButton("Re-run")
        self.rerun_button.setToolTip("Run the selected run again: its graph and seed, with its "
                                     "live edits re-applied at the same steps")
        self.rerun_button.clicked.connect(self._rerun)
        self.branch_button = QPushButton("Branch…")
        self.branch_button.setToolTip("Go on from one of the selected run's checkpoints, "
                                      "paused, to edit live parameters first")
        self.branch_button.clicked.connect(self._branch)
        self.differences = QPlainTextEdit()
        self.differences.setReadOnly(True)
        self.differences.setMinimumWidth(60)
        self.differences.setPlaceholderText("Tick two runs to see how their graphs and "
                                            "settings differ.")
        self.plot = make_plot("loss")
        self.plot.setLogMode(y=False)
        self.curves = CurveSet(self.plot.getPlotItem(), colour_of=self._colour,
                               label_of=self._label)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.run_list)
        buttons = QHBoxLayout()  # two short rows, so the panel fits an 800-pixel window
        buttons.addWidget(self.refresh_button)
        again = QHBoxLayout()  # a second row keeps the panel as narrow as it was
        again.addWidget(self.rerun_button)
        again.addWidget(self.branch_button)
        again.addStretch(1)
        buttons.addStretch(1)
        left_layout.addLayout(buttons)
        left_layout.addLayout(again)
        axis_row = QHBoxLayout()
        axis_row.addWidget(self.x_axis_box)
        axis_row.addStretch(1)
        left_layout.addLayout(axis_row)
        right = QSplitter(Qt.Orientation.Vertical)
        beside = QSplitter()  # the differences beside the overlaid curves
        beside.addWidget(self.plot)
        beside.addWidget(self.differences)
        beside.setSizes([300, 160])
        right.addWidget(beside)
        right.addWidget(self.weights_preview)
        right.setSizes([260, 170])
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([150, 300])
        self.setWidget(splitter)
        self.refresh()

    # -- listing -----------------------------------------------------------------------------
    def run_names(self) -> list[str]:
        """Folder names of the listed runs, newest first."""
        return [Path(self.run_list.item(i).data(RUN_DIR_ROLE)).name
                for i in range(self.run_list.count())]

    def item(self, name: str) -> QListWidgetItem:
        """The list item of the run whose folder is called name."""
        for i in range(self.run_list.count()):
            item = self.run_list.item(i)
            if Path(item.data(RUN_DIR_ROLE)).name == name:
                return item
        raise KeyError(f"There is no run '{name}' in {self.runs_dir}.")

    def refresh(self) -> None:
        """Re-read the runs folder, keeping ticks on runs that are still there."""
        ticked = set(self.ticked_dirs())
        try:
            from engines.records import list_runs
            entries = list(list_runs(self.runs_dir))[::-1] if self.runs_dir.exists() else []
        except Exception as exc:  # an unreadable folder is shown, not raised
            self.run_list.setToolTip(f"Cannot list runs in {self.runs_dir}: {exc}")
            entries = []
        self.run_list.blockSignals(True)
        self.run_list.clear()
        for entry, depth, parent in _as_tree([_run_dir(e) for e in entries]):
            folder = entry
            label = display_name(folder.name)
            if depth:  # a branch, drawn under the run it went on from
                label = f"{'    ' * (depth - 1)}  ↳ {label}  (from epoch {parent['epoch']})"
            item = QListWidgetItem(label)
            item.setToolTip(str(folder))
            item.setData(RUN_DIR_ROLE, str(folder))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if str(folder) in ticked
                               else Qt.CheckState.Unchecked)
            self.run_list.addItem(item)
        self.run_list.blockSignals(False)
        for folder in ticked - {str(_run_dir(e)) for e in entries}:
            self._hide(folder)

    def ticked_dirs(self) -> list[str]:
        return [self.run_list.item(i).data(RUN_DIR_ROLE) for i in range(self.run_list.count())
                if self.run_list.item(i).checkState() == Qt.CheckState.Checked]

    def set_ticked(self, name: str, ticked: bool = True) -> None:
        """Tick or untick the run whose folder is called name (as a user would)."""
        state = Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked
        self.item(name).setCheckState(state)

    # -- overlaying --------------------------------------------------------------------------
    def record(self, folder: str):
        """The loaded record of a run folder (read once, then cached)."""
        if folder not in self.records:
            from engines.records import load_run
            self.records[folder] = load_run(Path(folder))
        return self.records[folder]

    def _ticked(self, item: QListWidgetItem) -> None:
        folder = item.data(RUN_DIR_ROLE)
        if item.checkState() == Qt.CheckState.Checked:
            self._show(folder)
        else:
            self._hide(folder)
        self._show_differences()

    def _show_differences(self) -> None:
        """With exactly two runs ticked, list how their graphs and settings differ."""
        ticked = self.ticked_dirs()
        if len(ticked) != 2:
            self.differences.setPlainText("")
            return
        try:
            first, second = (self.record(folder) for folder in reversed(ticked))  # older first
            lines = run_differences(first, second)
        except Exception as exc:  # a damaged record: say so in the box
            self.differences.setPlainText(f"Cannot compare: {exc}")
            return
        names = " → ".join(display_name(Path(f).name) for f in reversed(ticked))
        body = "\n".join(lines) if lines else "Same graph and settings."
        self.differences.setPlainText(f"{names}\n\n{body}")

    def _branch(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        from engines.checkpoint import CHECKPOINT_DIR, list_checkpoints
        item = self.run_list.currentItem()
        if item is None:
            self.plot.setTitle("Select a run to branch from.")
            return
        folder = Path(item.data(RUN_DIR_ROLE))
        kept = list_checkpoints(folder / CHECKPOINT_DIR)
        if not kept:
            self.plot.setTitle(f"{item.text().strip()} kept no checkpoints (the graph's "
                               "checkpoint_every setting; default every 10 epochs).")
            return
        labels = [f"after epoch {epoch}" for epoch, _ in kept]
        choice, ok = QInputDialog.getItem(self, "Branch from a checkpoint", "Go on from:",
                                          labels, len(labels) - 1, False)
        if not ok:
            return
        try:
            record = self.record(str(folder))
        except Exception as exc:
            self.plot.setTitle(f"Cannot read {item.text()}: {exc}")
            return
        self.branch_requested.emit(record, kept[labels.index(choice)][1])

    def _rerun(self) -> None:
        item = self.run_list.currentItem()
        if item is None:
            self.plot.setTitle("Select a run to run again.")
            return
        try:
            self.rerun_requested.emit(self.record(item.data(RUN_DIR_ROLE)))
        except Exception as exc:
            self.plot.setTitle(f"Cannot read {item.text()}: {exc}")

    def _show(self, folder: str) -> None:
        try:
            record = self.record(folder)
        except Exception as exc:  # a damaged record: say which, keep the others
            self.plot.setTitle(f"Cannot read {Path(folder).name}: {exc}")
            return
        for tag in COMPARED_TAGS:
            if tag in record.metrics:
                xs = x_values(record, tag, self.x_axis)
                if xs is None:
                    self.plot.setTitle(f"{Path(folder).name} has no wall times recorded")
                    continue
                self.curves.set(f"{Path(folder).name}|{tag}", xs, record.metrics[tag][1])
        self.curves.refresh()

    def set_x_axis(self, axis: XAxis) -> None:
        """Redraw the ticked runs against steps, passes over the data or seconds."""
        self.x_axis = axis
        self.plot.setLabel("bottom", axis.value)
        if self.x_axis_box.currentIndex() != list(XAxis).index(axis):
            self.x_axis_box.setCurrentIndex(list(XAxis).index(axis))
        for folder in self.ticked_dirs():
            self._hide(folder)
            self._show(folder)
        self.plot.enableAutoRange()

    def _selected(self, item, _previous=None) -> None:
        if item is None:
            return
        try:
            record = self.record(item.data(RUN_DIR_ROLE))
        except Exception:  # a damaged record is reported when ticked or opened
            return
        self.weights_preview.show_record(record, item.text())

    def _hide(self, folder: str) -> None:
        for tag in COMPARED_TAGS:
            self.curves.remove(f"{Path(folder).name}|{tag}")

    @staticmethod
    def _label(curve_tag: str) -> str:
        """Legend text: the run's time, graph and split, e.g. '12:01:38 xor_mlp val'."""
        name, _, tag = curve_tag.partition("|")
        return f"{display_name(name)} {tag.split('/')[0]}"

    def _colour(self, curve_tag: str) -> str:
        name = curve_tag.split("|")[0]
        names = self.run_names()
        index = names.index(name) if name in names else len(names)
        return PALETTE[index % len(PALETTE)]

    def _opened(self, item: QListWidgetItem) -> None:
        try:
            self.run_opened.emit(self.record(item.data(RUN_DIR_ROLE)))
        except Exception as exc:
            self.plot.setTitle(f"Cannot read {item.text()}: {exc}")

    def curve(self, run_name: str, tag: str):
        """The comparison curve of run_name's tag, or None (tests read its data)."""
        return self.curves.curves.get(f"{run_name}|{tag}")
