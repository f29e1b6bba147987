"""The minimap: a small picture of the whole graph in the canvas corner, with the visible
part outlined; clicking or dragging in it moves the view there. It is a pixmap rendered a
moment after the scene changes, so panning the canvas costs one small blit, not a second
view painting every card."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

MIN_NODES = 8  # a handful of cards needs no map; larger graphs get one while partly out of sight
SIZE = (220, 150)
_MARGIN = 10


class Minimap(QWidget):
    """Overlay in the bottom-right corner of a GraphView."""

    def __init__(self, view):
        super().__init__(view)
        self.view = view
        self.enabled = True  # View > Minimap (shown by wanted())
        self.resize(*SIZE)
        self._pixmap = QPixmap()
        self._source = QRectF()  # the scene rectangle the pixmap shows
        self._content = QRectF()  # the cards' bounding rectangle, kept a moment after edits
        self._render_due = QTimer(self)
        self._render_due.setSingleShot(True)
        self._render_due.setInterval(300)
        self._render_due.timeout.connect(self.render_scene)
        view.graph_scene.changed.connect(lambda _regions: self._render_due.start())
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Minimap: click or drag to move the view")
        self.hide()

    def wanted(self) -> bool:
        """On, a graph of MIN_NODES or more, and part of it out of sight (a view that shows
        the whole graph needs no map of it, and the map would cover cards)."""
        return (self.enabled and len(self.view.graph_scene.nodes) >= MIN_NODES
                and not self._all_in_sight())

    def _all_in_sight(self) -> bool:
        if self._content.isNull():
            self._content = self.view.graph_scene.items_rect()
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        return visible.contains(self._content)

    def place(self) -> None:
        """Keep to the view's bottom-right corner; show or hide for the graph's size."""
        viewport = self.view.viewport().geometry()
        self.move(viewport.right() - self.width() - _MARGIN,
                  viewport.bottom() - self.height() - _MARGIN)
        if self.wanted() != self.isVisible():
            self.setVisible(self.wanted())
            if self.isVisible():
                self.render_scene()

    def render_scene(self) -> None:
        """Draw the whole graph into the pixmap (cards at this scale are plain blocks)."""
        self._content = self.view.graph_scene.items_rect()
        self.place()
        if not self.isVisible():
            return
        scene = self.view.graph_scene
        source = scene.items_rect().adjusted(-60, -60, 60, 60)
        if source.isEmpty():
            return
        self._source = source
        pixmap = QPixmap(self.size())
        pixmap.fill(QColor(18, 21, 26, 230))
        painter = QPainter(pixmap)
        scale, offset = self._scale()  # centred, as _scale maps it (render would not centre)
        scene.render(painter, QRectF(offset, source.size() * scale), source,
                     Qt.AspectRatioMode.KeepAspectRatio)
        painter.end()
        self._pixmap = pixmap
        self.update()

    def _scale(self) -> tuple[float, QPointF]:
        """Scene-to-widget scale and the widget point of the source's top-left corner."""
        scale = min(self.width() / self._source.width(), self.height() / self._source.height())
        offset = QPointF((self.width() - self._source.width() * scale) / 2,
                         (self.height() - self._source.height() * scale) / 2)
        return scale, offset

    def scene_point(self, point: QPointF) -> QPointF:
        """The scene point under a point of this widget."""
        scale, offset = self._scale()
        return self._source.topLeft() + (point - offset) / scale

    def widget_point(self, point: QPointF) -> QPointF:
        """The point of this widget that shows a scene point."""
        scale, offset = self._scale()
        return offset + (point - self._source.topLeft()) * scale

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._pixmap)
        if not self._source.isEmpty():
            visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
            outline = QRectF(self.widget_point(visible.topLeft()),
                             self.widget_point(visible.bottomRight()))
            painter.setPen(QPen(QColor("#f0c040"), 1.5))
            painter.drawRect(outline.intersected(QRectF(self.rect()).adjusted(0, 0, -1, -1)))
        painter.setPen(QPen(QColor(150, 165, 190, 160), 1))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))

    def mousePressEvent(self, event):
        self.view.centerOn(self.scene_point(event.position()))
        self.update()

    def mouseMoveEvent(self, event):
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.mousePressEvent(event)
