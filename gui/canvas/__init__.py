"""The graph canvas: scene (model binding), items (node, port, wire) and the view widget."""

from gui.canvas.scene import GraphScene
from gui.canvas.view import NODE_MIME_TYPE, GraphView

__all__ = ["GraphScene", "GraphView", "NODE_MIME_TYPE"]
