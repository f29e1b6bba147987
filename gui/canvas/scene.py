"""The scene: one NodeItem per node and one WireItem per edge, kept in step with the Graph
through its `changed` signal. Edits go through the undo stack; items never hold state of
their own beyond what they draw."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QTimer, Signal
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene

from graph import commands
from graph.events import (
    EdgeAdded,
    EdgeRemoved,
    NodeAdded,
    NodeMoved,
    NodeRemoved,
    NodeRetitled,
    ParamSet,
    TieSet,
    dispatch,
)
from graph.model import Edge, Graph, Node
from graph.registry import Registry
from graph.shapes import infer_shapes
from graph.validate import validate
from gui import theme
from gui.canvas.node_item import NodeItem
from gui.canvas.port_item import PortItem
from gui.canvas.tie_item import TieItem
from gui.canvas.wire_drag import WireDrag
from gui.canvas.wire_item import WireItem

_NO_ANALYSIS = (NodeMoved,)  # edits that change neither shapes nor validity


class GraphScene(QGraphicsScene):
    """Draws a Graph and turns mouse gestures into undoable commands."""

    wire_clicked = Signal(object)  # Edge
    node_selected = Signal(object)  # node id or None
    message = Signal(str)  # something the user should read in the status bar
    analysed = Signal()  # problems / shape_info were recomputed

    def __init__(self, registry: Registry, undo, parent=None):
        super().__init__(parent)
        self.registry = registry
        self.undo = undo
        self.graph: Graph | None = None
        self.nodes: dict[str, NodeItem] = {}
        self.wires: dict[Edge, WireItem] = {}
        self.ties: dict[str, TieItem] = {}  # tied node id -> its dashed line
        self.problems: list = []
        self.shape_info = None
        self._signatures: dict[str, tuple] = {}
        self._analysis_due = False
        self.wire_drag: WireDrag | None = None
        self._handlers = {
            NodeAdded: lambda e: self._add_node_item(self.graph.nodes[e.node_id]),
            TieSet: lambda e: self._show_tie(e.node_id),
            NodeRemoved: lambda e: self._remove_node_item(e.node_id),
            EdgeAdded: lambda e: self._add_wire_item(e.edge),
            EdgeRemoved: lambda e: self._remove_wire_item(e.edge),
            NodeMoved: self._node_moved,
            ParamSet: self._card_text_changed,
            NodeRetitled: self._card_text_changed,
        }
        self.setBackgroundBrush(theme.CANVAS_BACKGROUND)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.selectionChanged.connect(self._emit_selection)

    # -- graph binding -----------------------------------------------------------------------
    def set_graph(self, graph: Graph) -> None:
        """Show another graph (New/Open): rebuild every item from it."""
        if self.graph is not None:
            self.graph.changed.disconnect(self._on_changed)
        self.clear()
        self.nodes.clear()
        self.wires.clear()
        self.ties.clear()
        self._signatures.clear()
        self.graph = graph
        graph.changed.connect(self._on_changed)
        for node in graph.nodes.values():
            self._add_node_item(node)
        for edge in graph.edges:
            self._add_wire_item(edge)
        for node_id in graph.ties:
            self._show_tie(node_id)
        self.flush()

    def _on_changed(self, event) -> None:
        dispatch(self._handlers, event)
        if not isinstance(event, _NO_ANALYSIS):
            self._schedule_analysis()

    def _node_moved(self, event: NodeMoved) -> None:
        item = self.nodes.get(event.node_id)
        position = QPointF(*self.graph.nodes[event.node_id].position)
        if item is not None and item.pos() != position:
            item.setPos(position)

    def _card_text_changed(self, event) -> None:
        self._signatures.pop(event.node_id, None)  # its card text must be laid out again

    def _add_node_item(self, node: Node) -> None:
        node_type = self.registry.find(node.type_id)
        item = NodeItem(node, node_type.spec if node_type else None)
        self.addItem(item)
        self.nodes[node.id] = item

    def _show_tie(self, node_id: str) -> None:
        """Draw node_id's weight tie as it is in the graph now (or remove its line)."""
        old = self.ties.pop(node_id, None)
        if old is not None:
            for item in (old.node_item, old.source_item):
                if old in item.wires:
                    item.wires.remove(old)
            self.removeItem(old)
        tie = self.graph.ties.get(node_id)
        if tie is None or tie.node not in self.nodes or tie.source not in self.nodes:
            return
        line = TieItem(tie, self.nodes[tie.node], self.nodes[tie.source])
        self.addItem(line)
        self.nodes[tie.node].wires.append(line)
        self.nodes[tie.source].wires.append(line)
        self.ties[node_id] = line

    def _remove_node_item(self, node_id: str) -> None:
        for tied in [n for n, line in self.ties.items() if node_id in (line.tie.node,
                                                                    line.tie.source)]:
            self._show_tie(tied)  # the graph dropped the tie first (RemoveNode)
        item = self.nodes.pop(node_id, None)
        self._signatures.pop(node_id, None)
        for edge in [e for e in self.wires if node_id in (e.src, e.dst)]:
            self._remove_wire_item(edge)
        if item is not None:
            self.removeItem(item)

    def _add_wire_item(self, edge: Edge) -> None:
        src, dst = self.nodes.get(edge.src), self.nodes.get(edge.dst)
        if src is None or dst is None:
            return
        src_port, dst_port = src.outputs.get(edge.src_port), dst.inputs.get(edge.dst_port)
        if src_port is None or dst_port is None:
            return  # a wire to a port the type does not have: validation reports it
        wire = WireItem(edge, theme.port_colour(src_port.port.kind))
        self.addItem(wire)
        wire.attach(src_port, dst_port)
        src.wires.append(wire)
        dst.wires.append(wire)
        self.wires[edge] = wire

    def _remove_wire_item(self, edge: Edge) -> None:
        wire = self.wires.pop(edge, None)
        if wire is None:
            return
        for node_id in (edge.src, edge.dst):
            item = self.nodes.get(node_id)
            if item is not None and wire in item.wires:
                item.wires.remove(wire)
        self.removeItem(wire)

    # -- shapes and validation ---------------------------------------------------------------
    def _schedule_analysis(self) -> None:
        if not self._analysis_due:
            self._analysis_due = True
            QTimer.singleShot(0, self.flush)

    def flush(self) -> None:
        """Recompute shapes and problems now and update the cards that changed."""
        self._analysis_due = False
        if self.graph is None:
            return
        graph = self.graph
        self.shape_info = infer_shapes(graph, self.registry)
        self.problems = validate(graph, self.registry)
        by_node: dict[str, list[str]] = {}
        by_edge: dict[Edge, str] = {}
        for problem in self.problems:
            if problem.edge is not None:
                by_edge[problem.edge] = problem.message
            if problem.node_id is not None:
                by_node.setdefault(problem.node_id, []).append(problem.message)
        ports = self.shape_info.port_shapes
        incoming: dict[str, dict] = {}
        for edge in graph.edges:
            incoming.setdefault(edge.dst, {})[edge.dst_port] = ports.get((edge.src, edge.src_port))
        for node_id, item in self.nodes.items():
            node = graph.nodes[node_id]
            shapes = dict(incoming.get(node_id, {}))
            for port in item.outputs:
                shapes["->" + port] = ports.get((node_id, port))
            count = self.shape_info.param_counts.get(node_id)
            problems = by_node.get(node_id, [])
            signature = (repr(shapes), count, tuple(problems))
            if self._signatures.get(node_id) != signature:
                self._signatures[node_id] = signature
                item.set_problems(problems)
                item.refresh(node, shapes, count)
        for edge, wire in self.wires.items():
            wire.set_problem(by_edge.get(edge))
        self.analysed.emit()

    # -- editing -----------------------------------------------------------------------------
    def add_node(self, type_id: str, position: QPointF, params: dict | None = None) -> str:
        """Add a node of type_id with its top-left at position; returns its id."""
        spec = self.registry.spec(type_id)
        node_id = self.graph.new_id(type_id.rsplit(".", 1)[-1])
        node = Node(node_id, type_id, {**spec.defaults(), **(params or {})},
                    (round(position.x()), round(position.y())))
        self.undo.push(commands.AddNode(node))
        return node_id

    def selected_node_ids(self) -> list[str]:
        return [item.node_id for item in self.selectedItems() if isinstance(item, NodeItem)]

    def selected_edges(self) -> list[Edge]:
        return [item.edge for item in self.selectedItems()
                if isinstance(item, WireItem) and item.edge is not None]

    def delete_selected(self) -> None:
        """Delete the selected nodes and wires as one undo step."""
        node_ids = self.selected_node_ids()
        edges = [e for e in self.selected_edges() if e.src not in node_ids
                 and e.dst not in node_ids]
        steps = [commands.Disconnect(e) for e in edges]
        steps += [commands.RemoveNode(n) for n in node_ids]
        if steps:
            count = len(steps)
            name = steps[0].text if count == 1 else f"Delete {count} items"
            self.undo.push(commands.Compound(steps, name) if count > 1 else steps[0])

    def select_all(self) -> None:
        for item in self.nodes.values():
            item.setSelected(True)

    def set_caching(self, enabled: bool) -> None:
        """Cache card pixmaps (fast panning) or paint directly (fast zooming, since every
        zoom step would re-render every cached card)."""
        mode = (QGraphicsItem.CacheMode.DeviceCoordinateCache if enabled
                else QGraphicsItem.CacheMode.NoCache)
        for item in self.nodes.values():
            item.setCacheMode(mode)

    def items_rect(self) -> QRectF:
        rect = QRectF()
        for item in self.nodes.values():
            rect = rect.united(item.sceneBoundingRect())
        return rect

    def mouseReleaseEvent(self, event):
        super().mouseReleaseEvent(event)
        self._commit_moves()

    def _commit_moves(self) -> None:
        """After a drag, record every moved card as one undo step."""
        if self.graph is None:
            return
        moves = []
        for item in self.selectedItems():
            if not isinstance(item, NodeItem) or item.node_id not in self.graph.nodes:
                continue
            position = (round(item.pos().x()), round(item.pos().y()))
            if tuple(self.graph.nodes[item.node_id].position) != position:
                moves.append(commands.MoveNode(item.node_id, position))
        if len(moves) == 1:
            self.undo.push(moves[0])
        elif moves:
            self.undo.push(commands.Compound(moves, f"Move {len(moves)} nodes"))

    def _emit_selection(self) -> None:
        ids = self.selected_node_ids()
        self.node_selected.emit(ids[0] if len(ids) == 1 else None)

    # -- wire dragging (PortItem forwards its mouse events here) -----------------------------
    def begin_wire(self, port: PortItem, position: QPointF) -> None:
        self.wire_drag = WireDrag(self, port, position)

    def drag_wire(self, position: QPointF) -> None:
        if self.wire_drag is not None:
            self.wire_drag.move(position)

    def end_wire(self, position: QPointF) -> None:
        drag, self.wire_drag = self.wire_drag, None
        if drag is not None:
            drag.finish(position)
