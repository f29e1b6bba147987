"""A port on a node card: a coloured dot that starts and ends wire drags."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QPen
from PySide6.QtWidgets import QGraphicsItem

from graph.spec import PortSpec
from gui import theme


class PortItem(QGraphicsItem):
    """Child of a NodeItem. Pressing it starts a wire drag handled by the scene."""

    def __init__(self, node_id: str, port: PortSpec, is_input: bool, parent: QGraphicsItem):
        super().__init__(parent)
        self.node_id = node_id
        self.port = port
        self.is_input = is_input
        self._brush = QBrush(theme.port_colour(port.kind))
        self._pen = QPen(theme.NODE_BORDER, 1.5)
        self._hover = False
        radius = theme.PORT_RADIUS + 4  # a generous hit area around the dot
        self._bounds = QRectF(-radius, -radius, 2 * radius, 2 * radius)
        self.setAcceptHoverEvents(True)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(Qt.CursorShape.CrossCursor)
        direction = "input" if is_input else "output"
        tip = f"{port.name} ({port.kind.value} {direction})"
        self.setToolTip(f"{tip}\n{port.doc}" if port.doc else tip)

    @property
    def name(self) -> str:
        return self.port.name

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter, option, widget=None):
        radius = theme.PORT_RADIUS + (1.5 if self._hover else 0.0)
        painter.setPen(self._pen)
        painter.setBrush(self._brush)
        painter.drawEllipse(QRectF(-radius, -radius, 2 * radius, 2 * radius))

    def set_dimmed(self, dimmed: bool) -> None:
        """Fade a port that cannot take the wire being dragged."""
        self.setOpacity(0.2 if dimmed else 1.0)

    def hoverEnterEvent(self, event):
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event):
        self._hover = False
        self.update()

    def mousePressEvent(self, event):
        if event.button() == Qt.MouseButton.LeftButton:
            self.scene().begin_wire(self, event.scenePos())
            event.accept()
        else:
            event.ignore()

    def mouseMoveEvent(self, event):
        self.scene().drag_wire(event.scenePos())

    def mouseReleaseEvent(self, event):
        self.scene().end_wire(event.scenePos())
