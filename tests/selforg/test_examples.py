"""The self-organising examples load, validate and do what their descriptions say, small."""

from pathlib import Path

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.events import Failed, Scalar
from engines.session import Session
from graph.fileio import load_graph
from graph.validate import validate
from tests.neurons.views_fed import unfed_views

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SKIP_VIEWS = {  # prototypes are drawn as images only for image-shaped samples (digits)
    "som_uniform": ("Prototypes",), "som_ring": ("Prototypes",)}
NAMES = ("som_uniform", "som_ring", "som_digits", "bam_letters", "bam_capacity",
         "art1_letters")


def run(name, registry, epochs=None, **overrides):
    graph = load_graph(EXAMPLES / f"{name}.dgraph", registry)
    for node_id, params in overrides.items():
        graph.nodes[node_id].params.update(params)
    program = compile_graph(graph, registry, seed=graph.settings["seed"])
    events = Session(program, epochs=epochs or graph.settings["epochs"]).run()
    assert not [e for e in events if isinstance(e, Failed)], name
    assert unfed_views(graph, registry, events, SKIP_VIEWS.get(name, ())) == [], name
    return program, events


def last(events, tag):
    return [e.value for e in events if isinstance(e, Scalar) and e.tag == tag][-1]


@pytest.mark.parametrize("name", NAMES)
def test_example_is_valid_and_has_a_description(registry, name):
    graph = load_graph(EXAMPLES / f"{name}.dgraph", registry)
    assert not [p for p in validate(graph, registry) if p.severity == "error"]
    assert graph.description


@pytest.mark.parametrize("name", ["som_uniform", "som_ring"])
def test_som_examples_organise(registry, name):
    _, events = run(name, registry, som={"iterations": 3000, "updates_per_step": 300})
    assert last(events, "som/som/te") < 0.1
    assert last(events, "som/som/qe") < 0.1


def test_som_digits_example_reduces_its_error(registry):
    _, events = run("som_digits", registry, data={"count": 300},
                    som={"iterations": 1000, "updates_per_step": 500})
    qe = [e.value for e in events if isinstance(e, Scalar) and e.tag == "som/som/qe"]
    assert qe[-1] < qe[0]


def test_bam_letters_example_recalls_every_pair(registry):
    _, events = run("bam_letters", registry)
    assert last(events, "bam/bam/recall") == 1.0


def test_bam_capacity_example_sweeps(registry):
    program, _ = run("bam_capacity", registry, capacity={"max_pairs": 8, "trials": 5})
    curve = np.array(program.extras["bam_capacity"]["capacity"])
    assert curve.shape == (8, 2) and curve[0, 1] == 1.0


def test_art1_letters_example_forms_categories(registry):
    _, events = run("art1_letters", registry, epochs=5)
    assert 2 <= last(events, "art1/art/categories") <= 12
