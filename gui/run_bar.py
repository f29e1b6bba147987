"""Run bar: engine, epochs and seed, Start / Pause-Resume / Step / Stop, and progress.

Engine, epochs and seed are the graph's run settings: the bar shows them (load_settings) and
reports a user's change as `settings_edited`, which the window turns into an undoable
SetSettings; it keeps no copy of its own."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QProgressBar, QSpinBox, QToolBar, QWidget

from gui.speed_control import SpeedControl

ENGINES = {"Auto": "auto", "NumPy": "numpy", "CuPy": "cupy"}  # shown text -> setting


def format_duration(seconds: float | None) -> str:
    """'1:05:09', '4:07' or '12 s' (or '' for unknown)."""
    if seconds is None or seconds != seconds or seconds < 0:
        return ""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class RunBar(QToolBar):
    """The toolbar that starts and steers a run. Its QActions are shared with the Run menu.

    States: 'idle' (nothing run yet or the run ended), 'running', 'paused'. Shortcuts use the
    window context; Space pauses only while a run exists, so the canvas keeps Space otherwise.
    """

    settings_edited = Signal(dict)  # {"epochs": 500} when the user changes a setting

    def __init__(self, parent: QWidget | None = None, cupy_usable: bool = False,
                 cupy_reason: str = ""):
        super().__init__("Run", parent)
        self.setObjectName("runBar")
        self.engine_combo = QComboBox()
        self.engine_combo.addItems(["Auto", "NumPy"] + (["CuPy"] if cupy_usable else []))
        tip = "Array engine for the next run (Auto: CuPy when a GPU answers, else NumPy)."
        if not cupy_usable:
            tip += f"\nCuPy is unavailable: {cupy_reason}"
        self.engine_combo.setToolTip(tip)
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 10_000_000)
        self.epochs_spin.setPrefix("epochs ")
        self.epochs_spin.setToolTip("Epochs to train.")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setPrefix("seed ")
        self.seed_spin.setToolTip("Random seed for initial weights and shuffling.")
        for spin, key in ((self.epochs_spin, "epochs"), (self.seed_spin, "seed")):
            spin.setKeyboardTracking(False)  # one edit per Enter or arrow click, not per key
            spin.valueChanged.connect(lambda value, key=key: self.settings_edited.emit(
                {key: int(value)}))
        self.engine_combo.currentTextChanged.connect(
            lambda text: self.settings_edited.emit({"engine": ENGINES[text]}))
        self.start_action = self._action("Start", "F5", "Compile the graph and train it.")
        self.pause_action = self._action("Pause", "Space", "Pause or resume the run.")
        self.pause_action.setAutoRepeat(False)  # holding Space must not toggle repeatedly
        self.step_action = self._action("Step", "F10", "Run one training step, then pause.")
        self.stop_action = self._action("Stop", "Shift+F5", "Stop the run.")
        self.progress = QProgressBar()
        self.progress.setMinimumWidth(160)
        self.progress.setMaximumWidth(240)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.status_label = QLabel("")
        self.status_label.setMinimumWidth(220)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for widget in (self.engine_combo, self.epochs_spin, self.seed_spin):
            self.addWidget(widget)
        self.addSeparator()
        for action in self.actions_in_order():
            self.addAction(action)
        self.speed = SpeedControl()  # one steps-per-second cap for every model, off by default
        self.addWidget(self.speed)
        self.addSeparator()
        self.addWidget(self.progress)
        self.addWidget(self.status_label)
        self.set_state("idle")

    def _action(self, text: str, shortcut: str, tip: str) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(f"{tip} ({shortcut})")
        action.setObjectName(f"run{text}Action")
        return action

    def actions_in_order(self) -> list[QAction]:
        return [self.start_action, self.pause_action, self.step_action, self.stop_action]

    def button(self, action: QAction):
        """The toolbar button of action (tests click it like a user)."""
        return self.widgetForAction(action)

    # -- settings ----------------------------------------------------------------------------
    @property
    def engine(self) -> str:
        return ENGINES[self.engine_combo.currentText()]

    def load_settings(self, settings: dict) -> None:
        """Show a graph's settings (unknown keys ignored); emits no settings_edited.

        A graph asking for CuPy where CuPy is unusable shows CuPy all the same: Start then
        says why it cannot run, rather than silently training on another engine."""
        widgets = (self.epochs_spin, self.seed_spin, self.engine_combo)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.epochs_spin.setValue(int(settings.get("epochs", self.epochs_spin.value())
                                          or 1))
            self.seed_spin.setValue(int(settings.get("seed", self.seed_spin.value()) or 0))
            shown = {value: text for text, value in ENGINES.items()}.get(
                settings.get("engine", "auto"), "Auto")
            if self.engine_combo.findText(shown) < 0:
                self.engine_combo.addItem(shown)
            self.engine_combo.setCurrentIndex(self.engine_combo.findText(shown))
        finally:
            for widget in widgets:
                widget.blockSignals(False)

    # -- state and progress ------------------------------------------------------------------
    def set_state(self, state: str) -> None:
        """Enable what makes sense in state 'idle' | 'running' | 'paused'."""
        active = state in ("running", "paused")
        self.start_action.setEnabled(not active)
        self.pause_action.setEnabled(active)
        self.pause_action.setText("Resume" if state == "paused" else "Pause")
        self.step_action.setEnabled(state != "running")
        self.stop_action.setEnabled(active)
        for widget in (self.engine_combo, self.epochs_spin, self.seed_spin):
            widget.setEnabled(not active)

    def show_progress(self, epoch: int, epochs: int, step: int, loss, eta_s) -> None:
        self.progress.setRange(0, max(epochs, 1))
        self.progress.setValue(min(epoch, epochs))
        self.progress.setFormat(f"epoch {epoch}/{epochs}")
        parts = [f"step {step}"]
        if loss is not None:
            parts.append(f"loss {loss:.4g}")
        eta = format_duration(eta_s)
        if eta:
            parts.append(f"ETA {eta}")
        self.status_label.setText("   ".join(parts))

    def show_message(self, text: str) -> None:
        self.status_label.setText(text)

    def reset_progress(self) -> None:
        """No run yet: empty progress bar, no step, loss or ETA (another graph was opened)."""
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.status_label.setText("")
