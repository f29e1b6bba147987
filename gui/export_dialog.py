"""File > Export: the window's graph as ONNX, a NumPy module or a PyTorch module.

After a run the run's weights are exported (the weights the session ended with); before any
run, the .npz beside the graph file or the graph's initial weights. The export itself is
engines.export; this module only asks where to, and says how it went.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from engines.export import ExportError, ExportFormat, export_graph

FILTERS = {
    ExportFormat.ONNX: "ONNX model (*.onnx)",
    ExportFormat.NUMPY: "NumPy module and weights (*.py)",
    ExportFormat.TORCH: "PyTorch module and weights (*.py)",
}


def run_weights(window):
    """(weights, why not): the last run's weights when it has ended, else (None, reason or
    None when there was no run)."""
    controller = getattr(window, "run_controller", None)
    session = getattr(controller, "session", None)
    if session is None:
        return None, None
    if not session.done:
        return None, "The run is still going: stop it to export the weights it ends with."
    return session.program.weights_to_host(), None


def ask_target(window, graph_name: str):
    """(format, path) from a save dialog, or None when cancelled."""
    start = str(Path(getattr(window, "graph_path", None) or ".").with_name(graph_name))
    path, chosen = QFileDialog.getSaveFileName(window, "Export the inference graph", start,
                                               ";;".join(FILTERS.values()))
    if not path:
        return None
    fmt = next((f for f, text in FILTERS.items() if text == chosen), ExportFormat.ONNX)
    return fmt, path


def export_current_graph(window, fmt: ExportFormat | None = None, path=None, *,
                         quiet: bool = False):
    """Export window.graph (asking for format and file unless given); returns the
    ExportResult, or None when cancelled or refused (the reason is shown, the node marked)."""
    weights, refusal = run_weights(window)
    if refusal is not None:
        _tell(window, refusal, error=True, quiet=quiet)
        return None
    if fmt is None or path is None:
        target = ask_target(window, window.graph.name)
        if target is None:
            return None
        fmt, path = target
    try:
        result = export_graph(window.graph, window.registry, fmt, path, weights=weights,
                              graph_path=getattr(window, "graph_path", None))
    except (ExportError, ValueError, OSError) as exc:
        node_id = getattr(exc, "node_id", None)
        canvas = getattr(window, "canvas", None)
        if node_id and hasattr(canvas, "mark_node"):
            canvas.mark_node(node_id, str(exc))
        _tell(window, f"Nothing was exported: {exc}", error=True, quiet=quiet)
        return None
    source = "the last run's weights" if weights is not None else result.weights_note
    lines = [f"Wrote {', '.join(p.name for p in result.files)} with {source}."]
    if result.check is not None:
        lines.append(f"{str(result.check)[:1].upper()}{str(result.check)[1:]}.")
    _tell(window, " ".join(lines), error=False, quiet=quiet)
    return result


def _tell(window, text: str, *, error: bool, quiet: bool) -> None:
    window.statusBar().showMessage(text, 10000)
    if quiet:
        return
    if error:
        QMessageBox.warning(window, "Export", text)
    else:
        QMessageBox.information(window, "Export", text)
