"""Hodgkin-Huxley: standard rates, spike times and the f-I onset against scipy's solve_ivp."""

import numpy as np
import pytest

from engines.compiler import CompileError, compile_graph
from engines.events import Points, Raster, Scalar, Trace
from engines.session import Session
from graph.model import Edge, Graph, Node
from plugins.neurons import hh_model
from plugins.neurons.currents import pulse_value, ramp_value
from plugins.neurons.fi_curve import onset_current, run_sweep
from tests.neurons import hh_reference


def hh_graph(current: dict, neuron: dict | None = None, source="neurons.step_current"):
    graph = Graph("hh")
    graph.add_node(Node("i", source, current))
    graph.add_node(Node("hh", "neurons.hodgkin_huxley", neuron or {}))
    graph.connect(Edge("i", "i", "hh", "i"))
    return graph


def engine_spike_times(registry, neuron: dict, amplitude=10.0, start=5.0, end=100.0):
    graph = hh_graph({"amplitude": amplitude, "start": start}, neuron)
    program = compile_graph(graph, registry)
    events = Session(program, epochs=round(end / 10.0)).run()
    rasters = [e for e in events if isinstance(e, Raster)]
    return np.sort(np.concatenate([e.times for e in rasters])), events


def test_resting_gates_have_the_textbook_values():
    state = hh_model.resting_state(np, 1)[:, 0]
    assert state[0] == 0.0
    assert state[1:] == pytest.approx([0.3177, 0.0529, 0.5961], abs=1e-4)
    derivative = np.zeros((4, 1))
    hh_model.derivatives(np, state[:, None], 0.0, derivative)
    assert abs(derivative[0, 0]) < 0.01  # rest is (nearly) an equilibrium with E_L = 10.6


def test_rates_are_continuous_through_their_removable_singularities():
    for v_star in (10.0, 25.0):
        at = np.array(hh_model.rates(np, np.array([v_star])))
        near = np.array(hh_model.rates(np, np.array([v_star + 1e-7])))
        assert np.all(np.isfinite(at))
        assert np.allclose(at, near, rtol=1e-6)


@pytest.mark.parametrize("neuron", [{}, {"integrator": "adaptive", "tolerance": 1e-7}],
                         ids=["rk4", "adaptive"])
def test_spike_times_agree_with_solve_ivp_within_a_tenth_of_a_millisecond(registry, neuron):
    reference = hh_reference.spike_times(10.0, start=5.0, end=100.0)
    engine, events = engine_spike_times(registry, neuron)
    assert len(reference) == 7  # about 68 Hz under a 10 uA/cm^2 step
    assert len(engine) == len(reference)
    assert np.max(np.abs(engine - reference)) < 0.1
    v_trace = np.concatenate([e.values for e in events if isinstance(e, Trace)
                              and e.tag == "v/hh/0"])
    assert len(v_trace) == 1000 and 90 < v_trace.max() < 120 and v_trace.min() > -20
    gates = {e.tag for e in events if isinstance(e, Trace) and e.tag.startswith("gates/")}
    assert gates == {"gates/hh/n", "gates/hh/m", "gates/hh/h"}


@pytest.mark.slow
def test_fi_curve_is_type_two_and_its_onset_agrees_with_scipy():
    currents = np.concatenate([[2.0, 4.0], np.arange(6.0, 6.61, 0.05), [8.0, 12.0, 20.0]])
    engine = run_sweep(np, currents, step_ms=0.05, dtype=np.float32)
    reference = hh_reference.rates(currents)
    onset_engine = onset_current(currents, engine, 200.0)
    onset_reference = onset_current(currents, reference, 200.0)
    assert abs(onset_engine - onset_reference) <= 0.1 + 1e-9
    assert 6.0 <= onset_engine <= 6.6  # the classic value is about 6.3 uA/cm^2
    below, above = engine[currents < onset_engine], engine[currents >= onset_engine]
    assert np.all(below == 0)  # no repetitive firing below the onset
    assert above[0] >= 40.0  # type II: the rate jumps to a clearly non-zero value
    assert engine[-1] > engine[currents == 8.0][0] > 0  # and rises with the current


