"""A node card: title bar in the category colour, typed ports with their shapes, a short
parameter summary and the parameter count. Text is laid out once per change, not per paint."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QStaticText,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem

from graph.model import Node
from graph.spec import NodeSpec
from gui import theme
from gui.canvas.port_item import PortItem

_TITLE_FONT = QFont("DejaVu Sans", 9, QFont.Weight.Bold)
_TEXT_FONT = QFont("DejaVu Sans", 8)
_SMALL_FONT = QFont("DejaVu Sans", 7)
_FORMULA_FONT = QFont("DejaVu Sans", 8)  # DejaVu covers the Unicode maths of spec formulas
_FORMULA_FONT.setItalic(True)
_FORMULA_LINE = 15.0
_PAD = 10.0
_SUMMARY_HEIGHT = 18.0
_DETAIL_ZOOM = 0.45  # below this scale cards are drawn as plain blocks
_SMALL_TEXT_ZOOM = 0.6  # below this only titles are readable; the rest costs glyphs per zoom
READABLE_ZOOM = 0.7  # the canvas opens a graph no farther out: cards show all their text
_BODY_BRUSH = QBrush(theme.NODE_BODY)
_DIVIDER_PEN = QPen(theme.NODE_BORDER, 1)
_PORT_PEN = QPen(theme.NODE_BORDER, 1.5)
_HOVER_PEN = QPen(theme.TEXT, 1.5)
_SELECTED_PEN = QPen(theme.NODE_SELECTED, 2.5)
_PROBLEM_PEN = QPen(theme.NODE_PROBLEM, 2.0)
_BORDER_PEN = QPen(theme.NODE_BORDER, 1.2)
_ID_COLOUR = QColor(255, 255, 255, 150)
_MAX_WIDTH = 320.0
_TITLE_PATHS: dict[float, QPainterPath] = {}


def _title_path(width: float) -> QPainterPath:
    """The title bar: rounded top corners, square bottom (one path per card width)."""
    if width not in _TITLE_PATHS:
        corner = theme.CORNER
        rounded = QPainterPath()
        rounded.addRoundedRect(QRectF(0, 0, width, theme.TITLE_HEIGHT + corner), corner, corner)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, width, theme.TITLE_HEIGHT))
        _TITLE_PATHS[width] = rounded.intersected(clip)
    return _TITLE_PATHS[width]


def format_shape(shape) -> str:
    """(None, 64) -> '(?, 64)'; None -> '' (unknown until wired)."""
    if shape is None:
        return ""
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"


def _summary(spec: NodeSpec | None, node: Node) -> str:
    """A few parameter values a user wants to read on the card (units, activation, lr...)."""
    if spec is None:
        return "unknown node type"
    parts = []
    for param in spec.params[:3]:
        value = node.params.get(param.name, param.default)
        if isinstance(value, float):
            value = f"{value:g}"
        elif isinstance(value, (list, tuple)):
            value = "[" + ", ".join(map(str, value)) + "]"
        parts.append(f"{param.name} {value}")
    return "  ·  ".join(parts)


def _card_width(spec: NodeSpec | None) -> float:
    """The standard width, wider only when port names need it (steps of 8). Examples are laid
    out for the standard width, so long titles are elided rather than widening the card."""
    needed = theme.NODE_WIDTH
    if spec is not None:
        text = QFontMetricsF(_TEXT_FONT)
        widest_in = max((text.horizontalAdvance(p.name) for p in spec.inputs), default=0)
        widest_out = max((text.horizontalAdvance(p.name) for p in spec.outputs), default=0)
        needed = max(needed, widest_in + widest_out + 4 * _PAD + 16)
    return float(math.ceil(min(needed, _MAX_WIDTH) / 8) * 8)


class _Text:
    """A QStaticText with the font it was prepared for."""

    __slots__ = ("static", "font", "width")

    def __init__(self, text: str, font: QFont, max_width: float | None = None):
        metrics = QFontMetricsF(font)
        if max_width is not None:
            text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, max_width)
        self.static = QStaticText(text)
        self.static.setTextFormat(Qt.TextFormat.PlainText)
        self.static.prepare(font=font)
        self.font = font
        self.width = metrics.horizontalAdvance(text)


class NodeItem(QGraphicsRectItem):
    """The drawing of one graph Node. The scene owns the state; this only shows it."""

    def __init__(self, node: Node, spec: NodeSpec | None, show_formula: bool = False,
                 lay_out: bool = True):
        super().__init__()
        # "Show formulas": the spec's formula under the summary, one line per ";  " part
        self.formula_lines = (spec.formula.split(";  ") if show_formula and spec is not None
                              and spec.formula else [])
        self.node_id = node.id
        self.spec = spec
        self.wires: list = []  # WireItems touching this node, moved with it
        self.inputs: dict[str, PortItem] = {}
        self.outputs: dict[str, PortItem] = {}
        self._colour = theme.category_colour(spec.category if spec else "?")
        self._problems: list[str] = []
        self._notes: list[str] = []  # 'Label: sentence' notes from validation (not problems)
        self._texts: list[tuple[QPointF, _Text, object]] = []
        flags = QGraphicsItem.GraphicsItemFlag
        self.setFlags(flags.ItemIsMovable | flags.ItemIsSelectable
                      | flags.ItemSendsScenePositionChanges)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        rows = max(len(spec.inputs), len(spec.outputs), 1) if spec else 1
        self.width = _card_width(spec)
        self.height = (theme.TITLE_HEIGHT + 6 + rows * theme.PORT_ROW + _SUMMARY_HEIGHT
                       + len(self.formula_lines) * _FORMULA_LINE + theme.FOOTER_HEIGHT)
        self._rect = QRectF(0, 0, self.width, self.height)
        margin = theme.PORT_RADIUS + 3  # port dots stick out of the card's sides
        # Qt's C++ boundingRect of this rect: no Python call per item per frame
        self.setRect(QRectF(-margin, -2, self.width + 2 * margin, self.height + 4))
        self.setPen(Qt.PenStyle.NoPen)
        self._title_brush = QBrush(self._colour)
        self._make_ports(spec)
        self._port_list = list(self.ports())
        self._title_rect = QRectF(0, 0, self.width, theme.TITLE_HEIGHT)
        size = 2 * theme.PORT_RADIUS
        self._port_blocks = [(QRectF(p.pos().x() - size / 2, p.pos().y() - size / 2, size, size),
                              p.brush.color()) for p in self._port_list]
        self.setPos(*node.position)
        if lay_out:  # the scene passes False when its analysis lays every card out next
            self.refresh(node, {}, None)

    def _make_ports(self, spec: NodeSpec | None) -> None:
        if spec is None:
            return
        top = theme.TITLE_HEIGHT + 6 + 7  # level with the port name
        for row, port in enumerate(spec.inputs):
            item = PortItem(self.node_id, port, True, self)
            item.setPos(0.0, top + row * theme.PORT_ROW)
            self.inputs[port.name] = item
        for row, port in enumerate(spec.outputs):
            item = PortItem(self.node_id, port, False, self)
            item.setPos(self.width, top + row * theme.PORT_ROW)
            self.outputs[port.name] = item

    def ports(self):
        yield from self.inputs.values()
        yield from self.outputs.values()

    # -- state from the scene ----------------------------------------------------------------
    def refresh(self, node: Node, shapes: dict, param_count: int | None) -> None:
        """Lay out every text of the card from the node, its port shapes and param count."""
        spec, width = self.spec, self.width
        texts = []
        title = node.title or (spec.title if spec else node.type_id)
        room = width - 2 * _PAD
        title_text = _Text(title, _TITLE_FONT, room)
        id_text = _Text(node.id, _SMALL_FONT)
        if title_text.width + id_text.width + _PAD <= room:  # the id only where it fits
            texts.append((QPointF(width - _PAD - id_text.width, 8), id_text, _ID_COLOUR))
        texts.append((QPointF(_PAD, 5), title_text, theme.TEXT))
        top = theme.TITLE_HEIGHT + 6
        half = width / 2 - _PAD - 4
        if spec is not None:
            for row, port in enumerate(spec.inputs):
                y = top + row * theme.PORT_ROW
                texts.append((QPointF(_PAD + 2, y), _Text(port.name, _TEXT_FONT, half),
                              theme.TEXT))
                shape = _Text(format_shape(shapes.get(port.name)), _SMALL_FONT, half)
                texts.append((QPointF(_PAD + 2, y + 13), shape, theme.SHAPE_TEXT))
            for row, port in enumerate(spec.outputs):
                y = top + row * theme.PORT_ROW
                name = _Text(port.name, _TEXT_FONT, half)
                texts.append((QPointF(width - _PAD - 2 - name.width, y), name, theme.TEXT))
                shape = _Text(format_shape(shapes.get("->" + port.name)), _SMALL_FONT, half)
                texts.append((QPointF(width - _PAD - 2 - shape.width, y + 13), shape,
                              theme.SHAPE_TEXT))
        rows = max(len(spec.inputs), len(spec.outputs), 1) if spec else 1
        summary_y = top + rows * theme.PORT_ROW
        texts.append((QPointF(_PAD, summary_y + 1), _Text(_summary(spec, node), _SMALL_FONT,
                                                          width - 2 * _PAD), theme.TEXT_DIM))
        for line, formula in enumerate(self.formula_lines):
            y = summary_y + _SUMMARY_HEIGHT + line * _FORMULA_LINE
            texts.append((QPointF(_PAD, y), _Text(formula, _FORMULA_FONT, width - 2 * _PAD),
                          theme.FORMULA_TEXT))
        footer_y = self.height - theme.FOOTER_HEIGHT + 4
        count = f"{param_count:,} params" if param_count else "no params"
        texts.append((QPointF(_PAD, footer_y), _Text(count, _SMALL_FONT), theme.TEXT_DIM))
        if self._problems:
            noun = "problem" if len(self._problems) == 1 else "problems"
            badge = _Text(f"⚠ {len(self._problems)} {noun}", _SMALL_FONT)
            texts.append((QPointF(width - _PAD - badge.width, footer_y), badge,
                          theme.NODE_PROBLEM))
        elif self._notes:  # the note's label, e.g. 'ℹ Full batch'
            badge = _Text("ℹ " + self._notes[0].split(":")[0], _SMALL_FONT)
            texts.append((QPointF(width - _PAD - badge.width, footer_y), badge,
                          theme.TEXT_DIM))
        fonts = {id(_TITLE_FONT): 0, id(_TEXT_FONT): 1, id(_SMALL_FONT): 2,
                 id(_FORMULA_FONT): 3}
        texts.sort(key=lambda item: (fonts[id(item[1].font)], item[2].rgba()))
        self._texts = texts  # grouped, so painting changes font and pen as little as it can
        doc = spec.doc if spec else ""
        tip = f"{title} ({node.type_id})" + (f"\n{doc}" if doc else "")
        if spec is not None and spec.formula:
            tip += f"\n\n{spec.formula}"
        if self._problems:
            tip += "\n\n" + "\n".join(f"⚠ {message}" for message in self._problems)
        if self._notes:
            tip += "\n\n" + "\n".join(f"ℹ {message}" for message in self._notes)
        self.setToolTip(tip)
        self.update()

    def set_problems(self, messages: list[str]) -> bool:
        """Remember validation messages; returns True when they changed (caller refreshes)."""
        if messages == self._problems:
            return False
        self._problems = list(messages)
        return True

    def set_notes(self, messages: list[str]) -> bool:
        """Remember validation notes (shown as a quiet badge and in the tooltip)."""
        if messages == self._notes:
            return False
        self._notes = list(messages)
        return True

    @property
    def problems(self) -> list[str]:
        return list(self._problems)

    @property
    def notes(self) -> list[str]:
        return list(self._notes)

    # -- painting ----------------------------------------------------------------------------
    def paint(self, painter, option, widget=None):
        detail = option.levelOfDetailFromTransform(painter.worldTransform())
        if detail < _DETAIL_ZOOM:
            self._paint_overview(painter)
            return
        corner = theme.CORNER
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_BODY_BRUSH)
        painter.drawRoundedRect(self._rect, corner, corner)
        painter.setBrush(self._title_brush)
        painter.drawPath(_title_path(self.width))
        painter.setPen(_DIVIDER_PEN)
        footer_top = self.height - theme.FOOTER_HEIGHT
        painter.drawLine(QPointF(1, footer_top), QPointF(self.width - 1, footer_top))
        titles_only = detail < _SMALL_TEXT_ZOOM
        font = colour = None
        for point, text, text_colour in self._texts:  # sorted by font and colour
            if titles_only and text.font is not _TITLE_FONT:
                continue
            if text.font is not font:
                font = text.font
                painter.setFont(font)
            if text_colour is not colour:
                colour = text_colour
                painter.setPen(colour)
            painter.drawStaticText(point, text.static)
        painter.setPen(self._outline())
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(self._rect, corner, corner)
        radius = theme.PORT_RADIUS
        for port in self._port_list:
            painter.setOpacity(0.2 if port.dimmed else 1.0)
            painter.setBrush(port.brush)
            grow = 2.0 if port.hovered else 0.0
            painter.setPen(_HOVER_PEN if port.hovered else _PORT_PEN)
            painter.drawEllipse(port.pos(), radius + grow, radius + grow)
        painter.setOpacity(1.0)

    def _paint_overview(self, painter) -> None:
        """Far zoomed out: blocks of colour, no text (unreadable there, and the costly part);
        axis-aligned fills without antialiasing, the cheapest thing a painter does."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.fillRect(self._rect, theme.NODE_BODY)
        painter.fillRect(self._title_rect, self._colour)
        if self.isSelected() or self._problems:
            painter.setPen(self._outline())
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self._rect)
        for rect, colour in self._port_blocks:
            painter.fillRect(rect, colour)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)

    def _outline(self) -> QPen:
        if self.isSelected():
            return _SELECTED_PEN
        return _PROBLEM_PEN if self._problems else _BORDER_PEN

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemScenePositionHasChanged:
            for wire in self.wires:
                wire.update_ends()
        return super().itemChange(change, value)
