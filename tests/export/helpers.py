"""Shared by the export tests: export a graph to every format and measure it against the engine."""

from __future__ import annotations

import numpy as np

from engines.export.api import ExportFormat, output_paths, prepare, render, write_files
from engines.export.check import max_difference, reference_forward, run_export, sample_inputs
from engines.export.lower import lower

TOLERANCE = 1e-5  # max abs difference in float32, as the issue asks


def randomise_weights(prepared, graph, registry, scale: float = 0.5, seed: int = 0) -> None:
    """Replace every parameter by N(0, scale^2) draws and lower again: trained-looking weights
    reach every activation's curved part, unlike a small initialisation."""
    rng = np.random.default_rng(seed)
    for buf in prepared.program.params.values():
        buf.value[...] = rng.normal(0.0, scale, buf.value.shape).astype(buf.value.dtype)
    prepared.model = lower(graph, registry, prepared.program, prepared.model.version)


def export_differences(graph, registry, folder, formats=tuple(ExportFormat), graph_path=None,
                       randomise: bool = True) -> dict:
    """{format: max abs difference against the engine} after writing each export to folder."""
    prepared = prepare(graph, registry, graph_path=graph_path)
    if randomise:
        randomise_weights(prepared, graph, registry)
    inputs = sample_inputs(prepared)
    expected = reference_forward(prepared, inputs)
    names = [p.name for p in prepared.model.outputs]
    found = {}
    for fmt in formats:
        paths = output_paths(fmt, folder / f"{graph.name}_{fmt.value}")
        write_files(paths, render(prepared, fmt, paths))
        _runner, actual = run_export(fmt, paths, inputs, names)
        found[fmt] = max_difference(expected, actual)
    return found
