"""Error history dock: train and validation loss (log-scale toggle) above accuracy."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDockWidget, QVBoxLayout, QWidget

from gui.plots.curves import CurveSet
from gui.plots.docks import make_plot


class ErrorHistoryDock(QDockWidget):
    """Takes 'train/<metric>' and 'val/<metric>' scalars: accuracy below, the rest above."""

    SPLITS = ("train", "val")

    def __init__(self, parent=None):
        super().__init__("Error history", parent)
        self.setObjectName("errorHistoryDock")
        self.loss_plot = make_plot("loss")
        self.accuracy_plot = make_plot("accuracy")
        self.accuracy_plot.setXLink(self.loss_plot)
        self.accuracy_plot.setYRange(0.0, 1.05)
        self.accuracy_plot.setMaximumHeight(180)
        self.losses = CurveSet(self.loss_plot.getPlotItem())
        self.accuracies = CurveSet(self.accuracy_plot.getPlotItem())
        self.log_scale = QCheckBox("Log scale")
        self.log_scale.setToolTip("Draw the loss axis on a logarithmic scale.")
        self.log_scale.toggled.connect(lambda on: self.loss_plot.setLogMode(y=on))
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.log_scale)
        layout.addWidget(self.loss_plot, 3)
        layout.addWidget(self.accuracy_plot, 2)
        self.setWidget(body)

    def accepts(self, tag: str) -> bool:
        split, _, metric = tag.partition("/")
        return split in self.SPLITS and (metric == "accuracy" or "loss" in metric)

    def add(self, tag: str, step: float, value: float) -> None:
        target = self.accuracies if tag.endswith("/accuracy") else self.losses
        target.append(tag, step, value)

    def extend(self, tag: str, steps, values) -> None:
        target = self.accuracies if tag.endswith("/accuracy") else self.losses
        target.extend(tag, steps, values)

    def curve(self, tag: str):
        """The PlotDataItem drawing tag (tests and screenshots read it)."""
        target = self.accuracies if tag.endswith("/accuracy") else self.losses
        return target.curves.get(tag)

    @property
    def pending(self) -> bool:
        return self.losses.pending or self.accuracies.pending

    def refresh(self) -> None:
        self.losses.refresh()
        self.accuracies.refresh()

    def clear(self) -> None:
        self.losses.clear()
        self.accuracies.clear()
