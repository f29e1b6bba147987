"""Optimizers: each lowers a convex loss, and one to three steps match formulas written here
independently in NumPy float64."""

from __future__ import annotations

import numpy as np
import pytest

from engines.compiler import compile_graph
from plugins import default_registry
from tests.engines.graphs import build

REGISTRY = default_registry()  # the engine takes its node types from the caller

STEPS = 3


def regression(optimizer: str, params: dict, samples: int = 64):
    """Full-batch linear regression on the sine data: one dense unit and MSE (convex)."""
    graph = build("regression", [
        ("data", "core.dataset", {"dataset": "sine", "samples": samples,
                                  "batch_size": samples, "val_split": 0.0, "shuffle": False}),
        ("dense", "core.dense", {"units": 1}),
        ("loss", "core.mse", {}),
        ("opt", optimizer, params),
    ], ["data.x -> dense.x", "dense.y -> loss.pred", "data.y -> loss.target",
        "loss.loss -> opt.loss"])
    return compile_graph(graph, REGISTRY, seed=1, dtype=np.float64)


def batch(program):
    program.load("train", 0)
    return (program.outputs[("data", "x")].value.copy(),
            program.outputs[("data", "y")].value.copy())


def weights(program):
    return (program.params[("dense", "W")].value.copy(),
            program.params[("dense", "b")].value.copy())


def gradient(x, y, W, b):
    """d/dW, d/db of 1/(2n) sum (x W + b - y)^2."""
    err = (x @ W + b - y) / len(x)
    return x.T @ err, err.sum(axis=0)


def run_reference(program, rule, steps=STEPS):
    """Train `steps` steps and replay them with rule(params, grads, state) -> new params."""
    x, y = batch(program)
    params, state = list(weights(program)), {}
    for _ in range(steps):
        program.train_step(0)
        params = rule(params, gradient(x, y, *params), state)
    for got, expected in zip(weights(program), params):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_sgd_momentum_weight_decay_matches_formula():
    lr, mu, rho = 0.1, 0.9, 0.01

    def rule(params, grads, state):  # dW_t = -lr (g + rho W) + mu dW_{t-1}
        deltas = state.setdefault("dW", [np.zeros_like(p) for p in params])
        for i, (p, g) in enumerate(zip(params, grads)):
            deltas[i] = -lr * (g + rho * p) + mu * deltas[i]
        return [p + d for p, d in zip(params, deltas)]

    run_reference(regression("core.sgd", {"lr": lr, "momentum": mu, "weight_decay": rho}),
                  rule)


def test_nesterov_matches_torch_style_formula():
    lr, mu = 0.1, 0.9

    def rule(params, grads, state):  # PyTorch: buf = mu buf + g; p -= lr (g + mu buf)
        bufs = state.setdefault("buf", [np.zeros_like(p) for p in params])
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            bufs[i] = mu * bufs[i] + g
            out.append(p - lr * (g + mu * bufs[i]))
        return out

    run_reference(regression("core.sgd", {"lr": lr, "momentum": mu, "nesterov": True}), rule)


def test_adam_bias_corrected_steps_match_formula():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8

    def rule(params, grads, state):
        t = state["t"] = state.get("t", 0) + 1
        m = state.setdefault("m", [np.zeros_like(p) for p in params])
        v = state.setdefault("v", [np.zeros_like(p) for p in params])
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            m_hat, v_hat = m[i] / (1 - b1 ** t), v[i] / (1 - b2 ** t)
            out.append(p - lr * m_hat / (np.sqrt(v_hat) + eps))
        return out

    program = regression("core.adam", {"lr": lr})
    w0 = weights(program)
    run_reference(program, rule)
    # each Adam step moves a weight by at most about lr (|m_hat| <= sqrt(v_hat))
    assert np.all(np.abs(weights(program)[0] - w0[0]) <= STEPS * lr * (1 + 1e-6))


def test_adagrad_matches_formula():
    lr, eps = 0.1, 1e-10

    def rule(params, grads, state):
        total = state.setdefault("G", [np.zeros_like(p) for p in params])
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            total[i] = total[i] + g * g
            out.append(p - lr * g / (np.sqrt(total[i]) + eps))
        return out

    run_reference(regression("core.adagrad", {"lr": lr}), rule)


