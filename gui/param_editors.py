"""One editor widget per ParamType, built from a ParamSpec: the inspector's form fields.

Each editor is a small object with `widget`, `value()`, `set_value(v)`, `set_enabled(b)` and
a Qt signal `committed` (a finished edit whose value passes ParamSpec.check)."""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from graph.spec import ParamSpec, ParamType

_INT_LIMIT = 2**31 - 1
_ERROR_STYLE = "QLineEdit { border: 1px solid #e04848; }"


class FloatSpinBox(QDoubleSpinBox):
    """A spin box that shows 0.001 as '0.001' (not '0.00') and accepts '1e-3'."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDecimals(12)
        self.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text, pos):
        from PySide6.QtGui import QValidator
        stripped = text.strip()
        try:
            value = float(stripped)
        except ValueError:
            # kept as typed (not swallowed) so the editor can say why it is refused
            return QValidator.State.Intermediate, text, pos
        ok = self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos


class IntSpinBox(QSpinBox):
    """A spin box that keeps what was typed ("abc", "0", "-5") until the edit ends, so the
    editor can explain the refusal instead of silently dropping keys or the sign."""

    def validate(self, text, pos):
        from PySide6.QtGui import QValidator
        try:
            value = int(text.strip())
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        ok = self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos


class ParamEditor(QObject):
    """Base: holds the spec, the widget and an error label under it."""

    committed = Signal(object)

    def __init__(self, spec: ParamSpec, field: QWidget):
        super().__init__()
        self.spec = spec
        self.field = field
        self.error = QLabel()
        self.error.setStyleSheet("color: #e04848;")
        self.error.setWordWrap(True)
        self.error.hide()
        self.widget = QWidget()
        layout = QVBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(field)
        layout.addWidget(self.error)
        field.setToolTip(spec.doc)

    def set_enabled(self, enabled: bool) -> None:
        self.field.setEnabled(enabled)

    def show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))

    def explain_typed(self, text: str, cast, noun: str) -> None:
        """Say under a numeric field why what is being typed would be refused."""
        try:
            value = cast(text.strip())
        except ValueError:
            self.show_error(f"{self.spec.name} must be {noun}; got {text.strip()!r}. "
                            "Leaving the field keeps the previous value.")
            return
        problem = self.spec.check(value)
        self.show_error(f"{self.spec.name} {problem}. Leaving the field keeps the previous "
                        "value." if problem else None)


class IntEditor(ParamEditor):
    def __init__(self, spec):
        box = IntSpinBox()
        low, high = spec.range or (None, None)
        box.setRange(-_INT_LIMIT if low is None else int(low),
                     _INT_LIMIT if high is None else int(min(high, _INT_LIMIT)))
        box.setKeyboardTracking(False)  # one undo step per finished edit, not per keystroke
        box.setAccelerated(True)
        super().__init__(spec, box)
        box.valueChanged.connect(lambda v: self.committed.emit(int(v)))
        box.lineEdit().textEdited.connect(
            lambda text: self.explain_typed(text, int, "a whole number"))

    def value(self):
        return self.field.value()

    def set_value(self, value):
        self.field.blockSignals(True)
        self.field.setValue(int(value))
        self.field.blockSignals(False)


class FloatEditor(ParamEditor):
    def __init__(self, spec):
        box = FloatSpinBox()
        low, high = spec.range or (None, None)
        box.setRange(-1e300 if low is None else float(low), 1e300 if high is None else float(high))
        box.setKeyboardTracking(False)
        default = abs(spec.default) if isinstance(spec.default, (int, float)) else 0.0
        if 0 < default < 0.1:  # learning rates and the like: step in their own decade
            box.setSingleStep(10 ** math.floor(math.log10(default)))
        super().__init__(spec, box)
        box.valueChanged.connect(lambda v: self.committed.emit(float(v)))
        box.lineEdit().textEdited.connect(lambda text: self.explain_typed(text, float, "a number"))

    def value(self):
        return self.field.value()

    def set_value(self, value):
        self.field.blockSignals(True)
        self.field.setValue(float(value))
        self.field.blockSignals(False)


class BoolEditor(ParamEditor):
    def __init__(self, spec):
        box = QCheckBox()
        super().__init__(spec, box)
        box.toggled.connect(lambda v: self.committed.emit(bool(v)))

    def value(self):
        return self.field.isChecked()

    def set_value(self, value):
        self.field.blockSignals(True)
        self.field.setChecked(bool(value))
        self.field.blockSignals(False)


class ChoiceEditor(ParamEditor):
    def __init__(self, spec):
        box = QComboBox()
        box.addItems([str(c) for c in spec.choices])
        super().__init__(spec, box)
        box.currentIndexChanged.connect(lambda i: self.committed.emit(self.spec.choices[i]))

    def value(self):
        return self.spec.choices[self.field.currentIndex()]

    def set_value(self, value):
        self.field.blockSignals(True)
        if value in self.spec.choices:
            self.field.setCurrentIndex(list(self.spec.choices).index(value))
        self.field.blockSignals(False)


def _parse_list(text: str, cast):
    items = [t for t in text.replace(";", ",").replace(" ", ",").split(",") if t]
    try:
        return [cast(t) for t in items]
    except ValueError:
        return text  # ParamSpec.check will say it is not a list of numbers


def _parse_int(text: str):
    return int(text)


_PARSERS = {
    ParamType.STRING: str,
    ParamType.PATH: str,
    ParamType.INTS: lambda text: _parse_list(text, _parse_int),
    ParamType.FLOATS: lambda text: _parse_list(text, float),
}


def _format(spec: ParamSpec, value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return "" if value is None else str(value)


class TextEditor(ParamEditor):
    """Strings, paths and lists: checked as you type (red border and the reason)."""

    def __init__(self, spec):
        line = QLineEdit()
        field = line
        if spec.type is ParamType.PATH:
            field = QWidget()
            row = QHBoxLayout(field)
            row.setContentsMargins(0, 0, 0, 0)
            browse = QToolButton()
            browse.setText("…")
            browse.clicked.connect(self._browse)
            row.addWidget(line)
            row.addWidget(browse)
        self.line = line
        super().__init__(spec, field)
        line.textEdited.connect(self._check)
        line.editingFinished.connect(self._commit)

    def parsed(self):
        return _PARSERS[self.spec.type](self.line.text().strip()
                                        if self.spec.type not in (ParamType.STRING,)
                                        else self.line.text())

    def _check(self) -> str | None:
        problem = self.spec.check(self.parsed())
        self.line.setStyleSheet(_ERROR_STYLE if problem else "")
        self.show_error(f"{self.spec.name} {problem}" if problem else None)
        return problem

    def _commit(self) -> None:
        if self._check() is None:
            self.committed.emit(self.parsed())

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.widget, f"Choose {self.spec.name}")
        if path:
            self.line.setText(path)
            self._commit()

    def value(self):
        return self.parsed()

    def set_value(self, value):
        self.line.blockSignals(True)
        self.line.setText(_format(self.spec, value))
        self.line.blockSignals(False)
        self._check()


EDITORS = {
    ParamType.INT: IntEditor,
    ParamType.FLOAT: FloatEditor,
    ParamType.BOOL: BoolEditor,
    ParamType.CHOICE: ChoiceEditor,
    ParamType.STRING: TextEditor,
    ParamType.PATH: TextEditor,
    ParamType.INTS: TextEditor,
    ParamType.FLOATS: TextEditor,
}


def make_editor(spec: ParamSpec) -> ParamEditor:
    """The editor for spec's type."""
    return EDITORS[spec.type](spec)
