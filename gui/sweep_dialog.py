"""Run > Sweep...: choose parameters and values, run `main.py sweep` beside the GUI, see the
trials finish, rank them in a sortable table and overlay their curves in the runs panel.

The sweep runs as a child process (the same command as in a terminal), so Ray never shares the
GUI's process or its event loop; the dialog reads the child's progress lines and, at the end,
the sweep's summary file. Parameters are checked against the specs before the child starts.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QProcess, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from engines.sweep.plan import NOT_SWEEPABLE, SweepError, make_plan
from engines.sweep.summary import SUMMARY_JSON
from graph.fileio import anchor_paths, save_graph
from graph.spec import ParamType

MAIN = Path(__file__).resolve().parents[1] / "main.py"
METRICS = ("train/loss", "val/loss", "train/accuracy", "val/accuracy")
_STARTED = re.compile(r"^Sweep '([^']+)': (\d+) trial")
RECORD_ROLE = Qt.ItemDataRole.UserRole


def sweepable_parameters(graph, registry) -> list[tuple[str, str, object]]:
    """(key 'node.param', label, current value) of every parameter a sweep may vary."""
    found = []
    for node in graph.nodes.values():
        spec = registry.spec(node.type_id)
        for param in spec.params:
            if param.type in NOT_SWEEPABLE:
                continue
            value = node.params.get(param.name, param.default)
            title = node.title or spec.title
            found.append((f"{node.id}.{param.name}", f"{title}: {param.name}", value))
    return found


def suggested_values(value, param_type: ParamType | None = None) -> str:
    """A first guess at values to try around the current one (x0.1, x1, x10 for numbers)."""
    if isinstance(value, bool):
        return "false,true"
    if isinstance(value, float) and value > 0:
        return ",".join(f"{value * f:g}" for f in (0.1, 1.0, 10.0))
    if isinstance(value, int) and value > 0:
        return ",".join(str(v) for v in sorted({max(1, value // 2), value, value * 2}))
    return str(value)


class SweepDialog(QDialog):
    """Choose what to sweep, run it, and read the ranked trials."""

    def __init__(self, window, runs_panel=None, runs_dir: str | Path = "runs"):
        super().__init__(window)
        self.setWindowTitle("Sweep")
        self.setObjectName("sweepDialog")
        self.window_ = window
        self.runs_panel = runs_panel
        self.runs_dir = Path(runs_dir)
        self.process: QProcess | None = None
        self.sweep_folder: Path | None = None
        self.total = 0
        self.finished_trials = 0
        self.graph_file: Path | None = None
        self._build()

    # -- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        graph, registry = self.window_.graph, self.window_.registry
        self.choices = sweepable_parameters(graph, registry)
        self.params = QTableWidget(0, 2)
        self.params.setHorizontalHeaderLabels(["Parameter", "Values (comma-separated)"])
        self.params.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.params.verticalHeader().hide()
        add, remove = QPushButton("Add parameter"), QPushButton("Remove")
        add.clicked.connect(lambda: self.add_row())
        remove.clicked.connect(self._remove_row)
        cpus = max(1, os.cpu_count() or 1)
        self.seeds = _spin(1, 100, 1)
        self.epochs = _spin(1, 10_000_000, int(graph.settings.get("epochs", 100)))
        self.workers = _spin(1, cpus, cpus)
        self.metric_box = QComboBox()
        self.metric_box.setEditable(True)
        self.metric_box.addItems(METRICS)
        self.asha = QCheckBox("Stop bad trials early (ASHA)")
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        self.start_button, self.stop_button = QPushButton("Start"), QPushButton("Stop")
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        self.progress = QProgressBar()
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        self.results = QTableWidget(0, 0)
        self.results.setSortingEnabled(True)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setToolTip("Click a column to sort; double-click a trial to open its graph.")
        self.results.itemDoubleClicked.connect(self.open_trial)

        form = QFormLayout()
        form.addRow("Seeds per point", self.seeds)
        form.addRow("Epochs", self.epochs)
        form.addRow("Workers (local Ray)", self.workers)
        form.addRow("Rank by", self.metric_box)
        form.addRow("", self.asha)
        row_buttons = QHBoxLayout()
        row_buttons.addWidget(add)
        row_buttons.addWidget(remove)
        row_buttons.addStretch(1)
        run_buttons = QHBoxLayout()
        run_buttons.addWidget(self.start_button)
        run_buttons.addWidget(self.stop_button)
        run_buttons.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.params)
        layout.addLayout(row_buttons)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(run_buttons)
        layout.addWidget(self.log)
        layout.addWidget(self.results, 1)
        self.resize(640, 640)
        first = next((c for c in self.choices if c[0].endswith(".lr")), None) or \
            (self.choices[0] if self.choices else None)
        if first is not None:
            self.add_row(first[0], suggested_values(first[2]))

    def add_row(self, key: str | None = None, values: str = "") -> None:
        """A parameter row: which node parameter, and the values to try."""
        row = self.params.rowCount()
        self.params.insertRow(row)
        combo = QComboBox()
        for choice_key, label, _value in self.choices:
            combo.addItem(f"{label}  ({choice_key})", choice_key)
        if key is not None:
            combo.setCurrentIndex(max(0, combo.findData(key)))
        editor = QLineEdit(values)
        combo.currentIndexChanged.connect(
            lambda _i, c=combo, e=editor:
                e.setText(suggested_values(self._value_of(c.currentData()))))
        self.params.setCellWidget(row, 0, combo)
        self.params.setCellWidget(row, 1, editor)

    def _value_of(self, key):
        return next((value for k, _label, value in self.choices if k == key), "")

    def _remove_row(self) -> None:
        row = self.params.currentRow()
        self.params.removeRow(row if row >= 0 else self.params.rowCount() - 1)

    def param_arguments(self) -> list[str]:
        """The rows as `NODE.PARAM=V1,V2` texts (the CLI's --param)."""
        texts = []
        for row in range(self.params.rowCount()):
            key = self.params.cellWidget(row, 0).currentData()
            values = self.params.cellWidget(row, 1).text().strip()
            texts.append(f"{key}={values}")
        return texts

    # -- running -----------------------------------------------------------------------------
    def start(self) -> bool:
        """Check the plan against the specs, then start the sweep; False (and a message) if not."""
        graph, registry = self.window_.graph, self.window_.registry
        params = self.param_arguments()
        try:
            plan = make_plan(graph, registry, params, [], seeds=self.seeds.value(),
                             metric=self.metric_box.currentText().strip() or None)
        except SweepError as exc:
            self.error.setText(str(exc))
            return False
        self.error.setText("")
        self.graph_file = self._write_graph()
        arguments = [str(MAIN), "sweep", str(self.graph_file), "--seeds", str(self.seeds.value()),
                     "--epochs", str(self.epochs.value()), "--workers", str(self.workers.value()),
                     "--metric", plan.metric, "--runs-dir", str(self.runs_dir)]
        for text in params:
            arguments += ["--param", text]
        if self.asha.isChecked():
            arguments += ["--scheduler", "asha"]
        self.total, self.finished_trials = len(plan.trials()), 0
        self.progress.setRange(0, self.total)
        self.progress.setValue(0)
        self.results.setRowCount(0)
        self.log.clear()
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self.process.readyReadStandardOutput.connect(self._read_output)
        self.process.finished.connect(self._finished)
        self.process.start(sys.executable, arguments)
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        return True

    def _write_graph(self) -> Path:
        """The window's graph as it is now (unsaved edits too), file paths made absolute."""
        graph = self.window_.graph.copy()
        base = Path(self.window_.graph_path).parent if self.window_.graph_path else Path.cwd()
        anchor_paths(graph, self.window_.registry, base)
        folder = Path(tempfile.mkdtemp(prefix="dendrite-sweep-graph-"))
        path = folder / f"{graph.name or 'graph'}.dgraph"
        save_graph(graph, path)
        return path

    def stop(self) -> None:
        """Ask the sweep to stop as Ctrl+C does: finished trials are kept and summarised."""
        if self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning:
            os.kill(int(self.process.processId()), signal.SIGINT)
            self.log.appendPlainText("Stopping: finished trials are kept ...")

    def running(self) -> bool:
        return self.process is not None and \
            self.process.state() != QProcess.ProcessState.NotRunning

    def _read_output(self) -> None:
        text = bytes(self.process.readAllStandardOutput()).decode("utf-8", "replace")
        for line in text.splitlines():
            match = _STARTED.match(line)
            if match:
                self.sweep_folder = self.runs_dir / match.group(1)
            if line.startswith(("  done", "  failed")):
                self.finished_trials += 1
                self.progress.setValue(self.finished_trials)
            if line.strip():
                self.log.appendPlainText(line)

    def _finished(self, code: int, _status) -> None:
        self._read_output()
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        summary = self.sweep_folder / SUMMARY_JSON if self.sweep_folder else None
        if summary is None or not summary.is_file():
            self.error.setText(f"The sweep ended (exit code {code}) without a summary; "
                               "see the log above.")
            return
        self.show_summary(json.loads(summary.read_text(encoding="utf-8")))
        if self.runs_panel is not None:
            self.runs_panel.refresh()
            for row in self.trial_rows():
                if row["status"] == "ok" and row["record"]:
                    try:
                        self.runs_panel.set_ticked(Path(row["record"]).name)
                    except KeyError:
                        pass

    # -- results -----------------------------------------------------------------------------
    def show_summary(self, summary: dict) -> None:
        """Fill the results table from a sweep.json document (ranked, sortable)."""
        self._rows = summary["trials"]
        keys = list(self._rows[0]["params"]) if self._rows else []
        metric = summary["metric"]
        headers = ["rank", *keys, "seed", metric, "seconds", "status"]
        self.results.setSortingEnabled(False)
        self.results.clear()
        self.results.setColumnCount(len(headers))
        self.results.setHorizontalHeaderLabels(headers)
        self.results.setRowCount(len(self._rows))
        for r, trial in enumerate(self._rows):
            values = [r + 1, *(trial["params"].get(k) for k in keys), trial["seed"],
                      trial["final"].get(metric), trial["seconds"],
                      trial["status"] + (f": {trial['message']}" if trial["message"] else "")]
            for c, value in enumerate(values):
                item = QTableWidgetItem()
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    item.setData(Qt.ItemDataRole.DisplayRole, value)
                else:
                    item.setText("-" if value is None else str(value))
                item.setData(RECORD_ROLE, trial["record"])
                self.results.setItem(r, c, item)
        self.results.setSortingEnabled(True)
        self.results.resizeColumnsToContents()

    def trial_rows(self) -> list[dict]:
        return list(getattr(self, "_rows", []))

    def open_trial(self, item: QTableWidgetItem) -> None:
        """Open the double-clicked trial's graph (as it ran) in the window."""
        record = item.data(RECORD_ROLE)
        if record:
            self.window_.files.open(str(Path(record) / "graph.dgraph"))

    def closeEvent(self, event):
        if self.running():
            self.stop()
            self.process.waitForFinished(10_000)
        super().closeEvent(event)


def _spin(low: int, high: int, value: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    return spin


def install_sweep_action(window, runs_panel, runs_dir) -> QAction:
    """Run > Sweep... opening one SweepDialog per window (kept while it runs)."""

    def open_dialog():
        dialog = getattr(window, "sweep_dialog", None)
        if dialog is None or not dialog.running():
            dialog = SweepDialog(window, runs_panel, runs_dir)
            window.sweep_dialog = dialog
        dialog.show()
        dialog.raise_()

    action = QAction("S&weep...", window)
    action.setToolTip("Sweep parameters and seeds on Ray; results ranked and overlaid")
    action.triggered.connect(open_dialog)
    menus = getattr(window, "menus", {})
    if "Run" in menus:
        menus["Run"].addSeparator()
        menus["Run"].addAction(action)
    return action
