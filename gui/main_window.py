"""The main window: canvas in the centre, palette (left) and inspector (right) docks, menus,
status bar with the validation state. The run side attaches itself at the end of __init__."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow

from graph.model import Graph
from graph.problems import Severity
from graph.registry import Registry
from gui.canvas import GraphScene, GraphView
from gui.files import FileManager
from gui.inspector import Inspector
from gui.menus import build_menus
from gui.palette import Palette
from gui.problem_list import install_problem_list
from gui.undo import UndoAdapter

MESSAGE_MS = 8000


class MainWindow(QMainWindow):
    """The editor. `graph` is the one model; every view redraws from its signals."""

    graph_replaced = Signal()

    def __init__(self, registry: Registry, graph: Graph | None = None):
        """registry: the node types (main.py loads the plugin packs and passes it in)."""
        super().__init__()
        self.registry = registry
        self.graph = graph or Graph("untitled")
        self.graph.registry = registry
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
        install_problem_list(self)  # clicking "3 problems" lists them all
        self.statusBar().addPermanentWidget(self.engine_label)
        self.menus = build_menus(self)
        self._connect()
        self.set_graph(self.graph, None)
        self.resize(1400, 900)
        try:
            self.run_controller = attach_run_side(self)
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
        graph.registry = self.registry  # set_param checks values against the specs
        self.graph_path = path
        self.undo_stack.reset(graph)
        self.scene.set_graph(graph)
        self.inspector.set_graph(graph)
        self._update_title()
        self.canvas.fit_to_view(readable=True)
        self.graph_replaced.emit()

    def add_node_at_centre(self, type_id: str) -> str:
        """Add a node of type_id in the middle of the visible canvas (palette double-click)."""
        centre = self.canvas.mapToScene(self.canvas.viewport().rect().center())
        return self.scene.add_node(type_id, QPointF(centre.x() - 90, centre.y() - 40))

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, MESSAGE_MS)

    def _update_validation(self) -> None:
        problems = [p for p in self.scene.problems if p.severity is Severity.ERROR]
        if not self.graph.nodes:
            text = "Empty graph: drag nodes from the palette, or press Tab to search."
        elif problems:
            noun = "problem" if len(problems) == 1 else "problems"
            text = f"{len(problems)} {noun}: {problems[0].message}"
        else:
            params = self.scene.shape_info.total_params() if self.scene.shape_info else 0
            count = len(self.graph.nodes)
            text = f"Valid: {count} node{'' if count == 1 else 's'}, {params:,} parameters"
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


def attach_run_side(window, runs_dir: str | Path = "runs"):
    """Make the run widgets, place them in window and wire a RunController to them.

    window needs graph, graph_path, registry, undo_stack, canvas (with mark_node and
    wire_clicked), inspector (with set_run_mode), menus, engine_label and graph_replaced;
    the tests' stand-in window uses this too. Raises ImportError when the run side is
    unavailable (the editor then works without it)."""
    from engines.backend import cupy_backend
    from gui.run_controller import RunController
    from gui.run_widgets import RunWidgets

    cupy, why_not = cupy_backend()
    widgets = RunWidgets.create(window, runs_dir, cupy_usable=cupy is not None,
                                cupy_reason=why_not)
    widgets.install(window)
    controller = RunController(
        window, widgets, canvas=window.canvas, inspector=window.inspector,
        status=lambda text, ms=0: window.statusBar().showMessage(text, ms),
        runs_dir=runs_dir, parent=window)
    window.graph_replaced.connect(controller.graph_replaced)
    window.canvas.wire_clicked.connect(controller.probe_wire)
    window.canvas.installEventFilter(controller)
    from gui.sweep_dialog import install_sweep_action
    install_sweep_action(window, widgets.runs_panel, runs_dir)
    window.engine_label.setText("Engines: NumPy, CuPy" if cupy is not None else "Engine: NumPy")
    window.engine_label.setToolTip(why_not)
    return controller
