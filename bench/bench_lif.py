"""Spiking-network speed: 10,000 LIF neurons, 1M recurrent synapses, dt 0.1 ms, ~10 Hz.

    .venv/bin/python bench/bench_lif.py [--neurons 10000] [--seconds 1.0] [--engine numpy]

The population is driven by a bias current and its own Poisson background (one source per
neuron), and talks to itself through random synapses (p = 100 / neurons, so 1M synapses at
10,000 neurons) with weights 0.1 +- 0.5 mV and delays of 1-5 ms. The whole graph runs
through the real compiler and Session (monitors included), headless. Prints the mean rate,
the synapse count and the wall time per second of model time (the target is at most 10 s).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def network(neurons: int):
    from graph.model import Edge, Graph, Node
    graph = Graph("lif_bench")
    graph.add_node(Node("noise", "neurons.poisson", {"count": neurons, "rate": 800.0}))
    graph.add_node(Node("drive", "neurons.synapses", {
        "targets": neurons, "connectivity": "one_to_one", "weight": 0.5, "delay": 0.1}))
    graph.add_node(Node("pop", "neurons.lif", {
        "count": neurons, "tau": 20.0, "threshold": 20.0, "refractory": 2.0, "bias": 8.7,
        "v_init": "uniform"}))
    graph.add_node(Node("recurrent", "neurons.synapses", {
        "targets": neurons, "connectivity": "random", "probability": min(1.0, 100 / neurons),
        "weight": 0.1, "weight_spread": 0.5, "delay": 1.0, "delay_spread": 4.0,
        "self_connections": False}))
    graph.connect(Edge("noise", "spikes", "drive", "pre"))
    graph.connect(Edge("drive", "psp", "pop", "synaptic"))
    graph.connect(Edge("pop", "spikes", "recurrent", "pre"))
    graph.connect(Edge("recurrent", "psp", "pop", "synaptic_2"))
    return graph


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=10000)
    parser.add_argument("--seconds", type=float, default=1.0, help="model time to simulate")
    parser.add_argument("--engine", default="numpy", choices=("numpy", "cupy"))
    args = parser.parse_args(argv)
    from engines.backend import get_backend
    from engines.compiler import compile_graph
    from engines.events import Scalar
    from engines.session import Session
    from plugins import default_registry

    began = time.perf_counter()
    program = compile_graph(network(args.neurons), default_registry(),
                            get_backend(args.engine), seed=0)
    built = time.perf_counter() - began
    synapses = len(program.extras["synapses"]["recurrent"]["pre"])
    epochs = round(args.seconds * 10)  # an LIF epoch is 100 ms
    began, cpu_began = time.perf_counter(), time.process_time()
    events = Session(program, epochs=epochs).run()
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    rates = [(e.step, e.value) for e in events if isinstance(e, Scalar) and e.tag == "rate/pop"]
    # the rate reports cover unequal spans; weight each by its steps, after a 100 ms settling
    settled = [(step, rate) for step, rate in rates if step > 1000]
    spans = np.diff([1000] + [step for step, _ in settled])
    mean_rate = float(np.dot(spans, [rate for _, rate in settled]) / max(spans.sum(), 1))
    print(f"{args.neurons} neurons, {synapses:,} recurrent synapses, dt 0.1 ms, "
          f"{args.seconds:g} s of model time ({args.engine})")
    print(f"mean rate after 100 ms {mean_rate:.1f} Hz; build {built:.1f} s; run {wall:.1f} s = "
          f"{wall / args.seconds:.1f} s wall per model second (CPU time {cpu:.1f} s: on a shared "
          "machine the wall time includes waiting for a core)")


if __name__ == "__main__":
    main()
