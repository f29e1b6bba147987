"""RunController driven like a user on a stand-in window: start, pause/step, live edits,
failures and compile errors. The real MainWindow is covered in test_run_window.py."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from engines.records import load_run
from graph.commands import AddNode, Connect, Disconnect, MoveNode, SetParam, SetSettings
from graph.fileio import load_graph
from graph.model import Edge, Graph, Node
from gui.main_window import attach_run_side
from tests.gui._fake_window import FakeWindow, diverging_graph, xor_graph
from tests.gui._live_edit import assert_loss_freezes_after_lr_zero

WAIT_MS = 30_000


@pytest.fixture
def make_window(qtbot, registry, tmp_path):
    def make(graph):
        window = FakeWindow(registry, graph)
        qtbot.addWidget(window)
        controller = attach_run_side(window, runs_dir=tmp_path / "runs")
        window.show()
        return window, controller
    yield make


def click(controller, action):
    QTest.mouseClick(controller.run_bar.button(action), Qt.MouseButton.LeftButton)


def wait_for_end(qtbot, controller):
    session = controller.session
    try:
        qtbot.waitUntil(lambda: controller.state == "idle" and not controller.timer.isActive(),
                        timeout=WAIT_MS)
    except Exception:
        raise AssertionError(f"run did not end: controller {controller.state}, session "
                             f"{session.state if session else None}, failure "
                             f"{controller.last_failure}, finish {controller.last_finish}, "
                             f"stop flag {session._stop if session else None}") from None


def test_xor_run_draws_a_falling_loss_and_reaches_accuracy_one(qtbot, make_window):
    window, controller = make_window(xor_graph(epochs=400))
    assert controller.run_bar.epochs_spin.value() == 400
    click(controller, controller.run_bar.start_action)
    assert controller.state == "running"
    assert window.inspector.run_modes == [True]
    wait_for_end(qtbot, controller)

    steps, losses = controller.plots.curve("train/loss").getData()
    assert len(losses) == 400 and np.all(np.diff(steps) > 0)
    assert losses[-1] < 0.1 * losses[0]
    assert np.mean(losses[-50:]) < np.mean(losses[:50])
    _, accuracy = controller.plots.curve("train/accuracy").getData()
    assert accuracy[-1] == 1.0
    assert controller.last_finish.reason == "completed"
    assert window.inspector.run_modes == [True, False]
    assert "completed" in window.statusBar().currentMessage()
    assert controller.run_bar.progress.format() == "epoch 400/400"
    assert controller.plots.dock("Gradient norms").curve("grad_norm/h1") is not None
    assert "weights/h1" in controller.plots.dock("Weights").latest  # first-layer weights


def test_pause_then_step_adds_exactly_one_step(qtbot, make_window):
    window, controller = make_window(xor_graph(epochs=1_000_000))
    controller.run_bar.pause_action.trigger()  # disabled before a run: nothing happens
    assert controller.state == "idle"
    click(controller, controller.run_bar.start_action)
    qtbot.waitUntil(lambda: controller.last_progress is not None, timeout=WAIT_MS)
    click(controller, controller.run_bar.pause_action)
    assert controller.run_bar.pause_action.text() == "Resume"
    session = controller.session
    assert session.wait_idle(10)
    qtbot.waitUntil(lambda: controller.last_progress.step == session.program.phase.step,
                    timeout=WAIT_MS)
    before = controller.last_progress.step
    assert f"step {before}" in controller.run_bar.status_label.text()

    click(controller, controller.run_bar.step_action)
    qtbot.waitUntil(lambda: controller.last_progress.step == before + 1, timeout=WAIT_MS)
    assert session.wait_idle(10)
    qtbot.wait(100)  # several drain ticks: no further step may appear
    assert controller.last_progress.step == before + 1 == session.program.phase.step
    assert f"step {before + 1}" in controller.run_bar.status_label.text()

    click(controller, controller.run_bar.stop_action)
    wait_for_end(qtbot, controller)
    assert controller.last_finish.reason == "stopped"


def test_step_before_start_runs_a_single_step(qtbot, make_window):
    _, controller = make_window(xor_graph(epochs=50))
    controller.run_bar.step_action.trigger()
    qtbot.waitUntil(lambda: controller.last_progress is not None, timeout=WAIT_MS)
    assert controller.state == "paused"
    assert controller.session.wait_idle(10)
    controller.drain()
    assert controller.last_progress.step == 1
    controller.stop()
    wait_for_end(qtbot, controller)


def test_live_learning_rate_zero_freezes_the_loss_curve(qtbot, make_window):
    window, controller = make_window(xor_graph(epochs=1_000_000, lr=0.5))
    controller.start()
    curve = controller.plots.curve
    qtbot.waitUntil(lambda: curve("train/loss") is not None
                    and len(curve("train/loss").getData()[1]) > 20, timeout=WAIT_MS)
    _, early = curve("train/loss").getData()
    assert len(set(early[-10:].tolist())) > 1  # still learning
    assert window.undo_stack.push(SetParam("opt", "lr", 0.0))  # a script's edit, say
    assert_loss_freezes_after_lr_zero(qtbot, controller)
    controller.stop()
    wait_for_end(qtbot, controller)


def test_undo_and_redo_during_a_run_reach_the_session_and_are_recorded(qtbot, make_window):
    window, controller = make_window(xor_graph(epochs=1_000_000, lr=0.5))
    controller.start()
    live = controller.session.program.live["opt"].values
    assert window.undo_stack.push(SetParam("opt", "lr", 0.01))
    qtbot.waitUntil(lambda: live["lr"] == 0.01, timeout=WAIT_MS)
    window.undo_stack.undo()  # Ctrl+Z: the graph and the running engine agree again
    assert window.graph.nodes["opt"].params["lr"] == 0.5
    qtbot.waitUntil(lambda: live["lr"] == 0.5, timeout=WAIT_MS)
    window.undo_stack.redo()
    qtbot.waitUntil(lambda: live["lr"] == 0.01, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(controller.live_edits) == 3, timeout=WAIT_MS)
    edits = controller.live_edits
    assert [(e.old, e.new) for e in edits] == [(0.5, 0.01), (0.01, 0.5), (0.5, 0.01)]
    assert all(e.node_id == "opt" and e.name == "lr" for e in edits)
    assert edits[0].step <= edits[1].step <= edits[2].step
    assert controller.plots.markers.labels() == [
        "opt.lr 0.5 -> 0.01", "opt.lr 0.01 -> 0.5", "opt.lr 0.5 -> 0.01"]
    controller.stop()
    wait_for_end(qtbot, controller)
    record = load_run(next(controller.runs_dir.iterdir()))
    assert [(e.step, e.node_id, e.name, e.old, e.new) for e in record.edits] == \
        [(e.step, e.node_id, e.name, e.old, e.new) for e in edits]
    controller.show_record(record)  # reopened from the runs panel: the markers come back
    assert controller.plots.markers.labels() == [e.label for e in edits]


def test_edits_the_run_cannot_take_are_refused_with_a_reason(qtbot, make_window):
    window, controller = make_window(xor_graph(epochs=1_000_000))
    controller.start()
    before = window.graph.snapshot()
    assert not window.undo_stack.push(AddNode(Node("extra", "core.relu")))
    assert "stop the run to add or remove" in window.statusBar().currentMessage()
    assert not window.undo_stack.push(Disconnect(Edge("h1", "y", "act1", "x")))
    assert not window.undo_stack.push(SetParam("h1", "units", 8))  # fixed at compile time
    assert "'units' of 'hidden' is fixed while the run goes" in \
        window.statusBar().currentMessage()
    assert not window.undo_stack.push(SetParam("opt", "lr", -1.0))  # live, but out of range
    assert not window.undo_stack.push(SetSettings({"epochs": 5}))
    assert window.graph.snapshot() == before  # the canvas shows the graph that trains
    assert window.undo_stack.push(MoveNode("h1", (40, 40)))  # layout stays free
    controller.stop()
    wait_for_end(qtbot, controller)
    assert window.undo_stack.push(AddNode(Node("extra", "core.relu")))  # free again


def test_undoing_a_structural_edit_during_a_run_is_refused_and_kept(qtbot, make_window):
    window, controller = make_window(xor_graph(epochs=1_000_000))
    wire = Edge("h1", "y", "act1", "x")
    assert window.undo_stack.push(Disconnect(wire))
    assert window.undo_stack.push(Connect(wire))
    assert controller.start()
    window.undo_stack.undo()  # would cut a wire of the graph that trains: refused
    assert wire in window.graph.edges and window.undo_stack.stack.undo_text() == \
        f"Connect {wire}"
    assert "stop the run" in window.statusBar().currentMessage()
    controller.stop()
    wait_for_end(qtbot, controller)
    window.undo_stack.undo()
    assert wire not in window.graph.edges


def test_run_bar_settings_are_undoable_graph_settings_and_recorded(qtbot, make_window):
    window, controller = make_window(xor_graph(epochs=400))
    bar = controller.run_bar
    bar.epochs_spin.setValue(1_000_000)
    bar.seed_spin.setValue(7)
    assert window.graph.settings["epochs"] == 1_000_000 and window.graph.settings["seed"] == 7
    window.undo_stack.undo()
    assert window.graph.settings["seed"] == 0 and bar.seed_spin.value() == 0
    window.undo_stack.redo()
    assert bar.seed_spin.value() == 7
    controller.start()
    assert controller.session.epochs == 1_000_000
    controller.stop()
    wait_for_end(qtbot, controller)
    folder = next(controller.runs_dir.iterdir())
    recorded = load_graph(folder / "graph.dgraph", window.registry)
    assert recorded.settings == {"epochs": 1_000_000, "seed": 7, "engine": "numpy"}
    assert load_run(folder).summary["epochs_planned"] == 1_000_000


def test_diverging_run_names_the_node(qtbot, make_window):
    window, controller = make_window(diverging_graph())
    controller.start()
    wait_for_end(qtbot, controller)
    failure = controller.last_failure
    assert failure is not None and failure.node_id == "loss"
    text = controller.failure_box.text()
    assert "diverged" in text and "'loss'" in text
    assert controller.failure_box.isVisible() and not controller.failure_box.isModal()
    assert window.canvas.marked[-1][0] == "loss"
    assert window.inspector.run_modes[-1] is False
    assert controller.run_bar.start_action.isEnabled()


def test_compile_error_is_a_status_message_naming_the_node(qtbot, make_window, registry):
    graph = Graph("broken")
    graph.add_node(Node("data", "core.dataset", {"dataset": "xor"}))
    graph.add_node(Node("h1", "core.dense", {"units": 3}))  # its input 'x' is not wired
    window, controller = make_window(graph)
    assert controller.start() is False
    assert controller.session is None and controller.state == "idle"
    message = window.statusBar().currentMessage()
    assert message.startswith("Cannot run")
    assert window.canvas.marked and window.canvas.marked[0][0] in graph.nodes
    assert window.inspector.run_modes == []


def test_replacing_the_graph_stops_the_run_and_clears_plots(qtbot, make_window):
    window, controller = make_window(xor_graph(epochs=1_000_000))
    controller.start()
    qtbot.waitUntil(lambda: controller.plots.curve("train/loss") is not None,
                    timeout=WAIT_MS)
    old = controller.session
    other = xor_graph(epochs=77)
    window.replace_graph(other)
    assert controller.session is None and controller.state == "idle"
    assert controller.plots.curve("train/loss") is None
    assert controller.run_bar.epochs_spin.value() == 77
    assert old.join(10)
