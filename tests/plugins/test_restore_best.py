"""Early stopping's restore_best: the run ends with the parameters of its best epoch."""

from __future__ import annotations

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.events import Finished, Log
from engines.session import Session
from plugins import default_registry
from tests.engines.graphs import digits_mlp

REGISTRY = default_registry()


def run(stop: dict, epochs: int = 40):
    """A digits MLP on 10% of the data (it overfits, its validation loss is noisy) with an
    early-stopping node; returns the session, its events and each epoch's weights (copied
    after every epoch that does not end the run, as a checkpoint would be)."""
    graph = digits_mlp(lr=0.5, hidden=64, batch_size=16, val_split=0.9,
                       extra=[("stop", "core.early_stopping", {"min_epochs": 0, **stop})],
                       extra_edges=["loss.loss -> stop.loss"])
    program = compile_graph(graph, REGISTRY, seed=0, monitors=False)
    session = Session(program, epochs=epochs)
    kept = []
    session.epoch_ends.append(lambda _epoch: kept.append(copies(program)))
    return session, session.run(), kept


def copies(program) -> dict:
    return {k: np.array(v, copy=True) for k, v in program.weights_to_host().items()}


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("stop_factor", [100.0, 0.05])  # runs to the end / stops early
def test_the_run_ends_with_the_best_epochs_weights(stop_factor):
    session, events, kept = run({"stop_factor": stop_factor, "restore_best": True})
    losses = [h["val/loss"] for h in session.history]
    best = int(np.argmin(losses))
    assert best < len(losses) - 1  # the last epoch is not the best: there is something to undo
    weights = copies(session.program)
    assert [i for i, epoch in enumerate(kept) if same(weights, epoch)] == [best]
    # evaluated again, the restored weights give the best epoch's validation loss
    assert session.program.evaluate("val")["loss"] == pytest.approx(losses[best], rel=1e-5)
    assert abs(losses[-1] - losses[best]) > 1e-4
    logs = [e.message for e in events if isinstance(e, Log)]
    assert any(f"restored the parameters of epoch {best + 1}," in m for m in logs)
    finished = [e for e in events if isinstance(e, Finished)][-1]
    assert finished.reason == ("completed" if stop_factor > 1 else "early_stopped")


def test_without_restore_best_the_run_keeps_its_last_weights():
    session, events, kept = run({"stop_factor": 100.0})
    history = list(session.history)
    assert not any("restored" in e.message for e in events if isinstance(e, Log))
    assert len(kept) == len(history)
    assert same(copies(session.program), kept[-1])
    assert not same(kept[-1], kept[int(np.argmin([h["val/loss"] for h in history]))])


def test_a_branch_from_a_checkpoint_keeps_the_best_epoch_so_far(tmp_path):
    """The best epoch's copies are part of the program's state: a run branched at epoch 20
    ends with the same restored weights as the run it branched from."""
    from engines import checkpoint

    saved = {}

    def program_with_checkpoint():
        graph = digits_mlp(lr=0.5, hidden=64, batch_size=16, val_split=0.9,
                           extra=[("stop", "core.early_stopping",
                                   {"stop_factor": 100.0, "min_epochs": 0,
                                    "restore_best": True})],
                           extra_edges=["loss.loss -> stop.loss"])
        return compile_graph(graph, REGISTRY, seed=0, monitors=False)

    program = program_with_checkpoint()
    session = Session(program, epochs=40)
    session.epoch_ends.append(lambda epoch: saved.setdefault(
        "path", checkpoint.save(checkpoint.capture(program, session, epoch), tmp_path))
        if epoch == 19 else None)
    session.run()
    branched = program_with_checkpoint()
    second = Session(branched, epochs=40)
    checkpoint.branch(second, checkpoint.load(saved["path"]))
    second.run()
    assert same(copies(program), copies(branched))
