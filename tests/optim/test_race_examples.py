"""The optimizer race: example graphs that differ only in the optimizer node, start from the
same weights, and each train (a few passes here; the full race is in docs/OPTIMIZER_RACE.md)."""

from pathlib import Path

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.session import Session
from graph.fileio import load_graph
from graph.validate import validate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RACE = sorted(EXAMPLES.glob("optimizer_race_*.dgraph"))
EXPECTED = {"sgd", "momentum", "adam", "rprop", "quickprop", "cg_fletcher_reeves",
            "cg_polak_ribiere", "bfgs", "levenberg_marquardt"}


def _without_optimizer(snapshot):
    nodes = [n for n in snapshot["nodes"] if n[0] != "opt"]  # (id, type, params, ...)
    return nodes, snapshot["edges"], snapshot["settings"]


def test_the_race_files_differ_only_in_the_optimizer(registry):
    assert {p.stem.removeprefix("optimizer_race_") for p in RACE} == EXPECTED
    graphs = [load_graph(path, registry) for path in RACE]
    first = _without_optimizer(graphs[0].snapshot())
    types = set()
    for graph in graphs:
        assert _without_optimizer(graph.snapshot()) == first
        types.add((graph.nodes["opt"].type_id, tuple(sorted(graph.nodes["opt"].params.items()))))
        assert not [p for p in validate(graph, registry) if p.severity == "error"]
    assert len(types) == len(RACE)


@pytest.mark.slow
def test_every_race_run_starts_from_the_same_weights(registry):
    weights = []
    for path in RACE:
        graph = load_graph(path, registry)
        program = compile_graph(graph, registry, seed=graph.settings["seed"], monitors=False)
        weights.append(program.weights_to_host())
    for other in weights[1:]:
        assert other.keys() == weights[0].keys()
        for key in weights[0]:
            np.testing.assert_array_equal(other[key], weights[0][key])


@pytest.mark.slow
@pytest.mark.parametrize("path", RACE, ids=lambda p: p.stem)
def test_every_race_entry_trains(path, registry):
    graph = load_graph(path, registry)
    program = compile_graph(graph, registry, seed=graph.settings["seed"])
    session = Session(program, epochs=3)
    session.run()
    losses = [h["train/loss"] for h in session.history]
    assert losses[-1] < losses[0] and np.isfinite(losses[-1])
    assert "val/accuracy" in session.history[-1]
