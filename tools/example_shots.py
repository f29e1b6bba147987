"""Shared by the screenshot scripts: open examples in the real editor window, run each for some
epochs, bring chosen docks to the front and save the window as docs/screenshots/<name>.png.

A script lists its shots and calls `main(SHOTS)`; run it under xvfb:

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python tools/screenshot_<family>.py
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from shot_session import ROOT, private_scratch, start_app, wait_until_idle


@dataclass(frozen=True)
class Shot:
    """One screenshot: which example, how many epochs, the file, docks in front, cards to zoom."""

    example: str
    epochs: int
    name: str
    front: tuple = ()
    focus: tuple = ()  # node ids: fit these cards instead of the whole graph (long chains)


def main(shots: tuple, description: str) -> int:
    """Take the shots (all, or --only EXAMPLE) into --out (default docs/screenshots)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--only", default="", help="take only the shot of this example")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    private_scratch()
    from PySide6.QtCore import QRectF, Qt

    _app, pump = start_app()
    from gui.main_window import MainWindow
    from plugins import default_registry

    window = MainWindow(default_registry())
    window.resize(1900, 1040)
    window.show()
    for shot in shots:
        if args.only and args.only != shot.example:
            continue
        window.files.open(str(ROOT / "examples" / f"{shot.example}.dgraph"), ask=False)
        pump(0.5)
        window.canvas.fit_to_view(readable=True)  # as the window opens it
        controller = window.run_controller
        controller.run_bar.epochs_spin.setValue(shot.epochs)
        controller.start()
        wait_until_idle(controller, pump, limit_s=120)
        pump(0.5)
        if shot.focus:  # a long chain: show the first cards readable rather than all tiny
            rect = QRectF()
            for node_id in shot.focus:
                rect = rect.united(window.scene.nodes[node_id].sceneBoundingRect())
            window.canvas.fitInView(rect.adjusted(-30, -60, 30, 60),
                                    Qt.AspectRatioMode.KeepAspectRatio)
        for title in shot.front:
            dock = controller.plots.dock(title)
            if dock is not None:
                dock.raise_()
        controller.plots.refresh()
        pump(0.5)
        window.grab().save(str(out / shot.name))
        window.undo_stack.set_clean()
    return 0
