"""The run bar's speed control: one steps-per-second cap for every model, off by default.

Runs that end in a second (a Hopfield recall, XOR) can be watched step by step; the cap goes to
the running session at once (Session.set_speed) and to every run started after.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QHBoxLayout, QWidget

DEFAULT_STEPS_PER_S = 5.0


class SpeedControl(QWidget):
    """'Slow to [5] steps/s': a checkbox and a rate; steps_per_s is 0 while unchecked."""

    speed_changed = Signal(float)  # steps per second, 0 for full speed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("speedControl")
        self.enabled = QCheckBox("Slow to")
        self.enabled.setToolTip("Cap the run's speed so short runs can be watched step by step "
                                "(every model, the Hopfield recall animation too).")
        self.rate = QDoubleSpinBox()
        self.rate.setRange(0.1, 1000.0)
        self.rate.setDecimals(1)
        self.rate.setValue(DEFAULT_STEPS_PER_S)
        self.rate.setSuffix(" steps/s")
        self.rate.setToolTip("Steps per second while 'Slow to' is on.")
        self.rate.setEnabled(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(2)
        layout.addWidget(self.enabled)
        layout.addWidget(self.rate)
        self.enabled.toggled.connect(self._changed)
        self.rate.valueChanged.connect(self._changed)

    @property
    def steps_per_s(self) -> float:
        return self.rate.value() if self.enabled.isChecked() else 0.0

    def set_steps_per_s(self, value: float) -> None:
        """Turn the cap on at value steps per second, or off for 0."""
        if value > 0:
            self.rate.setValue(value)
        self.enabled.setChecked(value > 0)

    def _changed(self, *_args) -> None:
        self.rate.setEnabled(self.enabled.isChecked())
        self.speed_changed.emit(self.steps_per_s)
