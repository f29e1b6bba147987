"""Qt adapter over graph.commands.UndoStack: signals for menus and the dirty flag."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence

from graph.commands import UndoStack
from graph.model import Graph, GraphError


class UndoAdapter(QObject):
    """Wraps an UndoStack; `.stack` is the model-side stack, `changed` fires after each step."""

    changed = Signal()  # after push, undo, redo, clear or set_clean
    clean_changed = Signal(bool)
    failed = Signal(str)  # a command raised: the model is unchanged and the message is shown

    def __init__(self, graph: Graph, parent=None):
        super().__init__(parent)
        self.stack = UndoStack(graph)
        self._was_clean = True

    @property
    def graph(self) -> Graph:
        return self.stack.graph

    def reset(self, graph: Graph) -> None:
        """Start over on another graph (after New/Open)."""
        self.stack = UndoStack(graph)
        self._notify()

    def push(self, command) -> bool:
        """Apply command as one undo step; when the graph refuses it (GraphError: nothing
        changed) emit `failed` and return False. Any other exception is a bug and propagates."""
        try:
            self.stack.push(command)
        except GraphError as exc:
            self.failed.emit(str(exc))
            return False
        self._notify()
        return True

    def undo(self) -> None:
        """Undo one step; a step the graph refuses (e.g. during a run) emits `failed`."""
        try:
            done = self.stack.undo()
        except GraphError as exc:
            self.failed.emit(str(exc))
            return
        if done:
            self._notify()

    def redo(self) -> None:
        try:
            done = self.stack.redo()
        except GraphError as exc:
            self.failed.emit(str(exc))
            return
        if done:
            self._notify()

    def set_clean(self) -> None:
        self.stack.set_clean()
        self._notify()

    def mark_dirty(self) -> None:
        """Treat the current state as unsaved (e.g. work restored from a recovery file)."""
        self.stack.clean_index = -1
        self._notify()

    def is_clean(self) -> bool:
        return self.stack.is_clean()

    def _notify(self) -> None:
        self.changed.emit()
        clean = self.stack.is_clean()
        if clean != self._was_clean:
            self._was_clean = clean
            self.clean_changed.emit(clean)

    def create_actions(self, parent) -> tuple[QAction, QAction]:
        """Undo and Redo actions whose text names the step they would undo or redo."""
        undo = QAction("&Undo", parent, shortcut=QKeySequence.StandardKey.Undo)
        redo = QAction("&Redo", parent, shortcut=QKeySequence("Ctrl+Shift+Z"))
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        undo.triggered.connect(self.undo)
        redo.triggered.connect(self.redo)

        def refresh():
            undo.setEnabled(self.stack.can_undo())
            redo.setEnabled(self.stack.can_redo())
            undo_text, redo_text = self.stack.undo_text(), self.stack.redo_text()
            undo.setText(f"&Undo {undo_text}" if undo_text else "&Undo")
            redo.setText(f"&Redo {redo_text}" if redo_text else "&Redo")

        self.changed.connect(refresh)
        refresh()
        return undo, redo
