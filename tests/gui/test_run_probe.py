"""Wire probe: statistics and histogram agree with NumPy on the array session.peek returns."""

from __future__ import annotations

import numpy as np
import pytest

from graph.model import Edge
from gui.main_window import attach_run_side
from gui.probe import ProbeDock, image_view_of, tensor_stats
from tests.gui._fake_window import FakeWindow, xor_graph

WAIT_MS = 30_000


def test_stats_match_numpy_and_skip_non_finite_values():
    rng = np.random.default_rng(1)
    array = rng.normal(2.0, 3.0, size=(64, 10)).astype(np.float32)
    stats = tensor_stats(array)
    assert stats["shape"] == (64, 10) and stats["nonfinite"] == 0
    assert stats["mean"] == pytest.approx(np.mean(array, dtype=np.float64))
    assert stats["std"] == pytest.approx(np.std(array, dtype=np.float64))
    assert (stats["min"], stats["max"]) == (array.min(), array.max())
    array[0, 0], array[1, 1] = np.nan, np.inf
    stats = tensor_stats(array)
    assert stats["nonfinite"] == 2 and np.isfinite(stats["mean"])


def test_image_view_of_tensor_shapes():
    assert image_view_of(np.zeros(5)) is None
    assert image_view_of(np.zeros((4, 3))).shape == (4, 3)
    assert image_view_of(np.zeros((20, 8, 8))).shape == (8, 16 * 8)  # 16 samples tiled
    assert image_view_of(np.zeros((2, 8, 8, 3))).shape == (8, 16)


def test_probe_dock_histogram_counts_every_finite_value(qtbot):
    dock = ProbeDock()
    qtbot.addWidget(dock)
    array = np.linspace(-1, 1, 101).reshape(101, 1)
    dock.show_array(array, "x")
    edges, counts = dock.bars.getData()
    assert counts.sum() == 101 and edges[0] == -1 and edges[-1] == 1
    assert dock.stat_labels["shape"].text() == "101 x 1"


@pytest.fixture
def window(qtbot, registry, tmp_path):
    window = FakeWindow(registry, xor_graph(epochs=1_000_000))
    qtbot.addWidget(window)
    window.controller = attach_run_side(window, runs_dir=tmp_path / "runs")
    window.show()
    return window


def test_clicking_a_wire_before_a_run_asks_to_start_one(window):
    window.canvas.wire_clicked.emit(Edge("h1", "y", "act1", "x"))
    probe = window.controller.probe
    assert probe.isVisible() and "start a run" in probe.title_label.text()


def test_probe_on_a_paused_run_matches_session_peek(qtbot, window):
    controller = window.controller
    controller.start()
    qtbot.waitUntil(lambda: controller.last_progress is not None, timeout=WAIT_MS)
    controller.pause()
    assert controller.session.wait_idle(10)
    window.canvas.wire_clicked.emit(Edge("act1", "y", "out", "x"))
    probe = controller.probe
    qtbot.waitUntil(lambda: probe.last_array is not None, timeout=WAIT_MS)
    expected = controller.session.peek("act1", "y")  # paused: the values cannot move
    assert np.array_equal(probe.last_array, expected)
    assert expected.shape == (4, 4)
    assert probe.stats["mean"] == pytest.approx(float(np.mean(expected, dtype=np.float64)))
    assert probe.stats["std"] == pytest.approx(float(np.std(expected, dtype=np.float64)))
    assert float(probe.stat_labels["max"].text()) == pytest.approx(expected.max(), rel=1e-3)
    assert probe.bars.getData()[1].sum() == expected.size
    assert np.array_equal(probe.image.image, expected)
    # stepping changes the weights; the probe follows while the dock is open
    old = probe.last_array.copy()
    for _ in range(5):
        controller.step()
        assert controller.session.wait_idle(10)
    qtbot.waitUntil(lambda: not np.array_equal(probe.last_array, old), timeout=WAIT_MS)
    controller.stop()
    qtbot.waitUntil(lambda: not controller.timer.isActive(), timeout=WAIT_MS)
