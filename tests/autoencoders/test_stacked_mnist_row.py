"""The stacked-autoencoder MNIST row of `main.py reproduce`, wired to small generated IDX
files (digits scaled up to 28x28): it runs the notes' net end to end and reports each epoch."""

import gzip
import struct

import numpy as np
import pytest

from engines.datasets import digits
from engines.reproduce import Context, Verdict
from plugins.autoencoders.experiments import mnist_images, stacked_autoencoder_mnist


def write_images(folder, count=300):
    x, _ = digits()
    images = np.pad(np.kron(x[:count].reshape(-1, 8, 8), np.ones((3, 3))),
                    ((0, 0), (2, 2), (2, 2)))
    raw = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", *images.shape)
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(raw + (images * 255).astype(np.uint8).tobytes()))
    return path


@pytest.mark.slow
def test_the_row_trains_the_notes_net_on_the_idx_files(registry, tmp_path):
    write_images(tmp_path)
    outcome = stacked_autoencoder_mnist(Context(True, registry, tmp_path))
    assert outcome.verdict in (Verdict.AGREES, Verdict.DIFFERS), outcome
    ends = outcome.figure.split("at each epoch's end ", 1)[1]
    losses = [float(part.split(": ")[1]) for part in ends.split(", ")]
    assert len(losses) == 2 and all(0 < loss < 10 for loss in losses)
    assert "last batch" in outcome.why
    means = outcome.why.split("epoch means, which also count the epoch's first batches, are ")
    assert len([float(m) for m in means[1].split(". ")[0].split(", ")]) == 2


def test_the_row_names_the_missing_images_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no MNIST training images"):
        mnist_images(tmp_path)


def test_the_row_is_listed_as_needing_mnist(registry):
    row = next(e for e in registry.experiments if e.name == "stacked_ae_mnist")
    assert row.needs_mnist and row.example == "stacked_autoencoder_mnist_idx.dgraph"
