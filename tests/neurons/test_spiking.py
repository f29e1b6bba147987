"""Spiking networks: LIF populations, delayed synapses, spike sources, STDP, bad input."""

import math

import numpy as np
import pytest

from engines.compiler import CompileError, compile_graph
from engines.events import Raster, Scalar, Trace
from engines.session import Session
from graph.model import Edge, Graph, Node
from tests.neurons import lif_reference

DT = 0.1


def raster(events, node):
    """Sorted (time, neuron) pairs of a node's Raster events."""
    pairs = [(float(t), int(n)) for e in events if isinstance(e, Raster) and e.tag ==
             f"spikes/{node}" for t, n in zip(e.times, e.neurons)]
    return sorted(pairs)


def lif(count, **params):
    return {"count": count, "tau": 10.0, "threshold": 15.0, "v_reset": 0.0,
            "refractory": 2.0, **params}


def test_network_matches_an_independent_clock_driven_simulation(registry):
    rng = np.random.default_rng(4)
    times = np.round(rng.uniform(1.0, 250.0, 40), 1).tolist()
    neurons = rng.integers(0, 4, 40).tolist()
    populations = {"a": lif(6, bias=12.0), "b": lif(4, bias=16.0, tau=15.0)}
    graph = Graph("net")
    graph.add_node(Node("src", "neurons.spike_train", {"count": 4, "times": times,
                                                       "neurons": neurons}))
    graph.add_node(Node("src_a", "neurons.synapses", {
        "targets": 6, "probability": 0.6, "weight": 6.0, "weight_spread": 3.0, "delay": 1.0,
        "delay_spread": 2.0}))
    graph.add_node(Node("a", "neurons.lif", populations["a"]))
    graph.add_node(Node("a_b", "neurons.synapses", {
        "targets": 4, "connectivity": "all", "weight": 3.0, "delay": 2.0}))
    graph.add_node(Node("b", "neurons.lif", populations["b"]))
    graph.add_node(Node("b_a", "neurons.synapses", {
        "targets": 6, "probability": 0.5, "weight": -4.0, "weight_spread": 2.0, "delay": 1.5,
        "delay_spread": 1.0}))
    for src, dst in (("src.spikes", "src_a.pre"), ("src_a.psp", "a.synaptic"),
                     ("a.spikes", "a_b.pre"), ("a_b.psp", "b.synaptic"),
                     ("b.spikes", "b_a.pre"), ("b_a.psp", "a.synaptic_2")):
        graph.connect(Edge(*src.split("."), *dst.split(".")))
    program = compile_graph(graph, registry, seed=3, dtype=np.float64)
    events = Session(program, epochs=3).run()  # 300 ms

    synapses = program.extras["synapses"]
    projections = [(source, target, s["pre"], s["post"], s["weights"].value,
                    s["delay_ticks"]) for node, source, target in
                   (("src_a", "src", "a"), ("a_b", "a", "b"), ("b_a", "b", "a"))
                   for s in [synapses[node]]]
    schedule = {}
    for t, n in zip(times, neurons):
        schedule.setdefault(round(t / DT) - 1, []).append(n)
    full = {name: {**p, "v_rest": 0.0, "resistance": 1.0} for name, p in populations.items()}
    reference = lif_reference.simulate(3000, DT, full, projections, {"src": schedule})

    for name in ("a", "b"):
        ours, theirs = raster(events, name), sorted(reference[name])
        assert len(ours) > 5, name
        assert [n for _, n in ours] == [n for _, n in theirs]  # same spikes, neuron by neuron
        assert np.max(np.abs(np.array(ours)[:, 0] - np.array(theirs)[:, 0])) <= DT + 1e-9


def test_constant_drive_fires_at_the_analytic_time_and_rate(registry):
    graph = Graph("one")
    graph.add_node(Node("n", "neurons.lif", lif(1, bias=25.0, tau=20.0, threshold=20.0)))
    program = compile_graph(graph, registry, dtype=np.float64)
    events = Session(program, epochs=10).run()  # 1 s
    times = np.array([t for t, _ in raster(events, "n")])
    first = 20.0 * math.log(25.0 / 5.0)  # tau ln(RI / (RI - threshold)) = 32.19 ms
    assert 0 <= times[0] - first <= DT
    period = 2.0 + first  # refractory + charge time, each rounded up to whole ticks
    assert np.allclose(np.diff(times), math.ceil(round(period / DT, 6)) * DT, atol=DT + 1e-9)
    traces = np.concatenate([e.values for e in events if isinstance(e, Trace)])
    assert traces.max() < 20.0 and traces.min() >= 0.0


@pytest.mark.parametrize("delay", [1.0, 4.0])
def test_a_delay_shifts_the_postsynaptic_spike_by_exactly_its_length(registry, delay):
    graph = Graph("delay")
    graph.add_node(Node("src", "neurons.spike_train", {"count": 1, "times": [10.0, 30.0],
                                                       "neurons": [0, 0]}))
    graph.add_node(Node("syn", "neurons.synapses", {"targets": 1, "connectivity": "all",
                                                    "weight": 25.0, "delay": delay}))
    graph.add_node(Node("post", "neurons.lif", lif(1)))
    graph.connect(Edge("src", "spikes", "syn", "pre"))
    graph.connect(Edge("syn", "psp", "post", "synaptic"))
    events = Session(compile_graph(graph, registry), epochs=1).run()
    spikes = raster(events, "post")
    assert [n for _, n in spikes] == [0, 0]
    assert [t for t, _ in spikes] == pytest.approx([10.0 + delay, 30.0 + delay])


