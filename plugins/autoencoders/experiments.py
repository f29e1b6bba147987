"""The notes' autoencoder experiments: a linear autoencoder is PCA."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from engines.compiler import compile_graph
from engines.reproduce import Context, Experiment, Outcome, Verdict
from engines.session import Session
from graph.fileio import graph_from_dict


def linear_autoencoder_is_pca(context: Context) -> Outcome:
    """The notes' protocol: 200 points (seed 4), 100 to train and 100 to test, Adam 0.01,
    1000 full-batch iterations; test reconstruction error against PCA with 2 components."""
    path = context.examples / "pca_linear_autoencoder.dgraph"
    document = json.loads(path.read_text(encoding="utf-8"))
    nodes = {node["id"]: node for node in document["nodes"]}
    nodes["data"]["params"].update({"samples": 200, "val_split": 0.5, "batch_size": 100})
    nodes["opt"].update({"type": "core.adam", "params": {"lr": 0.01}})
    graph = graph_from_dict(document, context.registry, source=path)
    iterations = 300 if context.quick else 1000
    program = compile_graph(graph, context.registry, seed=4)
    Session(program, epochs=iterations).run()
    feed = program.feeds[0]
    train, test = np.asarray(feed.x["train"], np.float64), np.asarray(feed.x["val"], np.float64)
    encoder = np.asarray(program.peek("encoder", "W"), np.float64)
    decoder = np.asarray(program.peek("decoder", "W"), np.float64)
    ours = float(np.mean((test @ encoder @ decoder - test) ** 2))
    mean = train.mean(axis=0)
    axes = np.linalg.svd(train - mean, full_matrices=False)[2][:2].T
    pca = float(np.mean(((test - mean) @ axes @ axes.T + mean - test) ** 2))
    gap = (ours - pca) / pca
    verdict = Verdict.AGREES if abs(gap) <= 0.05 else Verdict.DIFFERS
    return Outcome(f"test MSE: autoencoder {ours:.4f}, PCA {pca:.4f} ({gap:+.1%}, "
                   f"{iterations} iterations)", verdict,
                   "PCA is fitted on the same 100 training points (centred); the bias-free "
                   "autoencoder sees the standardised data.")


MNIST_NOTES = (0.0204, 0.0104)  # train MSE after epoch 0 and epoch 4 (seed 004, 18.5)
MNIST_IMAGES = ("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte",
                "train-images.idx3-ubyte")


def mnist_images(folder: Path) -> Path:
    """The MNIST training images file in folder (its usual names), or a clear error."""
    for name in MNIST_IMAGES:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"{folder}: no MNIST training images ({', '.join(MNIST_IMAGES)}).")


def stacked_autoencoder_mnist(context: Context) -> Outcome:
    """The notes' TensorFlow run: 784-300-150-300-784, ELU, He init, L2 1e-4, Adam 0.01, batch
    150, 5 epochs on mnist.train (55,000 images), trained end to end (no pretraining, untied)."""
    path = context.examples / "stacked_autoencoder_mnist_idx.dgraph"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["nodes"] = [n for n in document["nodes"] if n["type"] != "ae.layerwise_pretrain"]
    kept = {n["id"] for n in document["nodes"]}
    document["edges"] = [e for e in document["edges"] if e["to"].split(".")[0] in kept]
    document.pop("ties", None)
    nodes = {node["id"]: node for node in document["nodes"]}
    nodes["data"]["params"].update({"path": str(mnist_images(context.mnist)),
                                    "batch_size": 150, "val_split": 5000 / 60000})
    nodes["opt"]["params"]["lr"] = 0.01
    # Dendrite's MSE node is 1/2 sum over the 784 pixels (mean over the batch), TensorFlow's
    # reduce_mean also averages over the pixels: the same objective (Adam does not see the
    # scale) needs the L2 factor scaled by 784 / 2, and the reported loss by 2 / 784.
    pixels = 784
    l2 = 0.0001 * pixels / 2
    for name in ("enc1", "enc2", "dec2", "dec1"):  # untied decoders get their own weights
        nodes[name]["params"].update({"init": "he_normal", "l2": l2})
    graph = graph_from_dict(document, context.registry, source=path)
    epochs = 2 if context.quick else 5
    program = compile_graph(graph, context.registry, seed=0)
    session = Session(program, epochs=epochs)
    ends = []  # the training MSE of the model as it is at each epoch's end (the notes print
    # the MSE of the epoch's last batch, an estimate of that; the epoch mean also counts
    # the epoch's first, worse batches)
    session.epoch_ends.append(lambda _epoch: ends.append(
        2 * program.evaluate("train")["loss"] / pixels))
    session.run()
    means = [2 * h["train/loss"] / pixels for h in session.history]
    if len(ends) < epochs:
        return Outcome("-", Verdict.NOT_RUN, f"stopped after {len(ends)} epochs: "
                       f"{session.state}")
    losses = ends
    first_ok = abs(losses[0] - MNIST_NOTES[0]) <= 0.5 * MNIST_NOTES[0]
    last_ok = context.quick or abs(losses[-1] - MNIST_NOTES[1]) <= 0.5 * MNIST_NOTES[1]
    verdict = Verdict.AGREES if first_ok and last_ok and losses[-1] < losses[0] \
        else Verdict.DIFFERS
    figure = ", ".join(f"epoch {i}: {loss:.4f}" for i, loss in enumerate(losses))
    return Outcome(f"train MSE at each epoch's end {figure}", verdict,
                   "The MSE per pixel of the whole training split after each epoch (the notes "
                   "print the MSE of the epoch's last batch of 150, an estimate of it); the "
                   "epoch means, which also count the epoch's first batches, are "
                   + ", ".join(f"{m:.4f}" for m in means) + ". The example's greedy "
                   "pretraining and tied decoders are left out, as in the notes' code."
                   + (" Quick mode runs 2 epochs." if context.quick else ""))


NODES = []
EXPERIMENTS = [
    Experiment("linear_ae_pca", "Linear autoencoder = PCA (3-D data to 2-D)", "seed 004",
               "the linear autoencoder's reconstruction error matches PCA with 2 components",
               "test reconstruction MSE within 5% of PCA's", linear_autoencoder_is_pca,
               example="pca_linear_autoencoder.dgraph"),
    Experiment("stacked_ae_mnist", "Stacked autoencoder 784-300-150-300-784 on MNIST",
               "seed 004, 18.5",
               "train MSE 0.0204 after epoch 0, about 0.0104 by epoch 4",
               "each within 50% of the notes' value, and falling", stacked_autoencoder_mnist,
               example="stacked_autoencoder_mnist_idx.dgraph", needs_mnist=True),
]
