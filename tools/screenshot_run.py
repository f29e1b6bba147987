"""Screenshots of a live run for the docs: docs/screenshots/run.png and probe.png.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/screenshot_run.py

Opens examples/digits_mlp.dgraph in a 1440x900 window with private settings, trains it once to
the end (so the Runs panel has a run to overlay), starts a second run, pauses it at epoch 30
and saves the window; then clicks the hidden -> ReLU wire and saves the probe."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shot_session import ROOT, private_scratch, start_app, wait_until_idle


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out).resolve()
    private_scratch()
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    _app, pump = start_app()
    from graph.model import Edge
    from gui.main_window import MainWindow
    from plugins import default_registry

    window = MainWindow(default_registry())
    window.resize(1440, 900)
    window.show()
    window.files.open(str(ROOT / "examples" / "digits_mlp.dgraph"), ask=False)
    pump(0.5)
    window.canvas.fit_to_view()
    controller = window.run_controller
    controller.run_bar.epochs_spin.setValue(300)
    controller.start()
    wait_until_idle(controller, pump)
    controller.runs_panel.set_ticked(controller.runs_panel.run_names()[0])
    controller.run_bar.seed_spin.setValue(1)
    window.scene.nodes["opt"].setSelected(True)
    controller.start()
    while (controller.last_progress is None or controller.last_progress.epoch < 30) \
            and controller.state != "idle":
        pump(0.05)
    controller.pause()
    controller.session.wait_idle(10)
    pump(0.3)
    controller.plots.refresh()
    pump(0.5)
    window.grab().save(str(out / "run.png"))

    wire = window.scene.wires[Edge("hidden", "y", "hidden_act", "x")]
    window.scene.clearSelection()
    for percent in (0.5, 0.4, 0.6, 0.3, 0.7):
        point = window.canvas.mapFromScene(wire.mapToScene(wire.path().pointAtPercent(percent)))
        if window.canvas.itemAt(point) is wire:
            QTest.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
            break
    else:
        print("The wire is covered by other items; no probe screenshot.", file=sys.stderr)
        return 1
    while controller.probe.last_array is None:
        pump(0.05)
    pump(0.5)
    window.grab().save(str(out / "probe.png"))
    controller.stop()
    pump(0.5)
    window.undo_stack.set_clean()
    return 0


if __name__ == "__main__":
    sys.exit(main())
