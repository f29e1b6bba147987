"""GUI test setup: private settings and data folders, captured dialogs, an editor window."""

from __future__ import annotations

import gc

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from graph.model import Edge, Graph, Node


@pytest.fixture(autouse=True)
def collect_garbage_on_the_gui_thread():
    """As gui.app does: no cyclic GC on a session's worker thread, where freeing a Qt object
    crashes Qt (seen as a segfault in a run test). Collect on this thread between tests."""
    gc.collect()
    gc.disable()
    yield
    gc.collect()
    gc.enable()


@pytest.fixture(autouse=True)
def private_settings(tmp_path, monkeypatch):
    """Never touch the user's real settings or recovery file."""
    monkeypatch.setenv("DENDRITE_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("DENDRITE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


class Dialogs:
    """Stands in for modal message boxes: records their text, answers with `answer`."""

    def __init__(self):
        self.answer = QMessageBox.StandardButton.Discard
        self.shown: list[tuple[str, str, str]] = []  # (kind, title, text)

    def question(self, parent, title, text, *args, **kwargs):
        self.shown.append(("question", title, text))
        return self.answer

    def warning(self, parent, title, text, *args, **kwargs):
        self.shown.append(("warning", title, text))
        return QMessageBox.StandardButton.Ok


@pytest.fixture(autouse=True)
def dialogs(monkeypatch):
    recorder = Dialogs()
    monkeypatch.setattr(QMessageBox, "question", recorder.question)
    monkeypatch.setattr(QMessageBox, "warning", recorder.warning)
    return recorder


@pytest.fixture
def make_window(qtbot, registry):
    """Factory for shown main windows, closed without prompts at teardown."""
    from gui.main_window import MainWindow
    windows = []

    def make():
        window = MainWindow(registry)
        qtbot.addWidget(window)
        window.resize(1200, 800)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.undo_stack.set_clean()


@pytest.fixture
def window(make_window):
    return make_window()


def xor_graph() -> Graph:
    """dataset -> dense -> tanh -> dense -> sigmoid -> mse -> sgd, laid out left to right."""
    graph = Graph("xor")
    for index, (node_id, type_id, params) in enumerate([
            ("data", "core.dataset", {}), ("hidden", "core.dense", {"units": 4}),
            ("act", "core.tanh", {}), ("out", "core.dense", {"units": 1}),
            ("prob", "core.sigmoid", {}), ("loss", "core.mse", {}), ("opt", "core.sgd", {})]):
        graph.add_node(Node(node_id, type_id, params, (index * 240.0, 0.0)))
    for edge in [("data", "x", "hidden", "x"), ("hidden", "y", "act", "x"),
                 ("act", "y", "out", "x"), ("out", "y", "prob", "x"),
                 ("prob", "y", "loss", "pred"), ("data", "y", "loss", "target"),
                 ("loss", "loss", "opt", "loss")]:
        graph.connect(Edge(*edge))
    return graph


def view_point(window, scene_point):
    """Where scene_point appears in the canvas viewport."""
    return window.canvas.mapFromScene(scene_point)


def mouse(widget, kind, point, buttons=Qt.MouseButton.LeftButton,
          button=Qt.MouseButton.LeftButton):
    """Send one mouse event (QTest.mouseMove cannot hold a button down)."""
    local = QPointF(point)
    event = QMouseEvent(kind, local, QPointF(widget.mapToGlobal(point)), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def drag(widget, start, end, steps: int = 4):
    """Press at start, move to end in steps with the button held, release at end."""
    from PySide6.QtCore import QEvent, QPoint
    mouse(widget, QEvent.Type.MouseButtonPress, start)
    for step in range(1, steps + 1):
        point = QPoint(start.x() + (end.x() - start.x()) * step // steps,
                       start.y() + (end.y() - start.y()) * step // steps)
        mouse(widget, QEvent.Type.MouseMove, point, button=Qt.MouseButton.NoButton)
    mouse(widget, QEvent.Type.MouseButtonRelease, end, buttons=Qt.MouseButton.NoButton)
