"""The formats an export writes (shared by the writer in api.py and the checker in check.py)."""

from __future__ import annotations

import enum


class ExportFormat(enum.Enum):
    """What export_graph writes."""

    ONNX = "onnx"  # one .onnx file
    NUMPY = "numpy"  # a .py module (numpy only) and a .npz of weights
    TORCH = "torch"  # a .py module with an nn.Module and a .npz of weights

    @property
    def suffix(self) -> str:
        return ".onnx" if self is ExportFormat.ONNX else ".py"
