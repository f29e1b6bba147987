"""A group's card: a NodeItem whose ports are the wires crossing the group's boundary.

Each port knows the inner (node, port) it stands for (`PortItem.inner`), so wire drags and
wires drawn at this level reach the real node inside."""

from __future__ import annotations

from PySide6.QtCore import QPointF

from graph.groups import BoundaryPort, Group
from graph.model import Node
from graph.spec import NodeSpec, PortKind, PortSpec
from gui import theme
from gui.canvas import node_item
from gui.canvas.node_item import NodeItem

GROUP_CATEGORY = "Group"


def group_spec(group: Group, ports: list[BoundaryPort], kinds: dict, count: int) -> NodeSpec:
    """A stand-in spec for drawing: the group's boundary ports with their inner kinds."""
    def port(p: BoundaryPort) -> PortSpec:
        return PortSpec(p.name, kinds.get((p.node, p.port, p.is_input), PortKind.TENSOR),
                        f"wire to {p.node}.{p.port} inside")

    noun = "node" if count == 1 else "nodes"
    return NodeSpec(type_id="group", title=group.label, category=GROUP_CATEGORY,
                    doc=f"A group of {count} {noun}; double-click to open it.",
                    inputs=tuple(port(p) for p in ports if p.is_input),
                    outputs=tuple(port(p) for p in ports if not p.is_input))


class GroupItem(NodeItem):
    """The card of one group at the level that shows it."""

    def __init__(self, group: Group, ports: list[BoundaryPort], kinds: dict, count: int):
        self.group_id = group.id
        self.count = count
        spec = group_spec(group, ports, kinds, count)
        super().__init__(Node(group.id, "group", {}, tuple(group.position), group.label), spec)
        for p in ports:
            side = self.inputs if p.is_input else self.outputs
            side[p.name].inner = (p.node, p.port)

    def refresh(self, node, shapes, param_count):
        super().refresh(node, shapes, param_count)
        rows = max(len(self.spec.inputs), len(self.spec.outputs), 1)
        y = theme.TITLE_HEIGHT + 6 + rows * theme.PORT_ROW + 1
        noun = "node" if self.count == 1 else "nodes"
        text = node_item._Text(f"▣ {self.count} {noun} inside",
                               node_item._SMALL_FONT, self.width - 2 * node_item._PAD)
        self._texts.append((QPointF(node_item._PAD, y), text, theme.TEXT_DIM))
        self.update()
