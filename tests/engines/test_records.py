"""Run records: written while a run goes, reopened with the same numbers, clear errors."""

import json

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.events import Scalar
from engines.records import (
    METRICS_FILE,
    SUMMARY_FILE,
    WEIGHTS_FILE,
    RunRecorder,
    RunRecordError,
    list_runs,
    load_initial_weights,
    load_run,
    load_weights_file,
)
from engines.session import Session
from graph.fileio import load_graph
from tests.engines.graphs import xor_mlp


def _record(tmp_path, registry, epochs=5):
    graph = xor_mlp()
    program = compile_graph(graph, registry, seed=4)
    recorder = RunRecorder(tmp_path / "runs", graph, "xor.dgraph")
    session = Session(program, epochs=epochs, observers=[recorder.observe])
    events = session.run()
    summary = recorder.finish(program, engine="numpy", seed=4, epochs=epochs,
                              history=session.history)
    return recorder, program, session, events, summary


def test_a_run_round_trips_through_its_record(tmp_path, registry):
    recorder, program, session, events, summary = _record(tmp_path, registry)
    assert recorder.folder.name.endswith("-xor")
    assert list_runs(tmp_path / "runs") == [recorder.folder]
    record = load_run(recorder.folder)
    losses = [e for e in events if isinstance(e, Scalar) and e.tag == "train/loss"]
    steps, values = record.metrics["train/loss"]
    np.testing.assert_array_equal(steps, [e.step for e in losses])
    np.testing.assert_allclose(values, [e.value for e in losses])
    seconds = record.times["train/loss"]  # wall time of each value, for runs compared by time
    assert len(seconds) == len(values) and np.all(np.diff(seconds) >= 0) and seconds[0] >= 0
    assert seconds[-1] <= record.summary["seconds"] + 0.5
    assert record.summary["reason"] == "completed" and record.summary["epochs"] == 5
    assert record.summary["engine"] == "numpy" and record.summary["seed"] == 4
    assert record.summary["final"]["train/loss"] == pytest.approx(session.history[-1][
        "train/loss"])
    for key, array in record.weights().items():
        np.testing.assert_array_equal(array, program.weights_to_host()[key])
    assert load_graph(record.graph_path, registry).snapshot()["nodes"] == \
        xor_mlp().snapshot()["nodes"]


def test_metrics_are_on_disk_while_the_run_goes(tmp_path, registry):
    graph = xor_mlp()
    recorder = RunRecorder(tmp_path, graph, None)
    recorder.observe(Scalar("train/loss", 1, 0.5))
    line = (recorder.folder / METRICS_FILE).read_text()  # line-buffered: already written
    item = json.loads(line)
    assert item.pop("seconds") >= 0  # wall time since the recorder started
    assert item == {"tag": "train/loss", "step": 1, "value": 0.5}
    recorder.observe(Scalar("grad_norm/d1", 2, float("inf")))
    recorder.finish()
    assert json.loads((recorder.folder / METRICS_FILE).read_text().splitlines()[1])[
        "value"] is None


def test_two_runs_in_the_same_second_get_separate_folders(tmp_path):
    graph = xor_mlp()
    first = RunRecorder(tmp_path, graph, now=1e9)
    second = RunRecorder(tmp_path, graph, now=1e9)
    assert first.folder != second.folder and second.folder.name.endswith("-2")
    first.finish()
    second.finish()


def test_partial_and_bad_records_name_the_file(tmp_path, registry):
    recorder, *_ = _record(tmp_path, registry, epochs=1)
    folder = recorder.folder
    (folder / METRICS_FILE).write_text('{"tag": "a", "step": 1, "value": 1}\nnot json\n')
    with pytest.raises(RunRecordError, match=r"metrics\.jsonl: line 2"):
        load_run(folder)
    (folder / SUMMARY_FILE).unlink()
    with pytest.raises(RunRecordError, match=r"summary\.json.*missing"):
        load_run(folder)
    (folder / WEIGHTS_FILE).write_bytes(b"garbage")
    with pytest.raises(RunRecordError, match=r"weights\.npz"):
        load_weights_file(folder / WEIGHTS_FILE)
    with pytest.raises(RunRecordError, match="not a run record"):
        load_run(tmp_path / "nowhere")


def test_weights_never_unpickle(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, obj=np.array([{"a": 1}], dtype=object))
    with pytest.raises(RunRecordError, match="evil.npz"):
        load_weights_file(path)


def test_initial_weights_beside_the_graph(tmp_path, registry):
    program = compile_graph(xor_mlp(), registry)
    graph_path = tmp_path / "xor.dgraph"
    assert load_initial_weights(program, graph_path) is None
    np.savez(tmp_path / "xor.npz", **{"d2/W": np.full((4, 1), 0.25)})
    assert load_initial_weights(program, graph_path) == tmp_path / "xor.npz"
    np.testing.assert_array_equal(program.peek("d2", "W"), np.full((4, 1), 0.25))
    np.savez(tmp_path / "xor.npz", **{"ghost/W": np.zeros(1)})
    with pytest.raises(RunRecordError, match="ghost/W"):
        load_initial_weights(program, graph_path)
    np.savez(tmp_path / "xor.npz", **{"d2/W": np.zeros((3, 1))})
    with pytest.raises(RunRecordError, match="xor.npz.*shape"):
        load_initial_weights(program, graph_path)
