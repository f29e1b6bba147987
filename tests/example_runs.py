"""What every-example tests share (Qt-free): the examples, the smaller sizes that keep one
epoch around a second, and the tiny MNIST IDX files the MNIST examples read."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NAMES = sorted(path.stem for path in EXAMPLES.glob("*.dgraph"))

SMALLER = {  # example -> {node: params} that keep one epoch around a second
    "adding_lstm_vs_simple_rnn": {"data": {"samples": 200}},
    "gru_characters": {"data": {"samples": 200}},
    "gru_words": {"data": {"samples": 200}},
    "dbn_letters": {"letters": {"samples": 104}, "dbn": {"pretrain_epochs": 1}},
    "dbn_letters_random_init": {"letters": {"samples": 104}},
    "hodgkin_huxley_fi_curve": {"sweep": {"currents": 4, "duration": 100.0, "window": 50.0}},
    "stacked_autoencoder_mnist_idx": {"pretrain": {"epochs": 1}},
}
EPOCHS = {"dbn_letters": 5}  # four layers pretrained one epoch each, then fine-tuning


def write_idx(path: Path, array: np.ndarray) -> None:
    """array as a gzipped IDX file of unsigned bytes."""
    raw = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw + array.astype(np.uint8).tobytes()))


def tiny_mnist(folder: Path) -> None:
    """100 digits (8x8 scaled to 24x24, padded to 28x28) as the examples' mnist/ IDX files."""
    from engines.datasets import digits
    x, labels = digits()
    images = np.kron(x[:100].reshape(-1, 8, 8), np.ones((3, 3)))
    images = np.pad(images, ((0, 0), (2, 2), (2, 2))) * 255
    write_idx(folder / "mnist" / "train-images-idx3-ubyte.gz", images)
    write_idx(folder / "mnist" / "train-labels-idx1-ubyte.gz", labels[:100])


def shrink(name: str, graph, folder: Path) -> None:
    """Apply SMALLER to `graph` (example `name`); MNIST examples read tiny files in folder."""
    if "mnist_idx" in name:
        tiny_mnist(folder)
        params = graph.nodes["data"].params
        for key in ("path", "labels_path"):
            if params.get(key):
                params[key] = str(folder / "mnist" / Path(params[key]).name)
    for node_id, params in SMALLER.get(name, {}).items():
        graph.nodes[node_id].params.update(params)
