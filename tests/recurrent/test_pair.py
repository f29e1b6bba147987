"""Recurrent layers over two row parts on two threads (plugins/recurrent/pair.py) train and
report exactly as one cell over the whole batch, up to the order of the weight gradients' sums."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from engines import subnormals
from engines.compiler import compile_graph
from plugins.recurrent import layers, pair
from tests.engines.graphs import build

CASES = [  # (layer type, its params; "h0": True wires an initial state the net computes)
    ("recurrent.lstm", {"units": 6}),
    ("recurrent.lstm", {"units": 5, "peephole": True, "bidirectional": True}),
    ("recurrent.gru", {"units": 6, "convention": "notes"}),
    ("recurrent.gru", {"units": 4, "bidirectional": True}),
    ("recurrent.simple_rnn", {"units": 6, "activation": "relu"}),
    ("recurrent.lstm", {"units": 6, "return_sequences": False}),
    ("recurrent.gru", {"units": 6, "h0": True}),  # an initial state computed by the net
    ("recurrent.lstm", {"units": 6, "stateful": True}),  # each part carries its rows' state
    ("recurrent.gru", {"units": 5, "stateful": True, "bidirectional": True}),
]


def _graph(layer, params):
    params = dict(params)
    initial = [("init", "core.dense", {"units": params["units"]})] if params.pop("h0", False) \
        else []
    sequences = params.get("return_sequences", True)
    head = [("out", "recurrent.seq_dense", {"units": 1}), ("loss", "recurrent.seq_mse", {})] \
        if sequences else [("out", "core.dense", {"units": 1}), ("loss", "core.mse", {})]
    return build("split", [
        # 45 sequences in batches of 20: the last batch has 5 rows, split 3 + 2
        ("data", "recurrent.sequence_task", {"task": "sine", "steps": 7, "samples": 45,
                                             "batch_size": 20, "val_split": 0.0,
                                             "shuffle": False}),
        ("rnn", layer, params), *head, *initial,
        ("opt", "core.sgd", {"lr": 0.05, "momentum": 0.5}),
    ], ["data.x -> rnn.x", f"rnn.{'y' if sequences else 'h'} -> out.x", "out.y -> loss.pred",
        "loss.loss -> opt.loss", "data.y -> loss.target" if sequences
        else "data.y_last -> loss.target",
        *(["data.y_last -> init.x", "init.y -> rnn.h0"] if initial else [])])


def _train(registry, monkeypatch, graph, split_rows):
    monkeypatch.setattr(layers, "SPLIT_ROWS", split_rows)
    program = compile_graph(graph, registry, seed=3, dtype=np.float64)
    events = []
    for step in range(6):  # two epochs of 20, 20, 5 rows
        program.train_step(step % 3)
        for monitor in program.monitors:
            events.extend(monitor.fn(program.phase))
    return program, events


@pytest.mark.skipif(not pair.two_cores(), reason="the split needs two CPUs")
@pytest.mark.parametrize("layer, params", CASES, ids=[f"{c[0]}{c[1]}" for c in CASES])
def test_two_row_parts_train_as_one_cell(registry, monkeypatch, layer, params):
    calls = []

    def counted(first, second):
        calls.append(1)
        pair.run_pair(first, second)

    monkeypatch.setattr(layers, "run_pair", counted)
    graph = _graph(layer, params)
    split, split_events = _train(registry, monkeypatch, graph, 16)
    directions = 2 if params.get("bidirectional") else 1
    assert len(calls) == 6 * 2 * directions  # every forward and backward, each direction
    calls.clear()
    whole, whole_events = _train(registry, monkeypatch, graph, 10 ** 9)
    assert not calls
    for key, value in whole.weights_to_host().items():
        np.testing.assert_allclose(split.weights_to_host()[key], value, rtol=1e-11,
                                   atol=1e-13, err_msg=key)
    assert [e.tag for e in split_events] == [e.tag for e in whole_events]
    assert any(e.tag.startswith("grad_time/") for e in split_events)
    for a, b in zip(split_events, whole_events):
        np.testing.assert_allclose(_data(a), _data(b), rtol=1e-9, atol=1e-12, err_msg=a.tag)


def _data(event):
    for name in ("array", "xy", "value"):
        if hasattr(event, name):
            return np.asarray(getattr(event, name), dtype=float)
    raise AssertionError(f"no data on {event}")


def test_run_pair_runs_both_and_raises_either_error():
    seen = []
    pair.run_pair(lambda: seen.append(threading.get_ident()),
                  lambda: seen.append(threading.get_ident()))
    assert len(seen) == 2 and seen[0] == threading.get_ident() != seen[1]

    def fail():
        raise ValueError("second")

    with pytest.raises(ValueError, match="second"):
        pair.run_pair(lambda: None, fail)
    with pytest.raises(KeyError):
        pair.run_pair(lambda: {}["first"], lambda: None)
    pair.run_pair(lambda: seen.append(1), lambda: seen.append(2))  # still serves after errors
    assert seen[-2:] in ([1, 2], [2, 1])


def test_a_second_caller_runs_its_halves_inline_while_the_helper_is_busy():
    inside, release, order = threading.Event(), threading.Event(), []

    def hold():
        inside.set()
        release.wait(5)

    busy = threading.Thread(target=pair.run_pair, args=(hold, lambda: None))
    busy.start()
    assert inside.wait(5)
    pair.run_pair(lambda: order.append(threading.get_ident()),
                  lambda: order.append(threading.get_ident()))
    release.set()
    busy.join(5)
    assert order == [threading.get_ident()] * 2  # both on this thread, no waiting


@pytest.mark.skipif(not subnormals.supported(), reason="x86-64 Linux only")
def test_the_helper_flushes_subnormals_as_the_caller_does():
    tiny = np.array([np.finfo(np.float32).tiny], dtype=np.float32)
    results = {}

    def halve(key):
        results[key] = float((tiny * np.float32(0.5))[0])  # subnormal, or 0 when flushed

    pair.run_pair(lambda: None, lambda: halve("plain"))
    with subnormals.flushed():
        pair.run_pair(lambda: None, lambda: halve("flushed"))
    pair.run_pair(lambda: None, lambda: halve("after"))
    assert results["plain"] > 0 and results["after"] > 0
    assert results["flushed"] == 0
