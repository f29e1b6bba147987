"""GUI entry point: main(graph_path) creates the application and the main window."""

from __future__ import annotations

import sys
from pathlib import Path

DEFAULT_EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "digits_mlp.dgraph"


def main(graph_path: str | None, registry) -> int:
    """Open graph_path (or the last file, or the default example on first launch) in an
    editor for registry's node types (main.py loads the packs); run Qt."""
    from pyqtgraph.util.garbage_collector import GarbageCollector
    from PySide6.QtWidgets import QApplication

    from gui.files import APPLICATION, ORGANISATION
    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    # Python's cyclic GC may run on whichever thread allocates; if the training thread frees a
    # Qt object, Qt crashes. Collect on the GUI thread only, on a timer.
    collector = GarbageCollector(interval=1.0)  # noqa: F841 (kept alive for the app's life)
    window = MainWindow(registry)
    window.show()
    if not window.files.offer_recovery():
        path = graph_path or window.files.last_file()
        if path is None and DEFAULT_EXAMPLE.exists():
            path = str(DEFAULT_EXAMPLE)
        if path is not None:
            window.files.open(path, ask=False)
    return app.exec()

