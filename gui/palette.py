"""The palette: node types from the registry grouped by category, searchable, draggable onto
the canvas. Packs that failed to load are listed greyed with their reason."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from graph.library import PALETTE_PREFIX, entries
from graph.registry import Registry
from gui import theme
from gui.canvas.search import matches
from gui.canvas.view import NODE_MIME_TYPE

_TYPE_ROLE = Qt.ItemDataRole.UserRole
BROKEN_GROUP = "Unavailable packs"
LIBRARY_GROUP = "Library"


def node_mime(type_id: str) -> QMimeData:
    """The mime data a palette drag carries for type_id (the canvas drop reads it)."""
    mime = QMimeData()
    mime.setData(NODE_MIME_TYPE, type_id.encode())
    mime.setText(type_id)
    return mime


class _Tree(QTreeWidget):
    def mimeTypes(self):
        return [NODE_MIME_TYPE]

    def mimeData(self, items):
        type_ids = [i.data(0, _TYPE_ROLE) for i in items if i.data(0, _TYPE_ROLE)]
        return node_mime(type_ids[0]) if type_ids else QMimeData()


class Palette(QWidget):
    """Search field over a category tree; `activated(type_id)` on double-click or Enter."""

    activated = Signal(str)

    def __init__(self, registry: Registry, parent=None):
        super().__init__(parent)
        self.registry = registry
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search nodes…")
        self.search.setClearButtonEnabled(True)
        self.tree = _Tree(self)
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setRootIsDecorated(True)
        self.tree.setIndentation(14)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.search.textChanged.connect(self._filter)
        self.tree.itemActivated.connect(self._on_activated)
        self.rebuild()

    def rebuild(self) -> None:
        """Fill the tree from the registry (call again after plugins reload)."""
        self.tree.clear()
        for category, specs in self.registry.categories().items():
            group = QTreeWidgetItem(self.tree, [category])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            group.setForeground(0, QBrush(theme.category_colour(category).lighter(150)))
            for spec in specs:
                item = QTreeWidgetItem(group, [spec.title])
                item.setData(0, _TYPE_ROLE, spec.type_id)
                item.setToolTip(0, f"<b>{escape(spec.title)}</b> <i>({spec.type_id})</i><br>"
                                   f"{escape(spec.doc)}")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsDragEnabled)
            group.setExpanded(True)
        saved = entries()
        if saved:
            group = QTreeWidgetItem(self.tree, [LIBRARY_GROUP])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for entry in saved:
                item = QTreeWidgetItem(group, [entry.title])
                item.setData(0, _TYPE_ROLE, f"{PALETTE_PREFIX}{entry.path}")
                item.setToolTip(0, f"<b>{escape(entry.title)}</b>: a saved group "
                                   f"({escape(str(entry.path))}); dropped, it is copied into "
                                   "the graph.")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsDragEnabled)
            group.setExpanded(True)
        if self.registry.broken:
            group = QTreeWidgetItem(self.tree, [BROKEN_GROUP])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for pack in self.registry.broken:
                item = QTreeWidgetItem(group, [f"{pack.name}: {pack.reason}"])
                item.setToolTip(0, f"Plugin pack '{pack.name}' failed to load:\n{pack.reason}")
                item.setForeground(0, QBrush(QColor("#888888")))
                item.setFlags(Qt.ItemFlag.NoItemFlags)
            group.setExpanded(True)
        self._filter(self.search.text())

    def item_for(self, type_id: str) -> QTreeWidgetItem | None:
        for index in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(index)
            for child in range(group.childCount()):
                if group.child(child).data(0, _TYPE_ROLE) == type_id:
                    return group.child(child)
        return None

    def visible_type_ids(self) -> list[str]:
        """Type ids the current search leaves visible (tests read this)."""
        found = []
        for index in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(index)
            for child in range(group.childCount()):
                item = group.child(child)
                if item.data(0, _TYPE_ROLE) and not item.isHidden():
                    found.append(item.data(0, _TYPE_ROLE))
        return found

    def _filter(self, query: str) -> None:
        for index in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(index)
            shown = 0
            for child in range(group.childCount()):
                item = group.child(child)
                type_id = item.data(0, _TYPE_ROLE)
                if type_id and type_id.startswith(PALETTE_PREFIX):
                    hide = bool(query) and query.lower() not in item.text(0).lower()
                else:
                    hide = bool(query) and (type_id is None
                                            or not matches(query, self.registry.spec(type_id)))
                item.setHidden(hide)
                shown += not hide
            group.setHidden(shown == 0)

    def _on_activated(self, item: QTreeWidgetItem) -> None:
        type_id = item.data(0, _TYPE_ROLE)
        if type_id:
            self.activated.emit(type_id)
