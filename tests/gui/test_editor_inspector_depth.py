"""Inspector depth, by mouse and keys: parameters that do not apply are disabled with the
reason (declared by ParamSpec.applies_when), numeric fields explain refused text inline."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import mouse, view_point, xor_graph


def _select_by_click(window, node_id):
    item = window.scene.nodes[node_id]
    point = view_point(window, item.scenePos() + QPointF(item.width / 2, 8))
    viewport = window.canvas.viewport()
    mouse(viewport, QEvent.Type.MouseButtonPress, point)
    mouse(viewport, QEvent.Type.MouseButtonRelease, point, buttons=Qt.MouseButton.NoButton)
    assert window.inspector.node_id == node_id


def test_xor_dataset_disables_samples_and_noise_with_the_reason(window, qtbot):
    graph = xor_graph()
    window.set_graph(graph, None)
    QApplication.processEvents()
    _select_by_click(window, "data")
    inspector = window.inspector
    samples = inspector.editors["samples"]
    assert not samples.field.isEnabled() and not inspector.editors["noise"].field.isEnabled()
    note = inspector.unused_notes["samples"]
    assert note.isVisibleTo(inspector) and "only used when dataset is spirals" in note.text()
    assert "(it is xor)" in note.text()
    assert inspector.editors["batch_size"].field.isEnabled()
    # choose spirals in the combo box with the keyboard: samples and noise apply again
    combo = inspector.editors["dataset"].field
    combo.setFocus()
    while combo.currentText() != "spirals":
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert graph.nodes["data"].params["dataset"] == "spirals"
    assert samples.field.isEnabled() and not note.isVisibleTo(inspector)
    assert not inspector.editors["val_noise"].field.isEnabled()  # letters only
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not samples.field.isEnabled()


def test_numeric_fields_explain_refused_values_inline(window, qtbot):
    graph = xor_graph()
    window.set_graph(graph, None)
    QApplication.processEvents()
    _select_by_click(window, "hidden")
    units = window.inspector.editors["units"]
    box = units.field
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "abc")
    assert "units must be a whole number; got 'abc'" in units.error.text()
    assert units.error.isVisibleTo(window.inspector)
    box.selectAll()
    qtbot.keyClicks(box, "-5")
    assert "units must lie in [1, 65536]; got -5" in units.error.text()
    box.selectAll()
    qtbot.keyClicks(box, "0")
    assert "got 0" in units.error.text()
    box.selectAll()
    qtbot.keyClicks(box, "6")
    assert not units.error.isVisibleTo(window.inspector)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert graph.nodes["hidden"].params["units"] == 6
