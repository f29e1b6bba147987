"""Boltzmann machine: annealing schedule, wiring, the Gibbs sampler against exact
probabilities, and learning the 4-2-4 encoder on most of 12 seeds (checked by brute force)."""

import itertools

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.events import Image, Scalar
from engines.session import Session
from graph.model import Edge, Graph, Node
from plugins import default_registry
from plugins.energy.boltzmann import (
    Annealer,
    connectivity_mask,
    parse_schedule,
    recall,
    temperatures,
)

REGISTRY = default_registry()  # the engine takes its node types from the caller


def test_schedule_is_geometric_from_start_to_end():
    schedule = temperatures(10.0, 1.0, 5)
    assert schedule[0] == 10.0 and np.isclose(schedule[-1], 1.0)
    assert np.allclose(schedule[1:] / schedule[:-1], schedule[1] / schedule[0])


def test_schedule_text_lists_one_temperature_per_sweep():
    assert parse_schedule("2@20, 2@15,1@12; 3@10") == [20, 20, 15, 15, 12, 10, 10, 10]
    for bad in ("", "2@x", "2@-1", "two@10"):
        with pytest.raises(ValueError, match="schedule"):
            parse_schedule(bad)


def test_masks_cut_the_wires_they_promise():
    mask = connectivity_mask(8, 2, "encoder")
    assert np.all(mask == mask.T) and np.all(np.diag(mask) == 0)
    assert mask[:4, 4:8].sum() == 0 and mask[:4, 8:].all() and mask[4:8, 8:].all()
    assert mask[0, 1] == 1 and mask[8, 9] == 1
    layered = connectivity_mask(8, 2, "layered")
    assert layered[:8, :8].sum() == 0 and layered[:8, 8:].all() and layered[8, 9] == 1


def exact_distribution(weights, thresholds, temperature):
    states = np.array(list(itertools.product((0.0, 1.0), repeat=len(thresholds))))
    energy = -0.5 * np.einsum("si,ij,sj->s", states, weights, states) + states @ thresholds
    p = np.exp(-(energy - energy.min()) / temperature)
    return states, p / p.sum()


def test_gibbs_sweeps_sample_the_boltzmann_distribution():
    rng = np.random.default_rng(3)
    w = rng.normal(0, 1.5, (4, 4))
    weights = np.triu(w, 1) + np.triu(w, 1).T
    thresholds = rng.normal(0, 1, 4)
    annealer = Annealer(weights.astype(np.float32), thresholds.astype(np.float32),
                        np.random.default_rng(0))
    states = (rng.random((4, 8000)) < 0.5).astype(np.float32)
    pair, single = annealer.anneal(states, None, [2.0] * 5, 20)
    exact_states, p = exact_distribution(weights, thresholds, 2.0)
    assert np.allclose(single, p @ exact_states, atol=0.02)
    assert np.allclose(pair, exact_states.T @ (exact_states * p[:, None]), atol=0.02)


def test_clamped_columns_stay_clamped():
    annealer = Annealer(np.ones((3, 3), np.float32) - np.eye(3, dtype=np.float32),
                        np.zeros(3, np.float32), np.random.default_rng(0))
    states = np.zeros((3, 10), np.float32)
    annealer.anneal(states, None, [1.0], 3, free_from=np.array([6, 0, 10]))
    assert not states[0, :6].any() and not states[2].any()


def exact_recall(weights, thresholds, clamp, n_visible, temperature):
    """P(the unclamped visible units equal the data row | the first `clamp` are clamped)."""
    states, p = exact_distribution(weights, thresholds, temperature)
    rates = []
    for row in np.eye(clamp):
        given = np.all(states[:, :clamp] == row, axis=1)
        right = given & np.all(states[:, clamp:n_visible] == row, axis=1)
        rates.append(p[right].sum() / p[given].sum())
    return np.array(rates)


def encoder_graph(**params):
    graph = Graph("encoder")
    graph.add_node(Node("pat", "energy.patterns", {"source": "encoder", "count": 4,
                                                   "values": "binary"}))
    graph.add_node(Node("bm", "energy.boltzmann", {"hidden": 2, **params}))
    graph.connect(Edge("pat", "patterns", "bm", "data"))
    return graph


SEEDS = 12
LEARNED_AT_LEAST = 6


@pytest.mark.slow
def test_learns_the_4_2_4_encoder_on_most_seeds():
    # 1200 learning steps with the defaults (the paper's procedure plus weight decay 0.01).
    # Learned: with V1 clamped to each one-hot row, V2 is the matching one-hot row with
    # probability >= 0.9 at T = 1, computed exactly (enumerating the conditional
    # distribution). Some seeds end in a poor local minimum: 39 of seeds 0-44 learned
    # (rate 0.867). With 12 seeds and at least 6 learned, a correct implementation passes
    # with probability 0.9997 at that rate (0.987 even at its 95% lower bound, 0.754), while
    # one that learns on 20% of seeds passes with probability 0.02.
    # The annealed recall (512 runs per row: schedule, then 200 sweeps cooling, 10 samples
    # each) must agree on every learned seed: >= 0.8 (its lowest over those 39 seeds: 0.89).
    learned, annealed_of_learned = [], []
    schedule = parse_schedule("2@20, 2@15, 2@12, 4@10")
    for seed in range(SEEDS):
        # 30 epochs of 40 steps: recall (its own random stream) runs 30 times, not 120
        program = compile_graph(encoder_graph(steps_per_epoch=40), REGISTRY, seed=seed)
        events = Session(program, epochs=30).run()
        weights, thresholds = (b.value for b in program.params_of("bm"))
        exact = exact_recall(weights.astype(np.float64), thresholds.astype(np.float64), 4, 8,
                             1.0)
        learned.append(bool(exact.min() >= 0.9))
        if learned[-1]:
            annealer = Annealer(weights, thresholds, np.random.default_rng(0))
            data = program.outputs[("pat", "patterns")].value
            _, annealed = recall(annealer, data, 4, schedule, 1.0, 512, cooling_sweeps=200)
            annealed_of_learned.append(float(annealed.min()))
        tags = {e.tag for e in events if isinstance(e, (Image, Scalar))}
        assert {"weights/bm", "completion/bm", "boltzmann/worst_recall"} <= tags
    assert sum(learned) >= LEARNED_AT_LEAST, learned
    assert min(annealed_of_learned) >= 0.8, annealed_of_learned


def test_sampled_recall_matches_the_exact_conditional():
    rng = np.random.default_rng(1)
    w = rng.normal(0, 1.0, (6, 6))
    weights = (np.triu(w, 1) + np.triu(w, 1).T).astype(np.float32)
    thresholds = rng.normal(0, 0.5, 6).astype(np.float32)
    data = np.concatenate([np.eye(2), np.eye(2)], axis=1).astype(np.float32)
    annealer = Annealer(weights, thresholds, np.random.default_rng(0))
    _, rate = recall(annealer, data, 2, [4.0, 2.0, 1.5], 1.5, 2000, samples=5)
    exact = exact_recall(weights.astype(float), thresholds.astype(float), 2, 4, 1.5)
    assert np.allclose(rate, exact, atol=0.03)
