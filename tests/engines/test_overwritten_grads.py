"""A gradient written whole by its only reader: same numbers, two passes fewer."""

from __future__ import annotations

import numpy as np

from engines import compiler
from plugins.core.fused import KERNELS
from tests.engines.graphs import build, trained


def _fan_out_net():
    """d1 feeds two activations (a fan-out: its gradient must add up); the rest is a chain."""
    return build("fan", [
        ("data", "core.dataset", {"dataset": "digits", "batch_size": 100, "val_split": 0.0}),
        ("d1", "core.dense", {"units": 24}),
        ("t1", "core.tanh", {}),
        ("s1", "core.sigmoid", {}),
        ("sum", "core.add", {}),
        ("d2", "core.dense", {"units": 16}),
        ("r2", "core.relu", {}),
        ("d3", "core.dense", {"units": 10}),
        ("loss", "core.softmax_cross_entropy", {}),
        ("opt", "core.adam", {"lr": 0.01}),
    ], ["data.x -> d1.x", "d1.y -> t1.x", "d1.y -> s1.x", "t1.y -> sum.a", "s1.y -> sum.b",
        "sum.y -> d2.x", "d2.y -> r2.x", "r2.y -> d3.x", "d3.y -> loss.pred",
        "data.y -> loss.target", "loss.loss -> opt.loss"])


def _trained(steps: int = 25):
    program = trained(_fan_out_net(), steps, seed=1)  # 1797 digits: short last batches
    marked = {key for key, buf in program.outputs.items() if buf.grad_overwrite}
    return program, marked


def test_only_single_reader_gradients_are_overwritten():
    _, marked = _trained(1)
    # each read by one Dense, ReLU or (compiled) softmax cross-entropy only
    expected = {("sum", "y"), ("d2", "y"), ("r2", "y")}
    if KERNELS.get() is not None:
        expected.add(("d3", "y"))
    assert marked == expected
    # d1.y has two readers (its gradient adds up); t1, s1 feed Add, which accumulates


def test_training_equals_the_always_accumulating_engine(monkeypatch):
    program, _ = _trained()
    fast = {name: program.peek(name, "W") for name in ("d1", "d2", "d3")}
    monkeypatch.setattr(compiler, "_mark_overwritten_grads", lambda comp: None)
    program, marked = _trained()
    assert not marked
    for name, weights in fast.items():
        np.testing.assert_array_equal(weights, program.peek(name, "W"))
