"""The notes' neuron experiments: the Hodgkin-Huxley f-I curve and its onset current."""

from __future__ import annotations

from engines.compiler import compile_graph
from engines.reproduce import Context, Experiment, Outcome, Verdict
from engines.session import Session
from graph.fileio import load_graph

CLASSIC_ONSET = 6.3  # uA/cm^2, at 6.3 degrees C


def fi_onset(context: Context) -> Outcome:
    path = context.examples / "hodgkin_huxley_fi_curve.dgraph"
    graph = load_graph(path, context.registry)
    if context.quick:
        graph.nodes["sweep"].params.update({"duration": 150.0, "window": 100.0, "currents": 6,
                                            "i_min": 4.0, "i_max": 14.0, "dt": 1.0})
    program = compile_graph(graph, context.registry, seed=0)
    Session(program, epochs=int(graph.settings["epochs"])).run()
    onset = float(program.extras["fi_curves"]["sweep"]["onset"])
    tolerance = 0.5 if context.quick else 0.3
    verdict = Verdict.AGREES if abs(onset - CLASSIC_ONSET) <= tolerance else Verdict.DIFFERS
    return Outcome(f"onset {onset:.2f} uA/cm^2", verdict,
                   "Rate over the last part of each step, from rest; the quick mode sweeps "
                   "shorter steps.")


NODES = []
EXPERIMENTS = [
    Experiment("hh_onset", "Hodgkin-Huxley f-I curve onset (type II)", "seed 003",
               "repetitive firing starts with a jump near 6.3 uA/cm^2",
               "within 0.3 uA/cm^2 (0.5 in quick mode)", fi_onset,
               example="hodgkin_huxley_fi_curve.dgraph"),
]
