"""The conv, siamese and autoencoder examples: valid (IDX ones lack only the user's data file),
one line each in the Examples menu, wires reading left to right, no cards on top of each other."""

from pathlib import Path

import pytest

from graph.fileio import load_graph
from graph.validate import validate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAMES = ["lenet_digits", "lenet5_mnist_idx", "siamese_digits", "pca_linear_autoencoder",
         "oja_pca", "stacked_autoencoder_digits", "stacked_autoencoder_mnist_idx",
         "stacked_pretrained_classifier", "stacked_pretrained_classifier_random_init",
         "denoising_autoencoder_digits", "vae_digits", "vae_conv_digits"]


@pytest.mark.parametrize("name", NAMES)
def test_example_is_valid_and_readable(name, registry):
    graph = load_graph(EXAMPLES / f"{name}.dgraph", registry)
    errors = [p for p in validate(graph, registry) if p.severity.value == "error"]
    if name.endswith("_idx"):  # the MNIST files are the user's to provide
        assert [p.node_id for p in errors] == ["data"]
        assert "no such file" in errors[0].message
    else:
        assert errors == []
    assert graph.description and "\n" not in graph.description
    x = {node_id: node.position[0] for node_id, node in graph.nodes.items()}
    assert all(x[e.src] < x[e.dst] for e in graph.edges), "a wire runs right to left"
    positions = [tuple(node.position) for node in graph.nodes.values()]
    assert len(set(positions)) == len(positions), "two nodes on top of each other"
