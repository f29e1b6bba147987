"""Reroute dots: points a wire bends through. Double-click a wire to add one where you
clicked, drag a dot to move it, double-click a dot to remove it; each is one undo step."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem

from gui import theme

DOT_RADIUS = 6.0


class RerouteDot(QGraphicsEllipseItem):
    """One bend of a wire; moving it bends the wire live, releasing it records the move."""

    def __init__(self, wire, index: int, point: QPointF):
        super().__init__(QRectF(-DOT_RADIUS, -DOT_RADIUS, 2 * DOT_RADIUS, 2 * DOT_RADIUS))
        self.wire = wire
        self.index = index
        self.setBrush(QBrush(wire.pen().color()))
        self.setPen(QPen(theme.TEXT, 1.5))  # a light ring: the dot reads as a handle
        self.setZValue(1)
        flags = QGraphicsItem.GraphicsItemFlag
        self.setFlags(flags.ItemIsMovable | flags.ItemSendsScenePositionChanges)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.setToolTip("Reroute dot: drag to move, double-click to remove")
        self.setPos(point)

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemScenePositionHasChanged:
            self.wire.update_ends()
        return super().itemChange(change, value)

    def mouseReleaseEvent(self, event):
        super().mouseReleaseEvent(event)
        self.scene().commit_reroute(self.wire)

    def mouseDoubleClickEvent(self, event):
        self.scene().remove_reroute(self.wire, self.index)
        event.accept()
