"""Canvas habits driven by mouse and keys: Ctrl+D duplicates beside the selection, paste
lands at the mouse, Ctrl+Y redoes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import mouse, xor_graph

CTRL = Qt.KeyboardModifier.ControlModifier


def _xor(window):
    graph = xor_graph()
    window.set_graph(graph, None)
    QApplication.processEvents()
    return graph


def test_ctrl_d_duplicates_beside_the_selection_and_keeps_the_clipboard(window, qtbot):
    graph = _xor(window)
    QApplication.clipboard().setText("kept")
    for node_id in ("hidden", "act"):
        window.scene.nodes[node_id].setSelected(True)
    qtbot.keyClick(window.canvas, Qt.Key.Key_D, CTRL)
    assert graph.nodes["dense"].position == (240.0 + 40, 40.0)
    assert graph.source_of("tanh", "x").src == "dense"
    assert sorted(window.scene.selected_node_ids()) == ["dense", "tanh"]
    assert QApplication.clipboard().text() == "kept"
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, CTRL)
    assert "dense" not in graph.nodes
    qtbot.keyClick(window.canvas, Qt.Key.Key_Y, CTRL)
    assert "dense" in graph.nodes and "dense" in window.scene.nodes


def test_paste_lands_at_the_mouse(window, qtbot):
    graph = _xor(window)
    window.scene.nodes["hidden"].setSelected(True)
    qtbot.keyClick(window.canvas, Qt.Key.Key_C, CTRL)
    point = QPoint(420, 380)
    mouse(window.canvas.viewport(), QEvent.Type.MouseMove, point, buttons=Qt.MouseButton.NoButton,
          button=Qt.MouseButton.NoButton)
    qtbot.keyClick(window.canvas, Qt.Key.Key_V, CTRL)
    target = window.canvas.mapToScene(point)
    x, y = graph.nodes["dense"].position
    assert abs(x - target.x()) <= 1 and abs(y - target.y()) <= 1


def test_show_formulas_puts_each_spec_formula_on_its_card(window, qtbot):
    _xor(window)
    dense = window.scene.nodes["hidden"]
    height = dense.height
    assert dense.formula_lines == []
    qtbot.keyClick(window.canvas, Qt.Key.Key_F, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert window.actions_by_name["formulas"].isChecked()
    dense = window.scene.nodes["hidden"]
    assert dense.formula_lines == ["y = x·W + b"]
    assert dense.height == height + 15
    texts = [text.static.text() for _, text, _ in dense._texts]
    assert "y = x·W + b" in texts
    assert window.scene.nodes["opt"].formula_lines[0].startswith("v ← μv")
    qtbot.keyClick(window.canvas, Qt.Key.Key_F, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert window.scene.nodes["hidden"].formula_lines == []


def test_core_and_energy_specs_declare_formulas(registry):
    missing = [s.type_id for specs in registry.categories().values() for s in specs
               if s.type_id.split(".")[0] in ("core", "energy") and not s.formula
               and s.category != "Data"]
    assert missing == [], missing


def _double_click(window, scene_point):
    viewport = window.canvas.viewport()
    point = window.canvas.mapFromScene(scene_point)
    mouse(viewport, QEvent.Type.MouseButtonPress, point)
    mouse(viewport, QEvent.Type.MouseButtonRelease, point, buttons=Qt.MouseButton.NoButton)
    mouse(viewport, QEvent.Type.MouseButtonDblClick, point)
    mouse(viewport, QEvent.Type.MouseButtonRelease, point, buttons=Qt.MouseButton.NoButton)


def test_double_click_a_wire_adds_a_reroute_dot_that_drags_saves_and_undoes(window, qtbot,
                                                                            registry):
    from graph.fileio import graph_from_json, graph_to_json
    from tests.gui.conftest import drag
    graph = _xor(window)
    scene = window.scene
    edge = graph.source_of("loss", "target")  # data.y -> loss.target, a long wire
    wire = scene.wires[edge]
    middle = wire.path().pointAtPercent(0.5)
    _double_click(window, middle)
    assert len(graph.reroutes[edge]) == 1
    assert len(wire.dots) == 1
    dot = wire.dots[0]
    start = window.canvas.mapFromScene(dot.scenePos())
    drag(window.canvas.viewport(), start, start + QPoint(0, 120))
    moved = graph.reroutes[edge][0]
    assert abs(moved[1] - (middle.y() + 120 / window.canvas.zoom_factor())) <= 2
    assert scene.wires[edge].path().boundingRect().bottom() >= moved[1] - 1
    again = graph_from_json(graph_to_json(graph), registry)
    assert again.reroutes == graph.reroutes  # saved in the file
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, CTRL)
    assert graph.reroutes[edge][0] != moved
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, CTRL)
    assert edge not in graph.reroutes and scene.wires[edge].dots == []


def test_align_top_and_distribute_horizontally_are_one_undo_step_each(window, qtbot):
    graph = _xor(window)
    scene = window.scene
    graph_moves = {"hidden": (240.0, 100.0), "act": (900.0, -50.0), "out": (300.0, 20.0)}
    for node_id, position in graph_moves.items():
        graph.move_node(node_id, position)
        scene.nodes[node_id].setSelected(True)
    alt_shift = Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window.canvas, Qt.Key.Key_T, alt_shift)
    assert {graph.nodes[n].position[1] for n in graph_moves} == {-50.0}
    qtbot.keyClick(window.canvas, Qt.Key.Key_H, alt_shift)
    xs = sorted(graph.nodes[n].position[0] for n in graph_moves)
    assert xs == [240.0, 570.0, 900.0]
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, CTRL)
    assert graph.nodes["out"].position == (300.0, -50.0)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, CTRL)
    assert graph.nodes["hidden"].position == (240.0, 100.0)


def _palette_drop(window, type_id, point):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    item = window.palette.item_for(type_id)
    mime = window.palette.tree.mimeData([item])
    viewport = window.canvas.viewport()
    QApplication.sendEvent(viewport, QDragEnterEvent(point, Qt.DropAction.CopyAction, mime,
                                                     Qt.MouseButton.LeftButton,
                                                     Qt.KeyboardModifier.NoModifier))
    QApplication.sendEvent(viewport, QDropEvent(QPointF(point), Qt.DropAction.CopyAction, mime,
                                                Qt.MouseButton.LeftButton,
                                                Qt.KeyboardModifier.NoModifier))


def test_dropping_a_node_on_a_wire_splices_it_in_by_port_kind(window, qtbot):
    graph = _xor(window)
    scene = window.scene
    edge = graph.source_of("act", "x")  # hidden.y -> act.x
    point = window.canvas.mapFromScene(scene.wires[edge].path().pointAtPercent(0.5))
    _palette_drop(window, "core.dropout", point)
    assert edge not in graph.edges
    assert str(graph.source_of("dropout", "x")) == "hidden.y -> dropout.x"
    assert str(graph.source_of("act", "x")) == "dropout.y -> act.x"
    assert "Insert dropout" in window.actions_by_name["undo"].text()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, CTRL)
    assert edge in graph.edges and "dropout" not in graph.nodes
    # an optimizer has no tensor ports: dropped on the wire it is only added
    _palette_drop(window, "core.adam", point)
    assert edge in graph.edges and "adam" in graph.nodes


def test_frame_selection_then_drag_the_frame_carries_its_nodes(window, qtbot, registry,
                                                              monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from graph.fileio import graph_from_json, graph_to_json
    from tests.gui.conftest import drag
    graph = _xor(window)
    scene = window.scene
    for node_id in ("hidden", "act"):
        scene.nodes[node_id].setSelected(True)
    qtbot.keyClick(window.canvas, Qt.Key.Key_J, CTRL)
    frame = graph.frames["frame"]
    item = scene.frames["frame"]
    assert item.sceneBoundingRect().contains(scene.nodes["hidden"].sceneBoundingRect())
    scene.clearSelection()
    title_point = window.canvas.mapFromScene(item.scenePos() + QPointF(item.rect().width() / 2,
                                                                       10))
    drag(window.canvas.viewport(), title_point, title_point + QPoint(0, 100))
    dy = graph.frames["frame"].rect[1] - frame.rect[1]
    assert dy > 50
    assert graph.nodes["hidden"].position[1] == dy and graph.nodes["act"].position[1] == dy
    assert graph.nodes["out"].position[1] == 0.0  # outside the frame: stays
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Hidden layer", True))
    scene.rename_frame("frame")
    assert graph_from_json(graph_to_json(graph), registry).frames == graph.frames
    assert graph.frames["frame"].title == "Hidden layer"
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, CTRL)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, CTRL)
    assert graph.nodes["hidden"].position == (240.0, 0.0) and graph.frames["frame"] == frame


def test_minimap_shows_for_large_graphs_out_of_sight_and_a_click_moves_the_view(window,
                                                                             qtbot):
    from graph.model import Graph, Node
    graph = Graph("big")
    for i in range(30):
        graph.add_node(Node(f"n{i}", "core.relu", {}, ((i % 6) * 400.0, (i // 6) * 400.0)))
    window.set_graph(graph, None)
    QApplication.processEvents()
    minimap = window.canvas.minimap
    window.canvas.fit_to_view()
    minimap.render_scene()
    assert not minimap.isVisible()  # the whole graph in sight: no map to cover its cards
    window.canvas.zoom_by(2.0)  # closer, so the view shows part of the graph
    assert minimap.isVisible()
    target = QPoint(minimap.width() - 15, minimap.height() // 2)
    expected = minimap.scene_point(QPointF(target))
    qtbot.mouseClick(minimap, Qt.MouseButton.LeftButton, pos=target)
    centre = window.canvas.mapToScene(window.canvas.viewport().rect().center())
    assert abs(centre.x() - expected.x()) < 30 and abs(centre.y() - expected.y()) < 30
    window.actions_by_name["minimap"].trigger()
    assert not minimap.isVisible()
    small = xor_graph()
    window.actions_by_name["minimap"].trigger()
    window.set_graph(small, None)
    minimap.render_scene()
    assert not minimap.isVisible()  # 7 nodes fit on screen


def test_dragging_an_unwired_node_onto_a_wire_splices_it_in(window, qtbot):
    from graph.model import Node
    from tests.gui.conftest import drag
    graph = _xor(window)
    graph.add_node(Node("relu", "core.relu", {}, (300.0, 300.0)))
    QApplication.processEvents()
    scene = window.scene
    edge = graph.source_of("act", "x")  # hidden.y -> act.x
    card = scene.nodes["relu"]
    start = window.canvas.mapFromScene(card.sceneBoundingRect().center())
    target = window.canvas.mapFromScene(scene.wires[edge].path().pointAtPercent(0.5))
    drag(window.canvas.viewport(), start, target)
    assert str(graph.source_of("relu", "x")) == "hidden.y -> relu.x"
    assert str(graph.source_of("act", "x")) == "relu.y -> act.x"
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, CTRL)
    assert edge in graph.edges and graph.nodes["relu"].position == (300.0, 300.0)


def test_a_long_graph_opens_readable_at_its_start_and_fit_shows_it_all(window, qtbot):
    """Opening a graph wider than the window keeps the cards' text readable (the start in
    sight, the minimap for the rest); Fit to View (F) then shows the whole graph."""
    from graph.model import Graph, Node
    from gui.canvas.node_item import READABLE_ZOOM
    graph = Graph("chain")
    for i in range(14):
        graph.add_node(Node(f"n{i}", "core.relu", {}, (i * 260.0, 0.0)))
    window.set_graph(graph, None)
    QApplication.processEvents()
    canvas = window.canvas
    assert canvas.zoom_factor() == pytest.approx(READABLE_ZOOM, rel=1e-3)
    seen = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    first, last = (window.scene.nodes[n].sceneBoundingRect() for n in ("n0", "n13"))
    assert seen.contains(first) and not seen.contains(last)
    minimap = canvas.minimap
    assert minimap.isVisible()
    minimap.render_scene()  # the map draws each card where it maps the card's scene point
    picture = minimap.grab().toImage()
    for card in (first, last):
        inside = picture.pixelColor(minimap.widget_point(card.center()).toPoint())
        below = picture.pixelColor(minimap.widget_point(
            card.center() + QPointF(0, card.height())).toPoint())
        assert inside != below
    window.actions_by_name["fit"].trigger()
    seen = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    assert canvas.zoom_factor() < READABLE_ZOOM and seen.contains(last) and seen.contains(first)
