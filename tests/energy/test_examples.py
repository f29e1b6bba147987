"""The energy-model example graphs load, compile and do what their titles promise."""

from pathlib import Path

import numpy as np

from engines.compiler import compile_graph
from engines.events import Failed, Finished, Scalar
from engines.session import Session
from graph.fileio import load_graph

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name, registry):
    graph = load_graph(EXAMPLES / f"{name}.dgraph", registry)
    program = compile_graph(graph, registry, seed=graph.settings["seed"])
    return graph, program


def test_hopfield_letters_recalls_every_letter_from_noise(registry):
    graph, program = load("hopfield_letters", registry)
    events = Session(program, epochs=graph.settings["epochs"]).run()
    state = program.outputs[("memory", "state")].value
    letters = program.outputs[("letters", "patterns")].value
    assert state.shape == (8, 144)
    assert np.array_equal(state, letters)
    assert [e.reason for e in events if isinstance(e, Finished)] == ["converged"]


def test_boltzmann_encoder_example_learns_the_code(registry):
    graph, program = load("boltzmann_encoder", registry)
    events = Session(program, epochs=graph.settings["epochs"]).run()
    accuracy = [e.value for e in events if isinstance(e, Scalar)
                and e.tag == "boltzmann/completion_accuracy"]
    assert accuracy[-1] == 1.0


def test_rbm_digits_example_trains(registry):
    _, program = load("rbm_digits", registry)
    events = Session(program, epochs=3).run()
    assert not [e for e in events if isinstance(e, Failed)]
    errors = [e.value for e in events if isinstance(e, Scalar) and e.tag == "val/recon_error"]
    assert errors[-1] < errors[0]


def test_dbn_arms_are_the_same_net_but_for_pretraining(registry):
    pretrained, first = load("dbn_letters", registry)
    random_start, second = load("dbn_letters_random_init", registry)
    assert first.param_counts == second.param_counts
    assert pretrained.nodes["dbn"].params["pretrain_epochs"] == 5
    assert random_start.nodes["dbn"].params["pretrain_epochs"] == 0
    # the fine-tuning budget is the same: 4 layers x 5 pretraining epochs, then 20 epochs
    assert pretrained.settings["epochs"] - 4 * 5 == random_start.settings["epochs"] == 20


def test_examples_read_left_to_right(registry):
    from graph.validate import validate
    for name in ("hopfield_letters", "boltzmann_encoder", "rbm_digits", "dbn_letters",
                 "dbn_letters_random_init"):
        graph = load_graph(EXAMPLES / f"{name}.dgraph", registry)
        assert not [p for p in validate(graph, registry) if p.severity == "error"]
        x = {node_id: node.position[0] for node_id, node in graph.nodes.items()}
        assert all(x[e.src] < x[e.dst] for e in graph.edges), name
        positions = [tuple(node.position) for node in graph.nodes.values()]
        assert len(set(positions)) == len(positions), name
