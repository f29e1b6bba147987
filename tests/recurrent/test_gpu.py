"""The recurrent kernels and the scan on CuPy give NumPy's training trajectory (GPU only)."""

from __future__ import annotations

import numpy as np
import pytest

from engines.backend import NUMPY, get_backend
from engines.compiler import compile_graph
from tests.engines.graphs import build
from tests.recurrent.graphs import elman

CELLS = [("recurrent.lstm", {}), ("recurrent.lstm", {"peephole": True}),
         ("recurrent.gru", {}), ("recurrent.gru", {"convention": "notes"}),
         ("recurrent.simple_rnn", {"bidirectional": True})]


def cell_graph(type_id, params):
    return build("gpu_rnn", [
        ("data", "recurrent.sequence_task", {"task": "sine", "steps": 12, "samples": 64,
                                             "batch_size": 16, "val_split": 0.0,
                                             "shuffle": False}),
        ("rnn", type_id, {"units": 8, **params}),
        ("att", "recurrent.attention_window", {"window": 1}),
        ("out", "recurrent.seq_dense", {"units": 1}),
        ("loss", "recurrent.seq_mse", {}),
        ("opt", "core.adam", {"lr": 0.01}),
    ], ["data.x -> rnn.x", "rnn.y -> att.x", "att.y -> out.x", "out.y -> loss.pred",
        "data.y -> loss.target", "loss.loss -> opt.loss"])


def _trajectories(graph, registry):
    programs = [compile_graph(graph, registry, backend=backend, seed=0, dtype=np.float64)
                for backend in (NUMPY, get_backend("cupy"))]
    for program in programs:
        for batch in range(4):  # the last ones wrap around to the first batches
            program.train_step(batch % program.feeds[0].batches("train"))
    return (p.weights_to_host() for p in programs)


@pytest.mark.gpu
@pytest.mark.parametrize("type_id, params", CELLS)
def test_cells_on_cupy_match_numpy(type_id, params, registry):
    cpu, gpu = _trajectories(cell_graph(type_id, params), registry)
    for key in cpu:
        np.testing.assert_allclose(gpu[key], cpu[key], rtol=1e-7, atol=1e-10, err_msg=key)


@pytest.mark.gpu
def test_delay_loop_scan_on_cupy_matches_numpy(registry):
    graph = elman(truncate=2)
    graph.nodes["opt"] = type(graph.nodes["data"])("opt", "core.sgd", {"lr": 0.05})
    from graph.model import Edge
    graph.connect(Edge("loss", "loss", "opt", "loss"))
    cpu, gpu = _trajectories(graph, registry)
    for key in cpu:
        np.testing.assert_allclose(gpu[key], cpu[key], rtol=1e-7, atol=1e-10, err_msg=key)
