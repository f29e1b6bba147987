"""The neuron examples load, validate and do what their descriptions say, at a small size."""

from pathlib import Path

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.events import Failed, Raster, Scalar, Trace
from engines.session import Session
from graph.fileio import load_graph
from graph.validate import validate
from tests.neurons.views_fed import unfed_views

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SKIP_VIEWS = {  # views a node offers only for some inputs
    "mcculloch_not": ("Separating line", "Decision regions"),  # one input: no plane to draw
    "mcculloch_line": ("Truth table",),  # points, not a truth table
    # the weight matrix is drawn up to 256 x 256; the mean weight only while STDP learns
    "spiking_network": ("Weights", "Mean weight (STDP)"),
    "spiking_delays": ("Mean weight (STDP)",),
}
NAMES = ("mcculloch_and", "mcculloch_or", "mcculloch_not", "mcculloch_line",
         "hodgkin_huxley_step", "hodgkin_huxley_pulses", "hodgkin_huxley_fi_curve",
         "spiking_delays", "spiking_network")


def run(name, registry, epochs=None, **overrides):
    graph = load_graph(EXAMPLES / f"{name}.dgraph", registry)
    for node_id, params in overrides.items():
        graph.nodes[node_id].params.update(params)
    program = compile_graph(graph, registry, seed=graph.settings["seed"])
    events = Session(program, epochs=epochs or graph.settings["epochs"]).run()
    assert not [e for e in events if isinstance(e, Failed)], name
    assert unfed_views(graph, registry, events, SKIP_VIEWS.get(name, ())) == [], name
    return graph, program, events


@pytest.mark.parametrize("name", NAMES)
def test_example_is_valid_and_has_a_description(registry, name):
    graph = load_graph(EXAMPLES / f"{name}.dgraph", registry)
    assert not [p for p in validate(graph, registry) if p.severity == "error"]
    assert graph.description


@pytest.mark.parametrize("name", ["mcculloch_and", "mcculloch_or", "mcculloch_not",
                                  "mcculloch_line"])
def test_mcculloch_examples_learn_their_task(registry, name):
    _, _, events = run(name, registry)
    errors = [e.value for e in events if isinstance(e, Scalar) and e.tag == "train/errors"]
    assert errors[-1] == 0.0


def test_hodgkin_step_example_spikes_regularly(registry):
    _, _, events = run("hodgkin_huxley_step", registry, epochs=6)  # 60 ms
    spikes = np.concatenate([e.times for e in events if isinstance(e, Raster)])
    assert len(spikes) >= 3 and spikes[0] > 10.0
    assert {e.tag for e in events if isinstance(e, Trace)} >= {"v/neuron/0", "gates/neuron/n"}


def test_hodgkin_fi_example_finds_the_onset(registry):
    graph, program, _ = run("hodgkin_huxley_fi_curve", registry,
                            sweep={"duration": 150.0, "window": 100.0, "currents": 6,
                                   "i_min": 4.0, "i_max": 14.0, "step": 0.05, "dt": 1.0})
    onset = program.extras["fi_curves"]["sweep"]["onset"]
    assert 5.0 < onset < 8.0


def test_spiking_delays_example_shifts_the_late_spikes_by_seven_ms(registry):
    _, _, events = run("spiking_delays", registry)
    early = sorted(t for e in events if isinstance(e, Raster) and e.tag == "spikes/early"
                   for t in e.times)
    late = sorted(t for e in events if isinstance(e, Raster) and e.tag == "spikes/late"
                  for t in e.times)
    assert len(early) == len(late) == 5
    assert np.allclose(np.array(late) - np.array(early), 7.0)


def test_spiking_network_example_fires_at_a_moderate_rate(registry):
    _, _, events = run("spiking_network", registry, epochs=2)
    rates = [e.value for e in events if isinstance(e, Scalar) and e.tag == "rate/population"]
    assert rates and 1.0 < np.mean(rates) < 100.0
    assert any(isinstance(e, Raster) and len(e.times) for e in events)
