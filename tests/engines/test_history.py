"""Session.history is bounded (the last epochs plus whole-run minima), early stopping still
compares with the best epoch of the whole run, and monitors report each step once."""

from collections import Counter

import pytest

from engines.compiler import compile_graph
from engines.events import Scalar
from engines.history import EpochHistory
from engines.records import METRICS_FILE, RunRecorder
from engines.session import Session
from plugins.core.training import stop_reason
from tests.engines.graphs import xor_mlp


def test_history_keeps_the_last_epochs_and_whole_run_extremes():
    history = EpochHistory(keep=3)
    assert not history and len(history) == 0
    for epoch, loss in enumerate([5.0, 1.0, 4.0, 3.0, 2.0], 1):
        history.append({"epoch": epoch, "val/loss": loss})
    assert len(history) == 5 and history
    assert [h["epoch"] for h in history] == [3, 4, 5]
    assert history[-1]["epoch"] == 5 and history[2]["epoch"] == 3 and history[-3]["epoch"] == 3
    with pytest.raises(IndexError, match="epoch 2 is not kept in memory.*metrics.jsonl"):
        history[1]
    with pytest.raises(IndexError):
        history[-4]
    assert history.lowest("val/loss") == 1.0 and history.highest("val/loss") == 5.0
    assert history.lowest("train/loss") == float("inf")


def test_early_stopping_sees_the_best_epoch_even_when_it_is_no_longer_kept():
    history = EpochHistory(keep=2)
    for epoch, loss in enumerate([1.0, 0.5, 0.52, 0.54, 0.56], 1):
        history.append({"epoch": epoch, "val/loss": loss, "train/loss": loss})
    # the best (0.5, epoch 2) has left the window; 0.56 is 12% above it
    why = stop_reason(history, "loss", 0.1, 0, 0.0)
    assert why is not None and "best 0.5" in why
    assert stop_reason(history, "loss", 0.2, 0, 0.0) is None


def test_a_long_run_keeps_a_bounded_history(registry):
    program = compile_graph(xor_mlp(), registry, monitors=False)
    session = Session(program, epochs=1500)
    session.run()
    assert len(session.history) == 1500
    assert len(list(session.history)) == 1000 and session.history[-1]["epoch"] == 1500


def test_monitors_report_each_step_once_in_events_and_metrics_file(registry, tmp_path):
    """A one-step run: the step monitors ran at step 1, so the final pass must not repeat
    them (metrics.jsonl used to hold the step-1 gradient norms twice)."""
    program = compile_graph(xor_mlp(), registry)
    graph = xor_mlp()
    recorder = RunRecorder(tmp_path, graph)
    events = []
    session = Session(program, epochs=1, monitor_budget=1e9,
                      observers=[events.append, recorder.observe])
    session.run()
    recorder.finish(program, history=session.history)
    scalars = Counter((e.tag, e.step) for e in events if isinstance(e, Scalar))
    assert ("grad_norm/d1", 1) in scalars
    assert max(scalars.values()) == 1, scalars
    lines = (recorder.folder / METRICS_FILE).read_text().splitlines()
    assert len(lines) == len(set(lines)) == len(scalars)


def test_the_final_pass_still_reports_the_last_step(registry):
    program = compile_graph(xor_mlp(), registry)
    events = []
    Session(program, epochs=5, monitor_budget=1e9, observers=[events.append]).run()
    steps = [e.step for e in events if isinstance(e, Scalar) and e.tag == "grad_norm/d1"]
    assert steps[0] == 1 and steps[-1] == program.phase.step == 5
    assert len(steps) == len(set(steps))
