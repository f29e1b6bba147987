"""The scene: one NodeItem per node and one WireItem per edge, kept in step with the Graph
through its `changed` signal. Edits go through the undo stack; items never hold state of
their own beyond what they draw."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QTimer, Signal
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene

from graph import commands, group_commands
from graph.events import (
    EdgeAdded,
    EdgeRemoved,
    FrameSet,
    GroupSet,
    NodeAdded,
    NodeMoved,
    NodeRemoved,
    NodeRetitled,
    ParamSet,
    RerouteSet,
    TieSet,
    dispatch,
)
from graph.frames import Frame
from graph.groups import boundary_ports, leaves, level_members, parent_map, wire_ends
from graph.layout_commands import SetFrame, SetReroute, arranged, insert_on_wire, insert_point
from graph.library import PALETTE_PREFIX, insert_entry, read_entry
from graph.model import Edge, Graph, GraphError, Node
from graph.problems import Severity
from graph.registry import Registry
from graph.shapes import infer_shapes
from graph.validate import validate
from gui import theme
from gui.canvas.frame_item import PADDING, TITLE_HEIGHT, FrameItem
from gui.canvas.group_item import GroupItem
from gui.canvas.node_item import NodeItem
from gui.canvas.port_item import PortItem
from gui.canvas.reroute import RerouteDot
from gui.canvas.tie_item import TieItem
from gui.canvas.wire_drag import WireDrag
from gui.canvas.wire_item import WireItem

# edits that change neither shapes nor validity
_NO_ANALYSIS = (NodeMoved, GroupSet, RerouteSet, FrameSet)
_REBUILDS = (NodeAdded, NodeRemoved, EdgeAdded, EdgeRemoved, GroupSet, TieSet)
"""With groups, these edits may change what a card at the shown level stands for: the scene
is rebuilt once the edit (a whole undo step) is done."""


class GraphScene(QGraphicsScene):
    """Draws a Graph and turns mouse gestures into undoable commands."""

    wire_clicked = Signal(object)  # Edge
    node_selected = Signal(object)  # node id or None
    message = Signal(str)  # something the user should read in the status bar
    analysed = Signal()  # problems / shape_info were recomputed
    level_changed = Signal(list)  # the open groups, outermost first: [(group id, title)]

    def __init__(self, registry: Registry, undo, parent=None):
        super().__init__(parent)
        self.registry = registry
        self.undo = undo
        self.graph: Graph | None = None
        self.nodes: dict[str, NodeItem] = {}
        self.wires: dict[Edge, WireItem] = {}
        self.ties: dict[str, TieItem] = {}  # tied node id -> its dashed line
        self.frames: dict[str, FrameItem] = {}
        self.problems: list = []
        self.shape_info = None
        self._signatures: dict[str, tuple] = {}
        self._analysis_due = False
        self.wire_drag: WireDrag | None = None
        self.level: str | None = None  # the open group, None for the top level
        self.show_formulas = False  # cards show their spec's formula (View > Show Formulas)
        self._rebuild_due = False
        if hasattr(undo, "changed"):  # the Qt adapter: rebuild once per undo step
            undo.changed.connect(self.rebuild_if_due)
        self._handlers = {
            NodeAdded: lambda e: self._add_node_item(self.graph.nodes[e.node_id]),
            TieSet: lambda e: self._show_tie(e.node_id),
            NodeRemoved: lambda e: self._remove_node_item(e.node_id),
            EdgeAdded: lambda e: self._add_wire_item(e.edge),
            EdgeRemoved: lambda e: self._remove_wire_item(e.edge),
            NodeMoved: self._node_moved,
            ParamSet: self._card_text_changed,
            NodeRetitled: self._card_text_changed,
            RerouteSet: lambda e: self._show_reroute(self.wires.get(e.edge)),
            FrameSet: lambda e: self._show_frame(e.frame_id),
        }
        self.setBackgroundBrush(theme.CANVAS_BACKGROUND)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.selectionChanged.connect(self._emit_selection)

    # -- graph binding -----------------------------------------------------------------------
    def set_graph(self, graph: Graph) -> None:
        """Show another graph (New/Open): rebuild every item from it."""
        if self.graph is not None:
            self.graph.changed.disconnect(self._on_changed)
        self.graph = graph
        graph.changed.connect(self._on_changed)
        self.level = None
        self._rebuild()
        self.level_changed.emit(self.breadcrumb())
        self.flush()

    def _rebuild(self) -> None:
        """Make every item again for the shown level (a flat graph shows all its nodes)."""
        self._rebuild_due = False
        selected = set(self.selected_node_ids())
        self.clear()
        self.nodes.clear()
        self.wires.clear()
        self.ties.clear()
        self._signatures.clear()
        graph = self.graph
        if self.level is not None and self.level not in graph.groups:
            self.level = parent_map(graph).get(self.level)
            self.level_changed.emit(self.breadcrumb())
        if not graph.groups:  # every caller flushes next, which lays out each card once
            for node in graph.nodes.values():
                self._add_node_item(node, lay_out=False)
            for edge in graph.edges:
                self._add_wire_item(edge)
        else:
            parents = parent_map(graph)
            for item_id in level_members(graph, self.level):
                if item_id in graph.nodes:
                    self._add_node_item(graph.nodes[item_id], lay_out=False)
                else:
                    self._add_group_item(item_id)
            for edge in graph.edges:
                ends = wire_ends(graph, edge, self.level, parents)
                if ends is not None:
                    self._add_wire_item(edge, ends)
        for node_id in graph.ties:
            self._show_tie(node_id)
        self.frames.clear()
        for frame_id in graph.frames:
            self._show_frame(frame_id)
        for item_id in selected & set(self.nodes):
            self.nodes[item_id].setSelected(True)

    def _add_group_item(self, group_id: str) -> None:
        graph = self.graph
        inside = leaves(graph, group_id)
        kinds = {}
        for port in boundary_ports(graph, group_id):
            node_type = self.registry.find(graph.nodes[port.node].type_id)
            spec = node_type.spec if node_type else None
            found = spec and (spec.input(port.port) if port.is_input else spec.output(port.port))
            if found:
                kinds[(port.node, port.port, port.is_input)] = found.kind
        item = GroupItem(graph.groups[group_id], boundary_ports(graph, group_id), kinds,
                         len(inside))
        self.addItem(item)
        self.nodes[group_id] = item

    def rebuild_if_due(self) -> None:
        """Rebuild now if an edit since the last rebuild asked for it."""
        if self._rebuild_due and self.graph is not None:
            self._rebuild()
            self.flush()

    def _on_changed(self, event) -> None:
        if isinstance(event, _REBUILDS) and (self.graph.groups or self.level is not None
                                             or isinstance(event, GroupSet)):
            self._rebuild_due = True
        else:
            dispatch(self._handlers, event)
        if isinstance(event, GroupSet):
            self._signatures.pop(event.group_id, None)
        if not isinstance(event, _NO_ANALYSIS) or self._rebuild_due:
            self._schedule_analysis()

    def set_show_formulas(self, shown: bool) -> None:
        """Show or hide each card's formula (cards are made again: their height changes)."""
        if shown != self.show_formulas and self.graph is not None:
            self.show_formulas = shown
            self._rebuild()
            self.flush()

    # -- levels (groups) ---------------------------------------------------------------------
    def breadcrumb(self) -> list[tuple[str, str]]:
        """The open groups, outermost first: [(group id, title)]."""
        trail, parents, current = [], parent_map(self.graph), self.level
        while current is not None and current in self.graph.groups:
            trail.append((current, self.graph.groups[current].label))
            current = parents.get(current)
        return list(reversed(trail))

    def open_level(self, group_id: str | None) -> None:
        """Show the inside of group_id (None: the top level)."""
        if group_id is not None and group_id not in self.graph.groups:
            return
        self.level = group_id
        self.clearSelection()
        self._rebuild()
        self.flush()
        self.level_changed.emit(self.breadcrumb())

    def group_selected(self, title: str = "Group") -> str | None:
        """Group the selected cards (Ctrl+G) as one undo step; returns the new group id."""
        ids = self.selected_node_ids()
        try:
            command, group_id = group_commands.group_items(self.graph, ids, self.level, title)
        except GraphError as exc:
            self.message.emit(str(exc))
            return None
        if not self.undo.push(command):
            return None
        self.rebuild_if_due()
        if group_id in self.nodes:
            self.clearSelection()
            self.nodes[group_id].setSelected(True)
        return group_id

    def ungroup_selected(self) -> None:
        """Dissolve the selected groups into the shown level (Ctrl+Shift+G), one undo step."""
        groups = [i for i in self.selected_node_ids() if i in self.graph.groups]
        if not groups:
            self.message.emit("Select a group to ungroup.")
            return
        steps = [group_commands.ungroup(self.graph, g) for g in groups]
        self.undo.push(steps[0] if len(steps) == 1 else commands.Compound(steps, "Ungroup"))
        self.rebuild_if_due()

    def _node_moved(self, event: NodeMoved) -> None:
        item = self.nodes.get(event.node_id)
        position = QPointF(*self.graph.nodes[event.node_id].position)
        if item is not None and item.pos() != position:
            item.setPos(position)

    def _card_text_changed(self, event) -> None:
        self._signatures.pop(event.node_id, None)  # its card text must be laid out again

    def _add_node_item(self, node: Node, lay_out: bool = True) -> None:
        node_type = self.registry.find(node.type_id)
        item = NodeItem(node, node_type.spec if node_type else None, self.show_formulas,
                        lay_out)
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

    def _add_wire_item(self, edge: Edge, ends=None) -> None:
        (src_id, src_name), (dst_id, dst_name) = ends or ((edge.src, edge.src_port),
                                                          (edge.dst, edge.dst_port))
        src, dst = self.nodes.get(src_id), self.nodes.get(dst_id)
        if src is None or dst is None:
            return
        src_port, dst_port = src.outputs.get(src_name), dst.inputs.get(dst_name)
        if src_port is None or dst_port is None:
            return  # a wire to a port the type does not have: validation reports it
        wire = WireItem(edge, theme.port_colour(src_port.port.kind))
        self.addItem(wire)
        src.wires.append(wire)
        dst.wires.append(wire)
        self.wires[edge] = wire
        wire.src_item, wire.dst_item = src_port, dst_port
        self._show_reroute(wire)

    def _remove_wire_item(self, edge: Edge) -> None:
        wire = self.wires.pop(edge, None)
        if wire is None:
            return
        for node_id in (edge.src, edge.dst):
            item = self.nodes.get(node_id)
            if item is not None and wire in item.wires:
                item.wires.remove(wire)
        for dot in wire.dots:
            self.removeItem(dot)
        self.removeItem(wire)

    # -- frames ------------------------------------------------------------------------------
    def _show_frame(self, frame_id: str) -> None:
        """Draw frame_id as the graph has it now (frames show at the top level only)."""
        old = self.frames.pop(frame_id, None)
        if old is not None:
            self.removeItem(old)
        frame = self.graph.frames.get(frame_id)
        if frame is not None and self.level is None:
            item = FrameItem(frame)
            self.addItem(item)
            self.frames[frame_id] = item

    def frame_selected(self, title: str = "Frame") -> str | None:
        """Put a titled frame behind the selected cards (one undo step); returns its id."""
        items = [i for i in self.selectedItems() if isinstance(i, NodeItem)]
        if not items:
            self.message.emit("Select the nodes to frame first.")
            return None
        rect = QRectF()
        for item in items:
            rect = rect.united(item.sceneBoundingRect())
        rect = rect.adjusted(-PADDING, -PADDING - TITLE_HEIGHT, PADDING, PADDING)
        n = 1
        while (frame_id := "frame" if n == 1 else f"frame_{n}") in self.graph.frames:
            n += 1
        frame = Frame(frame_id, title, (round(rect.x()), round(rect.y()), round(rect.width()),
                                        round(rect.height())))
        self.undo.push(SetFrame(frame_id, frame))
        return frame_id

    def commit_frame_drag(self, item: FrameItem, carried: list) -> None:
        """After a frame was dragged: its new place and its cards' as one undo step."""
        frame = item.frame()
        if frame == self.graph.frames.get(item.frame_id):
            return
        steps = [SetFrame(item.frame_id, frame)]
        for card in carried:
            position = (round(card.pos().x()), round(card.pos().y()))
            if isinstance(card, GroupItem):
                group = self.graph.groups[card.group_id]
                steps.append(group_commands.SetGroup(group.id, type(group)(
                    group.id, group.title, group.members, position, group.port_names)))
            elif tuple(self.graph.nodes[card.node_id].position) != position:
                steps.append(commands.MoveNode(card.node_id, position))
        self.undo.push(commands.Compound(steps, f"Move frame {frame.title}"))

    def rename_frame(self, frame_id: str) -> None:
        from PySide6.QtWidgets import QInputDialog
        frame = self.graph.frames[frame_id]
        views = self.views()
        title, ok = QInputDialog.getText(views[0] if views else None, "Rename Frame",
                                         "Title:", text=frame.title)
        if ok and title.strip() and title.strip() != frame.title:
            self.undo.push(SetFrame(frame_id, Frame(frame_id, title.strip(), frame.rect)))

    # -- reroute dots ------------------------------------------------------------------------
    def _show_reroute(self, wire) -> None:
        """Make wire's dots from the graph's reroute points and redraw it."""
        if wire is None:
            return
        for dot in wire.dots:
            self.removeItem(dot)
        wire.dots = []
        for index, point in enumerate(self.graph.reroutes.get(wire.edge, ())):
            dot = RerouteDot(wire, index, QPointF(*point))
            self.addItem(dot)
            wire.dots.append(dot)
        wire.update_ends()

    def add_reroute(self, wire, point: QPointF) -> None:
        """Double-click on a wire: a dot at point, placed in order along the wire."""
        start, end = wire.src_item.scenePos(), wire.dst_item.scenePos()
        points = insert_point((start.x(), start.y()), self.graph.reroutes.get(wire.edge, ()),
                              (end.x(), end.y()), (round(point.x()), round(point.y())))
        self.undo.push(SetReroute(wire.edge, points))

    def commit_reroute(self, wire) -> None:
        """After a dot was dragged: record where the wire's dots are now (one undo step)."""
        points = tuple((round(d.pos().x()), round(d.pos().y())) for d in wire.dots)
        if points != tuple(self.graph.reroutes.get(wire.edge, ())):
            self.undo.push(SetReroute(wire.edge, points))

    def remove_reroute(self, wire, index: int) -> None:
        points = list(self.graph.reroutes.get(wire.edge, ()))
        if 0 <= index < len(points):
            del points[index]
            self.undo.push(SetReroute(wire.edge, tuple(points)))

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
        if self._rebuild_due:
            self._rebuild()
        graph = self.graph
        self.shape_info = infer_shapes(graph, self.registry)
        self.problems = validate(graph, self.registry)
        by_node: dict[str, list[str]] = {}
        by_edge: dict[Edge, str] = {}
        notes: dict[str, list[str]] = {}  # Severity.NOTE: told on the card, not a problem
        for problem in self.problems:
            if problem.severity is Severity.NOTE:
                notes.setdefault(problem.node_id, []).append(problem.message)
                continue
            if problem.edge is not None:
                by_edge[problem.edge] = problem.message
            if problem.node_id is not None:
                by_node.setdefault(problem.node_id, []).append(problem.message)
        ports = self.shape_info.port_shapes
        incoming: dict[str, dict] = {}
        for edge in graph.edges:
            incoming.setdefault(edge.dst, {})[edge.dst_port] = ports.get((edge.src, edge.src_port))
        for node_id, item in self.nodes.items():
            if isinstance(item, GroupItem):
                node, shapes, count, problems = self._group_card(item, incoming, by_node)
            else:
                node = graph.nodes[node_id]
                shapes = dict(incoming.get(node_id, {}))
                for port in item.outputs:
                    shapes["->" + port] = ports.get((node_id, port))
                count = self.shape_info.param_counts.get(node_id)
                problems = by_node.get(node_id, [])
            card_notes = [] if isinstance(item, GroupItem) else notes.get(node_id, [])
            signature = (repr(shapes), count, tuple(problems), tuple(card_notes))
            if self._signatures.get(node_id) != signature:
                self._signatures[node_id] = signature
                item.set_problems(problems)
                item.set_notes(card_notes)
                item.refresh(node, shapes, count)
        for edge, wire in self.wires.items():
            wire.set_problem(by_edge.get(edge))
        self.analysed.emit()

    def _group_card(self, item: GroupItem, incoming: dict, by_node: dict):
        """What a group's card shows: its ports' shapes, its nodes' parameter count and
        their problems (each prefixed with the node's label)."""
        graph, ports = self.graph, self.shape_info.port_shapes
        group = graph.groups[item.group_id]
        shapes = {}
        for name, port in item.inputs.items():
            shapes[name] = incoming.get(port.inner[0], {}).get(port.inner[1])
        for name, port in item.outputs.items():
            shapes["->" + name] = ports.get(port.inner)
        inside = leaves(graph, item.group_id)
        counts = [self.shape_info.param_counts.get(n) or 0 for n in inside]
        problems = [f"{graph.nodes[n].label}: {m}" for n in inside for m in by_node.get(n, [])]
        node = Node(group.id, "group", {}, tuple(group.position), group.label)
        return node, shapes, sum(counts), problems

    # -- editing -----------------------------------------------------------------------------
    def add_node(self, type_id: str, position: QPointF, params: dict | None = None,
                 wire: Edge | None = None) -> str:
        """Add a node of type_id with its top-left at position; returns its id. A library
        entry ("library:<file>") is inserted as a copy of its group. Dropped on `wire`, the
        node is spliced into it when its ports match the wire's kinds (one undo step)."""
        if type_id.startswith(PALETTE_PREFIX):
            return self.add_library_group(type_id[len(PALETTE_PREFIX):], position)
        spec = self.registry.spec(type_id)
        node_id = self.graph.new_id(type_id.rsplit(".", 1)[-1])
        node = Node(node_id, type_id, {**spec.defaults(), **(params or {})},
                    (round(position.x()), round(position.y())))
        inside = group_commands.add_to_level(self.graph, node_id, self.level)
        add = commands.AddNode(node)
        splice = insert_on_wire(self.graph, self.registry, wire, node_id, type_id) \
            if wire is not None and wire.dst in self.graph.nodes else []
        steps = [add, *inside, *splice]
        name = f"Insert {node_id} into {wire}" if splice else add.text
        self.undo.push(commands.Compound(steps, name) if len(steps) > 1 else add)
        self.rebuild_if_due()
        return node_id

    def add_library_group(self, path: str, position: QPointF) -> str | None:
        """Insert a copy of the library group in file path; returns its id (None: refused,
        with the reason in the status bar)."""
        try:
            document = read_entry(path, self.registry)
            command, group_id = insert_entry(self.graph, document, (round(position.x()),
                                                                    round(position.y())),
                                             self.level)
        except (GraphError, KeyError, TypeError, ValueError, StopIteration) as exc:
            self.message.emit(f"{path}: cannot be inserted ({exc}).")
            return None
        if not self.undo.push(command):
            return None
        self.rebuild_if_due()
        return group_id

    def wire_at(self, point: QPointF) -> Edge | None:
        """The wire under scene point (within a few pixels), if any."""
        area = QRectF(point.x() - 4, point.y() - 4, 8, 8)
        for item in self.items(area):
            if isinstance(item, WireItem) and item.edge is not None:
                return item.edge
        return None

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
        steps += [SetFrame(i.frame_id, None) for i in self.selectedItems()
                  if isinstance(i, FrameItem)]
        groups = [n for n in node_ids if n in self.graph.groups]
        if groups:
            steps += group_commands.delete_items(self.graph, node_ids)
        else:
            steps += [commands.RemoveNode(n) for n in node_ids]
        if steps:
            count = len(steps)
            name = steps[0].text if count == 1 else f"Delete {count} items"
            self.undo.push(commands.Compound(steps, name) if count > 1 else steps[0])
            self.rebuild_if_due()

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

    def arrange_selected(self, how: str) -> None:
        """Align or distribute the selected cards (graph.layout_commands.Arrange), one step."""
        items = [i for i in self.selectedItems() if isinstance(i, NodeItem)]
        if len(items) < 2:
            self.message.emit("Select two or more nodes to align or distribute.")
            return
        new = arranged({i.node_id: (round(i.pos().x()), round(i.pos().y())) for i in items},
                       how)
        for item in items:
            item.setPos(QPointF(*new[item.node_id]))
        self._commit_moves()

    def _commit_moves(self) -> None:
        """After a drag, record every moved card as one undo step."""
        if self.graph is None:
            return
        moves = []
        for item in self.selectedItems():
            position = (round(item.pos().x()), round(item.pos().y()))
            if isinstance(item, GroupItem) and item.group_id in self.graph.groups:
                group = self.graph.groups[item.group_id]
                if tuple(group.position) != position:
                    moved = type(group)(group.id, group.title, group.members, position,
                                        group.port_names)
                    moves.append(group_commands.SetGroup(group.id, moved))
                continue
            if not isinstance(item, NodeItem) or item.node_id not in self.graph.nodes:
                continue
            if tuple(self.graph.nodes[item.node_id].position) != position:
                moves.append(commands.MoveNode(item.node_id, position))
        splice = self._splice_after_move(moves)
        if splice:  # an unwired node dropped on a wire goes into it, with the move
            self.undo.push(commands.Compound([*moves, *splice], splice[0].text.replace(
                "Disconnect", f"Insert {moves[0].node_id} into")))
        elif len(moves) == 1:
            self.undo.push(moves[0])
        elif moves:
            self.undo.push(commands.Compound(moves, f"Move {len(moves)} nodes"))

    def _splice_after_move(self, moves: list) -> list:
        """Commands splicing the one moved node into the wire under its centre, when it has
        no wires yet and its ports match the wire's kinds; [] otherwise."""
        if len(moves) != 1 or not isinstance(moves[0], commands.MoveNode):
            return []
        node_id = moves[0].node_id
        if self.graph.edges_into(node_id) or self.graph.edges_from(node_id):
            return []
        item = self.nodes.get(node_id)
        wire = self.wire_at(item.sceneBoundingRect().center()) if item is not None else None
        if wire is None:
            return []
        return insert_on_wire(self.graph, self.registry, wire, node_id,
                              self.graph.nodes[node_id].type_id)

    def _emit_selection(self) -> None:
        ids = self.selected_node_ids()
        one = ids[0] if len(ids) == 1 else None
        self.node_selected.emit(one if one in self.graph.nodes else None)

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
