"""What every screenshot script sets up before it opens the real editor window.

`private_scratch()` points settings, data and the node library at a fresh temporary folder and
moves there (runs are recorded under ./runs), so a screenshot never reads or writes the user's
own; `start_app()` makes the Qt application and a `pump(seconds)` that keeps it drawing while a
script waits; `wait_until_idle()` waits for a run started from the run bar to end.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def private_scratch(prefix: str = "dendrite-shot-") -> Path:
    """A new scratch folder holding this process's settings, data and library; the working
    directory moves into it. Resolve relative paths from the command line before calling."""
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["DENDRITE_SETTINGS"] = str(scratch / "settings.ini")
    os.environ["DENDRITE_DATA_DIR"] = str(scratch / "data")
    os.environ["DENDRITE_LIBRARY"] = str(scratch / "library")
    os.chdir(scratch)
    return scratch


def start_app():
    """(app, pump): the QApplication, and pump(seconds), which processes its events for that
    long so docks and plots draw while a script waits."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])

    def pump(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.005)

    return app, pump


def wait_until_idle(controller, pump, limit_s: float = 300.0) -> None:
    """Pump until the run controller's run has ended and its last results are drawn; stops the
    run after limit_s."""
    deadline = time.perf_counter() + limit_s
    stopped = False
    while not (controller.state.value == "idle" and not controller.timer.isActive()):
        pump(0.05)
        if not stopped and time.perf_counter() > deadline:
            controller.stop()
            stopped = True
