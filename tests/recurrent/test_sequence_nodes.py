"""Sequence nodes: finite-difference gradients, the attention window against a direct sum,
and the sequence losses' values."""

from __future__ import annotations

import numpy as np
import pytest

from engines.gradcheck import NodeHarness, check_gradients

SEQ = (3, 5, 4)


@pytest.mark.parametrize("type_id, inputs, params", [
    ("recurrent.seq_dense", {"x": SEQ}, {"units": 3, "activation": "linear"}),
    ("recurrent.seq_dense", {"x": SEQ}, {"units": 3, "activation": "tanh"}),
    ("recurrent.seq_dense", {"x": SEQ}, {"units": 3, "activation": "sigmoid"}),
    ("recurrent.last_step", {"x": SEQ}, {}),
    ("recurrent.attention_window", {"x": SEQ}, {"window": 2}),
    ("recurrent.attention_window", {"x": (2, 3, 2)}, {"window": 4}),
    ("recurrent.seq_mse", {"pred": SEQ, "target": SEQ}, {}),
])
def test_gradients_match_finite_differences(type_id, inputs, params):
    result = check_gradients(type_id, inputs, params)
    assert result.errors and result.max_error < 1e-7, str(result)


def test_sequence_cross_entropy_gradient_and_value():
    rng = np.random.default_rng(2)
    target = np.eye(4)[rng.integers(0, 4, (3, 5))]
    result = check_gradients("recurrent.seq_cross_entropy", {"pred": SEQ, "target": SEQ},
                             values={"target": target}, wrt=("pred",))
    assert result.max_error < 1e-7, str(result)
    harness = NodeHarness("recurrent.seq_cross_entropy", {"pred": SEQ, "target": SEQ},
                          values={"target": target})
    harness.forward()
    logits = harness.inputs["pred"].value
    log_p = logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))
    expected = -(target * log_p).sum() / 3  # summed over steps, mean over the batch
    assert harness.outputs["loss"].value[0] == pytest.approx(expected, rel=1e-12)


def test_attention_window_is_the_notes_sum():
    harness = NodeHarness("recurrent.attention_window", {"x": (2, 6, 3)}, {"window": 1})
    logits = np.array([0.3, -0.2, 1.1])
    harness.params["logits"].value[...] = logits
    harness.forward()
    a = np.exp(logits) / np.exp(logits).sum()
    h = np.pad(harness.inputs["x"].value, ((0, 0), (1, 1), (0, 0)))  # zeros at the edges
    expected = np.stack([sum(a[i] * h[:, k + i] for i in range(3)) for k in range(6)], axis=1)
    np.testing.assert_allclose(harness.outputs["y"].value, expected, atol=1e-14)
    assert a.sum() == pytest.approx(1.0)
