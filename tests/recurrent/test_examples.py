"""The recurrent examples: they load and validate, train at a small size, the adding problem
separates LSTM from SimpleRNN, and the vanishing-gradient-through-time demo reproduces the
notes' factors w^K from the engine's gradients in float64."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.events import Points
from engines.records import load_initial_weights
from engines.session import Session
from graph.fileio import load_graph
from graph.validate import Severity, validate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAMES = ["adding_lstm_vs_simple_rnn", "elman_mackey_glass", "jordan_sine",
         "elman_truncated_bptt", "gru_characters", "gru_words", "bidirectional_parity",
         "attention_window_sine", "vanishing_gradient_through_time"]


def _load(name, registry, **data_params):
    graph = load_graph(EXAMPLES / f"{name}.dgraph", registry)
    graph.nodes["data"].params.update(data_params)
    return graph


@pytest.mark.parametrize("name", NAMES)
def test_example_is_valid(name, registry):
    graph = _load(name, registry)
    assert not [p for p in validate(graph, registry) if p.severity is Severity.ERROR]


def test_example_names_cover_the_families():
    joined = " ".join(NAMES)
    for word in ("elman", "jordan", "lstm", "gru", "bidirectional", "attention"):
        assert word in joined


def _train(graph, registry, epochs):
    program = compile_graph(graph, registry, seed=graph.settings["seed"])
    session = Session(program, epochs=epochs)
    events = session.run()
    return list(session.history), events


@pytest.mark.parametrize("name, samples, epochs, ratio", [
    ("elman_mackey_glass", 300, 6, 0.5), ("jordan_sine", 300, 6, 0.7),
    ("elman_truncated_bptt", 300, 6, 0.5), ("bidirectional_parity", 600, 12, 0.3),
    ("attention_window_sine", 300, 6, 0.5),
])
def test_small_run_learns(name, samples, epochs, ratio, registry):
    history, _ = _train(_load(name, registry, samples=samples), registry, epochs)
    assert history[-1]["val/loss"] < ratio * history[0]["val/loss"]


@pytest.mark.parametrize("name", ["gru_characters", "gru_words"])
def test_token_models_learn_and_show_text(name, registry):
    history, events = _train(_load(name, registry, samples=200, steps=10), registry, 3)
    assert history[-1]["train/loss"] < history[0]["train/loss"]
    assert history[-1]["train/accuracy"] > history[0]["train/accuracy"]
    texts = [e for e in events if type(e).__name__ == "Text"]
    guesses = [e.text for e in texts if e.tag == "text/loss"]
    samples = [e.text for e in texts if e.tag == "sample/loss"]
    assert guesses and guesses[-1].startswith("target: ")
    assert samples and samples[-1].startswith("seed: ")
    generated = samples[-1].split("generated: ")[1]
    assert len(generated) >= 40  # 40 sampled tokens


@pytest.mark.slow
def test_adding_problem_lstm_remembers_where_simple_rnn_forgets(registry):
    history, _ = _train(_load("adding_lstm_vs_simple_rnn", registry), registry, 15)
    final = history[-1]
    lstm_mse, rnn_mse = 2 * final["val/loss"], 2 * final["val/rnn_loss.loss"]  # loss = MSE/2
    assert lstm_mse < 0.05
    assert 0.12 < rnn_mse < 0.25  # near the 1/6 of always answering the mean, 1


def test_vanishing_gradient_through_time_factors(registry):
    graph = _load("vanishing_gradient_through_time", registry)
    program = compile_graph(graph, registry, seed=0)
    assert program.outputs[("data", "x")].value.dtype == np.float64  # the graph's setting
    load_initial_weights(program, EXAMPLES / "vanishing_gradient_through_time.dgraph")
    events = Session(program, epochs=1).run()
    traces = {e.tag: 10 ** e.xy[:, 1] for e in events if isinstance(e, Points)
              and e.tag.startswith("grad_time/")}
    notes = {"w05": 2.94e-39, "w09": 1.39e-6, "w11": 1.99e5, "w15": 3.47e22}
    for name, printed in notes.items():
        w = float(name[1]) + float(name[2]) / 10
        norms = traces[f"grad_time/z_{name}"]
        assert len(norms) == 129
        factor = norms[0] / norms[-1]  # dQ/dh_0 over dQ/dh_128: K = 128 steps apart
        assert factor == pytest.approx(w ** 128, rel=1e-9)
        assert factor == pytest.approx(printed, rel=5e-3)
