"""A small regression MLP as a graph, and its loss and gradient as plain functions of one
weight vector, so scipy can minimise exactly what the engine does."""

from __future__ import annotations

import numpy as np

from engines.compiler import compile_graph
from tests.engines.graphs import build


def sine_mlp(optimizer: str, hidden: int = 6, samples: int = 40, **params):
    """sine regression 1-hidden-1 with tanh, MSE, and the given optimizer node."""
    return build("sine", [
        ("data", "core.dataset", {"dataset": "sine", "samples": samples, "noise": 0.05,
                                  "batch_size": 8, "shuffle": False}),
        ("d1", "core.dense", {"units": hidden}),
        ("t1", "core.tanh", {}),
        ("d2", "core.dense", {"units": 1}),
        ("loss", "core.mse", {}),
        ("opt", optimizer, dict(params)),
    ], ["data.x -> d1.x", "d1.y -> t1.x", "t1.y -> d2.x", "d2.y -> loss.pred",
        "data.y -> loss.target", "loss.loss -> opt.loss"])


def compile64(graph, registry, seed=3):
    return compile_graph(graph, registry, seed=seed, dtype=np.float64, monitors=False)


class Objective:
    """f(w), grad f(w) and the residuals of a compiled program's full training batch, with
    w the concatenation of its trainable parameters in program order."""

    def __init__(self, program):
        self.program = program
        self.params = list(program.trainable)
        program.load("train", 0)

    def weights(self) -> np.ndarray:
        return np.concatenate([np.array(p.value, dtype=np.float64).ravel()
                               for p in self.params])

    def set(self, w) -> None:
        start = 0
        for p in self.params:
            p.value[...] = w[start:start + p.value.size].reshape(p.value.shape)
            start += p.value.size

    def value_and_grad(self, w) -> tuple:
        self.set(w)
        objective = self.program.reevaluate()
        return objective, np.concatenate([np.array(p.grad).ravel() for p in self.params])

    def residuals(self, w) -> np.ndarray:
        self.set(w)
        self.program.forward()
        pred, target = self.program.outputs[("d2", "y")], self.program.outputs[("data", "y")]
        rows = pred.value.shape[0]
        return (np.array(pred.value) - np.array(target.value)).ravel() / np.sqrt(rows)


def run_steps(program, steps: int) -> list:
    """Train `steps` full-batch steps; returns the objective after each."""
    losses = []
    for _ in range(steps):
        program.train_step(0)
        program.read_metrics()
        losses.append(program.objective())
    return losses
