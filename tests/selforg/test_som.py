"""Kohonen SOM: against MiniSom on the same data, lattice and schedule; errors; views; input."""

import numpy as np
import pytest

from engines.compiler import CompileError, compile_graph
from engines.events import Finished, FinishReason, Image, Points, Scalar
from engines.session import Session
from graph.model import Edge, Graph, Node
from plugins.selforg import som_model


def som_graph(samples: dict, som: dict):
    graph = Graph("som")
    graph.add_node(Node("data", "selforg.samples", samples))
    graph.add_node(Node("som", "selforg.som", som))
    graph.connect(Edge("data", "x", "som", "x"))
    graph.connect(Edge("data", "labels", "som", "labels"))
    return graph


def train(registry, samples, som, seed=0, epochs=1000):
    program = compile_graph(som_graph(samples, som), registry, seed=seed)
    events = Session(program, epochs=epochs).run()
    data = program.outputs[("data", "x")].value.astype(np.float64)
    weights = program.params[("som", "W")].value.astype(np.float64)
    return data, weights, events


def test_quantisation_error_within_ten_percent_of_minisom_over_five_seeds(registry):
    minisom = pytest.importorskip("minisom")
    ours, theirs = [], []
    for seed in range(5):
        data, weights, _ = train(registry, {"set": "uniform", "count": 400},
                                 {"rows": 8, "cols": 8, "iterations": 2000, "sigma": 2.0,
                                  "learning_rate": 0.5, "updates_per_step": 200}, seed=seed)
        ours.append(som_model.quantisation_error(np, data, weights))
        reference = minisom.MiniSom(8, 8, 2, sigma=2.0, learning_rate=0.5, random_seed=seed)
        reference.random_weights_init(data)
        reference.train_random(data, 2000)
        theirs.append(reference.quantization_error(data))
    assert abs(np.mean(ours) / np.mean(theirs) - 1) < 0.10


def test_errors_agree_with_minisom_on_the_same_weights():
    minisom = pytest.importorskip("minisom")
    rng = np.random.default_rng(0)
    data = rng.random((300, 3))
    reference = minisom.MiniSom(5, 7, 3, random_seed=1)
    reference.random_weights_init(data)
    reference.train_random(data, 200)
    weights = reference.get_weights().reshape(35, 3)  # row-major: unit (i, j) -> i * 7 + j
    assert som_model.quantisation_error(np, data, weights) == \
        pytest.approx(reference.quantization_error(data), rel=1e-9)
    assert som_model.topographic_error(np, data, weights, 7) == \
        pytest.approx(reference.topographic_error(data))


def test_schedules_start_and_end_where_they_say():
    assert som_model.scheduled("asymptotic", 3.0, 0.0, 0, 100) == 3.0
    assert som_model.scheduled("asymptotic", 3.0, 0.0, 100, 100) == pytest.approx(1.0)
    assert som_model.scheduled("exponential", 4.0, 0.5, 100, 100) == pytest.approx(0.5)
    assert som_model.scheduled("exponential", 4.0, 1.0, 50, 100) == pytest.approx(2.0)
    assert som_model.scheduled("linear", 1.0, 0.0, 25, 100) == pytest.approx(0.75)


def test_lattice_unfolds_over_uniform_data_and_the_run_ends_with_the_schedule(registry):
    data, weights, events = train(registry, {"set": "uniform", "count": 500},
                                  {"rows": 6, "cols": 6, "iterations": 3000, "sigma": 3.0,
                                   "schedule": "exponential", "sigma_end": 0.5,
                                   "learning_rate": 0.5, "updates_per_step": 300})
    assert som_model.topographic_error(np, data, weights, 6) < 0.05  # no twists or folds
    edges = som_model.grid_edges(6, 6)
    lengths = np.linalg.norm(weights[edges[:, 0]] - weights[edges[:, 1]], axis=1)
    assert lengths.max() < 0.35  # grid neighbours stay close: the map is spread, not tangled
    finished = [e for e in events if isinstance(e, Finished)]
    assert finished[0].reason is FinishReason.CONVERGED
    qe = [e.value for e in events if isinstance(e, Scalar) and e.tag == "som/som/qe"]
    assert qe[-1] < qe[0]
    lattice = [e for e in events if isinstance(e, Points) and e.tag == "som/som/lattice"][-1]
    assert lattice.xy.shape == (36, 2) and lattice.edges.shape == (2 * 6 * 5, 2)
    umatrix = [e for e in events if isinstance(e, Image) and e.tag == "som/som/umatrix"][-1]
    assert umatrix.array.shape == (11, 11)
    expected = np.linalg.norm(weights[0] - weights[1])  # units (0, 0) and (0, 1)
    assert umatrix.array[0, 1] == pytest.approx(expected, rel=1e-5)


def test_batch_mode_fits_a_ring(registry):
    data, weights, _ = train(registry, {"set": "ring", "count": 400},
                             {"rows": 1, "cols": 20, "mode": "batch", "iterations": 30,
                              "schedule": "exponential", "sigma": 5.0, "sigma_end": 0.7,
                              "updates_per_step": 5})
    radius = np.linalg.norm(weights - 0.5, axis=1)
    assert np.all((radius > 0.25) & (radius < 0.55))  # every unit lies on the ring
    assert som_model.quantisation_error(np, data, weights) < 0.1


def test_digits_map_shows_prototypes_and_planes(registry):
    _, weights, events = train(registry, {"set": "digits", "count": 300},
                               {"rows": 4, "cols": 4, "iterations": 600,
                                "updates_per_step": 300})
    tags = {e.tag for e in events if isinstance(e, Image)}
    assert {"som/som/prototypes", "som/som/planes", "som/som/umatrix"} <= tags
    data = [e for e in events if isinstance(e, Points) and e.tag == "som/som/data"][-1]
    assert data.xy.shape == (300, 2) and set(data.labels) <= set(range(10))
    lattice = [e for e in events if isinstance(e, Points) and e.tag == "som/som/lattice"][-1]
    assert set(lattice.labels) == {int(data.labels.max()) + 1}  # drawn unlike any class


def test_a_lattice_too_large_for_memory_is_one_message(registry):
    graph = som_graph({"set": "digits", "count": 100}, {"rows": 50000, "cols": 50000})
    with pytest.raises(CompileError) as error:
        compile_graph(graph, registry)
    assert error.value.node_id == "som"
    assert "smaller lattice" in str(error.value) and "GiB" in str(error.value)
