"""Weight images dock: the latest 'weights/<node>' Image of the chosen layer, updated live."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QDockWidget, QVBoxLayout, QWidget


class WeightImageDock(QDockWidget):
    """Keeps the newest array per tag; shows the one picked in the combo (the first by default).

    Arrays are drawn row-major (rows down, columns across) with a fixed colour map; levels
    follow each new array so a layer's pattern stays visible as its scale changes.
    """

    PREFIX = "weights/"

    def __init__(self, parent=None):
        super().__init__("Weights", parent)
        self.setObjectName("weightImageDock")
        self.latest: dict[str, np.ndarray] = {}
        self._dirty = False
        self.chooser = QComboBox()
        self.chooser.setToolTip("Which layer's weights to show.")
        self.chooser.currentTextChanged.connect(self._chosen)
        self.plot = pg.PlotWidget()
        self.plot.setAspectLocked(True)
        self.plot.invertY(True)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setMinimumSize(200, 160)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.plot.addItem(self.image)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.chooser)
        layout.addWidget(self.plot)
        self.setWidget(body)

    @property
    def shown_tag(self) -> str:
        return self.chooser.currentText()

    def add(self, tag: str, array) -> None:
        self.latest[tag] = np.asarray(array)
        if self.chooser.findText(tag) < 0:
            self.chooser.addItem(tag)  # the first tag added becomes current
        if tag == self.shown_tag:
            self._dirty = True

    @property
    def pending(self) -> bool:
        return self._dirty

    def refresh(self) -> None:
        if self._dirty:
            self._dirty = False
            self._draw()

    def _chosen(self, _tag: str) -> None:
        self._draw()

    def _draw(self) -> None:
        tag = self.shown_tag
        array = self.latest.get(tag)
        if array is None:
            self.image.clear()
            self.plot.setTitle("")
            return
        shown = array if array.ndim >= 2 else array.reshape(1, -1)
        self.image.setImage(shown, autoLevels=True)
        self.plot.setTitle(f"{tag}  {' x '.join(map(str, array.shape))}")
        self.plot.autoRange(padding=0.02)

    def clear(self) -> None:
        self.latest.clear()
        self.chooser.clear()
        self.image.clear()
        self.plot.setTitle("")
