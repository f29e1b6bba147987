"""Groups in the editor, driven by mouse and keys: rubber-band select, Ctrl+G, double-click
into the group, edit inside, breadcrumb and Esc back, Ctrl+Shift+G, undo/redo (Ctrl+Z,
Ctrl+Y), save to the library and drop the entry from the palette."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QInputDialog

from gui.canvas.group_item import GroupItem
from tests.gui.conftest import drag, mouse, view_point, xor_graph

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def _window_with_xor(window):
    graph = xor_graph()
    window.set_graph(graph, None)
    QApplication.processEvents()
    return graph


def _rubber_band(window, ids):
    """Drag a selection rectangle around the cards of ids, starting on empty canvas."""
    scene = window.scene
    rect = scene.nodes[ids[0]].sceneBoundingRect()
    for node_id in ids[1:]:
        rect = rect.united(scene.nodes[node_id].sceneBoundingRect())
    start = view_point(window, rect.topLeft() - QPointF(6, 6))
    end = view_point(window, rect.bottomRight() + QPointF(6, 6))
    drag(window.canvas.viewport(), start, end)
    return sorted(scene.selected_node_ids())


def _double_click(window, scene_point):
    viewport = window.canvas.viewport()
    point = view_point(window, scene_point)
    mouse(viewport, QEvent.Type.MouseButtonPress, point)
    mouse(viewport, QEvent.Type.MouseButtonRelease, point, buttons=Qt.MouseButton.NoButton)
    mouse(viewport, QEvent.Type.MouseButtonDblClick, point)
    mouse(viewport, QEvent.Type.MouseButtonRelease, point, buttons=Qt.MouseButton.NoButton)


def _card_title_point(item):
    return item.scenePos() + QPointF(item.width / 2, 8)


def test_group_open_edit_inside_go_back_ungroup_and_undo(window, qtbot):
    graph = _window_with_xor(window)
    before = graph.snapshot()
    scene, canvas = window.scene, window.canvas
    assert _rubber_band(window, ["hidden", "act"]) == ["act", "hidden"]
    qtbot.keyClick(canvas, Qt.Key.Key_G, CTRL)
    assert len(graph.groups) == 1
    group_id = next(iter(graph.groups))
    card = scene.nodes[group_id]
    assert isinstance(card, GroupItem)
    assert "hidden" not in scene.nodes and "act" not in scene.nodes
    assert list(card.inputs) == ["hidden.x"] and list(card.outputs) == ["act.y"]
    scene.flush()
    assert card.problems == []
    # the wires crossing the boundary are drawn to the card's ports
    assert {(e.src, e.dst) for e in scene.wires} >= {("data", "hidden"), ("act", "out")}
    # open it: the breadcrumb names it; a node added there lands inside the group
    _double_click(window, _card_title_point(card))
    assert scene.level == group_id
    assert [b.text() for b in canvas.breadcrumb.buttons] == ["Graph", "Group"]
    assert set(scene.nodes) == {"hidden", "act"}
    scene.add_node("core.relu", QPointF(100, 200))
    assert "relu" in graph.groups[group_id].members and "relu" in scene.nodes
    qtbot.keyClick(canvas, Qt.Key.Key_Z, CTRL)
    assert "relu" not in graph.nodes and scene.level == group_id
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert scene.level is None and canvas.breadcrumb.isHidden()
    # ungroup with the keyboard, undo it, redo with Ctrl+Y
    scene.clearSelection()
    scene.nodes[group_id].setSelected(True)
    qtbot.keyClick(canvas, Qt.Key.Key_G, CTRL | SHIFT)
    assert not graph.groups and "hidden" in scene.nodes
    qtbot.keyClick(canvas, Qt.Key.Key_Z, CTRL)
    assert group_id in graph.groups and group_id in scene.nodes
    qtbot.keyClick(canvas, Qt.Key.Key_Y, CTRL)
    assert not graph.groups
    qtbot.keyClick(canvas, Qt.Key.Key_Z, CTRL)
    qtbot.keyClick(canvas, Qt.Key.Key_Z, CTRL)
    assert graph.snapshot() == before


def test_nested_group_breadcrumb_goes_back_two_levels(window, qtbot):
    graph = _window_with_xor(window)
    scene, canvas = window.scene, window.canvas
    _rubber_band(window, ["hidden", "act", "out"])
    qtbot.keyClick(canvas, Qt.Key.Key_G, CTRL)
    outer = next(iter(graph.groups))
    _double_click(window, _card_title_point(scene.nodes[outer]))
    _rubber_band(window, ["hidden", "act"])
    qtbot.keyClick(canvas, Qt.Key.Key_G, CTRL)
    inner = next(g for g in graph.groups if g != outer)
    assert set(scene.nodes) == {inner, "out"}
    _double_click(window, _card_title_point(scene.nodes[inner]))
    assert [b.text() for b in canvas.breadcrumb.buttons] == ["Graph", "Group", "Group"]
    qtbot.mouseClick(canvas.breadcrumb.buttons[0], Qt.MouseButton.LeftButton)
    assert scene.level is None and set(scene.nodes) >= {outer, "data", "loss"}
    # deleting the outer card deletes everything inside, one undo step
    scene.clearSelection()
    scene.nodes[outer].setSelected(True)
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert not graph.groups and not {"hidden", "act", "out"} & set(graph.nodes)
    qtbot.keyClick(canvas, Qt.Key.Key_Z, CTRL)
    assert set(graph.groups) == {outer, inner} and "hidden" in graph.nodes


def test_saved_group_appears_in_the_palette_and_drops_as_a_copy(window, qtbot, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setenv("DENDRITE_LIBRARY", str(tmp_path / "library"))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Tanh layer", True))
    graph = _window_with_xor(window)
    scene = window.scene
    _rubber_band(window, ["hidden", "act"])
    qtbot.keyClick(window.canvas, Qt.Key.Key_G, CTRL)
    window.actions_by_name["save_group"].trigger()
    assert (tmp_path / "library" / "Tanh_layer.dgroup").is_file()
    type_id = next(t for t in window.palette.visible_type_ids() if t.startswith("library:"))
    item = window.palette.tree.findItems("Tanh layer", Qt.MatchFlag.MatchRecursive)[0]
    mime = window.palette.tree.mimeData([item])
    assert bytes(mime.data("application/x-dendrite-node-type")).decode() == type_id
    viewport, point = window.canvas.viewport(), QPoint(300, 500)
    QApplication.sendEvent(viewport, QDragEnterEvent(point, Qt.DropAction.CopyAction, mime,
                                                     Qt.MouseButton.LeftButton,
                                                     Qt.KeyboardModifier.NoModifier))
    QApplication.sendEvent(viewport, QDropEvent(QPointF(point), Qt.DropAction.CopyAction, mime,
                                                Qt.MouseButton.LeftButton,
                                                Qt.KeyboardModifier.NoModifier))
    assert len(graph.groups) == 2 and len(graph.nodes) == 9
    copy_id = [g for g in graph.groups if g in scene.nodes][-1]
    assert isinstance(scene.nodes[copy_id], GroupItem)
    inside = graph.groups[copy_id].members
    assert not set(inside) & {"hidden", "act"}
    assert graph.source_of(inside[1], "x").src == inside[0]


def test_a_group_port_can_be_renamed_and_the_name_is_saved(window, qtbot, registry,
                                                          monkeypatch):
    from graph.fileio import graph_from_json, graph_to_json
    graph = _window_with_xor(window)
    _rubber_band(window, ["hidden", "act"])
    qtbot.keyClick(window.canvas, Qt.Key.Key_G, CTRL)
    group_id = next(iter(graph.groups))
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("hidden.x", True))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("features", True))
    window.actions_by_name["rename_port"].trigger()
    card = window.scene.nodes[group_id]
    assert list(card.inputs) == ["features"]
    assert card.inputs["features"].inner == ("hidden", "x")
    assert graph_from_json(graph_to_json(graph), registry).groups == graph.groups
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, CTRL)
    assert list(window.scene.nodes[group_id].inputs) == ["hidden.x"]
