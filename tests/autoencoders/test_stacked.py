"""Stacked and denoising autoencoders: the per-node trainable switch, greedy layer-wise
pretraining (lower layers frozen), tied decoders, and denoising measured against the noise."""

from pathlib import Path

import numpy as np
import pytest

from engines.compiler import compile_graph
from engines.events import Image, Scalar
from engines.session import Session
from graph.fileio import load_graph
from plugins.autoencoders.pretrain import autoencoder_graph
from tests.engines.graphs import build

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name, registry, **node_params):
    graph = load_graph(EXAMPLES / f"{name}.dgraph", registry)
    for node_id, params in node_params.items():
        graph.nodes[node_id].params.update(params)
    return graph


def test_a_frozen_layer_keeps_its_weights_and_passes_gradients_down(registry):
    graph = build("frozen", [
        ("data", "core.dataset", {"dataset": "digits", "batch_size": 64, "val_split": 0.0}),
        ("low", "core.dense", {"units": 16}),
        ("high", "core.dense", {"units": 10, "trainable": False}),
        ("loss", "core.softmax_cross_entropy", {}),
        ("opt", "core.adam", {"lr": 0.01}),
    ], ["data.x -> low.x", "low.y -> high.x", "high.y -> loss.pred", "data.y -> loss.target",
        "loss.loss -> opt.loss"])
    program = compile_graph(graph, registry)
    frozen = program.peek("high", "W")
    low = program.peek("low", "W")
    assert all(b.node_id != "high" for b in program.trainable)
    Session(program, epochs=2).run()
    np.testing.assert_array_equal(program.peek("high", "W"), frozen)
    assert np.abs(program.peek("low", "W") - low).max() > 1e-3


def test_pretraining_graphs_freeze_the_layers_below(registry):
    graph = load("stacked_autoencoder_digits", registry)
    plans = [autoencoder_graph(graph, registry, ["enc1", "enc2"], i, 0.01, True)
             for i in range(2)]
    first, second = plans
    assert first.nodes["enc1"].params["trainable"] is True
    assert first.nodes["enc1__decoder"].params["units"] == 64
    assert first.ties["enc1__decoder"].transpose
    assert second.nodes["enc1"].params["trainable"] is False
    assert second.nodes["enc2"].params["trainable"] is True
    assert second.nodes["enc2__decoder"].params["units"] == 32
    target = second.source_of("pretrain_loss", "target")
    assert (target.src, target.src_port) == ("enc1_act", "y")  # reconstructs layer 2's input


def test_stacked_autoencoder_pretrains_then_fine_tunes(registry):
    graph = load("stacked_autoencoder_digits", registry, pretrain={"epochs": 4})
    assert {n: (t.source, t.transpose) for n, t in graph.ties.items()} == \
        {"dec1": ("enc1", True), "dec2": ("enc2", True)}
    program = compile_graph(graph, registry, seed=0)
    untouched = program.peek("enc1", "W")
    session = Session(program, epochs=3)
    events = session.run()
    curves = {}
    for event in events:
        if isinstance(event, Scalar) and event.tag.startswith("pretrain/pretrain/"):
            curves.setdefault(event.tag.rsplit("/", 1)[1], []).append(event.value)
    assert set(curves) == {"enc1", "enc2"}
    assert all(len(c) == 4 and c[-1] < c[0] for c in curves.values())
    assert not np.allclose(program.peek("enc1", "W"), untouched)
    assert session.history[-1]["val/loss"] < session.history[0]["val/loss"]
    weights = [e for e in events if isinstance(e, Image) and e.tag == "weights/enc1"]
    assert weights and weights[-1].array.ndim == 2  # first-layer weights as images


def test_pretrained_and_random_classifiers_differ_only_in_pretraining(registry):
    pretrained = load("stacked_pretrained_classifier", registry)
    random_start = load("stacked_pretrained_classifier_random_init", registry)
    assert pretrained.nodes["pretrain"].params["epochs"] == 30
    assert random_start.nodes["pretrain"].params["epochs"] == 0
    pretrained.nodes["pretrain"].params["epochs"] = 3
    first, second = (compile_graph(g, registry, seed=0) for g in (pretrained, random_start))
    assert first.param_counts == second.param_counts
    first.begin()
    second.begin()
    assert not np.allclose(first.peek("h2", "W"), second.peek("h2", "W"))
    np.testing.assert_array_equal(first.peek("out", "W"), second.peek("out", "W"))


def test_denoising_autoencoder_output_is_closer_to_clean_than_its_noisy_input(registry):
    graph = load("denoising_autoencoder_digits", registry)
    program = compile_graph(graph, registry, seed=0)
    events = Session(program, epochs=15).run()
    noisy, output, clean = (program.peek(*wire) for wire in
                            (("noise", "y"), ("dec_act", "y"), ("data", "x")))
    hit = noisy != clean
    assert 0.05 < hit.mean() < 0.15  # 10% salt, also on validation batches (in_eval)
    assert np.mean((output - clean) ** 2) < 0.5 * np.mean((noisy - clean) ** 2)
    view = [e for e in events if isinstance(e, Image) and e.tag == "side_by_side/view"][-1]
    columns = (view.array.shape[1] + 1) / 9  # up to 8 samples of the last validation batch
    assert view.array.shape[0] == 3 * 9 - 1 and columns == int(columns) and 1 <= columns <= 8


@pytest.mark.slow
def test_stacked_784_autoencoder_reads_idx_files(registry, tmp_path):
    import gzip
    import struct

    from engines.datasets import digits
    x, _ = digits()
    images = np.pad(np.kron(x[:64].reshape(-1, 8, 8), np.ones((3, 3))), ((0, 0), (2, 2), (2, 2)))
    raw = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", *images.shape)
    path = tmp_path / "images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(raw + (images * 255).astype(np.uint8).tobytes()))
    graph = load("stacked_autoencoder_mnist_idx", registry, data={"path": str(path)},
                 pretrain={"epochs": 1})
    program = compile_graph(graph, registry, seed=0)
    assert program.params[("enc1", "W")].value.shape == (784, 300)
    assert ("dec1", "W") not in program.params  # tied: enc1's W, transposed
    session = Session(program, epochs=2)
    session.run()
    assert session.history[-1]["train/loss"] < session.history[0]["train/loss"]
