"""Checkpoints and branches: a branch continued from a checkpoint without edits equals the
parent's own continuation bit for bit on NumPy (weights, optimizer state, data order, random
generators, stop-rule history), in memory and through the files; a program of another graph
is refused."""

from pathlib import Path

import numpy as np
import pytest

from engines.checkpoint import CheckpointError, capture, load, restore, save
from engines.compiler import compile_graph
from engines.session import Session
from graph.fileio import load_graph

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _graph(registry, name):
    graph = load_graph(EXAMPLES / f"{name}.dgraph", registry)
    graph.settings["engine"] = "numpy"
    return graph


def _parent(registry, name, epochs, at):
    """Run name for epochs, keeping a checkpoint after epoch `at` (1-based)."""
    program = compile_graph(_graph(registry, name), registry, seed=5)
    session = Session(program, epochs=epochs)
    kept = {}

    def keep(epoch):
        if epoch + 1 == at:
            kept["checkpoint"] = capture(program, session, epoch)
    session.epoch_ends.append(keep)
    session.run()
    return program, session, kept["checkpoint"]


def _branch(registry, name, epochs, checkpoint):
    program = compile_graph(_graph(registry, name), registry, seed=5)
    session = Session(program, epochs=epochs)
    session.start_epoch = checkpoint.next_epoch
    session.resume_state = lambda: restore(program, checkpoint, session)
    failed = [e for e in session.run() if type(e).__name__ == "Failed"]
    assert not failed, failed
    return program, session


@pytest.mark.parametrize("name", ["digits_mlp", "xor_mlp", "rbm_digits", "jordan_sine",
                                  "som_ring", "boltzmann_encoder", "spiking_delays"])
def test_branch_without_edits_equals_the_parents_continuation(registry, name, tmp_path):
    parent, parent_session, checkpoint = _parent(registry, name, 8, at=3)
    branch, branch_session = _branch(registry, name, 8, checkpoint)
    a, b = parent.weights_to_host(), branch.weights_to_host()
    assert a.keys() == b.keys()
    for key in a:
        assert np.array_equal(a[key], b[key]), key
    assert list(parent_session.history) == list(branch_session.history)
    assert len(branch_session.history) == 8
    # the same through the files
    again = load(save(checkpoint, tmp_path / "checkpoints"))
    from_file, _ = _branch(registry, name, 8, again)
    c = from_file.weights_to_host()
    assert all(np.array_equal(a[k], c[k]) for k in a)


def test_a_checkpoint_of_another_graph_is_refused(registry):
    _, _, checkpoint = _parent(registry, "xor_mlp", 3, at=2)
    other = compile_graph(_graph(registry, "digits_mlp"), registry, seed=5)
    with pytest.raises(CheckpointError, match="another graph|differently|shape"):
        restore(other, checkpoint)


def test_writer_keeps_the_newest_checkpoints_within_the_disk_budget(registry, tmp_path):
    from engines.checkpoint import CheckpointWriter, attach_checkpoints, list_checkpoints
    program = compile_graph(_graph(registry, "xor_mlp"), registry, seed=5)
    session = Session(program, epochs=12)
    probe = CheckpointWriter(session, tmp_path / "probe", every=1)
    session.epoch_ends.append(probe)
    budget = None

    def measure(epoch):
        nonlocal budget
        if budget is None:
            size = sum(f.stat().st_size for f in (tmp_path / "probe").iterdir())
            budget = int(size * 3.5)  # room for three checkpoints
            writer.budget = budget
    writer = CheckpointWriter(session, tmp_path / "kept", every=2, budget_bytes=1 << 30)
    session.epoch_ends += [measure, writer]
    session.run()
    assert [e for e, _ in list_checkpoints(tmp_path / "kept")] == [8, 10, 12]
    assert attach_checkpoints(Session(program, 5), tmp_path, {"epochs": 400}).every == 40
    assert attach_checkpoints(Session(program, 5), tmp_path, {"checkpoint_every": 0}).every == 0
