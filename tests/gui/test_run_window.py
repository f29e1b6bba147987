"""End to end on the real MainWindow: open the XOR example, train it from the run bar, probe a
wire with a mouse click on the canvas, edit the learning rate live, compare runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from graph.model import Edge
from tests.gui._live_edit import assert_loss_freezes_after_lr_zero

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "xor_mlp.dgraph"
WAIT_MS = 30_000


@pytest.fixture
def xor_window(window, tmp_path, monkeypatch):
    """The editor with examples/xor_mlp.dgraph open; runs are recorded under tmp_path."""
    monkeypatch.chdir(tmp_path)  # the controller records to ./runs
    assert window.files.open(str(EXAMPLE), ask=False)
    return window


def click(window, action):
    button = window.run_controller.run_bar.button(action)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def wait_for_end(qtbot, controller):
    qtbot.waitUntil(lambda: controller.state == "idle" and not controller.timer.isActive(),
                    timeout=WAIT_MS)


def click_wire(qtbot, window, edge: Edge):
    """A left click on a visible point of edge's wire on the canvas."""
    wire = window.scene.wires[edge]
    window.canvas.centerOn(wire)
    for percent in np.linspace(0.1, 0.9, 17):
        spot = wire.mapToScene(wire.path().pointAtPercent(percent))
        point = window.canvas.mapFromScene(spot)
        if window.canvas.itemAt(point) is wire:
            QTest.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
            return
    raise AssertionError(f"The wire {edge} is hidden under other items on the canvas.")


def test_train_the_xor_example_then_probe_a_wire_and_find_the_run(qtbot, xor_window):
    window = xor_window
    controller = window.run_controller
    assert controller.run_bar.epochs_spin.value() == 400  # from the file's settings
    assert window.menus["Run"].actions()[:4] == controller.run_bar.actions_in_order()
    click(window, controller.run_bar.start_action)
    assert controller.state == "running"
    window.inspector.show_node("hidden")
    assert window.inspector.running and window.inspector.isEnabled()
    assert not window.inspector.editors["units"].field.isEnabled()  # structure is frozen
    window.inspector.show_node("opt")
    assert window.inspector.editors["lr"].field.isEnabled()  # live parameters stay editable
    wait_for_end(qtbot, controller)

    _, losses = controller.plots.curve("train/loss").getData()
    assert len(losses) == 400 and losses[-1] < 0.1 * losses[0]
    assert controller.plots.curve("train/accuracy").getData()[1][-1] == 1.0
    assert not window.inspector.running

    edge = Edge("output_act", "y", "loss", "pred")  # the network's prediction
    click_wire(qtbot, window, edge)
    probe = controller.probe
    qtbot.waitUntil(lambda: probe.last_array is not None, timeout=WAIT_MS)
    expected = controller.session.peek("output_act", "y")
    assert np.array_equal(probe.last_array, expected)
    assert probe.stats["mean"] == pytest.approx(float(expected.mean(dtype=np.float64)))
    assert probe.stats["min"] == pytest.approx(float(expected.min()))
    assert "output_act.y" in probe.title_label.text()
    assert expected.shape == (4, 1) and probe.stat_labels["shape"].text() == "4 x 1"

    names = controller.runs_panel.run_names()
    assert len(names) == 1 and "xor_mlp" in names[0]
    controller.runs_panel.set_ticked(names[0])
    _, overlay = controller.runs_panel.curve(names[0], "train/loss").getData()
    assert np.allclose(overlay, losses)


def test_live_learning_rate_edit_in_the_inspector_reaches_the_run(qtbot, xor_window):
    window = xor_window
    controller = window.run_controller
    controller.run_bar.epochs_spin.setValue(1_000_000)
    controller.start()
    curve = controller.plots.curve
    qtbot.waitUntil(lambda: curve("train/loss") is not None
                    and len(curve("train/loss").getData()[1]) > 20, timeout=WAIT_MS)
    window.inspector.show_node("opt")
    lr_field = window.inspector.editors["lr"].field
    momentum_field = window.inspector.editors["momentum"].field
    assert lr_field.isEnabled()  # live parameters stay editable during a run
    momentum_field.setValue(0.0)
    lr_field.setValue(0.0)
    assert_loss_freezes_after_lr_zero(qtbot, controller)
    click(window, controller.run_bar.stop_action)
    wait_for_end(qtbot, controller)
    assert controller.last_finish.reason == "stopped"


