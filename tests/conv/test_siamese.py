"""Siamese nets: the contrastive loss (gradients, torch reference), the digit-pair dataset,
and the example whose twins share one weight vector through ties."""

from pathlib import Path

import numpy as np
import torch

from engines.compiler import compile_graph
from engines.datasets import digits
from engines.events import Points
from engines.gradcheck import NodeHarness, assert_gradients
from engines.session import Session
from graph.fileio import load_graph
from plugins.conv.siamese import make_pairs

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
Y = np.array([[0], [1], [1], [0], [1], [0]], dtype=float)


def test_contrastive_loss_gradients(registry):
    assert_gradients("conv.contrastive_loss", {"a": (6, 3), "b": (6, 3), "y": (6, 1)},
                     {"margin": 2.0}, values={"y": Y}, wrt=("a", "b"), registry=registry)


def test_contrastive_loss_equals_a_torch_reference(registry):
    harness = NodeHarness("conv.contrastive_loss", {"a": (6, 3), "b": (6, 3), "y": (6, 1)},
                          {"margin": 2.0}, registry=registry, values={"y": Y})
    harness.forward()
    a, b = (torch.tensor(harness.inputs[k].value) for k in ("a", "b"))
    y = torch.tensor(Y)
    energy = torch.linalg.norm(a - b, dim=1, keepdim=True)
    expected = ((1 - y) * energy ** 2 / 2 + y * torch.clamp(2.0 - energy, min=0) ** 2 / 2).mean()
    assert abs(harness.outputs["loss"].value[0] - float(expected)) < 1e-12


def test_pairs_are_half_same_half_different_and_labelled_right():
    _, labels = digits()
    rows = np.arange(0, len(labels), 2)
    pairs = make_pairs(labels, rows, 400, np.random.default_rng(1))
    assert pairs[:, 2].sum() == 200
    same = labels[pairs[:, 0]] == labels[pairs[:, 1]]
    assert np.array_equal(same, pairs[:, 2] == 0)
    assert set(pairs[:, :2].ravel()) <= set(rows)


def test_siamese_example_shares_weights_and_separates_pairs(registry):
    graph = load_graph(EXAMPLES / "siamese_digits.dgraph", registry)
    assert {n: (t.source, t.transpose) for n, t in graph.ties.items()} == \
        {"h1": ("g1", False), "h2": ("g2", False)}
    graph.nodes["pairs"].params["pairs"] = 1500
    program = compile_graph(graph, registry, seed=graph.settings["seed"])
    assert ("h1", "W") not in program.params  # one weight vector, saved once
    events = Session(program, epochs=8).run()
    program.forward()  # the twin computes with G's current (trained) weights
    expected = program.peek("pairs", "x2") @ program.peek("g1", "W") + program.peek("g1", "b")
    np.testing.assert_allclose(program.peek("h1", "y"), expected, rtol=1e-4, atol=1e-5)
    history = [e.value for e in events if getattr(e, "tag", "") == "val/accuracy"]
    assert history[-1] >= 0.85
    distances = [e for e in events if isinstance(e, Points) and e.tag == "distances/loss"][-1]
    energy, same = distances.xy[:, 0], distances.labels == 0
    assert energy[same].mean() < 0.5 * energy[~same].mean()
    embedding = [e for e in events if isinstance(e, Points) and e.tag == "embedding/loss"][-1]
    assert embedding.xy.shape[1] == 2 and set(embedding.labels) <= set(range(10))
