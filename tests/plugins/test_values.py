"""Forward values of activations, noise, wiring nodes and losses against known results."""

from __future__ import annotations

import numpy as np

from engines.gradcheck import NodeHarness


def run(type_id, values, params=None, training=True):
    inputs = {port: np.shape(v) for port, v in values.items()}
    harness = NodeHarness(type_id, inputs, params, values=values, training=training)
    harness.forward()
    return {name: buf.value for name, buf in harness.outputs.items()}, harness


def test_sigmoid_with_slope_and_tanh():
    x = np.array([[-1.0, 0.0, 2.0]])
    y, _ = run("core.sigmoid", {"x": x}, {"slope": 2.0})
    np.testing.assert_allclose(y["y"], 1 / (1 + np.exp(-2 * x)))
    y, _ = run("core.tanh", {"x": x})
    np.testing.assert_allclose(y["y"], np.tanh(x))


def test_threshold_is_a_hard_step_binary_and_bipolar():
    x = np.array([[-0.5, 0.0, 0.5]])
    assert run("core.threshold", {"x": x})[0]["y"].tolist() == [[0, 1, 1]]
    assert run("core.threshold", {"x": x}, {"bipolar": True})[0]["y"].tolist() == [[-1, 1, 1]]


def test_relu_family_values():
    x = np.array([[-2.0, -0.5, 0.0, 3.0]])
    assert run("core.relu", {"x": x})[0]["y"].tolist() == [[0, 0, 0, 3]]
    np.testing.assert_allclose(run("core.leaky_relu", {"x": x}, {"alpha": 0.1})[0]["y"],
                               [[-0.2, -0.05, 0, 3]])
    np.testing.assert_allclose(run("core.elu", {"x": x}, {"alpha": 2.0})[0]["y"],
                               [[2 * (np.exp(-2) - 1), 2 * (np.exp(-0.5) - 1), 0, 3]])
    np.testing.assert_allclose(run("core.linear", {"x": x})[0]["y"], x)


def test_softplus_and_softmax_are_stable_for_huge_inputs():
    x = np.array([[-800.0, 0.0, 800.0]])
    y = run("core.softplus", {"x": x})[0]["y"]
    np.testing.assert_allclose(y, [[0.0, np.log(2), 800.0]], atol=1e-12)
    y = run("core.softmax", {"x": np.array([[1000.0, 1000.0, -1000.0], [1.0, 2.0, 3.0]])})[0]
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(y["y"], [[0.5, 0.5, 0.0], e / e.sum()])


def test_dropout_scales_kept_values_and_is_identity_in_evaluation():
    x = np.ones((200, 50))
    y = run("core.dropout", {"x": x}, {"rate": 0.25})[0]["y"]
    assert set(np.unique(y)) == {0.0, 1 / 0.75}
    assert abs((y == 0).mean() - 0.25) < 0.02  # 10,000 draws: 4.6 standard deviations
    np.testing.assert_array_equal(run("core.dropout", {"x": x}, {"rate": 0.25},
                                      training=False)[0]["y"], x)


def test_dropout_masks_repeat_with_the_seed_and_change_between_steps():
    x = np.ones((20, 10))
    first, harness = run("core.dropout", {"x": x}, {"rate": 0.5})
    first = first["y"].copy()
    harness.forward()
    assert not np.array_equal(first, harness.outputs["y"].value)
    again = run("core.dropout", {"x": x}, {"rate": 0.5})[0]["y"]
    np.testing.assert_array_equal(first, again)


def test_gaussian_noise_has_its_stddev_in_training_only():
    x = np.zeros((400, 50))
    y = run("core.gaussian_noise", {"x": x}, {"stddev": 0.3})[0]["y"]
    assert abs(y.std() - 0.3) < 0.01 and abs(y.mean()) < 0.01
    np.testing.assert_array_equal(run("core.gaussian_noise", {"x": x}, {"stddev": 0.3},
                                      training=False)[0]["y"], x)