def test_adagrad_with_the_notes_momentum_and_decay():
    lr, eps, mu, rho = 0.1, 1e-10, 0.5, 0.01

    def rule(params, grads, state):  # dW = -lr (g / sqrt(sum g^2) + rho W) + mu dW_prev
        total = state.setdefault("G", [np.zeros_like(p) for p in params])
        deltas = state.setdefault("dW", [np.zeros_like(p) for p in params])
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            total[i] = total[i] + g * g
            deltas[i] = -lr * (g / (np.sqrt(total[i]) + eps) + rho * p) + mu * deltas[i]
            out.append(p + deltas[i])
        return out

    run_reference(regression("core.adagrad", {"lr": lr, "momentum": mu, "weight_decay": rho}),
                  rule)


def test_adadelta_matches_models_md_form():
    a, b, eps, lr = 0.9, 0.95, 1e-6, 1.0

    def rule(params, grads, state):
        s = state.setdefault("S", [np.zeros_like(p) for p in params])
        d = state.setdefault("D", [np.zeros_like(p) for p in params])
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            s[i] = a * s[i] + (1 - a) * g ** 2
            step = np.sqrt(d[i] + eps) / np.sqrt(s[i] + eps) * g
            d[i] = b * d[i] + (1 - b) * step ** 2
            out.append(p - lr * step)
        return out

    run_reference(regression("core.adadelta", {"alpha": a, "beta": b}), rule)


def test_rmsprop_matches_formula():
    lr, a, eps = 0.01, 0.9, 1e-8

    def rule(params, grads, state):
        s = state.setdefault("S", [np.zeros_like(p) for p in params])
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            s[i] = a * s[i] + (1 - a) * g ** 2
            out.append(p - lr * g / (np.sqrt(s[i]) + eps))
        return out

    run_reference(regression("core.rmsprop", {"lr": lr, "decay": a}), rule)


def test_rprop_matches_the_notes_rule():
    eta0, a, b, lo, hi = 0.05, 1.2, 0.5, 1e-6, 50.0

    def rule(params, grads, state):  # eta x a on the same sign, x b on a flip; dW = -eta sign g
        etas = state.setdefault("eta", [np.full_like(p, eta0) for p in params])
        previous = state.setdefault("g", [np.zeros_like(p) for p in params])
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            s = g * previous[i]
            etas[i] = np.where(s > 0, np.minimum(etas[i] * a, hi),
                               np.where(s < 0, np.maximum(etas[i] * b, lo), etas[i]))
            previous[i] = g
            out.append(p - etas[i] * np.sign(g))
        return out

    run_reference(regression("core.rprop", {"lr": eta0}), rule, steps=6)


def test_sgd_local_gains_match_the_rule():
    lr, mu, bonus, penalty, lo, hi = 0.1, 0.5, 0.05, 0.95, 0.1, 10.0

    def rule(params, grads, state):
        gains = state.setdefault("gain", [np.ones_like(p) for p in params])
        previous = state.setdefault("step", [np.zeros_like(p) for p in params])
        deltas = state.setdefault("dW", [np.zeros_like(p) for p in params])
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            s = lr * g * previous[i]
            gains[i] = np.clip(np.where(s > 0, gains[i] + bonus,
                                        np.where(s < 0, gains[i] * penalty, gains[i])), lo, hi)
            previous[i] = lr * g
            deltas[i] = -lr * gains[i] * g + mu * deltas[i]
            out.append(p + deltas[i])
        return out

    run_reference(regression("core.sgd", {"lr": lr, "momentum": mu, "local_gains": True}),
                  rule, steps=6)


