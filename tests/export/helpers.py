"""Shared by the export tests: export a graph to every format and measure it against the engine."""

from __future__ import annotations

import numpy as np

from engines.export.api import ExportFormat, output_paths, prepare, render, write_files
from engines.export.check import (
    TOLERANCE,
    max_difference,
    reference_forward,
    run_export,
    sample_inputs,
)
from engines.export.lower import lower

__all__ = ["TOLERANCE", "export_differences", "randomise_weights"]


def randomise_weights(prepared, graph, registry, seed: int = 0) -> None:
    """Replace every parameter by random draws and lower again: He-scaled weights (fan-in from
    the first axis of a matrix, the rest of a kernel) and N(0, 0.5^2) biases keep activations
    O(1) through deep stacks and reach every activation's curved part, unlike a small start."""
    rng = np.random.default_rng(seed)
    for buf in prepared.program.params.values():
        shape = buf.value.shape
        fan_in = shape[0] if len(shape) == 2 else (buf.value.size // shape[0] if shape else 1)
        scale = 0.5 if len(shape) < 2 else float(np.sqrt(2.0 / max(fan_in, 1)))
        buf.value[...] = rng.normal(0.0, scale, shape).astype(buf.value.dtype)
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