def test_poisson_sources_fire_at_their_rate(registry):
    graph = Graph("poisson")
    graph.add_node(Node("p", "neurons.poisson", {"count": 500, "rate": 40.0}))
    program = compile_graph(graph, registry, seed=2)
    total = 0.0
    for _ in range(2000):  # 200 ms
        program.train_step(0)
        total += float(program.outputs[("p", "spikes")].value.sum())
    rate = total / 500 / 0.2
    assert rate == pytest.approx(40.0, rel=0.05)


def stdp_weight(registry, pre_time, post_time):
    graph = Graph("stdp")
    graph.add_node(Node("pre", "neurons.spike_train", {"count": 1, "times": [pre_time],
                                                       "neurons": [0]}))
    graph.add_node(Node("kick", "neurons.spike_train", {"count": 1, "times": [post_time],
                                                        "neurons": [0]}))
    graph.add_node(Node("drive", "neurons.synapses", {"targets": 1, "connectivity": "all",
                                                      "weight": 50.0, "delay": 0.1}))
    graph.add_node(Node("post", "neurons.lif", lif(1)))
    graph.add_node(Node("plastic", "neurons.synapses", {
        "targets": 1, "connectivity": "all", "weight": 1.0, "delay": 1.0, "stdp": True,
        "a_plus": 0.5, "a_minus": 0.5, "tau_plus": 20.0, "tau_minus": 20.0}))
    graph.connect(Edge("kick", "spikes", "drive", "pre"))
    graph.connect(Edge("drive", "psp", "post", "synaptic"))
    graph.connect(Edge("pre", "spikes", "plastic", "pre"))
    graph.connect(Edge("post", "spikes", "plastic", "post"))
    graph.connect(Edge("plastic", "psp", "post", "synaptic_2"))
    program = compile_graph(graph, registry, dtype=np.float64)
    Session(program, epochs=1).run()
    return float(program.params[("plastic", "w")].value[0])


def test_stdp_potentiates_pre_before_post_and_depresses_post_before_pre(registry):
    # the post neuron fires 0.1 ms after its kick (one tick of the driving synapse)
    potentiated = stdp_weight(registry, pre_time=20.0, post_time=29.9)
    depressed = stdp_weight(registry, pre_time=40.0, post_time=29.9)
    assert potentiated == pytest.approx(1.0 + 0.5 * math.exp(-10.0 / 20.0), abs=1e-9)
    assert depressed == pytest.approx(1.0 - 0.5 * math.exp(-10.0 / 20.0), abs=1e-9)


def test_population_rate_is_reported(registry):
    graph = Graph("rate")
    graph.add_node(Node("n", "neurons.lif", lif(10, bias=25.0, tau=20.0, threshold=20.0)))
    events = Session(compile_graph(graph, registry), epochs=10).run()
    reports = [(e.step, e.value) for e in events if isinstance(e, Scalar) and e.tag == "rate/n"]
    steps = np.array([0] + [step for step, _ in reports])
    # each report covers the steps since the one before (monitors are throttled unevenly)
    mean = np.dot(np.diff(steps), [rate for _, rate in reports]) / steps[-1]
    charge = math.ceil(20.0 * math.log(5.0) / DT)  # ticks from reset to threshold
    spikes = len(raster(events, "n"))
    assert spikes == 10 * (1 + (10000 - charge) // (charge + 20))  # regular firing for 1 s
    assert mean == pytest.approx(spikes / 10 / 1.0, rel=1e-6)


@pytest.mark.parametrize("node, params, words", [
    ("neurons.lif", {"tau": -5.0}, "parameter 'tau' must lie in [0.001"),
    ("neurons.lif", {"refractory": -1.0}, "parameter 'refractory' must lie in [0.0"),
    ("neurons.synapses", {"tau_plus": -20.0, "targets": 1}, "'tau_plus' must lie in"),
    ("neurons.synapses", {"delay": 0.0, "targets": 1}, "at least one tick"),
    ("neurons.synapses", {"stdp": True, "targets": 1}, "needs the target population's"),
])
def test_bad_parameters_are_one_message_naming_the_node(registry, node, params, words):
    graph = Graph("bad")
    graph.add_node(Node("src", "neurons.poisson", {"count": 1}))
    graph.add_node(Node("x", node, params))
    if node == "neurons.synapses":
        graph.connect(Edge("src", "spikes", "x", "pre"))
    with pytest.raises(CompileError) as error:
        compile_graph(graph, registry)
    assert error.value.node_id == "x" and words in str(error.value)


def test_synapses_delivering_to_the_wrong_population_size_are_named(registry):
    graph = Graph("size")
    graph.add_node(Node("src", "neurons.poisson", {"count": 3}))
    graph.add_node(Node("syn", "neurons.synapses", {"targets": 5}))
    graph.add_node(Node("pop", "neurons.lif", {"count": 4}))
    graph.connect(Edge("src", "spikes", "syn", "pre"))
    graph.connect(Edge("syn", "psp", "pop", "synaptic"))
    with pytest.raises(CompileError, match="set the synapses' 'targets' to 4"):
        compile_graph(graph, registry)


def test_synapse_ranges_gather_exactly_the_synapses_of_the_chosen_sources():
    from plugins.neurons.synapses import ranges
    rng = np.random.default_rng(0)
    for _ in range(20):
        indptr = np.concatenate([[0], np.cumsum(rng.integers(0, 4, 30))])
        chosen = rng.choice(30, rng.integers(0, 10), replace=False)
        expected = [k for c in chosen for k in range(indptr[c], indptr[c + 1])]
        assert ranges(np, indptr, chosen).tolist() == expected
