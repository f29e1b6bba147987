"""The status bar's problem count opens a list; clicking a row selects the node (opening
its group); texts say "1 node"; the save prompt names the file in the title bar."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from graph.commands import UndoStack
from graph.fileio import save_graph
from graph.group_commands import group_items
from graph.model import Graph, Node
from tests.gui.conftest import xor_graph


def test_problem_count_opens_a_list_and_a_click_selects_the_node_inside_its_group(window,
                                                                                   qtbot):
    graph = xor_graph()
    graph.disconnect(graph.source_of("act", "x"))  # tanh has no input: one problem
    UndoStack(graph).push(group_items(graph, ["act", "out"], None, "Head")[0])
    window.set_graph(graph, None)
    window.scene.flush()
    QApplication.processEvents()
    assert "problem" in window.validation_label.text()
    qtbot.mouseClick(window.validation_label, Qt.MouseButton.LeftButton)
    problems = window.problem_list
    assert problems.isVisible() and problems.list.count() >= 1
    row = next(problems.list.item(i) for i in range(problems.list.count())
               if "tanh" in problems.list.item(i).text().lower())
    rect = problems.list.visualItemRect(row)
    qtbot.mouseClick(problems.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.scene.level is not None  # the group holding it was opened
    assert window.scene.selected_node_ids() == ["act"]


def test_one_node_is_singular(window):
    graph = Graph("one")
    graph.add_node(Node("data", "core.dataset", {}, (0.0, 0.0)))
    window.set_graph(graph, None)
    window.scene.flush()
    QApplication.processEvents()
    assert window.validation_label.text().startswith("Valid: 1 node,")


def test_save_prompt_names_the_file_in_the_title_bar(window, dialogs, registry, tmp_path):
    path = tmp_path / "my_net.dgraph"
    save_graph(xor_graph(), path)
    window.files.open(str(path))
    window.graph.name = "internal name"
    window.scene.add_node("core.relu", window.canvas.mapToScene(10, 10))
    window.files.maybe_save()
    kind, _title, text = dialogs.shown[-1]
    assert "my_net.dgraph" in text and "my_net.dgraph" in window.windowTitle()
