"""The status bar's problem count opens a list of every problem; clicking one shows its node
(opening the group that holds it) selected on the canvas."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from graph.groups import parent_map

_NODE_ROLE = Qt.ItemDataRole.UserRole


class ProblemList(QWidget):
    """A small tool window listing the scene's problems, one row each."""

    def __init__(self, window):
        super().__init__(window, Qt.WindowType.Tool)
        self.window = window
        self.setWindowTitle("Problems")
        self.list = QListWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        self.list.itemClicked.connect(self._show)
        self.list.itemActivated.connect(self._show)
        self.resize(520, 260)

    def refresh(self) -> None:
        self.list.clear()
        graph = self.window.scene.graph
        for problem in self.window.scene.problems:
            where = ""
            if problem.node_id is not None and problem.node_id in graph.nodes:
                where = f"{graph.nodes[problem.node_id].label}: "
            mark = {"warning": "⚠", "note": "ℹ"}.get(problem.severity.value, "✖")
            item = QListWidgetItem(f"{mark} {where}{problem.message}")
            item.setData(_NODE_ROLE, problem.node_id or (problem.edge.dst if problem.edge
                                                        else None))
            self.list.addItem(item)

    def _show(self, item: QListWidgetItem) -> None:
        node_id = item.data(_NODE_ROLE)
        if node_id is None:
            return
        select_node(self.window, node_id, item.text())


def select_node(window, node_id: str, message: str = "") -> bool:
    """Select node_id on the canvas, opening the group that holds it first."""
    scene = window.scene
    if node_id not in scene.graph.nodes:
        return False
    level = parent_map(scene.graph).get(node_id)
    if level != scene.level:
        scene.open_level(level)
    return window.canvas.mark_node(node_id, message)


class _Opener(QObject):
    """Opens the problem list when the status bar's validation text is clicked."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.problems = ProblemList(window)

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.MouseButtonRelease and self.window.scene.problems:
            self.problems.refresh()
            self.problems.show()
            self.problems.raise_()
            return True
        return False


def install_problem_list(window) -> ProblemList:
    """Make window.validation_label open the problem list when clicked; returns the list."""
    opener = _Opener(window)
    window.validation_label.installEventFilter(opener)
    window.validation_label.setCursor(Qt.CursorShape.PointingHandCursor)
    window.problem_list = opener.problems
    return opener.problems
