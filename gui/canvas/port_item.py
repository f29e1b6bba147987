"""A port on a node card: a coloured dot that starts and ends wire drags."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem

from graph.spec import PortSpec
from gui import theme


class PortItem(QGraphicsRectItem):
    """Child of a NodeItem. Pressing it starts a wire drag handled by the scene.

    It paints nothing itself (the card draws its dots in one pass) and keeps Qt's C++
    boundingRect, so hundreds of ports add no Python calls per frame."""

    def __init__(self, node_id: str, port: PortSpec, is_input: bool, parent: QGraphicsItem):
        super().__init__(parent)
        self.node_id = node_id
        self.port = port
        self.is_input = is_input
        self.brush = QBrush(theme.port_colour(port.kind))  # the card paints the dot
        self.dimmed = False
        self._hover = False
        radius = theme.PORT_RADIUS + 4  # a generous hit area around the dot
        self.setRect(QRectF(-radius, -radius, 2 * radius, 2 * radius))
        self.setPen(Qt.PenStyle.NoPen)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self.setAcceptHoverEvents(True)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(Qt.CursorShape.CrossCursor)
        direction = "input" if is_input else "output"
        tip = f"{port.name} ({port.kind.value} {direction})"
        self.setToolTip(f"{tip}\n{port.doc}" if port.doc else tip)

    @property
    def name(self) -> str:
        return self.port.name

    @property
    def hovered(self) -> bool:
        return self._hover

    def set_dimmed(self, dimmed: bool) -> None:
        """Fade a port that cannot take the wire being dragged."""
        if dimmed != self.dimmed:
            self.dimmed = dimmed
            self.parentItem().update()

    def hoverEnterEvent(self, event):
        self._hover = True
        self.parentItem().update()

    def hoverLeaveEvent(self, event):
        self._hover = False
        self.parentItem().update()

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
