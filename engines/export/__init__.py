"""Export a graph's inference part: ONNX, standalone NumPy code, PyTorch code (no Qt).

Node types export through rules their packs declare (`EXPORT_RULES` beside `NODES`; see
docs/ARCHITECTURE.md); each rule lowers its node into OpKinds that know how to write
themselves for every target.
"""

from engines.export.api import (
    EXTRA_HINT,
    ExportFormat,
    ExportResult,
    dendrite_version,
    export_graph,
    prepare,
)
from engines.export.ir import AS_INPUT, ExportError, ExportModel, Op, OpKind, Unexportable
from engines.export.lower import LowerContext

__all__ = ["AS_INPUT", "EXTRA_HINT", "ExportError", "ExportFormat", "ExportModel",
           "ExportResult", "LowerContext", "Op", "OpKind", "Unexportable", "dendrite_version",
           "export_graph", "prepare"]
