"""RBM: free energy and the likelihood gradient against brute-force enumeration; CD-1 and PCD
raise the exact log-likelihood of a 6-visible, 4-hidden machine; the node's views exist."""

import itertools

import numpy as np
import pytest
from scipy.special import logsumexp

from engines.compiler import compile_graph
from engines.events import Image, Scalar
from engines.session import Session
from graph.model import Edge, Graph, Node
from plugins import default_registry
from plugins.energy.rbm_core import RBMKernel

REGISTRY = default_registry()  # the engine takes its node types from the caller

VISIBLE, HIDDEN = 6, 4
ALL_V = np.array(list(itertools.product([0.0, 1.0], repeat=VISIBLE)))
ALL_H = np.array(list(itertools.product([0.0, 1.0], repeat=HIDDEN)))


def neg_energy(W, a, b):
    """-E(v, h) for every visible state (rows) and hidden state (columns)."""
    return ALL_V @ a[:, None] + (ALL_H @ b)[None, :] + ALL_V @ W @ ALL_H.T


def exact_log_likelihood(W, a, b, data) -> float:
    """Mean log p(v) over data, by enumerating all 2^6 x 2^4 joint states."""
    joint = neg_energy(W, a, b)
    log_pv = logsumexp(joint, axis=1) - logsumexp(joint)
    index = (data @ (2 ** np.arange(VISIBLE)[::-1])).astype(int)
    return float(log_pv[index].mean())


def random_rbm(seed, scale=0.5):
    rng = np.random.default_rng(seed)
    return (rng.normal(0, scale, (VISIBLE, HIDDEN)), rng.normal(0, scale, VISIBLE),
            rng.normal(0, scale, HIDDEN))


def test_free_energy_matches_enumeration_over_hidden_states():
    W, a, b = random_rbm(1)
    kernel = RBMKernel(np, np.random.default_rng(0), W, a, b, len(ALL_V), dtype=np.float64)
    expected = -logsumexp(neg_energy(W, a, b), axis=1)
    assert np.allclose(kernel.free_energy(ALL_V), expected, atol=1e-10)


def test_likelihood_gradient_is_data_minus_model_correlation():
    W, a, b = random_rbm(2)
    data = ALL_V[[3, 17, 17, 40, 63]]
    kernel = RBMKernel(np, np.random.default_rng(0), W, a, b, len(ALL_V), dtype=np.float64)
    h_data = kernel.hidden_probs(data, np.zeros((len(data), HIDDEN))).copy()
    h_all = kernel.hidden_probs(ALL_V, np.zeros((len(ALL_V), HIDDEN))).copy()
    joint = neg_energy(W, a, b)
    p_v = np.exp(logsumexp(joint, axis=1) - logsumexp(joint))
    analytic = data.T @ h_data / len(data) - (ALL_V * p_v[:, None]).T @ h_all
    numeric = np.zeros_like(W)
    eps = 1e-6
    for i, j in np.ndindex(W.shape):
        plus, minus = W.copy(), W.copy()
        plus[i, j] += eps
        minus[i, j] -= eps
        numeric[i, j] = (exact_log_likelihood(plus, a, b, data)
                         - exact_log_likelihood(minus, a, b, data)) / (2 * eps)
    assert np.allclose(analytic, numeric, atol=1e-7)


def rbm_graph(method="cd", k=1, lr=0.1):
    graph = Graph("rbm")
    graph.add_node(Node("data", "energy.patterns", {"source": "random", "count": 12,
                                                    "units": VISIBLE, "values": "binary"}))
    graph.add_node(Node("rbm", "energy.rbm", {"hidden": HIDDEN, "method": method, "k": k,
                                              "lr": lr, "momentum": 0.5,
                                              "weight_decay": 0.0, "init_scale": 0.1}))
    graph.connect(Edge("data", "patterns", "rbm", "x"))
    return graph


def current_ll(program):
    W, a, b = (program.params[("rbm", name)].value.astype(np.float64) for name in "Wab")
    data = program.outputs[("data", "patterns")].value.astype(np.float64)
    return exact_log_likelihood(W, a, b, data), data


