"""Every example on CuPy: it compiles and runs an epoch (its monitors and views' events too),
its events carry host arrays, and in float64 it follows NumPy's numbers wherever the run
draws no random numbers on the device (CuPy's generator is not NumPy's: there, the metrics
need only be finite and of the same kind). GPU machines only (bench/gpu_check.sh).
"""

from __future__ import annotations

import dataclasses
import math
import traceback

import numpy as np
import pytest

from engines.backend import NUMPY
from engines.compiler import compile_graph
from engines.events import Failed
from engines.session import Session
from graph.fileio import load_graph
from tests.example_runs import EPOCHS, EXAMPLES, NAMES, shrink

pytestmark = pytest.mark.gpu

# node types that draw on the device's generator, so CuPy's run is not NumPy's
DEVICE_RANDOM = {"energy.rbm", "energy.dbn", "energy.boltzmann", "energy.corrupt",
                 "ae.corrupt", "ae.reparameterize", "ae.latent_grid", "neurons.poisson"}



def run_example(name, backend, registry, folder):
    """(metrics per epoch, events, tracebacks, weights) of one seeded float64 run."""
    graph = load_graph(EXAMPLES / f"{name}.dgraph", registry)
    shrink(name, graph, folder)
    program = compile_graph(graph, registry, backend, seed=0, dtype=np.float64)
    tracebacks = []

    def keep_traceback(event):  # observers run inside the session's except clause
        if isinstance(event, Failed):
            tracebacks.append(traceback.format_exc())

    session = Session(program, epochs=EPOCHS.get(name, 1), observers=[keep_traceback])
    events = session.run()
    return list(session.history), events, tracebacks, program.weights_to_host(), graph


def numbers(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if isinstance(v, (int, float))}


@pytest.mark.parametrize("name", NAMES)
def test_example_runs_on_cupy_as_on_numpy(gpu, registry, tmp_path, name):
    on_gpu, events, tracebacks, gpu_weights, graph = run_example(name, gpu, registry, tmp_path)
    failed = [e for e in events if isinstance(e, Failed)]
    assert not failed, f"{failed[0].message}\n{''.join(tracebacks)}"
    assert on_gpu, "no epoch finished"
    for event in events:  # the GUI thread never holds a device array
        for field in dataclasses.fields(event):
            value = getattr(event, field.name)
            assert not type(value).__module__.startswith("cupy"), (type(event).__name__,
                                                                   field.name)
    last = numbers(on_gpu[-1])
    assert all(math.isfinite(v) for v in last.values()), last

    on_cpu, _, _, cpu_weights, _ = run_example(name, NUMPY, registry, tmp_path)
    assert set(numbers(on_cpu[-1])) == set(last)
    if {node.type_id for node in graph.nodes.values()} & DEVICE_RANDOM:
        return
    expected = numbers(on_cpu[-1])
    for tag, value in last.items():
        assert value == pytest.approx(expected[tag], rel=1e-6, abs=1e-9), tag
    for key, array in cpu_weights.items():
        np.testing.assert_allclose(gpu_weights[key], array, rtol=1e-6, atol=1e-9, err_msg=key)


# examples whose training step must read the device, and why (everything else may not)
CORRUPT = "energy.corrupt draws fresh flips only when its input changed, compared on the host"
LINE_SEARCH = "full-batch method whose line search (LM: damping test) decides on the host"
SPIKES = ("event-driven spike delivery gathers the synapses of the neurons that fired, a "
          "data-dependent size")
STEP_READS_DEVICE: dict[str, str] = {
    "bam_letters": CORRUPT, "hopfield_letters": CORRUPT,
    "optimizer_race_bfgs": LINE_SEARCH, "optimizer_race_cg_fletcher_reeves": LINE_SEARCH,
    "optimizer_race_cg_polak_ribiere": LINE_SEARCH,
    "optimizer_race_levenberg_marquardt": LINE_SEARCH,
    "spiking_delays": SPIKES, "spiking_network": SPIKES,
}


@pytest.mark.parametrize("name", NAMES)
def test_training_steps_never_wait_for_the_device(gpu, registry, tmp_path, name):
    """A step queues work and returns: no device-to-host read inside it (monitors and probes
    read between steps). cupyx.allow_synchronize(False) raises at any such read."""
    import cupyx
    graph = load_graph(EXAMPLES / f"{name}.dgraph", registry)
    shrink(name, graph, tmp_path)
    program = compile_graph(graph, registry, gpu, seed=0)
    Session(program, epochs=1).run()  # every lazy buffer and kernel made
    batches = program.feeds[0].batches("train") if program.feeds else 3
    try:
        with cupyx.allow_synchronize(False):
            for batch in range(min(3, batches)):
                program.train_step(batch)
        read = None
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        ours = [f"{f.filename.rsplit('/', 2)[-2]}/{f.filename.rsplit('/', 1)[-1]}:{f.lineno}"
                for f in frames if "cupy" not in f.filename]
        read = f"{type(exc).__name__}: {exc} at {' <- '.join(reversed(ours[-3:]))}"
    if name in STEP_READS_DEVICE:
        assert read is not None, f"{name} no longer reads the device in a step"
    else:
        assert read is None, read
