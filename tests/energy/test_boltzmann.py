"""Boltzmann machine: annealing schedule, encoder wiring, and learning the 4-2-4 encoder."""

import numpy as np

from engines.compiler import compile_graph
from engines.events import Image, Scalar
from engines.session import Session
from graph.model import Edge, Graph, Node
from plugins.energy.boltzmann import Annealer, connectivity_mask, temperatures


def test_schedule_is_geometric_from_start_to_end():
    schedule = temperatures(10.0, 1.0, 5)
    assert schedule[0] == 10.0 and np.isclose(schedule[-1], 1.0)
    assert np.allclose(schedule[1:] / schedule[:-1], schedule[1] / schedule[0])


def test_encoder_mask_cuts_only_the_wires_between_the_visible_halves():
    mask = connectivity_mask(8, 2, "encoder")
    assert np.all(mask == mask.T) and np.all(np.diag(mask) == 0)
    assert mask[:4, 4:8].sum() == 0 and mask[:4, 8:].all() and mask[4:8, 8:].all()
    assert mask[0, 1] == 1 and mask[8, 9] == 1


def test_gibbs_sweeps_sample_the_boltzmann_distribution_of_two_units():
    # two units, w = 1.5, thresholds 0: P(s) is proportional to exp(w s1 s2)
    weights = np.array([[0.0, 1.5], [1.5, 0.0]])
    annealer = Annealer(weights, np.zeros(2), np.random.default_rng(0))
    states = (np.random.default_rng(1).random((2, 4000)) < 0.5).astype(float)
    pair, single = annealer.anneal(states, np.arange(2), np.array([1.0] * 5), 20)
    z = 3 + np.exp(1.5)
    assert abs(pair[0, 1] - np.exp(1.5) / z) < 0.02
    assert abs(single[0] - (1 + np.exp(1.5)) / z) < 0.02


def test_learns_the_4_2_4_encoder():
    # Maximum-likelihood learning of 4-2-4 has local optima (two inputs sharing a hidden
    # code); with the default settings seed 0 finds a full code in 400 learning steps.
    graph = Graph("encoder")
    graph.add_node(Node("pat", "energy.patterns", {"source": "encoder", "count": 4,
                                                   "values": "binary"}))
    graph.add_node(Node("bm", "energy.boltzmann", {"hidden": 2}))
    graph.connect(Edge("pat", "patterns", "bm", "data"))
    program = compile_graph(graph, seed=0)
    events = Session(program, epochs=40).run()
    completion = program.outputs[("bm", "completion")].value
    output_half = completion[:, 4:]
    assert np.all(np.argmax(output_half, axis=1) == np.arange(4))
    assert np.all(np.diag(output_half) > 0.6)
    assert np.all(output_half[~np.eye(4, dtype=bool)] < 0.4)
    accuracy = [e.value for e in events if isinstance(e, Scalar)
                and e.tag == "boltzmann/completion_accuracy"]
    assert accuracy[0] < 1.0 and accuracy[-1] == 1.0
    assert {"weights/bm", "completion/bm"} <= {e.tag for e in events if isinstance(e, Image)}
