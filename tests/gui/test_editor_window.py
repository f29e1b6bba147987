"""Window-level behaviour: app.main opens a graph, the Examples menu, zoom anchored at the
mouse, keyboard pan and search."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from graph.fileio import save_graph
from tests.gui.conftest import mouse, xor_graph

ROOT = Path(__file__).resolve().parents[2]


def test_main_opens_the_given_graph_and_remembers_it(qapp, tmp_path, monkeypatch, registry):
    from gui.app import main
    from gui.files import app_settings
    from gui.main_window import MainWindow
    path = tmp_path / "given.dgraph"
    save_graph(xor_graph(), path)
    seen = {}
    earlier = list(QApplication.topLevelWidgets())  # other tests' windows (kept alive here)

    def event_loop(app):
        """Stands in for app.exec(): a real exec/quit would fire aboutToQuit for the
        whole test session."""
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)
                      and not any(w is old for old in earlier))
        seen["path"], seen["nodes"] = window.graph_path, len(window.graph.nodes)
        seen["title"] = window.windowTitle()
        window.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", event_loop)
    assert main(str(path), registry) == 0
    assert seen == {"path": str(path), "nodes": 7, "title": "given.dgraph[*] — Dendrite"}
    assert app_settings().value("last_file") == str(path.resolve())


def test_examples_menu_lists_each_example_with_a_description(window):
    examples = sorted((ROOT / "examples").glob("*.dgraph"))
    texts = [a.text() for a in window.menus["Examples"].actions()]
    assert len(texts) == len(examples)
    if examples:
        assert texts[0].startswith(examples[0].stem + " — ")
        assert len(texts[0]) > len(examples[0].stem) + 3


def test_wheel_zoom_keeps_the_point_under_the_mouse(window):
    window.set_graph(xor_graph(), None)
    view = window.canvas
    point = QPoint(300, 200)
    before_scene = view.mapToScene(point)
    before_zoom = view.zoom_factor()
    event = QWheelEvent(QPointF(point), QPointF(view.viewport().mapToGlobal(point)),
                        QPoint(0, 0), QPoint(0, 240), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)
    assert view.zoom_factor() > before_zoom * 1.3  # two notches of 1.15
    after_scene = view.mapToScene(point)
    assert abs(after_scene.x() - before_scene.x()) < 2
    assert abs(after_scene.y() - before_scene.y()) < 2


def test_space_drag_pans_and_tab_opens_the_search(window, qtbot):
    view = window.canvas
    view.setFocus()
    start = view.mapToScene(QPoint(200, 200))
    qtbot.keyPress(view, Qt.Key.Key_Space)
    viewport = view.viewport()
    mouse(viewport, QEvent.Type.MouseButtonPress, QPoint(200, 200))
    mouse(viewport, QEvent.Type.MouseMove, QPoint(260, 230), button=Qt.MouseButton.NoButton)
    mouse(viewport, QEvent.Type.MouseButtonRelease, QPoint(260, 230),
          buttons=Qt.MouseButton.NoButton)
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    moved = view.mapToScene(QPoint(200, 200)) - start
    assert abs(moved.x() + 60) < 2 and abs(moved.y() + 30) < 2  # content follows the hand
    assert view.search is None  # a Space used for panning does not open the search
    assert window.graph.nodes == {}  # and the press did not start a rubber band edit
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert view.search is not None and view.search.isVisible()
    view.search.close()


def test_problems_mark_the_card_and_fill_the_status_bar(window):
    graph = xor_graph()
    graph.disconnect(graph.edges[0])  # data.x no longer feeds the hidden layer
    window.set_graph(graph, None)
    card = window.scene.nodes["hidden"]
    assert any("needs a wire into its 'x' input" in m for m in card.problems)
    assert "needs a wire into its 'x' input" in card.toolTip()
    assert window.scene.nodes["act"].problems == []
    assert window.validation_label.text().startswith("1 problem: ")


def test_dock_layout_and_geometry_persist(make_window, qtbot, registry):
    from gui.files import app_settings
    from gui.main_window import MainWindow
    first = make_window()
    first.inspector_dock.hide()
    first.close()
    # the offscreen screen clamps window sizes, so geometry is only checked as stored
    assert len(app_settings().value("window/geometry")) > 0
    second = MainWindow(registry)  # restores the layout in __init__
    qtbot.addWidget(second)
    assert second.inspector_dock.isHidden()
    assert not second.palette_dock.isHidden()


def test_double_click_on_empty_canvas_opens_the_search_there(window, qtbot):
    window.set_graph(xor_graph(), None)
    view = window.canvas
    empty = QPoint(15, view.viewport().height() - 15)  # a corner the fitted graph leaves free
    assert view.itemAt(empty) is None
    where = view.mapToScene(empty)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=empty)
    assert view.search is not None and view.search.isVisible()
    qtbot.keyClicks(view.search.field, "relu")
    qtbot.keyClick(view.search.field, Qt.Key.Key_Return)
    relu = window.graph.nodes["relu"]
    assert (relu.position[0], relu.position[1]) == (round(where.x()), round(where.y()))


def test_window_works_without_the_run_side(qtbot, registry, monkeypatch):
    import sys

    from gui.main_window import MainWindow
    monkeypatch.setitem(sys.modules, "gui.run_controller", None)  # import now fails
    window = MainWindow(registry)
    qtbot.addWidget(window)
    assert window.run_controller is None
    assert set(window.menus) == {"File", "Edit", "View", "Run", "Examples", "Help"}
    window.set_graph(xor_graph(), None)
    assert window.validation_label.text() == "Valid: 7 nodes, 17 parameters"
    window.undo_stack.set_clean()
