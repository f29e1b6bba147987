"""Session: commands from another thread, live parameters, divergence blame, monitors,
early stopping, determinism."""

import threading
import time

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.events import Failed, Finished, Image, LiveEdit, Log, Progress, Scalar
from engines.session import Session
from plugins.core.training import stop_reason
from tests.engines.graphs import build, digits_mlp, xor_mlp

TIMEOUT = 30.0


def _events(session, kind):
    return [e for e in session.poll() if isinstance(e, kind)]


def test_start_paused_then_step_runs_exactly_that_many_steps(registry):
    program = compile_graph(xor_mlp(), registry)
    session = Session(program, epochs=1000)
    session.start(paused=True)
    assert session.wait_idle(TIMEOUT)
    assert program.phase.step == 0
    session.step(3)
    assert session.wait_idle(TIMEOUT)
    assert program.phase.step == 3
    threading.Event().wait(0.3)  # a session that did not stay paused would step on here
    assert program.phase.step == 3 and session.wait_idle(0)
    assert session.state == "paused"
    session.step(2)
    assert session.wait_idle(TIMEOUT) and program.phase.step == 5
    session.stop()
    assert session.join(TIMEOUT)
    finished = [e for e in session.poll() if isinstance(e, Finished)]
    assert finished and finished[-1].reason == "stopped" and session.state == "stopped"


def test_pause_and_resume_from_another_thread(registry):
    program = compile_graph(xor_mlp(), registry)
    session = Session(program, epochs=10**6)
    session.start()
    commander = threading.Thread(target=session.pause)
    commander.start()
    commander.join()
    assert session.wait_idle(TIMEOUT)
    paused_at = program.phase.step
    assert session.wait_idle(0.2) and program.phase.step == paused_at
    session.resume()
    while program.phase.step <= paused_at + 10 and not session.done:
        threading.Event().wait(0.01)
    assert program.phase.step > paused_at
    session.stop()
    assert session.join(TIMEOUT) and session.state == "stopped"


def test_set_param_lr_zero_freezes_the_weights(registry):
    program = compile_graph(xor_mlp(lr=0.5, momentum=0.0), registry)
    session = Session(program, epochs=10**6)
    session.start(paused=True)
    before = session.peek("d1", "W")
    session.step(5)
    assert session.wait_idle(TIMEOUT)
    moved = session.peek("d1", "W")
    assert not np.allclose(moved, before)  # learning happens at lr 0.5
    session.set_param("opt", "lr", 0)  # an int is coerced to the FLOAT parameter
    session.step(20)
    assert session.wait_idle(TIMEOUT)
    np.testing.assert_array_equal(session.peek("d1", "W"), moved)
    assert program.live["opt"]["lr"] == 0.0
    edits = _events(session, LiveEdit)  # the run remembers the edit and when it applied
    assert [(e.step, e.node_id, e.name, e.old, e.new) for e in edits] == \
        [(5, "opt", "lr", 0.5, 0.0)]
    assert edits[0].label == "opt.lr 0.5 -> 0.0"
    session.stop()
    assert session.join(TIMEOUT)


def test_set_param_rejects_bad_requests(registry):
    session = Session(compile_graph(xor_mlp(), registry), epochs=1)
    with pytest.raises(KeyError, match="ghost"):
        session.set_param("ghost", "lr", 0.1)
    with pytest.raises(KeyError, match="speed"):
        session.set_param("opt", "speed", 0.1)
    with pytest.raises(ValueError, match="must be a number"):
        session.set_param("opt", "lr", "fast")
    with pytest.raises(ValueError, match="fixed"):
        session.set_param("d1", "units", 8)


def test_peek_while_running_sees_whole_steps(registry):
    program = compile_graph(digits_mlp(), registry)
    session = Session(program, epochs=10**6)
    session.start()
    shapes = {session.peek("d1", "y").shape for _ in range(20)}
    session.stop()
    assert session.join(TIMEOUT)
    feed = program.feeds[0]
    assert shapes <= {(64, 32), (feed.n_train % 64, 32), (feed.n_val % 64, 32)}
    assert session.peek("data", "x").shape[1] == 64  # after the run: read directly


def test_huge_learning_rate_fails_naming_the_first_dense(registry):
    graph = build("div", [
        ("data", "core.dataset", {"dataset": "sine", "batch_size": 16, "samples": 64}),
        ("d1", "core.dense", {"units": 8}), ("t1", "core.tanh", {}),
        ("d2", "core.dense", {"units": 1}), ("loss", "core.mse", {}),
        ("opt", "core.sgd", {"lr": 1000.0})],
        ["data.x -> d1.x", "d1.y -> t1.x", "t1.y -> d2.x", "d2.y -> loss.pred",
         "data.y -> loss.target", "loss.loss -> opt.loss"])
    program = compile_graph(graph, registry)
    session = Session(program, epochs=50)
    failed = [e for e in session.run() if isinstance(e, Failed)]
    assert session.state == "failed" and len(failed) == 1
    assert failed[0].node_id == "d1" and "'d1'" in failed[0].message
    assert not np.isfinite(program.peek("d1", "W")).all()


