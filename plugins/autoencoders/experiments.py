"""The notes' autoencoder experiments: a linear autoencoder is PCA."""

from __future__ import annotations

import json

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


NODES = []
EXPERIMENTS = [
    Experiment("linear_ae_pca", "Linear autoencoder = PCA (3-D data to 2-D)", "seed 004",
               "the linear autoencoder's reconstruction error matches PCA with 2 components",
               "test reconstruction MSE within 5% of PCA's", linear_autoencoder_is_pca,
               example="pca_linear_autoencoder.dgraph"),
]