def test_concat_add_split_values():
    a, b, c = np.ones((2, 2)), np.full((2, 1), 2.0), np.full((2, 3), 3.0)
    y = run("core.concat", {"a": a, "b": b, "c": c})[0]["y"]
    assert y.tolist() == [[1, 1, 2, 3, 3, 3]] * 2
    assert run("core.add", {"a": a, "b": a * 4})[0]["y"].tolist() == [[5, 5]] * 2
    parts = run("core.split", {"x": np.arange(10.0).reshape(2, 5)}, {"at": 2})[0]
    assert parts["a"].tolist() == [[0, 1], [5, 6]]
    assert parts["b"].tolist() == [[2, 3, 4], [7, 8, 9]]


def loss_and_accuracy(type_id, pred, target):
    out, harness = run(type_id, {"pred": pred, "target": target})
    accuracy = harness.compilation.program.outputs[("node", "accuracy")].value[0]
    return out["loss"][0], accuracy


def test_mse_keeps_the_half_factor_and_batch_mean():
    loss, accuracy = loss_and_accuracy("core.mse", np.array([[1.0], [0.2]]),
                                       np.array([[0.0], [0.0]]))
    assert np.isclose(loss, (0.5 * 1.0 + 0.5 * 0.04) / 2)
    assert accuracy == 0.5


def test_softmax_cross_entropy_value_accuracy_and_stability():
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3], [1000.0, 0.0, -1000.0]])
    target = np.eye(3)[[0, 2, 1]]
    loss, accuracy = loss_and_accuracy("core.softmax_cross_entropy", logits, target)
    expected = 0.0
    for row, label in zip(logits[:2], [0, 2]):
        expected -= np.log(np.exp(row[label]) / np.exp(row).sum())
    expected += 1000.0  # third row: log softmax of the middle logit is -1000
    assert np.isclose(loss, expected / 3)
    assert np.isclose(accuracy, 1 / 3)


def test_binary_cross_entropy_value_clipping_and_multi_output_accuracy():
    pred = np.array([[0.9, 0.2], [0.4, 0.6], [1.0, 0.0]])
    target = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    loss, accuracy = loss_and_accuracy("core.binary_cross_entropy", pred, target)
    clipped = np.clip(pred, 1e-7, 1 - 1e-7)
    per_sample = -(target * np.log(clipped) + (1 - target) * np.log(1 - clipped)).sum(axis=1)
    assert np.isfinite(loss) and np.isclose(loss, per_sample.mean())
    assert np.isclose(accuracy, 1 / 3)  # only the first row has both outputs right


def test_dense_penalty_is_l1_abs_plus_half_l2_square():
    out, harness = run("core.dense", {"x": np.ones((2, 3))}, {"units": 4, "l1": 0.1, "l2": 0.4})
    W = harness.params["W"].value
    expected = 0.1 * np.abs(W).sum() + 0.2 * (W ** 2).sum()
    assert np.isclose(out["penalty"][0], expected)
    np.testing.assert_allclose(out["y"], np.ones((2, 3)) @ W + harness.params["b"].value)


def test_stochastic_binary_fires_with_the_sigmoid_probability():
    x = np.tile([[-2.0, 0.0, 1.0]], (4000, 1))
    y = run("core.stochastic_binary", {"x": x})[0]["y"]
    p = 1 / (1 + np.exp(-x[0]))
    assert np.all(np.abs(y.mean(axis=0) - p) < 0.03)  # 4000 draws: > 3.8 standard deviations
    evaluated = run("core.stochastic_binary", {"x": x[:1]}, training=False)[0]["y"]
    assert evaluated.tolist() == [[0, 1, 1]]


def test_kl_divergence_value():
    pred = np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]])
    target = np.array([[1.0, 0.0, 0.0], [0.2, 0.6, 0.2]])
    loss, accuracy = loss_and_accuracy("core.kl_divergence", pred, target)
    expected = (np.log(1 / 0.5) + (target[1] * np.log(target[1] / pred[1])).sum()) / 2
    assert np.isclose(loss, expected)
    assert accuracy == 1.0