@pytest.mark.parametrize(("method", "lr"), [("cd", 0.1), ("pcd", 0.3)])
def test_training_raises_the_exact_log_likelihood(method, lr):
    program = compile_graph(rbm_graph(method, lr=lr), REGISTRY, seed=5)
    before, data = current_ll(program)
    events = Session(program, epochs=600).run()
    after, _ = current_ll(program)
    distinct = len({tuple(row) for row in data})
    # start near the uniform model (-6 ln 2 = -4.16); the ceiling is the data's own entropy
    assert before < -4.0
    assert after > before + 0.5, (before, after)
    assert after <= -np.log(distinct) + 1e-6
    errors = [e.value for e in events if isinstance(e, Scalar) and e.tag == "train/recon_error"]
    assert errors[-1] < errors[0]


def test_cd1_reconstruction_error_falls_on_digits_and_views_are_emitted():
    graph = Graph("rbm digits")
    graph.add_node(Node("data", "core.dataset", {"dataset": "digits", "batch_size": 50,
                                                 "val_split": 0.2}))
    graph.add_node(Node("rbm", "energy.rbm", {"hidden": 25, "lr": 0.1}))
    graph.connect(Edge("data", "x", "rbm", "x"))
    program = compile_graph(graph, REGISTRY, seed=0)
    events = Session(program, epochs=8).run()
    errors = [e.value for e in events if isinstance(e, Scalar) and e.tag == "val/recon_error"]
    assert errors[-1] < 0.75 * errors[0], errors
    tags = {e.tag for e in events if isinstance(e, (Scalar, Image))}
    assert {"free_energy/train", "free_energy/val", "weights/rbm", "hidden/rbm", "recon/rbm",
            "samples/rbm"} <= tags
    assert program.outputs[("rbm", "h")].value.shape[1] == 25


def test_gaussian_free_energy_matches_enumeration_over_hidden_states():
    W, a, b = random_rbm(3)
    v = np.random.default_rng(4).normal(size=(5, VISIBLE))
    kernel = RBMKernel(np, np.random.default_rng(0), W, a, b, 5, visible="gaussian",
                       dtype=np.float64)
    # E(v, h) = |v - a|^2 / 2 - b.h - v W h
    neg = -0.5 * ((v - a) ** 2).sum(axis=1)[:, None] + (ALL_H @ b)[None, :] + v @ W @ ALL_H.T
    assert np.allclose(kernel.free_energy(v), -logsumexp(neg, axis=1), atol=1e-10)


def test_gaussian_rbm_learns_the_standardised_pca3d_cloud():
    graph = Graph("gaussian rbm")
    graph.add_node(Node("data", "core.dataset", {"dataset": "pca3d", "samples": 400,
                                                 "noise": 0.1, "batch_size": 40,
                                                 "val_split": 0.25}))
    graph.add_node(Node("rbm", "energy.rbm", {"hidden": 16, "visible": "gaussian",
                                              "lr": 0.01, "init_scale": 0.1}))
    graph.connect(Edge("data", "x", "rbm", "x"))
    program = compile_graph(graph, REGISTRY, seed=0)
    events = Session(program, epochs=30).run()
    errors = [e.value for e in events if isinstance(e, Scalar) and e.tag == "val/recon_error"]
    assert errors[-1] < 0.7 * errors[0], errors
    assert np.isfinite(errors).all()


def test_rbms_stack_through_their_hidden_probabilities():
    graph = Graph("stacked rbms")
    graph.add_node(Node("data", "core.dataset", {"dataset": "digits", "batch_size": 50}))
    graph.add_node(Node("rbm1", "energy.rbm", {"hidden": 32, "lr": 0.1}))
    graph.add_node(Node("rbm2", "energy.rbm", {"hidden": 16, "lr": 0.1, "method": "pcd"}))
    graph.connect(Edge("data", "x", "rbm1", "x"))
    graph.connect(Edge("rbm1", "h", "rbm2", "x"))
    program = compile_graph(graph, REGISTRY, seed=0)
    session = Session(program, epochs=6)
    session.run()
    top = program.outputs[("rbm2", "h")].value
    assert top.shape[1] == 16 and np.all((top >= 0) & (top <= 1))
    first, last = session.history[0], session.history[-1]
    assert last["train/recon_error"] < first["train/recon_error"]
    assert "train/rbm2.recon_error" in last  # the second RBM's metric keeps its own name