def test_space_pauses_only_while_a_run_goes(qtbot, xor_window):
    window = xor_window
    controller = window.run_controller
    window.activateWindow()
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_Space)
    assert controller.state == "idle"  # between runs Space stays with the canvas:
    assert window.canvas.search is not None  # a tap opens its add-node search
    window.canvas.search.close()
    window.canvas.setFocus()
    controller.run_bar.epochs_spin.setValue(1_000_000)
    QTest.keyClick(window.canvas, Qt.Key.Key_F5)
    assert controller.state == "running"
    QTest.keyClick(window.canvas, Qt.Key.Key_Space)
    assert controller.state == "paused"
    assert not window.canvas.search.isVisible()  # the tap paused; it opened no search box
    QTest.keyClick(window.canvas, Qt.Key.Key_Space)
    assert controller.state == "running"
    controller.stop()
    wait_for_end(qtbot, controller)


def test_ctrl_z_during_a_run_puts_the_old_rate_back_in_the_engine(qtbot, xor_window):
    window = xor_window
    controller = window.run_controller
    controller.run_bar.epochs_spin.setValue(1_000_000)
    controller.start()
    live = controller.session.program.live["opt"].values
    old = live["lr"]
    window.inspector.show_node("opt")
    window.inspector.editors["lr"].field.setValue(0.0)
    qtbot.waitUntil(lambda: live["lr"] == 0.0, timeout=WAIT_MS)
    window.activateWindow()
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.graph.nodes["opt"].params["lr"] == old  # screen ...
    assert window.inspector.editors["lr"].field.value() == old
    qtbot.waitUntil(lambda: live["lr"] == old, timeout=WAIT_MS)  # ... and engine agree
    qtbot.waitUntil(lambda: len(controller.live_edits) == 2, timeout=WAIT_MS)
    assert controller.plots.markers.labels() == [f"opt.lr {old!r} -> 0.0",
                                                    f"opt.lr 0.0 -> {old!r}"]
    controller.stop()
    wait_for_end(qtbot, controller)


def test_deleting_a_node_during_a_run_is_refused_on_the_real_canvas(qtbot, xor_window):
    window = xor_window
    controller = window.run_controller
    controller.run_bar.epochs_spin.setValue(1_000_000)
    controller.start()
    before = window.graph.snapshot()
    window.scene.clearSelection()
    window.scene.nodes["loss"].setSelected(True)
    window.scene.delete_selected()
    assert window.graph.snapshot() == before and "loss" in window.scene.nodes
    assert "stop the run" in window.statusBar().currentMessage()
    controller.stop()
    wait_for_end(qtbot, controller)
    window.scene.delete_selected()
    assert "loss" not in window.graph.nodes


def test_a_compile_error_marks_the_node_on_the_real_canvas(qtbot, window):
    from graph.model import Graph, Node
    graph = Graph("broken")
    graph.add_node(Node("data", "core.dataset", {"dataset": "xor"}, (0, 0)))
    graph.add_node(Node("h1", "core.dense", {"units": 3}, (900, 600)))  # 'x' is not wired
    window.set_graph(graph, None)
    window.scene.nodes["data"].setSelected(True)
    controller = window.run_controller
    assert controller.start() is False
    assert window.canvas.last_mark[0] == "h1" and "Cannot run" in window.canvas.last_mark[1]
    assert window.scene.selected_node_ids() == ["h1"]  # the blamed card alone is selected
    assert window.inspector.node_id == "h1"  # and shown in the inspector
    card = window.scene.nodes["h1"]
    assert window.canvas.viewport().rect().contains(
        window.canvas.mapFromScene(card.sceneBoundingRect().center()))
    assert window.statusBar().currentMessage().startswith("Cannot run")
