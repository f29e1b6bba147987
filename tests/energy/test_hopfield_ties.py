"""Hopfield ties (a_j = T exactly) keep the neuron's state, decided exactly for Hebbian
storage and within TIE_RTOL for the pseudo-inverse rule, never by rounding noise.

The reference is integer arithmetic (int64) on the sums X^T X, independent of the float path.
"""

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.session import Session
from graph.model import Edge, Graph, Node
from plugins import default_registry
from plugins.energy.hopfield import (
    TIE_RTOL,
    asynchronous_sweep,
    hebbian_storage,
    pseudo_inverse_storage,
    synchronous_step,
    tie_tolerance,
)

REGISTRY = default_registry()


def bipolar(rng, rows, n):
    return np.where(rng.random((rows, n)) < 0.5, -1, 1).astype(np.int64)


def reference_sync(patterns: np.ndarray, states: np.ndarray, n_threshold: int) -> np.ndarray:
    """One synchronous update in integers: compare sum_i (X^T X)_ji s_i with N T."""
    sums = patterns.T @ patterns
    np.fill_diagonal(sums, 0)
    activation = states @ sums
    return np.where(activation > n_threshold, 1, np.where(activation < n_threshold, -1, states))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_threshold", [0, 4])
def test_hebbian_synchronous_ties_are_exact(dtype, n_threshold):
    rng = np.random.default_rng(0)
    n, count = 200, 2  # few patterns: many activations are exactly 0 or 4
    patterns = bipolar(rng, count, n)
    cues = bipolar(rng, 64, n)
    sums = patterns.T @ patterns
    np.fill_diagonal(sums, 0)
    ties = (cues @ sums) == n_threshold
    assert ties.sum() > 100  # the test really meets ties
    storage = hebbian_storage(patterns)
    states = cues.astype(dtype)
    matrix = storage.matrix.astype(dtype)
    threshold = (n_threshold / n) * storage.scale  # T = 0.02 becomes N T = 4 exactly
    synchronous_step(np, matrix, states, np.zeros_like(states), threshold,
                     np.empty_like(states), tie_tolerance(storage, 0.0, n_threshold / n))
    expected = reference_sync(patterns, cues, n_threshold)
    assert np.array_equal(states, expected)
    assert np.array_equal(states[ties], cues[ties])  # a tie keeps the old state


def test_hebbian_asynchronous_ties_are_exact():
    rng = np.random.default_rng(1)
    n = 120
    patterns = bipolar(rng, 2, n)
    while (n - int(patterns[0] @ patterns[1])) // 2 % 2 == 0:  # parity: see below
        patterns = bipolar(rng, 2, n)
    storage = hebbian_storage(patterns)
    sums = storage.matrix.astype(np.int64)
    # a cue with x1.s = 2 and x2.s = 0 makes a_j = 2 x1_j - 2 s_j: a tie wherever s_j = x1_j.
    # x2.s = x1.s - 2 (sum of x1_j s_j where x1 and x2 differ), so x2.s can reach 0 (moving
    # by 4 below) only when the patterns differ in an odd number of places
    cue = patterns[0].copy()
    cue[rng.permutation(n)[:59]] *= -1  # x1.s = 120 - 2 * 59 = 2
    while int(patterns[1] @ cue) != 0:  # x2.s -> 0 by 4 keeping x1.s: flip a +/- pair
        sign = np.sign(patterns[1] @ cue)
        pushes = patterns[1] * cue == sign
        i = rng.choice(np.flatnonzero((cue == patterns[0]) & pushes))
        k = rng.choice(np.flatnonzero((cue != patterns[0]) & pushes))
        cue[i], cue[k] = -cue[i], -cue[k]
    assert int(patterns[0] @ cue) == 2 and int(patterns[1] @ cue) == 0
    tied = cue == patterns[0]  # visit the tied neurons first, before any flip moves x1.s
    order = np.concatenate([rng.permutation(np.flatnonzero(tied)),
                            rng.permutation(np.flatnonzero(~tied))])
    expected, met_ties = cue.copy(), 0
    for i in order:  # the sweep in integers, one neuron at a time
        activation = int(sums[i] @ expected)
        met_ties += activation == 0
        expected[i] = 1 if activation > 0 else -1 if activation < 0 else expected[i]
    assert met_ties > 50
    for batch in (1, 3):  # the scalar one-cue path and the batched path
        states_t = np.repeat(cue[:, None], batch, axis=1).astype(np.float32)
        asynchronous_sweep(np, storage.matrix.astype(np.float32), states_t,
                           np.zeros_like(states_t), 0.0, order, np.empty_like(states_t))
        assert np.array_equal(states_t, np.repeat(expected[:, None], batch, axis=1))


def hopfield_run(patterns_params: dict, hopfield: dict, seed: int):
    graph = Graph("ties")
    graph.add_node(Node("pat", "energy.patterns", patterns_params))
    graph.add_node(Node("hop", "energy.hopfield", hopfield))
    graph.connect(Edge("pat", "patterns", "hop", "patterns"))
    program = compile_graph(graph, REGISTRY, seed=seed, monitors=False)
    Session(program, epochs=1).run()
    return (program.outputs[("pat", "patterns")].value.copy(),
            program.outputs[("hop", "state")].value.copy())


def test_fixed_point_status_near_capacity_matches_integer_arithmetic():
    """The review's case: N = 200, p/N = 0.14. Which stored patterns are fixed points of one
    synchronous update must not depend on rounding (it did for 5 of 448 before)."""
    compared = 0
    for seed in range(4):
        patterns, state = hopfield_run({"source": "random", "count": 28, "units": 200},
                                       {"update": "synchronous", "sweeps": 1}, seed)
        exact = patterns.astype(np.int64)
        expected = reference_sync(exact, exact, 0)
        assert np.array_equal(state, expected)
        fixed = (state == patterns).all(axis=1)
        assert np.array_equal(fixed, (expected == exact).all(axis=1))
        compared += len(fixed)
    assert compared == 112


@pytest.mark.parametrize("old", [1.0, -1.0])
def test_pseudo_inverse_tie_within_the_documented_tolerance(old):
    rng = np.random.default_rng(2)
    n = 64
    patterns = bipolar(rng, 5, n).astype(np.float64)
    storage = pseudo_inverse_storage(patterns)
    assert storage.rtol == TIE_RTOL
    cue = bipolar(rng, 1, n).astype(np.float64)
    j = 7
    cue[0, j] = old
    exact = (cue @ storage.matrix)[0, j]  # w_jj = 0: a_j does not depend on s_j
    threshold = float(exact)  # a tie in exact arithmetic; float32 sums miss it by ~1e-7
    tol = tie_tolerance(storage, 0.0, threshold)
    states = cue.astype(np.float32)
    synchronous_step(np, storage.matrix.astype(np.float32), states, np.zeros_like(states),
                     threshold, np.empty_like(states), tol.astype(np.float32))
    assert states[0, j] == old  # unchanged on the tie
    # just outside the tolerance the neuron is decided again
    for shift, decided in ((+3.0, -1.0), (-3.0, 1.0)):
        states = cue.astype(np.float32)
        synchronous_step(np, storage.matrix.astype(np.float32), states, np.zeros_like(states),
                         threshold + shift * tol[j], np.empty_like(states),
                         tol.astype(np.float32))
        assert states[0, j] == decided


def test_pseudo_inverse_node_keeps_stored_patterns():
    patterns, state = hopfield_run({"source": "random", "count": 20, "units": 64},
                                   {"rule": "pseudo_inverse", "update": "synchronous"}, 0)
    assert np.array_equal(state, patterns)  # projection rule: every pattern is stable
