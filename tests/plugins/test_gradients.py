"""Float64 finite-difference checks of every differentiable core kernel."""

from __future__ import annotations

import numpy as np
import pytest

from engines.gradcheck import NodeHarness, assert_gradients, check_gradients
from engines.program import Step
from graph.registry import Registry
from graph.spec import NodeSpec, PortKind, PortSpec, no_params_same_shape

TOL = 1e-6
X = {"x": (5, 4)}

CASES = [
    ("core.dense", X, {"units": 3}),
    ("core.dense", X, {"units": 3, "bias": False, "init": "he_normal"}),
    ("core.dense", X, {"units": 3, "l1": 0.1, "l2": 0.3}),
    ("core.sigmoid", X, {}),
    ("core.sigmoid", X, {"slope": 2.5}),
    ("core.tanh", X, {}),
    ("core.relu", X, {}),
    ("core.leaky_relu", X, {"alpha": 0.2}),
    ("core.elu", X, {"alpha": 0.7}),
    ("core.softplus", X, {}),
    ("core.softmax", X, {}),
    ("core.linear", X, {}),
    ("core.add", {"a": (5, 3), "b": (5, 3)}, {}),
    ("core.concat", {"a": (5, 3), "b": (5, 2)}, {}),
    ("core.concat", {"a": (5, 3), "b": (5, 2), "c": (5, 1), "d": (5, 2)}, {}),
    ("core.split", X, {"at": 1}),
    ("core.dropout", X, {"rate": 0.0}),
    ("core.gaussian_noise", X, {"stddev": 0.0}),
    ("core.mse", {"pred": (5, 3), "target": (5, 3)}, {}),
]


def test_mse_passes_a_gradient_into_a_computed_target():
    result = check_gradients("core.mse", {"pred": (5, 3), "target": (5, 3)})
    assert set(result.errors) == {"pred", "target"} and result.max_error < TOL


@pytest.mark.parametrize("type_id, inputs, params", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_kernel_gradients_match_finite_differences(type_id, inputs, params):
    result = check_gradients(type_id, inputs, params, wrt=tuple(p for p in inputs
                                                                 if p != "target"))
    assert result.errors, "nothing was checked"
    assert result.max_error < TOL, str(result)


def test_kernels_without_input_grad_run():
    """wrt=() gives x no grad buffer: kernels must skip x.grad and still fill W.grad."""
    result = check_gradients("core.dense", X, {"units": 2}, wrt=())
    assert set(result.errors) == {"W", "b"}
    assert result.max_error < TOL


def test_relu_family_away_from_the_kink():
    values = {"x": np.array([[-2.0, -0.5, 0.5, 2.0], [1.5, -1.5, 0.3, -0.3]])}
    for type_id in ("core.relu", "core.leaky_relu", "core.elu"):
        assert check_gradients(type_id, {"x": (2, 4)}, values=values).max_error < TOL


def test_softmax_cross_entropy_gradient_one_hot_and_soft_targets():
    rng = np.random.default_rng(3)
    one_hot = np.eye(4)[rng.integers(0, 4, 6)]
    soft = rng.dirichlet(np.ones(4), 6) * 1.5  # rows need not sum to one
    for target in (one_hot, soft):
        result = check_gradients("core.softmax_cross_entropy",
                                 {"pred": (6, 4), "target": (6, 4)},
                                 values={"target": target}, wrt=("pred",))
        assert result.max_error < TOL, str(result)


def test_binary_cross_entropy_gradient_several_outputs():
    rng = np.random.default_rng(4)
    values = {"pred": rng.uniform(0.05, 0.95, (6, 3)),
              "target": rng.integers(0, 2, (6, 3)).astype(float)}
    result = check_gradients("core.binary_cross_entropy", {"pred": (6, 3), "target": (6, 3)},
                             values=values, wrt=("pred",))
    assert result.max_error < TOL, str(result)


def test_kl_divergence_gradient():
    rng = np.random.default_rng(5)
    values = {"pred": rng.dirichlet(np.ones(4), 6), "target": rng.dirichlet(np.ones(4), 6)}
    values["target"][0] = [0.0, 1.0, 0.0, 0.0]  # zero-probability terms count zero
    result = check_gradients("core.kl_divergence", {"pred": (6, 4), "target": (6, 4)},
                             values=values, wrt=("pred",))
    assert result.max_error < TOL, str(result)


def test_stochastic_binary_passes_the_sigmoid_derivative():
    harness = NodeHarness("core.stochastic_binary", {"x": (40, 5)})
    harness.backward()
    p = 1 / (1 + np.exp(-harness.inputs["x"].value))
    assert set(np.unique(harness.outputs["y"].value)) <= {0.0, 1.0}
    np.testing.assert_allclose(harness.inputs["x"].grad, harness.weights["y"] * p * (1 - p))


def test_threshold_passes_zero_gradient():
    harness = NodeHarness("core.threshold", {"x": (3, 2)})
    harness.backward()
    assert np.all(harness.inputs["x"].grad == 0)


def test_dropout_gradient_uses_the_forward_mask():
    harness = NodeHarness("core.dropout", {"x": (50, 20)}, {"rate": 0.3})
    harness.backward()
    x, y = harness.inputs["x"], harness.outputs["y"]
    kept = y.value != 0
    expected = np.where(kept, harness.weights["y"] / 0.7, 0.0)
    np.testing.assert_allclose(x.grad, expected)
    np.testing.assert_allclose(y.value[kept], x.value[kept] / 0.7)


def _wrong_tanh(ctx):
    x, y = ctx.input("x"), ctx.output("y")

    def forward():
        np.tanh(x.value, out=y.value)

    def backward():
        x.grad += y.grad * (1 - y.value)  # wrong on purpose: should be 1 - y^2

    return Step(forward, backward)


def test_checker_catches_a_wrong_gradient():
    registry = Registry()
    registry.register(NodeSpec("test.wrong_tanh", "Wrong tanh", "Test", "",
                               inputs=(PortSpec("x", PortKind.TENSOR),),
                               outputs=(PortSpec("y", PortKind.TENSOR),),
                               infer_shapes=no_params_same_shape), _wrong_tanh, pack="test")
    result = check_gradients("test.wrong_tanh", X, registry=registry)
    assert result.max_error > 1e-2


def test_assert_gradients_reports_the_failing_arrays():
    assert assert_gradients("core.tanh", X).max_error < TOL
    with pytest.raises(AssertionError, match="no gradient was checked"):
        assert_gradients("core.tanh", X, wrt=())
