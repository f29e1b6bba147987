"""Checking an export against the engine: the same inputs through both, the largest difference.

The engine's side is its own compiled forward pass, in evaluation mode at the run's last
epoch (so a DBN is past pretraining), restricted to the nodes the model covers.
"""

from __future__ import annotations

import importlib.util
import itertools
from dataclasses import dataclass

import numpy as np

from engines.export.formats import ExportFormat
from engines.export.ir import ExportError

TOLERANCE = 1e-5  # max abs difference in float32 that the tests hold every export to
_module_counter = itertools.count()


@dataclass(frozen=True)
class CheckResult:
    """How an exported file compared with the engine, or why it was not run."""

    runner: str  # "onnxruntime", "numpy", "torch"
    samples: int = 0
    max_abs_diff: float | None = None
    skipped: str = ""  # why it did not run (a package is missing)

    @property
    def ok(self) -> bool:
        """Within TOLERANCE (or not run)."""
        return self.max_abs_diff is None or self.max_abs_diff <= TOLERANCE

    def __str__(self):
        if self.skipped:
            return f"not checked: {self.skipped}"
        text = (f"checked with {self.runner} on {self.samples} samples against the engine: "
                f"max abs difference {self.max_abs_diff:.3g}")
        return text if self.ok else f"{text}, ABOVE the {TOLERANCE:g} tolerance"


def sample_inputs(prepared, random_rows: int = 16, seed: int = 0) -> dict:
    """A real batch from the graph's data (when it has a feed) plus N(0, 1) rows per input."""
    program, model = prepared.program, prepared.model
    buffers = {p.name: program.outputs[model.sources[p.name]] for p in model.inputs}
    if program.feeds:
        split = "val" if program.feeds[0].batches("val") else "train"
        program.load(split, 0)
    rng = np.random.default_rng(seed)
    inputs = {}
    for port in model.inputs:
        real = np.asarray(program.backend.to_host(buffers[port.name].value), dtype=np.float32)
        noise = rng.standard_normal((random_rows, *port.shape)).astype(np.float32)
        inputs[port.name] = np.concatenate([real.reshape(-1, *port.shape), noise])
    return inputs


def reference_forward(prepared, inputs: dict) -> dict:
    """The engine's outputs for inputs (name -> array), batch by batch in evaluation mode."""
    program, model = prepared.program, prepared.model
    xp, backend = program.backend.xp, program.backend
    covered = set(model.node_ids)
    nodes = set(program.order)  # the other keys are loops over time, run as one scan
    forwards = [fn for key, fn in program.forwards if key in covered or key not in nodes]
    in_bufs = {name: program.outputs[model.sources[name]] for name in inputs}
    out_bufs = {name: program.outputs[model.sinks[name]] for name in model.sinks}
    rows_total = len(next(iter(inputs.values())))
    batch = max(1, min(buf.storage.shape[0] for buf in in_bufs.values()))
    phase = program.phase
    saved = (phase.training, phase.epoch)
    phase.training, phase.epoch = False, max(phase.epoch, prepared.epoch)
    results = {name: [] for name in out_bufs}
    live_saved = {node: dict(program.live[node].values) for node in model.reference_params}
    for node, params in model.reference_params.items():
        program.live[node].values.update(params)
    try:
        for start in range(0, rows_total, batch):
            rows = min(batch, rows_total - start)
            program.set_rows(rows)
            for name, buf in in_bufs.items():
                buf.value[...] = xp.asarray(inputs[name][start:start + rows])
            for fn in forwards:
                fn()
            for name, buf in out_bufs.items():
                results[name].append(np.array(backend.to_host(buf.value), copy=True))
    finally:
        phase.training, phase.epoch = saved
        for node, values in live_saved.items():
            program.live[node].values.clear()
            program.live[node].values.update(values)
    return {name: np.concatenate(parts) for name, parts in results.items()}


def import_file(path):
    """Import the Python file at path as a fresh module."""
    name = f"dendrite_export_{next(_module_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_onnx(path, inputs: dict) -> dict:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options,
                                           providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, inputs)))


def run_numpy(path, inputs: dict, output_names: list) -> dict:
    module = import_file(path)
    outputs = module.predict(**inputs)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    return dict(zip(output_names, outputs))


def run_torch(path, inputs: dict, output_names: list) -> dict:
    import torch

    module = import_file(path)
    model = module.load_model()
    with torch.no_grad():
        outputs = model(**{k: torch.from_numpy(v) for k, v in inputs.items()})
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    return {name: out.numpy() for name, out in zip(output_names, outputs)}


def run_export(fmt, paths: list, inputs: dict, output_names: list) -> tuple[str, dict]:
    """(runner name, outputs) of the exported files on inputs."""
    if fmt is ExportFormat.ONNX:
        return "onnxruntime", run_onnx(paths[0], inputs)
    if fmt is ExportFormat.NUMPY:
        return "numpy", run_numpy(paths[0], inputs, output_names)
    return "torch", run_torch(paths[0], inputs, output_names)


def max_difference(expected: dict, actual: dict) -> float:
    worst = 0.0
    for name, want in expected.items():
        got = np.asarray(actual[name])
        if got.shape != want.shape:
            raise ExportError(f"The exported output '{name}' has shape {got.shape}; the "
                              f"engine gives {want.shape}.")
        worst = max(worst, float(np.max(np.abs(got.astype(np.float64) - want))))
    return worst


def check_files(prepared, fmt, paths: list) -> CheckResult:
    """Run the written files on sample inputs and compare with the engine's forward pass."""
    runner = {ExportFormat.ONNX: "onnxruntime", ExportFormat.NUMPY: "numpy",
              ExportFormat.TORCH: "torch"}[fmt]
    if importlib.util.find_spec(runner) is None:
        return CheckResult(runner, skipped=f"{runner} is not installed")
    inputs = sample_inputs(prepared)
    expected = reference_forward(prepared, inputs)
    try:
        _, actual = run_export(fmt, paths, inputs, [p.name for p in prepared.model.outputs])
    except Exception as exc:  # the files are written; say why they did not run
        return CheckResult(runner, skipped=f"running the export with {runner} failed "
                                           f"({type(exc).__name__}: {exc})")
    return CheckResult(runner, len(next(iter(inputs.values()))),
                       max_difference(expected, actual))
