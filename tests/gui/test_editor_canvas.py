"""The canvas driven as a user would: drop from the palette, wire ports with the mouse,
move, copy/paste, delete, undo/redo through the menu, search-to-add."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from graph.model import Graph, Node
from tests.gui.conftest import drag, mouse, view_point, xor_graph


def _drop(window, type_id, point: QPoint):
    """Drop what the palette drags for type_id onto the canvas at viewport point."""
    item = window.palette.item_for(type_id)
    mime = window.palette.tree.mimeData([item])
    viewport = window.canvas.viewport()
    enter = QDragEnterEvent(point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(point), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, drop)


def _two_nodes(window):
    graph = Graph("two")
    graph.add_node(Node("data", "core.dataset", {}, (0.0, 0.0)))
    graph.add_node(Node("dense", "core.dense", {"units": 3}, (300.0, 40.0)))
    graph.add_node(Node("opt", "core.sgd", {}, (300.0, 260.0)))
    window.set_graph(graph, None)
    QApplication.processEvents()
    return graph


def test_drag_dense_from_palette_adds_it_at_the_drop_point(window):
    point = QPoint(200, 150)
    expected = window.canvas.mapToScene(point)
    _drop(window, "core.dense", point)
    nodes = list(window.graph.nodes.values())
    assert [n.type_id for n in nodes] == ["core.dense"]
    assert nodes[0].params["units"] == 32  # the spec's default
    assert abs(nodes[0].position[0] - expected.x()) <= 1
    assert abs(nodes[0].position[1] - expected.y()) <= 1
    assert nodes[0].id in window.scene.nodes
    assert window.actions_by_name["undo"].text() == "&Undo Add dense"


def test_connect_two_ports_with_the_mouse_dims_incompatible_ports(window):
    graph = _two_nodes(window)
    scene = window.scene
    out_port = scene.nodes["data"].outputs["x"]
    in_port = scene.nodes["dense"].inputs["x"]
    loss_port = scene.nodes["opt"].inputs["loss"]
    viewport = window.canvas.viewport()
    start, end = view_point(window, out_port.scenePos()), view_point(window, in_port.scenePos())
    mouse(viewport, QEvent.Type.MouseButtonPress, start)
    mouse(viewport, QEvent.Type.MouseMove, (start + end) / 2, button=Qt.MouseButton.NoButton)
    assert loss_port.dimmed  # a tensor cannot feed the optimizer's loss input
    assert not in_port.dimmed
    mouse(viewport, QEvent.Type.MouseMove, end, button=Qt.MouseButton.NoButton)
    mouse(viewport, QEvent.Type.MouseButtonRelease, end, buttons=Qt.MouseButton.NoButton)
    assert [str(e) for e in graph.edges] == ["data.x -> dense.x"]
    assert not loss_port.dimmed
    assert len(scene.wires) == 1
    scene.flush()
    assert scene.nodes["dense"].inputs["x"] is in_port
    assert scene.shape_info.param_counts["dense"] == 2 * 3 + 3


def test_invalid_connection_explains_why_in_the_status_bar(window):
    graph = _two_nodes(window)
    scene = window.scene
    start = view_point(window, scene.nodes["data"].outputs["x"].scenePos())
    end = view_point(window, scene.nodes["opt"].inputs["loss"].scenePos())
    drag(window.canvas.viewport(), start, end)
    assert graph.edges == []
    message = window.statusBar().currentMessage()
    assert "expects a loss on 'loss'" in message and "gives a tensor" in message


def test_moving_a_node_is_one_undo_step(window):
    graph = _two_nodes(window)
    item = window.scene.nodes["dense"]
    grip = view_point(window, item.scenePos() + QPointF(40, 10))  # on the title bar
    drag(window.canvas.viewport(), grip, grip + QPoint(60, 30), steps=6)
    moved = graph.nodes["dense"].position
    assert moved != (300.0, 40.0)
    assert window.undo_stack.stack.undo_text() == "Move dense"
    window.actions_by_name["undo"].trigger()
    assert graph.nodes["dense"].position == (300.0, 40.0)
    assert item.pos() == QPointF(300.0, 40.0)


def test_undo_redo_through_the_menu(window):
    _drop(window, "core.relu", QPoint(100, 100))
    _drop(window, "core.tanh", QPoint(300, 100))
    undo, redo = window.actions_by_name["undo"], window.actions_by_name["redo"]
    assert undo.text() == "&Undo Add tanh"
    undo.trigger()
    assert list(window.graph.nodes) == ["relu"]
    assert "tanh" not in window.scene.nodes
    assert redo.text() == "&Redo Add tanh" and redo.isEnabled()
    redo.trigger()
    assert list(window.graph.nodes) == ["relu", "tanh"]
    assert "tanh" in window.scene.nodes
    assert not redo.isEnabled()


def test_copy_paste_makes_new_ids_offset_positions_and_inner_wires(window):
    graph = xor_graph()
    window.set_graph(graph, None)
    for node_id in ("hidden", "act"):
        window.scene.nodes[node_id].setSelected(True)
    window.actions_by_name["copy"].trigger()
    window.actions_by_name["paste"].trigger()
    assert len(graph.nodes) == 9
    assert graph.nodes["dense"].type_id == "core.dense"  # fresh id, not 'hidden' again
    assert graph.nodes["dense"].params["units"] == 4
    assert graph.nodes["dense"].position == (240.0 + 40, 0.0 + 40)
    assert graph.nodes["tanh"].position == (480.0 + 40, 0.0 + 40)
    assert [str(e) for e in graph.edges[-1:]] == ["dense.y -> tanh.x"]
    assert len(graph.edges) == 8  # 7 + the wire between the pasted pair only
    assert sorted(window.scene.selected_node_ids()) == ["dense", "tanh"]
    window.actions_by_name["paste"].trigger()  # again: steps further out, not on top
    assert graph.nodes["dense_2"].position == (240.0 + 80, 0.0 + 80)
    window.actions_by_name["undo"].trigger()
    window.actions_by_name["undo"].trigger()
    assert len(graph.nodes) == 7 and len(graph.edges) == 7


def test_delete_selection_is_one_undo_step_and_restores_exactly(window):
    graph = xor_graph()
    window.set_graph(graph, None)
    before = graph.snapshot()
    window.scene.nodes["act"].setSelected(True)
    window.scene.wires[graph.edges[-1]].setSelected(True)  # loss -> opt wire
    window.actions_by_name["delete"].trigger()
    assert "act" not in graph.nodes
    assert [str(e) for e in graph.edges] == ["data.x -> hidden.x", "out.y -> prob.x",
                                             "prob.y -> loss.pred", "data.y -> loss.target"]
    window.scene.flush()
    assert "needs a wire" in window.validation_label.text()
    window.actions_by_name["undo"].trigger()
    assert graph.snapshot() == before
    assert len(window.scene.wires) == 7


def test_delete_key_while_typing_in_the_inspector_does_not_delete_the_node(window, qtbot):
    graph = xor_graph()
    window.set_graph(graph, None)
    window.scene.nodes["act"].setSelected(True)
    field = window.inspector.title_field
    field.setFocus()
    qtbot.keyClicks(field, "ab")
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    qtbot.keyClick(field, Qt.Key.Key_Delete)
    assert "act" in graph.nodes and field.text() == "a"
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Delete)
    assert "act" not in graph.nodes


def test_search_box_adds_the_typed_node(window, qtbot):
    search = window.canvas.open_search(QPoint(150, 120))
    qtbot.keyClicks(search.field, "sigm")
    assert search.list.count() >= 1
    assert search.list.currentItem().data(Qt.ItemDataRole.UserRole) == "core.sigmoid"
    qtbot.keyClick(search.field, Qt.Key.Key_Return)
    assert [n.type_id for n in window.graph.nodes.values()] == ["core.sigmoid"]


def test_clicking_a_wire_emits_wire_clicked(window, qtbot):
    graph = xor_graph()
    window.set_graph(graph, None)
    wire = window.scene.wires[graph.edges[0]]
    middle = wire.path().pointAtPercent(0.5)
    with qtbot.waitSignal(window.canvas.wire_clicked) as blocker:
        qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton,
                         pos=view_point(window, middle))
    assert blocker.args == [graph.edges[0]]


def test_status_bar_reports_validity_and_parameter_count(window):
    window.set_graph(xor_graph(), None)
    # 2->4 dense (8 + 4) and 4->1 dense (4 + 1)
    assert window.validation_label.text() == "Valid: 7 nodes, 17 parameters"
