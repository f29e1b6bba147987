"""Weight ties on the canvas: a dashed line between the two cards, following moves, undone
and redone with the tie, gone with a deleted node and back on undo."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from graph.commands import MoveNode, RemoveNode, SetTie
from graph.fileio import load_graph
from graph.ties import Tie

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_ties_are_drawn_dashed_and_follow_the_model(window, registry):
    graph = load_graph(EXAMPLES / "siamese_digits.dgraph", registry)
    window.set_graph(graph, None)
    QApplication.processEvents()
    scene = window.scene
    assert set(scene.ties) == {"h1", "h2"}
    line = scene.ties["h1"]
    assert line.pen().style() == Qt.PenStyle.DashLine
    assert line.line().p1() == scene.nodes["h1"].sceneBoundingRect().center()
    assert line.line().p2() == scene.nodes["g1"].sceneBoundingRect().center()

    window.undo_stack.push(MoveNode("g1", (40.0, -400.0)))
    QApplication.processEvents()
    assert scene.ties["h1"].line().p2() == scene.nodes["g1"].sceneBoundingRect().center()

    window.undo_stack.push(SetTie("h2", None))
    assert "h2" not in scene.ties
    window.undo_stack.undo()
    assert "h2" in scene.ties and scene.ties["h2"].scene() is scene

    window.undo_stack.push(RemoveNode("g1"))
    assert "h1" not in scene.ties and not graph.ties.get("h1")
    window.undo_stack.undo()
    assert graph.ties["h1"] == Tie("h1", "g1")
    assert scene.ties["h1"].source_item is scene.nodes["g1"]


def test_the_inspector_edits_a_tie_as_one_undoable_command(window, registry):
    graph = load_graph(EXAMPLES / "siamese_digits.dgraph", registry)
    window.set_graph(graph, None)
    inspector = window.inspector
    inspector.show_node("h1")
    editor = inspector.tie_editor
    assert editor.sources.currentData() == "g1"
    choices = [editor.sources.itemData(i) for i in range(editor.sources.count())]
    assert choices == [None, "g1", "g2", "h2"]  # every other Dense node
    editor.sources.setCurrentIndex(0)  # own weights
    assert "h1" not in graph.ties and "h1" not in window.scene.ties
    window.undo_stack.undo()
    assert graph.ties["h1"] == Tie("h1", "g1")
    assert editor.sources.currentData() == "g1"  # the form follows undo
    editor.transposed.setChecked(True)
    assert graph.ties["h1"].transpose
    inspector.show_node("pairs")
    assert inspector.tie_editor is None  # no other node of its type
