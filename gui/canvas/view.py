"""The canvas widget: zoom at the mouse, pan (middle drag or Space+drag), rubber-band select,
drop from the palette, search-to-add, copy/paste/delete and fit-to-view."""

from __future__ import annotations

from PySide6.QtCore import QLineF, QMimeData, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QApplication, QGraphicsView

from graph.group_commands import SetGroup
from graph.groups import leaves
from graph.library import PALETTE_PREFIX
from gui import theme
from gui.canvas.breadcrumb import Breadcrumb
from gui.canvas.clipboard import MIME_TYPE, PASTE_OFFSET, paste_command, subgraph_json
from gui.canvas.group_item import GroupItem
from gui.canvas.minimap import Minimap
from gui.canvas.node_item import READABLE_ZOOM
from gui.canvas.scene import GraphScene
from gui.canvas.search import NodeSearch

NODE_MIME_TYPE = "application/x-dendrite-node-type"  # what the palette drags: a type id
_ZOOM_STEP = 1.15
_ZOOM_RANGE = (0.15, 3.0)
_GRID = 24


class GraphView(QGraphicsView):
    """Shows a GraphScene; re-emits its wire_clicked / node_selected signals."""

    wire_clicked = Signal(object)
    node_selected = Signal(object)

    def __init__(self, scene: GraphScene, parent=None):
        super().__init__(scene, parent)
        self.graph_scene = scene
        scene.wire_clicked.connect(self.wire_clicked)
        scene.node_selected.connect(self.node_selected)
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)  # zoom_by anchors
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSceneRect(-50000, -50000, 100000, 100000)
        # an endless canvas: panning is by middle drag or Space+drag, not scroll bars
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._space_down = False
        self._space_used = False
        self._pan_from: QPointF | None = None
        self.search: NodeSearch | None = None
        self._last_paste, self._paste_count = "", 0
        self.last_mark: tuple[str, str] | None = None  # (node id, message) of the last blame
        self._zoom_settled = QTimer(self)  # card caches come back once zooming pauses
        self._zoom_settled.setSingleShot(True)
        self._zoom_settled.setInterval(250)
        self._zoom_settled.timeout.connect(lambda: self.graph_scene.set_caching(True))
        self.breadcrumb = Breadcrumb(scene, self)
        self.minimap = Minimap(self)
        self._mouse_at = None  # the last mouse point over the canvas (None once it left)

    # -- zoom and pan ------------------------------------------------------------------------
    def zoom_factor(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float, anchor=None) -> None:
        """Scale by factor, keeping the scene point under viewport point `anchor` (or the
        centre) where it is."""
        anchor = self.viewport().rect().center() if anchor is None else anchor
        fixed = self.mapToScene(anchor)
        current = self.zoom_factor()
        target = max(_ZOOM_RANGE[0], min(_ZOOM_RANGE[1], current * factor))
        if target == current:
            return
        if not self._zoom_settled.isActive():
            self.graph_scene.set_caching(False)
        self._zoom_settled.start()
        self.scale(target / current, target / current)
        drift = self.mapFromScene(fixed) - anchor
        self.pan_by(drift.x(), drift.y())
        self._place_minimap()

    def wheelEvent(self, event):
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(_ZOOM_STEP ** steps, event.position().toPoint())

    def fit_to_view(self, readable: bool = False) -> None:
        """Zoom to show the whole graph (never beyond 1:1). With readable (a graph just
        opened), never below the zoom at which cards show their text either: a long graph
        then shows its start, where data enters, and the minimap the rest."""
        rect = self.graph_scene.items_rect()
        if rect.isNull():
            return
        self.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom_factor() > 1.0:
            self.zoom_by(1.0 / self.zoom_factor())
            self.centerOn(rect.center())
        elif readable and self.zoom_factor() < READABLE_ZOOM:
            self.zoom_by(READABLE_ZOOM / self.zoom_factor())
            half = self.viewport().width() / (2 * READABLE_ZOOM)
            self.centerOn(rect.left() - 40 + half, rect.center().y())
        self._place_minimap()

    def _place_minimap(self) -> None:
        minimap = getattr(self, "minimap", None)  # None while __init__ sets the view up
        if minimap is not None:
            minimap.place()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._place_minimap()

    def scrollContentsBy(self, dx, dy):
        super().scrollContentsBy(dx, dy)
        minimap = getattr(self, "minimap", None)  # None while __init__ sets the scene rect
        if minimap is not None:
            minimap.place()  # shown only while part of the graph is out of sight
            if minimap.isVisible():
                minimap.update()  # its outline of the visible part moves

    def pan_by(self, dx: float, dy: float) -> None:
        """Scroll the view by (dx, dy) pixels."""
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + round(dx))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + round(dy))

    def mousePressEvent(self, event):
        panning = event.button() == Qt.MouseButton.MiddleButton or (
            self._space_down and event.button() == Qt.MouseButton.LeftButton)
        if panning:
            self._space_used = True
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def leaveEvent(self, event):
        self._mouse_at = None
        super().leaveEvent(event)

    def mouseMoveEvent(self, event):
        self._mouse_at = event.position().toPoint()
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.pan_by(-delta.x(), -delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event):
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event):
        item = self.itemAt(event.position().toPoint())
        if item is None:
            self.open_search(event.position().toPoint())
            return
        while item is not None and not isinstance(item, GroupItem):
            item = item.parentItem()
        if item is not None and event.button() == Qt.MouseButton.LeftButton:
            self.graph_scene.open_level(item.group_id)  # open the group to edit inside
            self.fit_to_view(readable=True)
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event):
        key = event.key()
        if key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down, self._space_used = True, False
            return
        if key == Qt.Key.Key_Escape and self.graph_scene.level is not None:
            trail = self.graph_scene.breadcrumb()
            self.graph_scene.open_level(trail[-2][0] if len(trail) > 1 else None)
            self.fit_to_view(readable=True)
            return
        if key == Qt.Key.Key_Tab:
            self.open_search(self.mapFromGlobal(self.cursor().pos()))
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event):
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            if not self._space_used:  # a tap, not a Space+drag pan
                self.open_search(self.mapFromGlobal(self.cursor().pos()))
            return
        super().keyReleaseEvent(event)

    def focusNextPrevChild(self, forward):
        return False  # Tab opens the search box instead of moving focus

    # -- blame -------------------------------------------------------------------------------
    def mark_node(self, node_id: str, message: str) -> bool:
        """Select node_id's card alone and bring it into view (a failed run or a compile
        error blames it); the selection shows the node in the inspector. False when the
        node is not on the canvas."""
        item = self.graph_scene.nodes.get(node_id)
        if item is None:
            return False
        self.graph_scene.clearSelection()
        item.setSelected(True)
        self.centerOn(item)
        self.last_mark = (node_id, message)
        return True

    # -- adding nodes ------------------------------------------------------------------------
    def open_search(self, view_point) -> NodeSearch:
        """Show the add-node search box; the chosen type lands at view_point."""
        if not self.viewport().rect().contains(view_point):
            view_point = self.viewport().rect().center()
        scene_point = self.mapToScene(view_point)
        self.search = NodeSearch(self.graph_scene.registry, self)
        self.search.chosen.connect(lambda type_id: self._add_at(type_id, scene_point))
        self.search.move(self.viewport().mapToGlobal(view_point))
        self.search.show()
        self.search.field.setFocus()
        return self.search

    def _add_at(self, type_id: str, scene_point: QPointF, wire=None) -> None:
        self.graph_scene.clearSelection()
        if type_id.startswith(PALETTE_PREFIX):
            node_id = self.graph_scene.add_node(type_id, scene_point)
        else:  # dropped on a wire: spliced into it
            node_id = self.graph_scene.add_node(type_id, scene_point, wire=wire)
        item = self.graph_scene.nodes.get(node_id)
        if item is not None:
            item.setSelected(True)

    def dragEnterEvent(self, event):
        if event.mimeData().hasFormat(NODE_MIME_TYPE):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event):
        if event.mimeData().hasFormat(NODE_MIME_TYPE):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event):
        mime = event.mimeData()
        if not mime.hasFormat(NODE_MIME_TYPE):
            super().dropEvent(event)
            return
        type_id = bytes(mime.data(NODE_MIME_TYPE)).decode()
        if type_id in self.graph_scene.registry or type_id.startswith(PALETTE_PREFIX):
            point = self.mapToScene(event.position().toPoint())
            self._add_at(type_id, point, self.graph_scene.wire_at(point))
            event.acceptProposedAction()

    # -- clipboard ---------------------------------------------------------------------------
    def _selection_json(self) -> str | None:
        """The selected nodes (a group card stands for every node inside) as clipboard text."""
        graph = self.graph_scene.graph
        node_ids = [n for item in self.graph_scene.selected_node_ids()
                    for n in leaves(graph, item)]
        return subgraph_json(graph, node_ids) if node_ids else None

    def copy_selection(self) -> bool:
        text = self._selection_json()
        if text is None:
            return False
        mime = QMimeData()
        mime.setData(MIME_TYPE, text.encode())
        mime.setText(text)
        QApplication.clipboard().setMimeData(mime)
        return True

    def cut_selection(self) -> None:
        if self.copy_selection():
            self.graph_scene.delete_selected()

    def paste(self) -> None:
        mime = QApplication.clipboard().mimeData()
        if mime is None:
            return
        text = bytes(mime.data(MIME_TYPE)).decode() if mime.hasFormat(MIME_TYPE) else mime.text()
        # pasting the same thing again steps further out, so copies do not pile up
        self._paste_count = self._paste_count + 1 if text == self._last_paste else 1
        self._last_paste = text
        at = None
        if self._mouse_at is not None:  # paste where the mouse points
            point = self.mapToScene(self._mouse_at)
            at = (round(point.x()), round(point.y()))
        self._paste_text(text, PASTE_OFFSET * self._paste_count, at)

    def duplicate(self) -> None:
        """Ctrl+D: a copy of the selection beside it, leaving the clipboard alone."""
        text = self._selection_json()
        if text is not None:
            self._paste_text(text, PASTE_OFFSET, None)

    def _paste_text(self, text: str, offset: float, at) -> None:
        scene = self.graph_scene
        command, new_ids = paste_command(scene.graph, text, offset, at)
        if command is None:
            return
        group = scene.graph.groups.get(scene.level) if scene.level is not None else None
        if group is not None:  # pasted inside an open group: the nodes join it
            command.commands.append(SetGroup(group.id, group.with_members(
                [*group.members, *new_ids])))
        if scene.undo.push(command):
            scene.rebuild_if_due()
            scene.clearSelection()
            for node_id in new_ids:
                if node_id in scene.nodes:
                    scene.nodes[node_id].setSelected(True)

    # -- background --------------------------------------------------------------------------
    def drawBackground(self, painter, rect):
        painter.fillRect(rect, theme.CANVAS_BACKGROUND)
        if self.zoom_factor() < 0.45:
            return  # the grid would be noise at this zoom, and costly
        left = int(rect.left()) - int(rect.left()) % _GRID
        top = int(rect.top()) - int(rect.top()) % _GRID
        minor, major = [], []
        for x in range(left, int(rect.right()) + 1, _GRID):
            (major if x % (_GRID * 5) == 0 else minor).append(
                QLineF(x, rect.top(), x, rect.bottom()))
        for y in range(top, int(rect.bottom()) + 1, _GRID):
            (major if y % (_GRID * 5) == 0 else minor).append(
                QLineF(rect.left(), y, rect.right(), y))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # 1 px lines: far cheaper
        painter.setPen(QPen(theme.GRID_MINOR, 0))  # cosmetic: 1 px at every zoom
        painter.drawLines(minor)
        painter.setPen(QPen(theme.GRID_MAJOR, 0))
        painter.drawLines(major)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