def test_fi_node_sweeps_refines_and_stops(registry):
    graph = Graph("fi")
    graph.add_node(Node("fi", "neurons.fi_curve", {
        "i_min": 2.0, "i_max": 14.0, "currents": 4, "duration": 60.0, "window": 40.0,
        "step": 0.05, "dt": 1.0}))
    program = compile_graph(graph, registry)
    events = Session(program, epochs=5).run()
    run = program.extras["fi_curves"]["fi"]
    assert run["passes"] == 2 and len(run["currents"]) == 8  # a coarse and a refined pass
    points = [e for e in events if isinstance(e, Points)][-1]
    assert points.xy.shape == (8, 2) and np.all(np.diff(points.xy[:, 0]) > 0)
    onset = [e.value for e in events if isinstance(e, Scalar) and e.tag == "fi/fi/onset"]
    assert onset and onset[-1] == run["onset"]
    assert program.phase.step == 2 * 60  # stopped after the second pass


def test_unstable_rk4_step_is_one_message_naming_the_node_and_the_fix(registry):
    graph = hh_graph({"amplitude": 10.0}, {"step": 0.1})
    with pytest.raises(CompileError) as error:
        compile_graph(graph, registry)
    assert error.value.node_id == "hh"
    message = str(error.value)
    assert "0.05 ms" in message and "adaptive" in message and "'hh'" in message


def test_adaptive_integrator_accepts_a_coarse_step(registry):
    compile_graph(hh_graph({"amplitude": 10.0}, {"step": 0.1, "integrator": "adaptive"}),
                  registry)


def test_a_source_on_another_clock_is_refused(registry):
    graph = hh_graph({"amplitude": 10.0, "dt": 0.2})
    with pytest.raises(CompileError, match="set both 'dt'"):
        compile_graph(graph, registry)


def test_pulse_train_and_ramp_shapes():
    pulse = {"amplitude": 5.0, "baseline": 0.0, "start": 10.0, "duration": 100.0,
             "period": 20.0, "width": 2.0}
    assert [pulse_value(pulse, t) for t in (5.0, 10.5, 12.5, 30.0, 31.9, 32.1, 111.0)] == \
        [0.0, 5.0, 0.0, 5.0, 5.0, 0.0, 0.0]
    ramp = {"amplitude": 10.0, "baseline": 2.0, "start": 10.0, "duration": 100.0}
    assert [ramp_value(ramp, t) for t in (0.0, 10.0, 60.0, 110.0, 500.0)] == \
        [2.0, 2.0, 6.0, 10.0, 10.0]


def test_noise_current_has_its_mean_and_spread(registry):
    graph = Graph("noise")
    graph.add_node(Node("i", "neurons.noise_current", {"mean": 3.0, "sigma": 2.0, "tau": 1.0}))
    program = compile_graph(graph, registry, seed=1)
    samples = []
    for _ in range(20000):
        program.train_step(0)
        samples.append(float(program.outputs[("i", "i")].value[0, 0]))
    samples = np.array(samples)
    assert samples.mean() == pytest.approx(3.0, abs=0.3)
    assert samples.std() == pytest.approx(2.0, rel=0.15)
    lag = round(1.0 / 0.1)  # correlation e^-1 after one tau
    correlation = np.corrcoef(samples[:-lag], samples[lag:])[0, 1]
    assert correlation == pytest.approx(np.exp(-1), abs=0.1)


def test_pulse_train_drives_one_spike_per_strong_pulse(registry):
    graph = hh_graph({"amplitude": 40.0, "start": 10.0, "duration": 80.0, "period": 20.0,
                      "width": 1.0}, source="neurons.pulse_train")
    program = compile_graph(graph, registry)
    events = Session(program, epochs=10).run()
    times = np.concatenate([e.times for e in events if isinstance(e, Raster)])
    assert len(times) == 4  # pulses at 10, 30, 50, 70 ms
    assert np.all((times - 10.0) % 20.0 < 5.0)
