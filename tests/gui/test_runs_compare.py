"""Runs panel comparisons: runs of a minibatch and a full-batch optimizer side by side against
steps, passes over the data and seconds, each with its accuracy and first-layer weights."""

from __future__ import annotations

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.imaging import weight_tiles
from engines.records import RunRecorder, load_run
from engines.session import Session
from gui.run_compare import XAxis, accuracy_text
from gui.runs_panel import RunsPanel
from tests.engines.graphs import build

EPOCHS = 4


def _digits(optimizer, params):
    return build(f"race_{optimizer.split('.')[-1]}", [
        ("data", "core.dataset", {"dataset": "blobs", "samples": 300, "batch_size": 48,
                                  "val_split": 0.2}),
        ("d1", "core.dense", {"units": 6}),
        ("t1", "core.tanh", {}),
        ("d2", "core.dense", {"units": 3}),
        ("s2", "core.sigmoid", {}),
        ("loss", "core.mse", {}),
        ("opt", optimizer, params),
    ], ["data.x -> d1.x", "d1.y -> t1.x", "t1.y -> d2.x", "d2.y -> s2.x", "s2.y -> loss.pred",
        "data.y -> loss.target", "loss.loss -> opt.loss"])


@pytest.fixture(scope="module")
def race_dir(tmp_path_factory, registry):
    runs = tmp_path_factory.mktemp("race") / "runs"
    for optimizer, params in (("core.adam", {"lr": 0.01}), ("optim.bfgs", {})):
        graph = _digits(optimizer, params)
        program = compile_graph(graph, registry, seed=1)
        recorder = RunRecorder(runs, graph, None)
        session = Session(program, epochs=EPOCHS, observers=[recorder.observe])
        session.run()
        recorder.finish(program, engine="numpy", seed=1, epochs=EPOCHS,
                        history=session.history)
    return runs


def test_runs_line_up_against_steps_passes_and_seconds(qtbot, race_dir):
    panel = RunsPanel(race_dir)
    qtbot.addWidget(panel)
    names = panel.run_names()
    assert len(names) == 2
    for name in names:
        panel.set_ticked(name)
    adam = next(n for n in names if "adam" in n)
    bfgs = next(n for n in names if "bfgs" in n)
    steps_adam = panel.curve(adam, "train/loss").getData()[0]
    steps_bfgs = panel.curve(bfgs, "train/loss").getData()[0]
    assert steps_adam[-1] == 5 * EPOCHS and steps_bfgs[-1] == EPOCHS  # 240 rows: 5 vs 1
    panel.x_axis_box.setCurrentIndex(list(XAxis).index(XAxis.EPOCHS))
    assert panel.x_axis is XAxis.EPOCHS
    for name in names:
        for tag in ("train/loss", "val/loss"):
            x, y = panel.curve(name, tag).getData()
            np.testing.assert_array_equal(x, np.arange(1, EPOCHS + 1))
            np.testing.assert_allclose(y, load_run(race_dir / name).metrics[tag][1])
    panel.set_x_axis(XAxis.SECONDS)
    for name in names:
        x, _ = panel.curve(name, "train/loss").getData()
        np.testing.assert_allclose(x, load_run(race_dir / name).times["train/loss"])
        assert np.all(np.diff(x) > 0)
    assert panel.plot.getPlotItem().getAxis("bottom").labelText == "seconds"


def test_selecting_a_run_shows_its_first_layer_weights_and_accuracy(qtbot, race_dir):
    panel = RunsPanel(race_dir)
    qtbot.addWidget(panel)
    item = panel.item(next(n for n in panel.run_names() if "bfgs" in n))
    panel.run_list.setCurrentItem(item)
    record = panel.weights_preview.shown
    assert record is not None and record.name in item.data(256)
    expected = weight_tiles(record.weights()["d1/W"])
    np.testing.assert_allclose(panel.weights_preview.image.image, expected)
    title = panel.weights_preview.plot.titleLabel.text
    # the layer by its title in the run's graph (an untitled node: its id)
    assert "val acc" in title and accuracy_text(record) in title and title.endswith(": d1")


def test_a_full_batch_data_node_card_says_so_without_a_problem(window, registry):
    from pathlib import Path

    from graph.fileio import load_graph
    path = Path(__file__).resolve().parents[2] / "examples" / "optimizer_race_bfgs.dgraph"
    window.set_graph(load_graph(path, registry), None)
    window.scene.flush()
    card = window.scene.nodes["data"]
    assert card.problems == []  # no red border, no problem badge
    assert len(card.notes) == 1 and card.notes[0].startswith("Full batch:")
    assert "ℹ Full batch:" in card.toolTip() and "whole training split" in card.toolTip()
    assert window.validation_label.text().startswith("Valid:")
    window.graph.nodes["opt"].type_id = "core.adam"  # the same graph with a minibatch optimizer
    window.set_graph(window.graph, None)
    window.scene.flush()
    assert window.scene.nodes["data"].notes == []


def test_the_weights_preview_names_the_layer_by_its_title(tmp_path):
    from types import SimpleNamespace

    from gui.run_compare import node_title
    graph_file = tmp_path / "graph.dgraph"
    graph_file.write_text('{"nodes": [{"id": "d1", "title": "Hidden (6)"}, {"id": "d2"}]}')
    record = SimpleNamespace(graph_path=graph_file)
    assert node_title(record, "d1") == "Hidden (6)"
    assert node_title(record, "d2") == "d2"  # untitled: its id
    assert node_title(SimpleNamespace(graph_path=tmp_path / "gone"), "d1") == "d1"
