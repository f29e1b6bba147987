"""Hopfield recall, N = 1024 neurons, 100 stored random patterns: steps per second.

A step is one synchronous update of every neuron, or one asynchronous sweep (N single-neuron
updates in a random order), run through the Program's train_step exactly as a Session does,
for one cue and for a batch of 100 cues (each a stored pattern with 10% of its bits flipped).

    .venv/bin/python bench/bench_hopfield.py [--steps 20] [--repeats 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NEURONS, PATTERNS = 1024, 100


def program(update: str, cues: int):
    from engines.compiler import compile_graph
    from graph.model import Edge, Graph, Node
    from plugins import default_registry
    graph = Graph("bench hopfield")
    graph.add_node(Node("memories", "energy.patterns", {"source": "random", "count": PATTERNS,
                                                        "units": NEURONS}))
    graph.add_node(Node("probe", "energy.patterns", {"source": "random", "count": cues,
                                                     "units": NEURONS}))
    graph.add_node(Node("noise", "energy.corrupt", {"fraction": 0.1}))
    graph.add_node(Node("hop", "energy.hopfield", {"update": update,
                                                   "stop_when_converged": False}))
    graph.connect(Edge("memories", "patterns", "hop", "patterns"))
    graph.connect(Edge("probe", "patterns", "noise", "x"))
    graph.connect(Edge("noise", "y", "hop", "cue"))
    compiled = compile_graph(graph, default_registry(), seed=0, monitors=False)
    # cue each probe from a stored pattern: copy the memories into the probe rows
    memories = compiled.outputs[("memories", "patterns")].value
    compiled.outputs[("probe", "patterns")].value[...] = memories[:cues]
    return compiled


def steps_per_second(update: str, cues: int, steps: int, repeats: int) -> float:
    """Best of `repeats` timings (the machine is shared: the best is the least disturbed)."""
    compiled = program(update, cues)
    compiled.train_step(0)  # stores the patterns and loads the cue (not timed)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            compiled.train_step(0)
        rates.append(steps / (time.perf_counter() - start))
    return max(rates)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"Hopfield recall, N = {NEURONS}, {PATTERNS} patterns, float32 NumPy")
    for update in ("synchronous", "asynchronous"):
        for cues in (1, 100):
            rate = steps_per_second(update, cues, args.steps, args.repeats)
            print(f"  {update:12s} {cues:3d} cue(s): {rate:8.1f} steps/s "
                  f"({rate * NEURONS * cues / 1e6:7.2f} M neuron updates/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
