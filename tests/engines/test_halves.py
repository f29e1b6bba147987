"""Two-thread elementwise updates give exactly the one-thread result."""

from __future__ import annotations

import numpy as np

from engines import halves
from tests.engines.graphs import build, trained


def test_split_halves_large_numpy_arrays_only(monkeypatch):
    monkeypatch.setattr(halves, "cpu_count", lambda: 2)
    big = tuple(np.zeros(halves.MIN_SIZE + 1) for _ in range(3))
    parts = halves.split(big, "numpy")
    assert [p[0].size for p in parts] == [halves.MIN_SIZE // 2, halves.MIN_SIZE // 2 + 1]
    assert all(np.shares_memory(p[1], big[1]) for p in parts)  # views, not copies
    assert len(halves.split(tuple(a[:100] for a in big), "numpy")) == 1
    assert len(halves.split(big, "cupy")) == 1
    monkeypatch.setattr(halves, "cpu_count", lambda: 1)
    assert len(halves.split(big, "numpy")) == 1


def test_run_applies_fn_to_every_part(monkeypatch):
    monkeypatch.setattr(halves, "cpu_count", lambda: 2)
    x = np.arange(halves.MIN_SIZE * 2, dtype=np.float64)
    out = np.empty_like(x)
    halves.run(lambda a, b: np.multiply(a, 2.0, out=b), halves.split((x, out), "numpy"))
    np.testing.assert_array_equal(out, 2.0 * x)


def _adam_mlp():
    return build("wide", [
        ("data", "core.dataset", {"dataset": "digits", "batch_size": 64, "val_split": 0.0}),
        ("d1", "core.dense", {"units": 512}),
        ("t1", "core.tanh", {}),
        ("d2", "core.dense", {"units": 256}),
        ("t2", "core.tanh", {}),
        ("d3", "core.dense", {"units": 10}),
        ("loss", "core.softmax_cross_entropy", {}),
        ("opt", "core.adam", {"lr": 0.003}),
    ], ["data.x -> d1.x", "d1.y -> t1.x", "t1.y -> d2.x", "d2.y -> t2.x", "t2.y -> d3.x",
        "d3.y -> loss.pred", "data.y -> loss.target", "loss.loss -> opt.loss"])


def _train(steps: int) -> dict:
    program = trained(_adam_mlp(), steps, seed=3)
    return {name: program.peek(name, "W") for name in ("d1", "d2", "d3")}


def test_adam_split_over_two_threads_equals_one_thread(monkeypatch):
    monkeypatch.setattr(halves, "cpu_count", lambda: 1)
    one = _train(12)
    monkeypatch.setattr(halves, "cpu_count", lambda: 2)
    monkeypatch.setattr(halves, "MIN_SIZE", 1 << 10)
    calls = []
    original = halves.run
    monkeypatch.setattr(halves, "run", lambda fn, parts: (calls.append(len(parts)),
                                                          original(fn, parts)))
    two = _train(12)
    assert calls and set(calls) == {2}  # the update really ran in two halves
    for name in one:
        np.testing.assert_array_equal(one[name], two[name])
