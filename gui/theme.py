"""Colours and sizes of the editor: one place for the look of categories and port kinds."""

from __future__ import annotations

from PySide6.QtGui import QColor

from graph.spec import PortKind

CATEGORY_COLOURS = {
    "Data": "#2f7d6d",
    "Layers": "#3b6ea8",
    "Activations": "#8a5fb0",
    "Losses": "#b5533c",
    "Optimizers": "#b0812a",
    "Training": "#6b7a2f",
    "Recurrent": "#2f6f8f",
    "Energy": "#a04a7a",
    "Neurons": "#4d8a3a",
}
FALLBACK_CATEGORY = "#5a6372"

PORT_COLOURS = {
    PortKind.TENSOR: "#4fa3e0",
    PortKind.SEQUENCE: "#e0a84f",
    PortKind.LOSS: "#e05f5f",
    PortKind.SPIKES: "#7fd17a",
}
FALLBACK_PORT = "#c8c8c8"

CANVAS_BACKGROUND = QColor("#1f2329")
GRID_MINOR = QColor("#262b32")
GRID_MAJOR = QColor("#2e343c")
NODE_BODY = QColor("#2b3038")
NODE_BORDER = QColor("#14171b")
NODE_SELECTED = QColor("#f0c674")
NODE_PROBLEM = QColor("#e04848")
TEXT = QColor("#e6e9ee")
TEXT_DIM = QColor("#9aa3ae")
FORMULA_TEXT = QColor("#e8d8a0")  # formulas on cards (View > Show Formulas)
SHAPE_TEXT = QColor("#8fc1e8")

NODE_WIDTH = 184.0
TITLE_HEIGHT = 26.0
PORT_ROW = 30.0
FOOTER_HEIGHT = 20.0
PORT_RADIUS = 5.5
CORNER = 6.0


def category_colour(category: str) -> QColor:
    """Title-bar colour of a palette category (unknown categories share a neutral grey)."""
    if category not in CATEGORY_COLOURS:
        # plugin categories: a stable colour from the name, so each pack looks the same each run
        hue = sum(map(ord, category)) * 47 % 360
        return QColor.fromHsl(hue, 90, 95)
    return QColor(CATEGORY_COLOURS[category])


def port_colour(kind) -> QColor:
    """Colour of a port (and of wires leaving it) by its PortKind."""
    return QColor(PORT_COLOURS.get(kind, FALLBACK_PORT))
