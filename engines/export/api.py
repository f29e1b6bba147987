"""export_graph: compile, load the weights, lower the inference part, write the files.

Everything that can fail (an unexportable node, a missing package, a weights file that does
not fit) fails before the first byte is written; files are written to temporary names and
moved into place together.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engines.backend import NUMPY
from engines.compiler import compile_graph
from engines.export.check import check_files
from engines.export.formats import ExportFormat
from engines.export.ir import ExportError, ExportModel
from engines.export.lower import check_rules, inference_part, lower
from engines.export.unroll import time_loops
from engines.records import WEIGHTS_FILE, initial_weights_path, load_weights_file
from graph.validate import topological_order

EXTRA_HINT = "install the 'export' extra: .venv/bin/pip install '.[export]' " \
             "(./start.sh --setup dev installs it too)"
_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Prepared:
    """A compiled program with the chosen weights, and the model lowered from it."""

    program: object
    model: ExportModel
    weights_note: str  # where the weights came from, for the user
    epoch: int = 0  # the epoch the engine's forward is evaluated at (after pretraining)


@dataclass
class ExportResult:
    files: list = field(default_factory=list)  # Path, in writing order
    weights_note: str = ""
    check: object = None  # engines.export.check.CheckResult, when a check ran


def dendrite_version() -> str:
    """The version in the checkout's pyproject.toml (the installed metadata as a fallback)."""
    try:
        text = (_ROOT / "pyproject.toml").read_text(encoding="utf-8")
        found = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
        if found:
            return found.group(1)
    except OSError:
        pass
    try:
        from importlib.metadata import version
        return version("dendrite")
    except Exception:
        return "unknown"


def weights_path(source) -> Path:
    """The .npz a --weights argument names: a run record folder's weights.npz, or the file."""
    path = Path(source)
    return path / WEIGHTS_FILE if path.is_dir() else path


def _load_weights(program, graph, nodes: set, source, graph_path) -> str:
    if source is None and graph_path is not None \
            and initial_weights_path(graph_path).is_file():
        source = initial_weights_path(graph_path)
    if source is None:
        return "the graph's initial (untrained) weights; pass --weights RUN_DIR for trained ones"
    if isinstance(source, dict):
        arrays, where = source, "the run's weights"
    else:
        path = weights_path(source)
        arrays, where = load_weights_file(path), str(path)
    unknown = sorted(k for k in arrays if tuple(k.partition("/")[::2]) not in program.params)
    if unknown:
        raise ExportError(f"{where} has weights for parameters this graph lacks "
                          f"({', '.join(unknown[:5])}); is it from another graph?")
    missing = sorted(f"{node}/{name}" for node, name in program.params
                     if node in nodes and f"{node}/{name}" not in arrays)
    if missing:
        node = missing[0].partition("/")[0]
        raise ExportError(f"{where} lacks the weights of node '{node}' "
                          f"({', '.join(missing[:5])}).", node)
    try:
        program.load_weights(arrays)
    except ValueError as exc:
        raise ExportError(f"{where}: {exc}") from None
    return where


def prepare(graph, registry, *, weights=None, graph_path=None) -> Prepared:
    """Compile graph on NumPy (float32), load the weights and lower its inference part.

    weights: a run folder, a .npz path, a dict of arrays, or None (the .npz beside
    graph_path when there is one, else the initial weights).
    """
    _inputs, _outputs, nodes = inference_part(graph, registry)
    try:
        order = [node_id for node_id in topological_order(graph, registry) if node_id in nodes]
    except Exception:  # a loop without a delay: compiling says so, in its own words
        order = None
    if order is not None:  # refuse before compiling (and loading data)
        full_order = topological_order(graph, registry)
        check_rules(graph, registry, order, time_loops(graph, registry, full_order, nodes))
    seed = int(graph.settings.get("seed", 0))
    program = compile_graph(graph, registry, NUMPY, seed=seed, monitors=False)
    note = _load_weights(program, graph, nodes, weights, graph_path)
    model = lower(graph, registry, program, dendrite_version())
    return Prepared(program, model, note, int(graph.settings.get("epochs", 0)))


def output_paths(fmt: ExportFormat, out) -> list:
    """The files an export to `out` writes: [x.onnx] or [x.py, x.npz]."""
    path = Path(out)
    if path.suffix.lower() != fmt.suffix:
        path = path.with_name(path.name + fmt.suffix)
    if fmt is ExportFormat.ONNX:
        return [path]
    return [path, path.with_suffix(".npz")]


def render(prepared: Prepared, fmt: ExportFormat, paths: list) -> list:
    """The bytes of each file in paths (nothing written yet)."""
    model = prepared.model
    if fmt is ExportFormat.ONNX:
        try:
            from engines.export.onnx_writer import onnx_bytes
            return [onnx_bytes(model)]
        except ImportError as exc:
            raise ExportError(f"ONNX export needs the 'onnx' package ({exc.name} is missing): "
                              f"{EXTRA_HINT}.") from None
    from engines.export.code import numpy_source, torch_source
    stem = paths[0].stem
    source = numpy_source(model, stem) if fmt is ExportFormat.NUMPY \
        else torch_source(model, stem)
    return [source.encode("utf-8"), _npz_bytes(model.weights)]


def _npz_bytes(weights: dict) -> bytes:
    import io
    stream = io.BytesIO()
    np.savez(stream, **{key: np.asarray(a, dtype=np.float32) for key, a in weights.items()})
    return stream.getvalue()


def write_files(paths: list, contents: list) -> None:
    """Write every file to a temporary name in its folder, then move them all into place."""
    for path in paths:
        if not path.parent.is_dir():
            raise ExportError(f"{path.parent}: no such folder to export into.")
    temps = []
    try:
        for path, data in zip(paths, contents):
            handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            temps.append(temp)
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
        for path, temp in zip(paths, temps):
            os.replace(temp, path)
    finally:
        for temp in temps:
            if os.path.exists(temp):
                os.unlink(temp)


def export_graph(graph, registry, fmt: ExportFormat | str, out, *, weights=None,
                 graph_path=None, check: bool = True) -> ExportResult:
    """Export graph's inference part to `out` in fmt; raises ExportError (nothing written).

    check: afterwards run the files (onnxruntime, the NumPy module, the PyTorch module, when
    installed) against the engine's own forward pass and report the largest difference.
    """
    fmt = ExportFormat(fmt)
    prepared = prepare(graph, registry, weights=weights, graph_path=graph_path)
    paths = output_paths(fmt, out)
    write_files(paths, render(prepared, fmt, paths))
    result = ExportResult(paths, prepared.weights_note)
    if check:
        result.check = check_files(prepared, fmt, paths)
    return result
