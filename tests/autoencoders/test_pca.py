"""Linear autoencoder = PCA, and Oja's rules, measured against the SVD of the training data."""

from pathlib import Path

import numpy as np
import pytest
from scipy.linalg import subspace_angles

from engines.compiler import compile_graph
from engines.events import Failed, Points
from engines.session import Session
from graph.fileio import load_graph

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def train(name, registry, epochs=None, **node_params):
    graph = load_graph(EXAMPLES / f"{name}.dgraph", registry)
    for node_id, params in node_params.items():
        graph.nodes[node_id].params.update(params)
    program = compile_graph(graph, registry, seed=graph.settings["seed"])
    events = Session(program, epochs=epochs or graph.settings["epochs"]).run()
    return program, events


def principal_axes(x, k):
    """The SVD's top-k right singular vectors of the centred data, as columns."""
    return np.linalg.svd(x - x.mean(axis=0), full_matrices=False)[2][:k].T


def test_linear_autoencoder_learns_the_pca_subspace(registry):
    program, events = train("pca_linear_autoencoder", registry)
    x = program.feeds[0].x["train"]
    decoder_rows = program.peek("decoder", "W").T  # (3, 2): the learned subspace
    angles = np.degrees(subspace_angles(decoder_rows, principal_axes(x, 2)))
    assert angles.max() < 1.0
    codes = [e for e in events if isinstance(e, Points) and e.tag == "scatter/code_view"]
    assert codes and codes[-1].xy.shape[1] == 2


def unit_columns(W):
    return W / np.linalg.norm(W, axis=0)


def test_oja_single_unit_finds_the_first_component(registry):
    program, _ = train("oja_pca", registry, oja={"rule": "single", "components": 1},
                       code_view={"dims": [0, 0]})
    x = program.feeds[0].x["train"]
    w = unit_columns(program.peek("oja", "W"))[:, 0]
    assert abs(w @ principal_axes(x, 1)[:, 0]) > 0.99
    assert abs(np.linalg.norm(program.peek("oja", "W")) - 1) < 0.02  # Oja keeps |w| = 1


def test_oja_symmetric_rule_spans_the_principal_subspace(registry):
    program, _ = train("oja_pca", registry, oja={"rule": "symmetric"})
    x = program.feeds[0].x["train"]
    angles = np.degrees(subspace_angles(program.peek("oja", "W"), principal_axes(x, 2)))
    assert angles.max() < 1.0


def test_sanger_finds_the_components_in_order(registry):
    program, _ = train("oja_pca", registry, oja={"rule": "sanger", "components": 3})
    x = program.feeds[0].x["train"]
    cosines = np.abs(np.sum(unit_columns(program.peek("oja", "W")) * principal_axes(x, 3),
                            axis=0))
    assert cosines[0] > 0.99 and cosines[1] > 0.99 and cosines[2] > 0.98


def test_nonlinear_oja_runs_and_stays_bounded(registry):
    program, events = train("oja_pca", registry, epochs=10, oja={"rule": "nonlinear"})
    norms = np.linalg.norm(program.peek("oja", "W"), axis=0)
    assert np.all(np.isfinite(norms)) and np.all(norms < 3)
    assert not [e for e in events if isinstance(e, Failed)]


def test_single_rule_with_two_units_is_one_clear_message(registry):
    from engines.compiler import CompileError
    with pytest.raises(CompileError, match="single-unit rule learns one component"):
        train("oja_pca", registry, oja={"rule": "single", "components": 2})
