"""Every example either exports to ONNX, NumPy and PyTorch matching the engine's forward pass to
1e-5 (float32), or refuses with one message naming the node, writing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from engines.compiler import CompileError
from engines.export import ExportError, export_graph
from graph.fileio import load_graph
from tests.export.helpers import TOLERANCE, export_differences

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.dgraph"))
EXPORTABLE = {"xor_mlp", "spirals_mlp", "digits_mlp", "vanishing_gradient_chain", "dbn_letters",
              "dbn_letters_random_init", "lenet_digits", "gru_words", "gru_characters",
              "adding_lstm_vs_simple_rnn", "bidirectional_parity", "attention_window_sine",
              "elman_mackey_glass", "jordan_sine", "denoising_autoencoder_digits",
              "pca_linear_autoencoder", "stacked_autoencoder_digits", "vae_digits",
              "vae_conv_digits", "siamese_digits", "mcculloch_and", "mcculloch_line"}
REFUSED = {"hopfield_letters": "memory", "boltzmann_encoder": "machine", "rbm_digits": "rbm"}


def test_the_known_examples_are_there():
    names = {path.stem for path in EXAMPLES}
    assert EXPORTABLE | set(REFUSED) <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_exports_match_the_engine(path, registry, tmp_path):
    graph = load_graph(path, registry)
    try:
        differences = export_differences(graph, registry, tmp_path, graph_path=path)
    except CompileError as exc:  # data the example expects the user to download
        assert path.stem not in EXPORTABLE
        pytest.skip(f"{path.stem} cannot compile here: {exc}")
    except ExportError as exc:
        assert path.stem not in EXPORTABLE, f"{path.stem} should export: {exc}"
        if exc.node_id is None:  # a simulation without any layer output
            assert "nothing to export" in str(exc)
        else:
            assert graph.nodes[exc.node_id].label in str(exc)
        if path.stem in REFUSED:
            assert exc.node_id == REFUSED[path.stem]
        assert list(tmp_path.iterdir()) == []
        return
    assert path.stem not in REFUSED
    for fmt, difference in differences.items():
        assert difference <= TOLERANCE, f"{path.stem} {fmt.value}: {difference:.3g}"


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_unexportable_example_writes_nothing(name, registry, tmp_path):
    path = next(p for p in EXAMPLES if p.stem == name)
    graph = load_graph(path, registry)
    for fmt in ("onnx", "numpy", "torch"):
        with pytest.raises(ExportError) as caught:
            export_graph(graph, registry, fmt, tmp_path / "model", graph_path=path)
        assert caught.value.node_id == REFUSED[name]
        assert "cannot be exported" in str(caught.value)
    assert list(tmp_path.iterdir()) == []
