"""Wire probe: statistics, histogram and image of the tensor on a clicked wire, kept fresh,
with a short history of snapshots to scrub back over."""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QGridLayout, QLabel, QSlider, QWidget

from gui.plots.docks import make_plot

REFRESH_MS = 250
HISTOGRAM_BINS = 40
STAT_NAMES = ("shape", "mean", "std", "min", "max")
HISTORY = 50  # snapshots kept per probed wire


def tensor_stats(array: np.ndarray) -> dict:
    """Mean, std, min and max in float64 over the finite values (NaN/inf are counted)."""
    values = np.asarray(array, dtype=np.float64).ravel()
    finite = values[np.isfinite(values)]
    stats = {"shape": tuple(np.shape(array)), "size": values.size,
             "nonfinite": int(values.size - finite.size)}
    if finite.size:
        stats.update(mean=float(finite.mean()), std=float(finite.std()),
                     min=float(finite.min()), max=float(finite.max()))
    else:
        stats.update(mean=float("nan"), std=float("nan"), min=float("nan"), max=float("nan"))
    return stats


def image_view_of(array: np.ndarray) -> np.ndarray | None:
    """A 2-D picture of a tensor: (batch, features) as is, (batch, h, w[, c]) tiled in a row
    (first 16 samples); None for 1-D and scalar tensors."""
    if array.ndim == 2:
        return array
    if array.ndim == 3:
        return np.concatenate(list(array[:16]), axis=1)
    if array.ndim == 4:
        return np.concatenate(list(array[:16].mean(axis=-1)), axis=1)
    return None


def _peek_with_step(session, node_id: str, port: str):
    """(a copy of the wire's value, the step it was taken after), on the reader thread."""
    array = session.peek(node_id, port)
    program = getattr(session, "program", None)
    return array, getattr(getattr(program, "phase", None), "step", None)


