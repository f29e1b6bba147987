"""Dragging a new wire out of a port: dims ports that cannot take it, and on release either
connects (one undo step) or says in the status bar why not."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF

from graph import commands
from graph.model import Edge
from graph.validate import port_mismatch
from gui import theme
from gui.canvas.port_item import PortItem
from gui.canvas.wire_item import WireItem

_SNAP = 12.0  # a release this close to a port counts as on it


def _inner(port: PortItem) -> tuple[str, str]:
    """The real (node, port) behind a port item; a group card's port stands for one inside."""
    return getattr(port, "inner", None) or (port.node_id, port.name)


class WireDrag:
    """One wire drag from `origin` (an output or an input PortItem)."""

    def __init__(self, scene, origin: PortItem, position: QPointF):
        self.scene = scene
        self.origin = origin
        self.reasons: dict[PortItem, str] = {}
        self.preview = WireItem(None, theme.port_colour(origin.port.kind))
        self.preview.setZValue(10)  # above the cards while it follows the mouse
        scene.addItem(self.preview)
        self._mark_targets()
        self.move(position)

    def _ends(self, target: PortItem):
        """(output PortItem, input PortItem) if origin and target are on opposite sides."""
        if target.is_input == self.origin.is_input:
            return None
        return (self.origin, target) if target.is_input else (target, self.origin)

    def _reason(self, target: PortItem) -> str | None:
        """Why the dragged wire cannot end on target, or None if it can."""
        ends = self._ends(target)
        if ends is None:
            side = "input" if target.is_input else "output"
            return f"Cannot connect an {side} to another {side}: drag from an output to an input."
        (src_id, src_name), (dst_id, dst_name) = (_inner(p) for p in ends)
        if src_id == dst_id or ends[0].node_id == ends[1].node_id:
            return "A node cannot feed itself directly; add a Delay (z^-1) node for feedback."
        graph, registry = self.scene.graph, self.scene.registry
        src_node, dst_node = graph.nodes[src_id], graph.nodes[dst_id]
        src_spec, dst_spec = registry.spec(src_node.type_id), registry.spec(dst_node.type_id)
        return port_mismatch(src_spec, src_spec.output(src_name), dst_spec,
                             dst_spec.input(dst_name), src_node, dst_node)

    def _mark_targets(self) -> None:
        for item in self.scene.nodes.values():
            for port in item.ports():
                if port is self.origin:
                    continue
                reason = self._reason(port)
                if reason:
                    self.reasons[port] = reason
                    port.set_dimmed(True)

    def move(self, position: QPointF) -> None:
        anchor = self.origin.scenePos()
        if self.origin.is_input:
            self.preview.set_ends(position, anchor)
        else:
            self.preview.set_ends(anchor, position)

    def target_at(self, position: QPointF) -> PortItem | None:
        """The port nearest to position within snapping distance."""
        area = QRectF(position.x() - _SNAP, position.y() - _SNAP, 2 * _SNAP, 2 * _SNAP)
        ports = [i for i in self.scene.items(area) if isinstance(i, PortItem)
                 and i is not self.origin]
        if not ports:
            return None
        return min(ports, key=lambda p: (p.scenePos() - position).manhattanLength())

    def finish(self, position: QPointF) -> None:
        """Connect to the port under position, or explain why that is not possible."""
        self.scene.removeItem(self.preview)
        for port in self.reasons:
            port.set_dimmed(False)
        target = self.target_at(position)
        if target is None:
            return
        if target in self.reasons:
            self.scene.message.emit(self.reasons[target])
            return
        (src_id, src_name), (dst_id, dst_name) = (_inner(p) for p in self._ends(target))
        edge = Edge(src_id, src_name, dst_id, dst_name)
        graph = self.scene.graph
        if edge in graph.edges:
            return
        existing = graph.source_of(dst_id, dst_name)
        if existing is None:
            self.scene.undo.push(commands.Connect(edge))
        else:
            self.scene.undo.push(commands.Compound(
                [commands.Disconnect(existing), commands.Connect(edge)], f"Rewire {edge}"))
