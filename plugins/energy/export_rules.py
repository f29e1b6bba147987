"""How the energy pack's node types export: a DBN as its fine-tuned feedforward stack; the
models that compute by sampling or by settling to a fixed point say why they cannot."""

from __future__ import annotations

from engines.export.ir import AS_INPUT, Unexportable
from engines.export.ops import GEMM, SIGMOID


def dbn(ctx):
    value = ctx.input("x")
    for index in range(1, len(ctx.params["layers"]) + 1):
        weights = {"W": ctx.weight(f"W{index}"), "b": ctx.weight(f"b{index}")}
        value = ctx.emit(GEMM, [value], {"name": f"layer{index}"}, weights)
        value = ctx.emit(SIGMOID, [value], {"name": f"sigmoid{index}"})
    ctx.output("y", value)


EXPORT_RULES = {
    "energy.dbn": dbn,
    "energy.patterns": AS_INPUT,
    "energy.corrupt": lambda ctx: ctx.output("y", ctx.input("x")),  # cues are inputs
    "energy.hopfield": Unexportable(
        "a Hopfield network recalls by iterating its state to a fixed point; it has no "
        "feedforward inference graph."),
    "energy.boltzmann": Unexportable(
        "a Boltzmann machine computes by stochastic sampling (annealing); it has no "
        "feedforward inference graph."),
    "energy.rbm": Unexportable(
        "an RBM is trained and used by Gibbs sampling; export a deep belief net (energy.dbn) "
        "or a dense layer to get a feedforward map."),
}
