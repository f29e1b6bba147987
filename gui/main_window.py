"""The main window: canvas in the centre, palette (left) and inspector (right) docks, menus,
status bar with the validation state. The run side attaches itself at the end of __init__."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow

from graph.model import Graph
from graph.registry import Registry
from gui.canvas import GraphScene, GraphView
from gui.files import FileManager
from gui.inspector import Inspector
from gui.menus import build_menus
from gui.palette import Palette
from gui.undo import UndoAdapter

MESSAGE_MS = 8000


class MainWindow(QMainWindow):
    """The editor. `graph` is the one model; every view redraws from its signals."""

    graph_replaced = Signal()

    def __init__(self, registry: Registry | None = None, graph: Graph | None = None):
        super().__init__()
        if registry is None:
            from plugins import default_registry
            registry = default_registry()
        self.registry = registry
        self.graph = graph or Graph("untitled")
        self.graph_path: str | None = None
        self.undo_stack = UndoAdapter(self.graph, self)
        self.scene = GraphScene(registry, self.undo_stack, self)
        self.canvas = GraphView(self.scene, self)
        self.setCentralWidget(self.canvas)
        self.palette = Palette(registry, self)
        self.inspector = Inspector(registry, self.undo_stack, self)
        self.palette_dock = self._dock("Palette", "palette_dock", self.palette,
                                       Qt.DockWidgetArea.LeftDockWidgetArea)
        self.inspector_dock = self._dock("Inspector", "inspector_dock", self.inspector,
                                         Qt.DockWidgetArea.RightDockWidgetArea)
        self.files = FileManager(self)
        self.validation_label = QLabel()
        self.engine_label = QLabel()
        self.statusBar().addWidget(self.validation_label, 1)
        self.statusBar().addPermanentWidget(self.engine_label)
        self.menus = build_menus(self)
        self._connect()
        self.set_graph(self.graph, None)
        self.resize(1400, 900)
        try:
            from gui.run_controller import RunController
            self.run_controller = RunController(self)
        except ImportError:
            self.run_controller = None
        self.restore_layout()  # after the run side's docks exist, so their places come back

    def _dock(self, title: str, name: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _connect(self) -> None:
        self.scene.message.connect(self.show_message)
        self.scene.analysed.connect(self._update_validation)
        self.canvas.node_selected.connect(self.inspector.show_node)
        self.palette.activated.connect(self.add_node_at_centre)
        self.undo_stack.failed.connect(self.show_message)
        self.undo_stack.clean_changed.connect(lambda _clean: self._update_title())
        self.files.message.connect(self.show_message)

    # -- the graph ---------------------------------------------------------------------------
    def set_graph(self, graph: Graph, path: str | None) -> None:
        """Replace the edited graph (New/Open/restore) and emit graph_replaced."""
        self.graph = graph
        self.graph_path = path
        self.undo_stack.reset(graph)
        self.scene.set_graph(graph)
        self.inspector.set_graph(graph)
        self._update_title()
        self.canvas.fit_to_view()
        self.graph_replaced.emit()

    def add_node_at_centre(self, type_id: str) -> str:
        """Add a node of type_id in the middle of the visible canvas (palette double-click)."""
        centre = self.canvas.mapToScene(self.canvas.viewport().rect().center())
        return self.scene.add_node(type_id, QPointF(centre.x() - 90, centre.y() - 40))

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, MESSAGE_MS)

    def _update_validation(self) -> None:
        problems = [p for p in self.scene.problems if p.severity == "error"]
        if not self.graph.nodes:
            text = "Empty graph: drag nodes from the palette, or press Tab to search."
        elif problems:
            noun = "problem" if len(problems) == 1 else "problems"
            text = f"{len(problems)} {noun}: {problems[0].message}"
        else:
            params = self.scene.shape_info.total_params() if self.scene.shape_info else 0
            text = f"Valid: {len(self.graph.nodes)} nodes, {params:,} parameters"
        self.validation_label.setText(text)
        self.validation_label.setToolTip("\n".join(str(p) for p in self.scene.problems))
        self.validation_label.setStyleSheet("color: #e04848;" if problems else "")

    def _update_title(self) -> None:
        name = Path(self.graph_path).name if self.graph_path else self.graph.name
        self.setWindowTitle(f"{name}[*] — Dendrite")
        self.setWindowModified(not self.undo_stack.is_clean())

    # -- layout and quitting -----------------------------------------------------------------
    def restore_layout(self) -> None:
        settings = self.files.settings
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def save_layout(self) -> None:
        self.files.settings.setValue("window/geometry", self.saveGeometry())
        self.files.settings.setValue("window/state", self.saveState())

    def closeEvent(self, event):
        if not self.files.maybe_save():
            event.ignore()
            return
        self.save_layout()
        self.files.mark_clean_exit()
        event.accept()
