"""The VAE examples train; the latent grid view decodes through the graph's own decoder."""

from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.events import Image, Points
from engines.session import Session
from graph.fileio import load_graph

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(name, registry, epochs):
    graph = load_graph(EXAMPLES / f"{name}.dgraph", registry)
    program = compile_graph(graph, registry, seed=graph.settings["seed"])
    session = Session(program, epochs=epochs)
    return program, session, session.run()


def decode(program, z):
    h = np.maximum(z @ program.peek("dec", "W") + program.peek("dec", "b"), 0)
    logits = h @ program.peek("pixels", "W") + program.peek("pixels", "b")
    return 1 / (1 + np.exp(-logits))


@pytest.mark.slow
def test_dense_vae_trains_and_its_views_show_the_latent_space(registry):
    program, session, events = run("vae_digits", registry, epochs=12)
    # the grid view put the last validation batch back: z is still mu of that batch
    np.testing.assert_array_equal(program.peek("z", "z"), program.peek("mu", "y"))
    assert program.peek("z", "z").shape[0] == 359 % 32
    first, last = session.history[0], session.history[-1]
    assert last["val/total"] < first["val/total"] - 3
    assert last["val/kl"] > 0.5  # the latent code is used, not collapsed onto the prior
    assert abs(last["val/total"] - last["val/loss"] - last["val/kl"]) < 1e-3
    grid = [e for e in events if isinstance(e, Image) and e.tag == "latent_grid/grid"][-1]
    assert grid.array.shape == (15 * 9 - 1, 15 * 9 - 1)
    tiles = np.pad(grid.array, ((0, 1), (0, 1))).reshape(15, 9, 15, 9)[:, :8, :, :8]
    quantiles = [NormalDist().inv_cdf(q) for q in np.linspace(0.05, 0.95, 15)]
    for row, col in ((0, 0), (7, 3), (14, 12)):  # z2 grows upward, z1 to the right
        z = np.array([[quantiles[col], quantiles[14 - row]]])
        np.testing.assert_allclose(tiles[row, :, col, :], decode(program, z).reshape(8, 8),
                                   atol=1e-5)
    samples = [e for e in events if isinstance(e, Image) and e.tag == "samples/grid"]
    assert samples and samples[-1].array.max() > 0.5
    latent = [e for e in events if isinstance(e, Points) and e.tag == "scatter/latent"][-1]
    assert len(latent.xy) == 359 and set(latent.labels) == set(range(10))
    means = np.array([latent.xy[latent.labels == c].mean(axis=0) for c in range(10)])
    assert np.ptp(means, axis=0).min() > 1.0  # classes spread over both latent axes


@pytest.mark.slow
def test_convolutional_vae_trains(registry):
    _, session, _ = run("vae_conv_digits", registry, epochs=4)
    assert session.history[-1]["val/total"] < session.history[0]["val/total"]
    assert session.history[-1]["val/kl"] > 0.1
