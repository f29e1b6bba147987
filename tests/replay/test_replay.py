"""Re-running a recorded run re-applies its live edits at their steps: on NumPy the replay
ends with exactly the original weights and metrics."""

from pathlib import Path

import numpy as np

from engines.compiler import compile_graph
from engines.records import RunRecorder, load_run
from engines.replay import replay_session
from engines.session import Session
from graph.fileio import load_graph

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _record_run_with_live_edits(registry, runs_dir):
    path = EXAMPLES / "xor_mlp.dgraph"
    graph = load_graph(path, registry)
    graph.settings.update(epochs=40, engine="numpy", seed=3)
    program = compile_graph(graph, registry, seed=3)
    recorder = RunRecorder(runs_dir, graph, path)
    session = Session(program, epochs=40, observers=[recorder.observe])
    session.step(17)  # starts paused and runs 17 steps
    assert session.wait_idle(30)
    session.set_param("opt", "lr", 0.9)
    session.step(15)
    assert session.wait_idle(30)
    session.set_param("opt", "momentum", 0.5)
    session.resume()
    assert session.join(60)
    recorder.finish(program, engine="numpy", seed=3, epochs=40, history=session.history)
    return load_run(recorder.folder)


def test_replay_applies_recorded_edits_at_their_steps_bit_for_bit(registry, tmp_path):
    record = _record_run_with_live_edits(registry, tmp_path / "runs")
    assert [(e.step, e.name, e.new) for e in record.edits] == [(17, "lr", 0.9),
                                                               (32, "momentum", 0.5)]
    _graph, program, session = replay_session(record, registry, engine="numpy")
    events = session.run()
    replayed = [e for e in events if type(e).__name__ == "LiveEdit"]
    assert [(e.step, e.name, e.new) for e in replayed] == [(17, "lr", 0.9), (32, "momentum", 0.5)]
    original = record.weights()
    again = program.weights_to_host()
    assert original.keys() == again.keys()
    for key in original:
        assert np.array_equal(original[key], again[key]), key
    losses = [h["train/loss"] for h in session.history]
    assert losses == list(record.metrics["train/loss"][1])  # every epoch's loss, exactly


def test_replay_without_the_edits_differs(registry, tmp_path):
    """The edits matter: the same run without them ends with other weights."""
    record = _record_run_with_live_edits(registry, tmp_path / "runs")
    record.edits = []
    _graph, program, session = replay_session(record, registry, engine="numpy")
    session.run()
    original, again = record.weights(), program.weights_to_host()
    assert any(not np.array_equal(original[k], again[k]) for k in original)
