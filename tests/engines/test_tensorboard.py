"""Run records carry TensorBoard event files that TensorBoard's own reader understands: the
same loss values as metrics.jsonl, the weight images, the live edits as text."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.records import METRICS_FILE, RunRecorder
from engines.session import Session
from engines.tensorboard import tensorboard_image
from tests.engines.graphs import xor_mlp

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator")


def _read(folder):
    accumulator = event_accumulator.EventAccumulator(
        str(folder), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def test_event_file_holds_the_metrics_images_and_live_edits(registry, tmp_path):
    graph = xor_mlp()
    program = compile_graph(graph, registry, seed=0)
    recorder = RunRecorder(tmp_path, graph)
    session = Session(program, epochs=12, observers=[recorder.observe])
    session.set_param("opt", "lr", 0.25)
    session.run()
    recorder.finish(program, history=session.history)

    assert list(recorder.folder.glob("events.out.tfevents.*"))
    accumulator = _read(recorder.folder)
    jsonl = [json.loads(line) for line in
             (recorder.folder / METRICS_FILE).read_text().splitlines()]
    losses = [(row["step"], row["value"]) for row in jsonl if row["tag"] == "train/loss"]
    assert len(losses) == 12
    read = [(event.step, event.value) for event in accumulator.Scalars("train/loss")]
    assert [step for step, _ in read] == [step for step, _ in losses]
    np.testing.assert_allclose([v for _, v in read], [v for _, v in losses], rtol=1e-6)

    tags = accumulator.Tags()
    assert "weights/d1" in tags["images"]
    image = accumulator.Images("weights/d1")[-1]
    assert image.width > 0 and image.height > 0
    edits = accumulator.Tensors("live_edits/text_summary")
    texts = [event.tensor_proto.string_val[0].decode() for event in edits]
    assert any("opt.lr 0.5 -> 0.25" in text for text in texts)


def test_images_are_scaled_to_unit_range():
    image = tensorboard_image(np.array([[-2.0, 0.0], [2.0, np.nan]]))
    np.testing.assert_allclose(image, [[0.0, 0.5], [1.0, 0.0]])
    assert tensorboard_image(np.zeros((2, 3, 5))) is None  # not an image TensorBoard shows
    np.testing.assert_allclose(tensorboard_image(np.ones((2, 2))), 0.5)


def test_without_tensorboardx_a_record_has_no_event_file(registry, tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    graph = xor_mlp()
    program = compile_graph(graph, registry, seed=0)
    recorder = RunRecorder(tmp_path, graph)
    assert recorder.tensorboard is None
    Session(program, epochs=2, observers=[recorder.observe]).run()
    recorder.finish(program)
    assert not list(recorder.folder.glob("events.out.tfevents.*"))
    assert (recorder.folder / METRICS_FILE).read_text().count("train/loss") == 2