OPTIMIZERS = [("core.rprop", {"lr": 0.01}),
              ("core.sgd", {"lr": 0.1, "momentum": 0.9, "local_gains": True}),
              ("core.sgd", {"lr": 0.3}), ("core.sgd", {"lr": 0.1, "momentum": 0.9}),
              ("core.sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
              ("core.adagrad", {"lr": 0.1}), ("core.adadelta", {}),
              ("core.rmsprop", {"lr": 0.01}), ("core.adam", {"lr": 0.05})]


@pytest.mark.parametrize("optimizer, params", OPTIMIZERS)
def test_every_optimizer_lowers_a_convex_loss(optimizer, params):
    program = regression(optimizer, params)
    losses = []
    for _ in range(60):
        program.train_step(0)
        losses.append(float(program.outputs[("loss", "loss")].value[0]))
    assert losses[-1] < 0.8 * losses[0], losses[::10]


def test_live_learning_rate_zero_freezes_weights():
    program = regression("core.adam", {"lr": 0.05})
    program.train_step(0)
    program.live["opt"].values["lr"] = 0.0
    before = weights(program)
    program.train_step(0)
    for got, expected in zip(weights(program), before):
        np.testing.assert_array_equal(got, expected)


def test_gathered_parameters_stay_views_of_the_optimizer_storage():
    """The optimizer moves W and b into one buffer; layers and saved weights still see them."""
    program = regression("core.sgd", {"lr": 0.1})
    W = program.params[("dense", "W")]
    assert W.value.base is not None and W.grad.base is not None
    program.load_weights({"dense/W": np.full((1, 1), 2.0), "dense/b": np.full(1, -1.0)})
    program.load("train", 0)
    program.forward()
    x = program.outputs[("data", "x")].value
    np.testing.assert_allclose(program.outputs[("dense", "y")].value, 2.0 * x - 1.0)
    assert set(program.weights_to_host()) == {"dense/W", "dense/b"}


@pytest.mark.parametrize("optimizer, params, step", [
    # SGD: each moves the weights by lr times the gradient, so together by 0.3 g
    ("core.sgd", {}, lambda g: 0.3 * g),
    # Adam's first step is lr times the gradient's sign (m_hat / sqrt(v_hat) = g / |g|); the
    # second Adam updates parameters the first gathered (views of any shape)
    ("core.adam", {"eps": 1e-12}, lambda g: 0.3 * np.sign(g)),
])
def test_two_optimizers_on_one_loss_both_update_the_shared_parameters(optimizer, params,
                                                                      step):
    graph = build("two", [
        ("data", "core.dataset", {"dataset": "sine", "samples": 32, "batch_size": 32,
                                  "val_split": 0.0, "shuffle": False}),
        ("dense", "core.dense", {"units": 1}),
        ("loss", "core.mse", {}),
        ("opt", optimizer, {"lr": 0.1, **params}),
        ("opt2", optimizer, {"lr": 0.2, **params}),
    ], ["data.x -> dense.x", "dense.y -> loss.pred", "data.y -> loss.target",
        "loss.loss -> opt.loss", "loss.loss -> opt2.loss"])
    program = compile_graph(graph, REGISTRY, seed=1, dtype=np.float64)
    x, y = batch(program)
    W0, b0 = weights(program)
    program.train_step(0)
    gW, gb = gradient(x, y, W0, b0)
    W1, b1 = weights(program)
    np.testing.assert_allclose(W1, W0 - step(gW), rtol=1e-9)
    np.testing.assert_allclose(b1, b0 - step(gb), rtol=1e-9)


def test_optimizers_over_overlapping_parameter_sets_update_the_real_weights():
    """optA (built first) sees only d2's W; optB sees d1's and d2's. Each gets the gradient of
    the total loss, so W2 moves twice and W1 once; no update may land on a stale copy."""
    graph = build("overlap", [
        ("data", "core.dataset", {"dataset": "sine", "samples": 16, "batch_size": 16,
                                  "val_split": 0.0, "shuffle": False}),
        ("d1", "core.dense", {"units": 1, "bias": False}),
        ("d2", "core.dense", {"units": 1, "bias": False}),
        ("lossA", "core.mse", {}),
        ("optA", "core.sgd", {"lr": 0.1}),
        ("sum", "core.add", {}),
        ("lossB", "core.mse", {}),
        ("optB", "core.sgd", {"lr": 0.1}),
    ], ["data.x -> d1.x", "data.x -> d2.x", "d2.y -> lossA.pred", "data.y -> lossA.target",
        "lossA.loss -> optA.loss", "d1.y -> sum.a", "d2.y -> sum.b", "sum.y -> lossB.pred",
        "data.y -> lossB.target", "lossB.loss -> optB.loss"])
    program = compile_graph(graph, REGISTRY, seed=2, dtype=np.float64)
    assert program.order.index("optA") < program.order.index("optB")
    x, y = batch(program)
    W1, W2 = (program.params[(n, "W")].value.copy() for n in ("d1", "d2"))
    program.train_step(0)
    n = len(x)
    grad_a = x.T @ (x @ W2 - y) / n
    grad_b = x.T @ (x @ (W1 + W2) - y) / n
    np.testing.assert_allclose(program.params[("d2", "W")].value, W2 - 0.2 * (grad_a + grad_b))
    np.testing.assert_allclose(program.params[("d1", "W")].value, W1 - 0.1 * grad_b)
