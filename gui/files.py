"""Files for the editor: open/save with prompts, recent files, autosave and crash recovery.

Settings live in QSettings("Dendrite", "Dendrite"), or in the INI file named by the
DENDRITE_SETTINGS environment variable (tests point it at a temporary folder). The recovery
file goes to DENDRITE_DATA_DIR, or the platform's app-data folder; it is written in the
background about two seconds after the last edit (gui.autosave)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QStandardPaths, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox

from graph.fileio import GraphFileError, load_graph, save_graph
from graph.model import Graph
from gui.autosave import Autosaver

ORGANISATION = "Dendrite"
APPLICATION = "Dendrite"
MAX_RECENT = 10
FILE_FILTER = "Dendrite graphs (*.dgraph);;All files (*)"


def app_settings() -> QSettings:
    """The app's settings store (a test INI file when DENDRITE_SETTINGS is set)."""
    path = os.environ.get("DENDRITE_SETTINGS")
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(ORGANISATION, APPLICATION)


def data_dir() -> Path:
    """Where the recovery file lives."""
    folder = os.environ.get("DENDRITE_DATA_DIR") or QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation) or str(Path.home() / ".dendrite")
    return Path(folder)


class FileManager(QObject):
    """Owns the current file path and talks to the user about saving. `window` provides
    graph, registry, undo_stack, set_graph(graph, path) and a parent for dialogs."""

    recent_changed = Signal()
    message = Signal(str)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.settings = app_settings()
        self.autosaver = Autosaver(self._unsaved_copy, lambda: self.recovery_path, self)
        self.autosaver.failed.connect(self.message)
        window.undo_stack.changed.connect(self._edited)

    @property
    def recovery_path(self) -> Path:
        return data_dir() / "recovery.dgraph"

    # -- recent files ------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):  # QSettings returns a lone entry as a string
            value = [value]
        return [p for p in (value or []) if p]

    def _remember(self, path: str) -> None:
        path = str(Path(path).resolve())
        recent = [path] + [p for p in self.recent_files() if p != path]
        self.settings.setValue("recent_files", recent[:MAX_RECENT])
        self.settings.setValue("last_file", path)
        self.recent_changed.emit()

    def last_file(self) -> str | None:
        path = self.settings.value("last_file", "")
        return path if path and Path(path).exists() else None

    # -- prompts -----------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False means the user cancelled."""
        if self.window.undo_stack.is_clean():
            return True
        answer = QMessageBox.question(
            self.window, "Unsaved changes",
            f"Save the changes to '{self._shown_name()}' first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def _shown_name(self) -> str:
        """The name the title bar shows: the file's name, or the graph's when unsaved."""
        path = self.window.graph_path
        return Path(path).name if path else self.window.graph.name

    # -- commands ----------------------------------------------------------------------------
    def new(self) -> bool:
        if not self.maybe_save():
            return False
        self.window.set_graph(Graph("untitled"), None)
        return True

    def open_dialog(self) -> bool:
        if not self.maybe_save():
            return False
        start = str(Path(self.window.graph_path).parent) if self.window.graph_path else ""
        path, _ = QFileDialog.getOpenFileName(self.window, "Open graph", start, FILE_FILTER)
        return bool(path) and self.open(path, ask=False)

    def open(self, path: str, ask: bool = True) -> bool:
        """Load path and show it; a bad file is explained and the current graph kept."""
        if ask and not self.maybe_save():
            return False
        graph = self.load(path)
        if graph is None:
            return False
        self.window.set_graph(graph, str(path))
        self._remember(str(path))
        return True

    def load(self, path: str) -> Graph | None:
        """The graph in path, or None after telling the user why it cannot be opened."""
        try:
            return load_graph(path, self.window.registry)
        except GraphFileError as exc:
            QMessageBox.warning(self.window, "Cannot open graph", str(exc))
            return None

    def save(self) -> bool:
        if not self.window.graph_path:
            return self.save_as()
        return self._write(self.window.graph_path)

    def save_as(self) -> bool:
        suggestion = self.window.graph_path or f"{self.window.graph.name}.dgraph"
        path, _ = QFileDialog.getSaveFileName(self.window, "Save graph as", suggestion,
                                              FILE_FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += ".dgraph"
        return self._write(path)

    def _write(self, path: str) -> bool:
        try:
            save_graph(self.window.graph, path)
        except (GraphFileError, OSError) as exc:
            QMessageBox.warning(self.window, "Cannot save graph", str(exc))
            return False
        self.window.graph_path = str(path)
        self.window.undo_stack.set_clean()
        self._remember(str(path))
        self.discard_recovery()
        self.message.emit(f"Saved {path}")
        return True

    # -- autosave and recovery ---------------------------------------------------------------
    def _edited(self) -> None:
        if not self.window.undo_stack.is_clean():
            self.autosaver.edited()

    def _unsaved_copy(self) -> Graph | None:
        """The graph to autosave (a copy), or None when nothing is unsaved."""
        if self.window.undo_stack.is_clean():
            return None
        self.settings.setValue("recovery/source_path", self.window.graph_path or "")
        self.settings.setValue("recovery/time", time.time())
        return self.window.graph.copy()

    def autosave(self) -> bool:
        """Write the graph to the recovery file now, if it has unsaved changes (blocking)."""
        self.autosaver.cancel()
        if self.window.undo_stack.is_clean():
            return False
        try:
            self.recovery_path.parent.mkdir(parents=True, exist_ok=True)
            save_graph(self.window.graph, self.recovery_path)
        except (GraphFileError, OSError) as exc:
            self.message.emit(f"Autosave failed: {exc}")
            return False
        self.settings.setValue("recovery/source_path", self.window.graph_path or "")
        self.settings.setValue("recovery/time", time.time())
        return True

    def discard_recovery(self) -> None:
        self.autosaver.cancel()  # a background write must not bring the file back
        self.recovery_path.unlink(missing_ok=True)

    def mark_clean_exit(self) -> None:
        """Called on a normal quit: nothing to recover next time."""
        self.discard_recovery()
        self.settings.setValue("clean_exit_time", time.time())
        self.settings.sync()

    def recovery_available(self) -> bool:
        """A recovery file written after the last clean exit exists."""
        path = self.recovery_path
        if not path.exists():
            return False
        clean_exit = float(self.settings.value("clean_exit_time", 0) or 0)
        return path.stat().st_mtime > clean_exit

    def offer_recovery(self) -> bool:
        """Ask whether to restore unsaved work from a crash; True if it was restored."""
        if not self.recovery_available():
            return False
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.recovery_path.stat().st_mtime))
        answer = QMessageBox.question(
            self.window, "Restore unsaved work?",
            f"Dendrite did not close normally. Restore the unsaved graph autosaved at {stamp}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes)
        if answer != QMessageBox.StandardButton.Yes:
            self.discard_recovery()
            return False
        graph = self.load(str(self.recovery_path))
        if graph is None:
            return False
        source = self.settings.value("recovery/source_path", "") or None
        self.window.set_graph(graph, source)
        self.window.undo_stack.mark_dirty()  # restored work is unsaved work
        return True
