"""A wire between two ports: a cubic curve in the source port's colour."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from gui import theme


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A horizontal-tangent S curve from an output at start to an input at end."""
    path = QPainterPath(start)
    bend = max(40.0, abs(end.x() - start.x()) * 0.5)
    path.cubicTo(QPointF(start.x() + bend, start.y()), QPointF(end.x() - bend, end.y()), end)
    return path


def routed_path(start: QPointF, points: list, end: QPointF) -> QPainterPath:
    """S curves from start through each reroute point to end."""
    path = QPainterPath(start)
    chain = [start, *points, end]
    for a, b in zip(chain, chain[1:]):
        path.connectPath(wire_path(a, b))
    return path


class WireItem(QGraphicsPathItem):
    """The drawing of one Edge; `edge` is None for the wire that follows the mouse."""

    def __init__(self, edge, colour: QColor):
        super().__init__()
        self.edge = edge
        self._colour = QColor(colour)
        self._problem = None
        self.src_item = None  # PortItems at the two ends, set by attach
        self.dst_item = None
        self.dots: list = []  # RerouteDots the wire bends through (gui.canvas.reroute)
        self.setZValue(-1)
        if edge is not None:
            self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
            self.setAcceptHoverEvents(True)
            self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._apply_pen()

    def attach(self, src_item, dst_item) -> None:
        """Follow two PortItems (the output and the input this wire joins)."""
        self.src_item, self.dst_item = src_item, dst_item
        self.update_ends()

    def update_ends(self) -> None:
        if self.dots:
            self.setPath(routed_path(self.src_item.scenePos(), [d.pos() for d in self.dots],
                                     self.dst_item.scenePos()))
            return
        self.set_ends(self.src_item.scenePos(), self.dst_item.scenePos())

    def set_ends(self, start: QPointF, end: QPointF) -> None:
        self.setPath(wire_path(start, end))

    def set_problem(self, message: str | None) -> None:
        """Mark a wire validation complains about (red, message as tooltip)."""
        if message == self._problem:
            return
        self._problem = message
        self.setToolTip(message or (str(self.edge) if self.edge else ""))
        self._apply_pen()

    def _apply_pen(self, width: float = 2.2) -> None:
        colour = theme.NODE_PROBLEM if self._problem else self._colour
        style = Qt.PenStyle.DashLine if self.edge is None else Qt.PenStyle.SolidLine
        self.setPen(QPen(colour, width, style, Qt.PenCapStyle.RoundCap))

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10.0)  # easy to click without being thick on screen
        return stroker.createStroke(self.path())

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self._apply_pen(3.5 if value else 2.2)
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event):
        self._apply_pen(3.5)

    def hoverLeaveEvent(self, event):
        self._apply_pen(3.5 if self.isSelected() else 2.2)

    def mouseDoubleClickEvent(self, event):
        if self.edge is not None and event.button() == Qt.MouseButton.LeftButton:
            self.scene().add_reroute(self, event.scenePos())  # a reroute dot where clicked
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def mousePressEvent(self, event):
        super().mousePressEvent(event)
        if self.edge is not None and event.button() == Qt.MouseButton.LeftButton:
            self.scene().wire_clicked.emit(self.edge)
