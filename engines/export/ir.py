"""The exporter's intermediate form: a flat list of typed ops over named values.

An export rule (one per node type) lowers its node into ops; each `OpKind` carries its own
three emitters (ONNX, NumPy code, PyTorch code), so a pack that needs a new operation defines
an OpKind beside its rule and touches nothing here. Values are plain names; weights are host
arrays keyed 'node_id/name' like a run's weights.npz.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class ExportError(ValueError):
    """The graph cannot be exported; the message names the node (and nothing was written)."""

    def __init__(self, message: str, node_id: str | None = None):
        super().__init__(message)
        self.node_id = node_id


@dataclass(frozen=True)
class OpKind:
    """One operation of the export vocabulary and how each target writes it.

    onnx(op, graph) adds ONNX nodes (engines.export.onnx_writer.OnnxGraph); numpy(op, code)
    and torch(op, code) append source lines (engines.export.code.NumpyCode / TorchCode).
    """

    name: str
    onnx: Callable
    numpy: Callable
    torch: Callable
    doc: str = ""


@dataclass(frozen=True)
class Op:
    """One lowered operation: inputs and outputs are value names, weights map a role ('W')
    to a key of ExportModel.weights, attrs are plain Python values."""

    kind: OpKind
    node_id: str
    inputs: tuple
    outputs: tuple
    attrs: dict = field(default_factory=dict)
    weights: dict = field(default_factory=dict)

    def attr(self, name: str, default: Any = None) -> Any:
        return self.attrs.get(name, default)


@dataclass(frozen=True)
class Port:
    """A model input or output: its value name and its shape per sample (no batch axis)."""

    name: str
    shape: tuple


@dataclass
class ExportModel:
    """A graph's inference part, lowered: what every writer turns into a file."""

    name: str
    version: str
    inputs: list  # Port
    outputs: list  # Port
    ops: list  # Op, in execution order
    weights: dict  # 'node/name' -> float32 host array
    node_ids: list  # the graph nodes the model covers, in order
    sources: dict = field(default_factory=dict)  # input name -> (node_id, port)
    sinks: dict = field(default_factory=dict)  # output name -> (node_id, port)
    reference_params: dict = field(default_factory=dict)  # node -> params for the check

    def describe_inputs(self) -> str:
        """'x: (batch, 64)' lines joined by '; ' for metadata and docstrings."""
        return "; ".join(f"{port.name}: {shape_text(port.shape)}" for port in self.inputs)

    def describe_outputs(self) -> str:
        return "; ".join(f"{port.name}: {shape_text(port.shape)}" for port in self.outputs)


def shape_text(shape: tuple) -> str:
    return "(" + ", ".join(["batch", *map(str, shape)]) + ")"


class InputSource:
    """The export rule of a node whose outputs become the model's inputs (a constant)."""

    def __repr__(self):
        return "AS_INPUT"


AS_INPUT = InputSource()


@dataclass(frozen=True)
class Unexportable:
    """The export rule of a node type that has no inference form; reason says why."""

    reason: str
