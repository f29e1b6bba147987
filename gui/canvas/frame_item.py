"""A frame: a titled backdrop behind nodes. Dragging it carries the cards inside along (one
undo step on release); double-clicking its title renames it."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem

from graph.frames import Frame

TITLE_HEIGHT = 26.0
PADDING = 30.0  # around the selection a new frame is drawn around
_FILL = QColor(120, 140, 170, 38)
_TITLE_FILL = QColor(120, 140, 170, 90)
_BORDER = QPen(QColor(150, 165, 190, 160), 1.5)
_SELECTED = QPen(QColor("#f0c040"), 2.0)
_FONT = QFont("DejaVu Sans", 11, QFont.Weight.Bold)


class FrameItem(QGraphicsRectItem):
    """The drawing of one Frame, behind every card and wire."""

    def __init__(self, frame: Frame):
        x, y, w, h = frame.rect
        super().__init__(QRectF(0, 0, w, h))
        self.frame_id = frame.id
        self.title = frame.title
        self.carried: list = []  # (card, its position when the drag began)
        self.setPos(x, y)
        self.setZValue(-10)
        flags = QGraphicsItem.GraphicsItemFlag
        self.setFlags(flags.ItemIsMovable | flags.ItemIsSelectable
                      | flags.ItemSendsGeometryChanges)
        self.setToolTip(f"{frame.title}\nDrag the frame to move it with the nodes inside; "
                        "double-click its title to rename it.")

    def paint(self, painter, option, widget=None):
        rect = self.rect()
        painter.setPen(_SELECTED if self.isSelected() else _BORDER)
        painter.setBrush(QBrush(_FILL))
        painter.drawRoundedRect(rect, 6, 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(_TITLE_FILL))
        painter.drawRoundedRect(QRectF(0, 0, rect.width(), TITLE_HEIGHT), 6, 6)
        painter.setPen(QColor("#e6ebf0"))
        painter.setFont(_FONT)
        painter.drawText(QRectF(10, 0, rect.width() - 20, TITLE_HEIGHT),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.title)

    def frame(self) -> Frame:
        """The frame as it is drawn now (after a drag)."""
        rect = self.rect()
        return Frame(self.frame_id, self.title, (round(self.pos().x()), round(self.pos().y()),
                                                 rect.width(), rect.height()))

    def mousePressEvent(self, event):
        super().mousePressEvent(event)
        area = self.sceneBoundingRect()
        self.carried = [(item, item.pos()) for item in self.scene().nodes.values()
                        if area.contains(item.sceneBoundingRect().topLeft())
                        and not item.isSelected()]
        self._start = self.pos()

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged and self.carried:
            delta = self.pos() - self._start
            for item, start in self.carried:
                item.setPos(start + QPointF(delta))
        return super().itemChange(change, value)

    def mouseReleaseEvent(self, event):
        super().mouseReleaseEvent(event)
        carried, self.carried = self.carried, []
        self.scene().commit_frame_drag(self, [item for item, _ in carried])

    def mouseDoubleClickEvent(self, event):
        if event.pos().y() <= TITLE_HEIGHT:
            self.scene().rename_frame(self.frame_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)