class ProbeDock(QDockWidget):
    """Shows one wire's tensor; re-reads it via session.peek a few times a second."""

    def __init__(self, parent=None):
        super().__init__("Probe", parent)
        self.setObjectName("probeDock")
        self.session = None
        self.edge = None
        self.last_array: np.ndarray | None = None
        self.stats: dict = {}
        self.title_label = QLabel("Click a wire to probe its tensor.")
        self.title_label.setWordWrap(True)
        self.stat_labels = {name: QLabel("-") for name in STAT_NAMES}
        self.histogram = make_plot("count", bottom="value")
        self.histogram.getPlotItem().legend.setVisible(False)
        self.bars = pg.PlotDataItem(stepMode="center", fillLevel=0, brush=(86, 180, 233, 150),
                                    pen=pg.mkPen("#56b4e9"))
        self.histogram.addItem(self.bars)
        self.image_plot = pg.PlotWidget()
        self.image_plot.invertY(True)
        self.image_plot.setLabel("left", "sample")
        self.image_plot.setLabel("bottom", "feature")
        self.image_plot.setMinimumSize(200, 140)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.image_plot.addItem(self.image)
        body = QWidget()
        grid = QGridLayout(body)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.addWidget(self.title_label, 0, 0, 1, 2 * len(STAT_NAMES))
        for column, name in enumerate(STAT_NAMES):
            grid.addWidget(QLabel(f"<b>{name}</b>"), 1, 2 * column)
            grid.addWidget(self.stat_labels[name], 1, 2 * column + 1)
        grid.addWidget(self.histogram, 2, 0, 1, len(STAT_NAMES))
        grid.addWidget(self.image_plot, 2, len(STAT_NAMES), 1, len(STAT_NAMES))
        grid.setRowStretch(2, 1)
        self.history: deque = deque(maxlen=HISTORY)  # (step, array, title), oldest first
        self.scrub = QSlider(Qt.Orientation.Horizontal)
        self.scrub.setToolTip(f"Scrub back over the last {HISTORY} snapshots of this wire; "
                              "the right end follows the run live.")
        self.scrub.setRange(0, 0)
        self.scrub.valueChanged.connect(self._scrubbed)
        self.scrub_label = QLabel("live")
        grid.addWidget(self.scrub, 3, 0, 1, 2 * len(STAT_NAMES) - 2)
        grid.addWidget(self.scrub_label, 3, 2 * len(STAT_NAMES) - 2, 1, 2)
        self.setWidget(body)
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="probe")
        self._pending: Future | None = None
        self._pending_edge = None
        self._pending_final = False
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

    def attach(self, session) -> None:
        """Probe the wires of session (None after the graph was replaced)."""
        self.session = session
        self._pending = None  # a read from the previous run is of no interest
        self.clear_history()
        if session is None:
            self.edge = None
            self.timer.stop()
            self.title_label.setText("Click a wire to probe its tensor.")
        elif self.edge is not None:
            self.timer.start()

    def probe(self, edge, session=None) -> None:
        """Show edge's tensor now and keep it fresh while the dock is open."""
        if session is not None:
            self.session = session
        if edge != self.edge:
            self.clear_history()
        self.edge = edge
        self.show()
        self.raise_()
        self.refresh()

    def refresh(self) -> None:
        """Show the last finished read and ask for the next one.

        session.peek waits for the worker's next step boundary, so it runs on a helper
        thread; the GUI thread only looks at finished reads and never waits.
        """
        edge = self.edge
        if edge is None or not self.isVisible():
            self.timer.stop()
            return
        where = f"{edge.src}.{edge.src_port} \u2192 {edge.dst}.{edge.dst_port}"
        if self.session is None:
            self.title_label.setText(f"{where}: start a run to see this wire's values.")
            return
        pending = self._pending
        if pending is not None:
            if not pending.done():
                return
            self._pending = None
            if self._pending_edge == edge:
                self._show_read(pending, where)
                if self._pending_final:
                    self.timer.stop()  # read after the run ended: the values are final
                    return
        self._pending_edge = edge
        self._pending_final = bool(getattr(self.session, "done", False))
        self._pending = self._reader.submit(_peek_with_step, self.session, edge.src,
                                            edge.src_port)
        self.timer.start()

    def _show_read(self, read: Future, where: str) -> None:
        try:
            array, step = read.result()
        except Exception as exc:  # unknown port, a run that timed out: shown, not raised
            self.title_label.setText(f"{where}: {exc}")
            return
        self.record(np.asarray(array), step, where)

    # -- history -----------------------------------------------------------------------------
    @property
    def live(self) -> bool:
        """True while the scrubber sits at its right end (the newest snapshot is shown)."""
        return self.scrub.value() >= self.scrub.maximum()

    def record(self, array: np.ndarray, step, title: str) -> None:
        """Keep a snapshot; show it when following live, else stay on the scrubbed one."""
        follow = self.live
        if self.history and step is not None and self.history[-1][0] == step:
            self.history.pop()  # re-read while paused: the same step, keep it once
        self.history.append((step, array, title))
        self.scrub.blockSignals(True)
        self.scrub.setRange(0, len(self.history) - 1)
        if follow:
            self.scrub.setValue(self.scrub.maximum())
        else:  # the deque dropped its oldest entry: keep pointing at the same snapshot
            shift = 1 if len(self.history) == self.history.maxlen else 0
            self.scrub.setValue(max(0, self.scrub.value() - shift))
        self.scrub.blockSignals(False)
        if follow:
            self.show_array(array, title)
        self._label_scrub()

    def _scrubbed(self, index: int) -> None:
        if 0 <= index < len(self.history):
            _step, array, title = self.history[index]
            self.show_array(array, title)
        self._label_scrub()

    def _label_scrub(self) -> None:
        if not self.history:
            self.scrub_label.setText("live")
            return
        step = self.history[self.scrub.value()][0]
        where = "live" if self.live else f"{self.scrub.value() + 1}/{len(self.history)}"
        self.scrub_label.setText(f"step {step} ({where})" if step is not None else where)

    def clear_history(self) -> None:
        self.history.clear()
        self.scrub.blockSignals(True)
        self.scrub.setRange(0, 0)
        self.scrub.blockSignals(False)
        self.scrub_label.setText("live")

    def show_array(self, array: np.ndarray, title: str = "") -> None:
        self.last_array = array
        self.stats = tensor_stats(array)
        bad = self.stats["nonfinite"]
        self.title_label.setText(title + (f"   ({bad} values are NaN or infinite)" if bad else ""))
        self.stat_labels["shape"].setText(" x ".join(map(str, self.stats["shape"])) or "scalar")
        for name in ("mean", "std", "min", "max"):
            self.stat_labels[name].setText(f"{self.stats[name]:.4g}")
        finite = np.asarray(array, dtype=np.float64).ravel()
        finite = finite[np.isfinite(finite)]
        if finite.size:
            low, high = finite.min(), finite.max()
            if high <= low:
                low, high = low - 0.5, high + 0.5
            counts, edges = np.histogram(finite, bins=HISTOGRAM_BINS, range=(low, high))
            self.bars.setData(edges, counts)
        else:
            self.bars.setData([], [])
        picture = image_view_of(array)
        self.image_plot.setVisible(picture is not None)
        if picture is not None:
            self.image.setImage(np.nan_to_num(picture.astype(np.float32)), autoLevels=True)
            self.image_plot.autoRange(padding=0.03)
