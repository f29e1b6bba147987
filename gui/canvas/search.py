"""Search-to-add: a small popup with a filter field and a list of node types."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from graph.registry import Registry


def matches(query: str, spec) -> bool:
    """Every word of query appears in the title, type id or category."""
    haystack = f"{spec.title} {spec.type_id} {spec.category}".lower()
    return all(word in haystack for word in query.lower().split())


def rank(query: str, spec) -> int:
    """Lower is better: title starts with the query, a title word does, the title or id
    contains it, only the category does."""
    query, title = query.lower().strip(), spec.title.lower()
    if title.startswith(query):
        return 0
    if any(word.startswith(query) for word in title.replace("(", " ").split()):
        return 1
    if query in title or query in spec.type_id.lower():
        return 2
    return 3


class NodeSearch(QFrame):
    """Popup: type to filter, Enter or click adds the highlighted type (`chosen(type_id)`)."""

    chosen = Signal(str)

    def __init__(self, registry: Registry, parent=None):
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.registry = registry
        self.field = QLineEdit(self)
        self.field.setPlaceholderText("Add node: type to search…")
        self.list = QListWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.field)
        layout.addWidget(self.list)
        self.resize(280, 320)
        self.field.textChanged.connect(self._filter)
        self.field.returnPressed.connect(self._accept_current)
        self.list.itemActivated.connect(self._accept_item)
        self.list.itemClicked.connect(self._accept_item)
        self._filter("")

    def _filter(self, query: str) -> None:
        self.list.clear()
        found = [spec for specs in self.registry.categories().values() for spec in specs
                 if matches(query, spec)]
        found.sort(key=lambda spec: (rank(query, spec), spec.title.lower()))
        for spec in found:
            item = QListWidgetItem(f"{spec.title}    ({spec.category})")
            item.setData(Qt.ItemDataRole.UserRole, spec.type_id)
            item.setToolTip(spec.doc)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def keyPressEvent(self, event):
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            step = 1 if event.key() == Qt.Key.Key_Down else -1
            row = max(0, min(self.list.count() - 1, self.list.currentRow() + step))
            self.list.setCurrentRow(row)
            return
        super().keyPressEvent(event)

    def _accept_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self._accept_item(item)

    def _accept_item(self, item: QListWidgetItem) -> None:
        self.close()
        self.chosen.emit(item.data(Qt.ItemDataRole.UserRole))
