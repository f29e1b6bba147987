"""A stand-in main window with exactly what gui.main_window.attach_run_side needs, and test
graphs.

The run-side widget tests use it so they do not depend on the editor's canvas; the
end-to-end tests in test_run_window.py drive the real MainWindow (real canvas, real blame).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu

from graph.model import Edge, Graph, Node
from gui.undo import UndoAdapter


class FakeCanvas(QObject):
    wire_clicked = Signal(object)

    def __init__(self):
        super().__init__()
        self.marked: list[tuple[str, str]] = []

    def mark_node(self, node_id: str, message: str) -> bool:
        self.marked.append((node_id, message))
        return True


class FakeInspector(QObject):
    def __init__(self):
        super().__init__()
        self.run_modes: list[bool] = []

    def set_run_mode(self, running: bool) -> None:
        self.run_modes.append(running)


class FakeWindow(QMainWindow):
    graph_replaced = Signal()

    def __init__(self, registry, graph: Graph):
        super().__init__()
        self.registry = registry
        self.graph = graph
        self.graph_path = None
        self.undo_stack = UndoAdapter(graph, self)
        self.undo_stack.failed.connect(lambda text: self.statusBar().showMessage(text))
        self.canvas = FakeCanvas()
        self.inspector = FakeInspector()
        self.menus = {name: QMenu(name, self) for name in ("File", "Run", "View")}
        for menu in self.menus.values():
            self.menuBar().addMenu(menu)
        self.engine_label = QLabel()
        self.statusBar().addPermanentWidget(self.engine_label)
        self.resize(1200, 800)

    def replace_graph(self, graph: Graph) -> None:
        self.graph = graph
        self.undo_stack.reset(graph)
        self.graph_replaced.emit()


def chain(graph: Graph, nodes: list[Node], wires: list[tuple]) -> Graph:
    for node in nodes:
        graph.add_node(node)
    for wire in wires:
        graph.connect(Edge(*wire))
    return graph


def xor_graph(lr: float = 0.5, epochs: int = 400, hidden: int = 4) -> Graph:
    """dataset(xor) -> dense -> tanh -> dense -> sigmoid -> mse -> sgd (reaches accuracy 1)."""
    graph = chain(Graph("xor"), [
        Node("data", "core.dataset", {"dataset": "xor", "batch_size": 4}),
        Node("h1", "core.dense", {"units": hidden}, (0, 0), "hidden"),
        Node("act1", "core.tanh"),
        Node("out", "core.dense", {"units": 1}),
        Node("act2", "core.sigmoid"),
        Node("loss", "core.mse"),
        Node("opt", "core.sgd", {"lr": lr}),
    ], [("data", "x", "h1", "x"), ("h1", "y", "act1", "x"), ("act1", "y", "out", "x"),
        ("out", "y", "act2", "x"), ("act2", "y", "loss", "pred"), ("data", "y", "loss", "target"),
        ("loss", "loss", "opt", "loss")])
    graph.settings.update(epochs=epochs, seed=0, engine="numpy")
    return graph


def diverging_graph() -> Graph:
    """A linear regression with a learning rate far too large: the weights blow up to inf."""
    graph = chain(Graph("diverge"), [
        Node("data", "core.dataset", {"dataset": "xor", "batch_size": 4}),
        Node("out", "core.dense", {"units": 1}, (0, 0), "readout"),
        Node("loss", "core.mse"),
        Node("opt", "core.sgd", {"lr": 500.0}),
    ], [("data", "x", "out", "x"), ("out", "y", "loss", "pred"), ("data", "y", "loss", "target"),
        ("loss", "loss", "opt", "loss")])
    graph.settings.update(epochs=200, seed=0, engine="numpy")
    return graph
