"""The notes' experiments on core nodes: the five-sigmoid chain's outputs and gradients."""

from __future__ import annotations

import numpy as np

from engines.compiler import compile_graph
from engines.records import load_initial_weights
from engines.reproduce import Context, Experiment, Outcome, Verdict
from graph.fileio import load_graph

CHAIN_OUTPUTS = [0.731058578630005, 0.188143725087062, 0.407022630083087, 0.307029145835665,
                 0.576159944190332]
CHAIN_GRADS_W5_TO_W1 = [0.00571019949926838, 0.0016105892898339, -0.00035937069569135,
                        0.000426583433503455, -0.000229451909878624]


def five_sigmoid_chain(context: Context) -> Outcome:
    """One forward and backward pass of the example in float64 against the notes' digits."""
    path = context.examples / "vanishing_gradient_chain.dgraph"
    program = compile_graph(load_graph(path, context.registry), context.registry,
                            dtype=np.float64)
    load_initial_weights(program, path)
    program.forward()
    program.backward()
    outputs = [float(program.peek(f"y{i}", "y")[0, 0]) for i in range(1, 6)]
    grads = [float(program.params[(f"w{i}", "W")].grad[0, 0]) for i in range(5, 0, -1)]
    error = max(max(abs(a - b) / abs(b) for a, b in zip(outputs, CHAIN_OUTPUTS)),
                max(abs(a - b) / abs(b) for a, b in zip(grads, CHAIN_GRADS_W5_TO_W1)))
    figure = (f"y5 = {outputs[-1]:.15f}, dE/dw1 = {grads[-1]:.15g}; largest relative "
              f"difference over the 10 numbers {error:.1e}")
    verdict = Verdict.AGREES if error <= 1e-12 else Verdict.DIFFERS
    return Outcome(figure, verdict)


NODES = []
EXPERIMENTS = [
    Experiment("chain", "Five-sigmoid chain: outputs and gradients", "seed 004",
               "y5 = 0.576159944190332, dE/dw1 = -0.000229451909878624 (5 outputs, "
               "5 gradients)", "every output and gradient within 1e-12 relative, float64",
               five_sigmoid_chain, example="vanishing_gradient_chain.dgraph"),
]
