"""Inspector and palette: forms from ParamSpecs, typed edits become undoable SetParam steps,
validation as you type, run mode locking, palette search and broken packs."""

from __future__ import annotations

from PySide6.QtCore import Qt

from graph.events import ParamSet
from graph.model import MISSING
from graph.registry import BrokenPack, Registry
from graph.spec import ParamSpec, ParamType
from gui.param_editors import make_editor
from tests.gui.conftest import xor_graph


def _select(window, node_id):
    window.scene.clearSelection()
    window.scene.nodes[node_id].setSelected(True)
    assert window.inspector.node_id == node_id


def test_typing_into_the_units_spin_box_sets_the_param_and_undo_reverts(window, qtbot):
    graph = xor_graph()
    window.set_graph(graph, None)
    _select(window, "hidden")
    spin = window.inspector.editors["units"].field
    assert spin.value() == 4
    spin.selectAll()
    qtbot.keyClicks(spin, "64")
    assert graph.nodes["hidden"].params["units"] == 4  # nothing until the edit is finished
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert graph.nodes["hidden"].params["units"] == 64
    window.scene.flush()
    assert window.scene.shape_info.param_counts["hidden"] == 2 * 64 + 64
    assert window.validation_label.text() == "Valid: 7 nodes, 257 parameters"  # 192 + 65
    assert window.actions_by_name["undo"].text() == "&Undo Set hidden.units"
    window.actions_by_name["undo"].trigger()
    assert graph.nodes["hidden"].params["units"] == 4
    assert spin.value() == 4  # the form follows the model


def test_choice_bool_and_float_editors_commit(window, qtbot):
    graph = xor_graph()
    window.set_graph(graph, None)
    _select(window, "hidden")
    window.inspector.editors["bias"].field.click()
    assert graph.nodes["hidden"].params["bias"] is False
    combo = window.inspector.editors["init"].field
    combo.setCurrentIndex(combo.findText("zeros") if combo.findText("zeros") >= 0 else 0)
    assert graph.nodes["hidden"].params["init"] == combo.currentText()
    _select(window, "opt")
    lr = window.inspector.editors["lr"].field
    lr.selectAll()
    qtbot.keyClicks(lr, "1e-3")
    qtbot.keyClick(lr, Qt.Key.Key_Return)
    assert graph.nodes["opt"].params["lr"] == 0.001
    assert lr.text() == "0.001"  # small learning rates stay readable


def test_title_field_renames_the_node(window, qtbot):
    graph = xor_graph()
    window.set_graph(graph, None)
    _select(window, "act")
    field = window.inspector.title_field
    qtbot.keyClicks(field, "squash")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert graph.nodes["act"].title == "squash"
    window.scene.flush()
    assert "squash" in window.scene.nodes["act"].toolTip()


def test_list_editor_validates_as_you_type(qtbot):
    spec = ParamSpec("sizes", ParamType.INTS, [8], "Layer sizes.", range=(1, 100))
    editor = make_editor(spec)
    qtbot.addWidget(editor.widget)
    committed = []
    editor.committed.connect(committed.append)
    editor.line.clear()
    qtbot.keyClicks(editor.line, "3, 500")
    assert "must lie in [1, 100]" in editor.error.text()
    assert "e04848" in editor.line.styleSheet()
    qtbot.keyClick(editor.line, Qt.Key.Key_Return)
    assert committed == []  # an invalid value is never committed
    editor.line.clear()
    qtbot.keyClicks(editor.line, "3, 5")
    assert editor.error.isHidden() and editor.line.styleSheet() == ""
    qtbot.keyClick(editor.line, Qt.Key.Key_Return)
    assert committed == [[3, 5]]


def test_run_mode_locks_all_but_live_params_and_edits_only_the_graph(window, qtbot):
    graph = xor_graph()
    window.set_graph(graph, None)
    _select(window, "opt")
    inspector = window.inspector
    live = [name for name, e in inspector.editors.items() if e.spec.live]
    fixed = [name for name, e in inspector.editors.items() if not e.spec.live]
    assert "lr" in live and fixed
    inspector.set_run_mode(True)
    assert inspector.editors["lr"].field.isEnabled()
    assert not any(inspector.editors[name].field.isEnabled() for name in fixed)
    events = []
    graph.changed.connect(events.append)
    inspector.editors["lr"].field.setValue(0.25)
    # one road: the graph's own event is what a running session hears (engines.live)
    assert events == [ParamSet("opt", "lr", MISSING, 0.25)]  # not set before: the default
    assert graph.nodes["opt"].params["lr"] == 0.25
    window.undo_stack.undo()
    assert inspector.editors["lr"].field.value() == 0.1  # the form follows undo too
    window.undo_stack.redo()
    assert window.undo_stack.stack.undo_text() == "Set opt.lr"
    inspector.set_run_mode(False)
    assert all(e.field.isEnabled() for e in inspector.editors.values())


def test_palette_search_filters_and_lists_broken_packs(qtbot, registry):
    from gui.palette import BROKEN_GROUP, Palette
    own = Registry()
    for node_type in registry:
        own.register(node_type.spec, node_type.builder, pack=node_type.pack)
    own.broken.append(BrokenPack("lstm", "ImportError: No module named 'scipy.special'"))
    palette = Palette(own)
    qtbot.addWidget(palette)
    assert "core.dense" in palette.visible_type_ids()
    palette.search.setText("cross entropy")
    visible = palette.visible_type_ids()
    assert "core.softmax_cross_entropy" in visible and "core.dense" not in visible
    groups = [palette.tree.topLevelItem(i) for i in range(palette.tree.topLevelItemCount())]
    broken = next(g for g in groups if g.text(0) == BROKEN_GROUP)
    assert broken.child(0).text(0) == "lstm: ImportError: No module named 'scipy.special'"
    assert broken.child(0).flags() == Qt.ItemFlag.NoItemFlags  # greyed, not draggable
