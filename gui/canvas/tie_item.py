"""A weight tie on the canvas: a dashed line between the centres of the two cards."""

from __future__ import annotations

from PySide6.QtCore import QLineF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsLineItem

TIE_COLOUR = QColor("#d7a8ff")


class TieItem(QGraphicsLineItem):
    """Draws graph.ties.Tie `tie` between two NodeItems; follows them as they move (it sits
    in each card's `wires` list, whose members get update_ends() on every move)."""

    def __init__(self, tie, node_item, source_item):
        super().__init__()
        self.tie = tie
        self.node_item, self.source_item = node_item, source_item
        pen = QPen(TIE_COLOUR, 1.8, Qt.PenStyle.DashLine, Qt.PenCapStyle.RoundCap)
        self.setPen(pen)
        self.setZValue(-2)  # under wires and cards
        how = "the transposed weights" if tie.transpose else "the weights"
        self.setToolTip(f"'{tie.node}' uses {how} of '{tie.source}'")
        self.update_ends()

    def update_ends(self) -> None:
        self.setLine(QLineF(self.node_item.sceneBoundingRect().center(),
                            self.source_item.sceneBoundingRect().center()))
