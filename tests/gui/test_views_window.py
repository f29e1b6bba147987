"""Views as a user sees them in the real window (every example's docks: test_every_example_views);
another graph resets the run side; the speed cap animates a Hopfield recall;
the layout holds at 1024x700 and 800x600."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtTest import QTest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WAIT_MS = 60_000

def open_example(window, name: str, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # runs are recorded under ./runs
    assert window.files.open(str(EXAMPLES / f"{name}.dgraph"), ask=False)
    return window.run_controller


def click(controller, action) -> None:
    QTest.mouseClick(controller.run_bar.button(action), Qt.MouseButton.LeftButton)


def idle(controller) -> bool:
    return controller.state.value == "idle" and not controller.timer.isActive()


def run_to_end(qtbot, controller, epochs: int) -> None:
    controller.run_bar.epochs_spin.setValue(epochs)
    click(controller, controller.run_bar.start_action)
    qtbot.waitUntil(lambda: idle(controller), timeout=WAIT_MS)


def test_another_graph_resets_probe_progress_eta_and_docks(qtbot, window, tmp_path,
                                                          monkeypatch):
    controller = open_example(window, "xor_mlp", tmp_path, monkeypatch)
    run_to_end(qtbot, controller, 50)
    assert controller.run_bar.progress.value() == 50 and "step" in \
        controller.run_bar.status_label.text()
    controller.probe.record(np.zeros(3), 1, "w")
    assert window.files.open(str(EXAMPLES / "hopfield_letters.dgraph"), ask=False)
    assert controller.run_bar.progress.value() <= 0 and controller.run_bar.progress.text() == ""
    assert controller.run_bar.status_label.text() == ""
    assert controller.probe.edge is None and not controller.probe.history
    assert not any(dock.has_data or not dock.isHidden() for dock in controller.plots.all)
    assert "Error history" not in {d.view.title for d in controller.plots.all}


@pytest.mark.slow
def test_paused_run_says_so_and_the_speed_cap_animates_a_hopfield_recall(qtbot, window,
                                                                        tmp_path, monkeypatch):
    controller = open_example(window, "hopfield_letters", tmp_path, monkeypatch)
    window.graph.nodes["memory"].params["stop_when_converged"] = False  # keep stepping
    controller.run_bar.epochs_spin.setValue(60)
    controller.run_bar.speed.set_steps_per_s(6)
    drawn = []  # each state image the Recall dock drew (a new array object per step)

    def watch():
        recall = controller.plots.dock("Recall")
        panel = recall.panels.get("state/memory") if recall is not None else None
        if panel is not None and panel.array is not None and (
                not drawn or panel.array is not drawn[-1]):
            drawn.append(panel.array)
        return len(drawn) >= 3

    click(controller, controller.run_bar.start_action)
    qtbot.waitUntil(watch, timeout=WAIT_MS)
    # at full speed these 60 steps take a few ms and only the last state would be drawn
    assert controller.state.value == "running" and controller.session.max_steps_per_s == 6
    click(controller, controller.run_bar.pause_action)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Paused", timeout=WAIT_MS)
    assert controller.state.value == "paused"
    controller.run_bar.speed.set_steps_per_s(0)  # the one control reaches the running session
    assert controller.session.max_steps_per_s == 0
    click(controller, controller.run_bar.stop_action)
    qtbot.waitUntil(lambda: idle(controller), timeout=WAIT_MS)


def _overlaps(rects: list[QRect]) -> list:
    return [(a, b) for i, a in enumerate(rects) for b in rects[i + 1:]
            if a.intersected(b).width() > 1 and a.intersected(b).height() > 1]


@pytest.mark.parametrize("size", [(1024, 700), (800, 600)])
def test_layout_at_small_window_sizes(qtbot, window, tmp_path, monkeypatch, size):
    controller = open_example(window, "digits_mlp", tmp_path, monkeypatch)
    window.resize(*size)
    qtbot.wait(100)
    run_to_end(qtbot, controller, 2)
    qtbot.wait(200)
    from PySide6.QtWidgets import QDockWidget
    visible = [d for d in window.findChildren(QDockWidget)
               if d.isVisible() and not d.isFloating() and not d.visibleRegion().isEmpty()]
    rects = [QRect(d.mapTo(window, d.rect().topLeft()), d.size()) for d in visible]
    assert not _overlaps(rects), [d.windowTitle() for d in visible]
    for dock, rect in zip(visible, rects):
        assert window.rect().contains(rect), dock.windowTitle()
        assert rect.width() >= 60 and rect.height() >= 60, dock.windowTitle()
    assert window.width() <= size[0] + 1 and window.height() <= size[1] + 1
    bar = controller.run_bar
    assert bar.mapTo(window, bar.rect().topRight()).x() <= window.width()
    # every dock with data is reachable: visible, or a tab behind a visible one
    for dock in controller.plots.shown():
        assert dock.isVisible() or window.tabifiedDockWidgets(dock)


@pytest.mark.parametrize("images_first", [True, False])
def test_a_hopfield_recall_shows_the_state_beside_the_energy(qtbot, window, tmp_path,
                                                             monkeypatch, images_first):
    open_example(window, "hopfield_letters", tmp_path, monkeypatch)
    window.resize(1440, 900)  # three plot columns beside the runs panel, for six docks
    qtbot.wait(100)
    plots = window.run_controller.plots
    picture = np.zeros((12, 12), dtype=np.float32)
    images = [lambda tag=tag: plots.image(tag, picture)
              for tag in ("state/memory", "patterns/memory", "weights/memory")]
    scalars = [lambda tag=tag: plots.scalar(tag, 1, 0.5)
               for tag in ("energy", "overlap/0", "recall")]
    for arrive in (images + scalars) if images_first else (scalars[:1] + images + scalars[1:]):
        arrive()  # the order data arrives in differs between platforms and runs
    plots.refresh()
    qtbot.wait(100)
    in_sight = [d.view.title for d in plots.shown()
                if d.isVisible() and not d.visibleRegion().isEmpty()]
    # the main curve and the first-declared view are never tabs behind another dock
    assert {"Energy", "Recall"} <= set(in_sight), in_sight
    assert len(in_sight) == 3