def test_divergence_blames_the_node_that_went_non_finite_not_the_first_one(registry):
    # zero input: d1 (no bias) never learns and stays finite; d2's bias oscillates with a
    # growing amplitude at lr 1000 until the loss's square overflows float32 while the bias
    # itself is still finite, so the loss node is the first non-finite output
    graph = build("div2", [
        ("x", "core.constant", {"values": [0.0, 0.0]}),
        ("t", "core.constant", {"values": [0.5]}),
        ("d1", "core.dense", {"units": 3, "bias": False}), ("h", "core.tanh", {}),
        ("d2", "core.dense", {"units": 1}), ("loss", "core.mse", {}),
        ("opt", "core.sgd", {"lr": 1000.0})],
        ["x.x -> d1.x", "d1.y -> h.x", "h.y -> d2.x", "d2.y -> loss.pred", "t.x -> loss.target",
         "loss.loss -> opt.loss"])
    program = compile_graph(graph, registry)
    session = Session(program, epochs=500)
    failed = [e for e in session.run() if isinstance(e, Failed)]
    assert failed and failed[0].node_id == "loss"
    assert np.isfinite(program.peek("d1", "W")).all()
    assert np.isfinite(program.peek("d2", "y")).all()
    assert abs(float(program.peek("d2", "b")[0])) > 1e18


def test_same_seed_gives_bit_identical_metrics(registry):
    def run(seed):
        session = Session(compile_graph(digits_mlp(), registry, seed=seed), epochs=3)
        return [(e.tag, e.value) for e in session.run()
                if isinstance(e, Scalar) and not e.tag.startswith("grad_norm")]
    first, again, other = run(7), run(7), run(8)
    assert first == again
    assert first != other


def test_progress_carries_the_previous_epochs_loss(registry):
    session = Session(compile_graph(xor_mlp(), registry), epochs=3, progress_interval_s=0)
    events = session.run()
    progress = [e for e in events if isinstance(e, Progress)]
    losses = [e.value for e in events if isinstance(e, Scalar) and e.tag == "train/loss"]
    assert progress[0].loss is None  # nothing finished yet
    assert [p.loss for p in progress if p.epoch >= 1][-1] == losses[-1]


def test_monitors_stream_grad_norms_and_first_layer_weight_tiles(registry):
    program = compile_graph(digits_mlp(hidden=32), registry)
    session = Session(program, epochs=2)
    events = session.run()
    images = [e for e in events if isinstance(e, Image)]
    assert images and {e.tag for e in images} == {"weights/d1"}
    assert images[-1].array.shape == (6 * 9 - 1, 6 * 9 - 1)  # 32 tiles of 8x8, 6 columns
    W = program.peek("d1", "W")
    tile = W[:, 0].reshape(8, 8)
    np.testing.assert_allclose(images[-1].array[:8, :8],
                               (tile - tile.min()) / (tile.max() - tile.min()), atol=1e-5)
    norms = {e.tag for e in events if isinstance(e, Scalar) and e.tag.startswith("grad_norm/")}
    assert norms == {"grad_norm/d1", "grad_norm/d2"}


def test_stop_reason_rules():
    def history(vals, trains=None):
        trains = trains or [1.0] * len(vals)
        return [{"epoch": i + 1, "train/loss": t, "val/loss": v}
                for i, (t, v) in enumerate(zip(trains, vals))]
    assert stop_reason(history([1.0, 0.5, 0.54]), "loss", 0.1, 0, 0.0) is None  # 8% rise
    why = stop_reason(history([1.0, 0.5, 0.56]), "loss", 0.1, 0, 0.0)
    assert why and "0.56" in why and "10%" in why
    assert stop_reason(history([1.0, 0.5, 0.56]), "loss", 0.1, 5, 0.0) is None  # min_epochs
    assert "target" in stop_reason(history([9.0], [0.01]), "loss", 0.1, 100, 0.02)
    assert stop_reason([{"epoch": 1, "train/loss": 0.01}], "loss", 0.1, 0, 0.0) is None


def test_early_stopping_node_ends_the_run_with_a_reason(registry):
    graph = digits_mlp(lr=0.1, extra=[("stop", "core.early_stopping",
                                        {"target_loss": 0.2, "min_epochs": 0})],
                       extra_edges=["loss.loss -> stop.loss"])
    session = Session(compile_graph(graph, registry), epochs=50)
    events = session.run()
    finished = [e for e in events if isinstance(e, Finished)]
    assert finished[-1].reason == "early_stopped"
    assert len(session.history) < 50 and session.history[-1]["train/loss"] <= 0.2
    assert any("target" in e.message for e in events if isinstance(e, Log))


def test_an_observer_on_the_worker_thread_may_peek(registry):
    program = compile_graph(xor_mlp(), registry)
    seen = []

    def observer(event):
        if isinstance(event, Scalar) and event.tag == "train/loss":
            seen.append(session.peek("d2", "W").shape)

    session = Session(program, epochs=3, observers=[observer])
    session.start()
    assert session.join(TIMEOUT)
    assert seen == [(4, 1)] * 3


def test_a_short_run_still_draws_a_gradient_norm_curve(registry):
    """A run of well under a second: the 0.25 s throttle alone would give one or two points;
    the monitor reports at least every elapsed/40 s, within the monitors' share of run time."""
    Session(compile_graph(xor_mlp(), registry, seed=0), epochs=2).run()  # kernels compiled
    program = compile_graph(xor_mlp(), registry, seed=0)
    session = Session(program, epochs=300)
    began = time.perf_counter()
    events = session.run()
    seconds = time.perf_counter() - began
    steps = {e.step for e in events if isinstance(e, Scalar) and e.tag == "grad_norm/d1"}
    assert seconds < 5  # a short run (xor: 300 one-step epochs, ~40 ms)
    assert len(steps) >= 10, (len(steps), seconds)
    assert session._monitor_time <= 0.03 * seconds + 0.01  # the budget held
