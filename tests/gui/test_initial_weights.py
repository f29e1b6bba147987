"""The GUI starts the vanishing-gradient chain from the weights shipped beside its file, as the
headless runner does, and falls back to the graph's own initialisation after an edit."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from graph.commands import SetParam

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vanishing_gradient_chain.dgraph"


def _first_weights(session):
    program = session.program
    return {node: float(np.asarray(program.params[(node, "W")].value).ravel()[0])
            for (node, name) in program.params if name == "W"}


def test_chain_starts_from_the_shipped_weights(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert window.files.open(str(EXAMPLE), ask=False)
    controller = window.run_controller
    session = controller._new_session()
    assert session is not None
    weights = sorted(_first_weights(session).values())
    assert weights == sorted([1.0, -2.0, -2.0, -2.0, 1.0])
    controller.timer.stop()


def test_an_edited_chain_trains_from_its_own_init_and_says_why(qtbot, window, tmp_path,
                                                             monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert window.files.open(str(EXAMPLE), ask=False)
    dense = next(n.id for n in window.graph.nodes.values() if n.type_id == "core.dense")
    window.undo_stack.stack.push(SetParam(dense, "units", 2))
    controller = window.run_controller
    session = controller._new_session()
    assert session is not None  # a mismatch is a note, not a refusal to run
    message = window.statusBar().currentMessage()
    # the note names the weights file, the parameter and both shapes
    assert message.startswith("Initial weights not used: ")
    assert "vanishing_gradient_chain.npz" in message
    assert f"'{dense}/W' have shape (1, 1)" in message and "needs (1, 2)" in message
    controller.timer.stop()
