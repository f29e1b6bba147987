"""Screenshot of the optimizer race in the runs panel: docs/screenshots/optimizer_race.png.

    for f in examples/optimizer_race_*.dgraph; do .venv/bin/python main.py run "$f" \
        --runs-dir /tmp/race_runs --quiet; done
    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/screenshot_race.py \
        --runs /tmp/race_runs

Opens the BFGS race graph in a 1440x900 window with private settings and a copy of the race's
run records (the newest record per graph), ticks them all, puts them against passes over the
data, selects the run named by --select (SGD by default) and saves the window."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from shot_session import ROOT, private_scratch, start_app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, help="folder holding the race's run records")
    parser.add_argument("--axis", default="passes over the data")
    parser.add_argument("--select", default="optimizer_race_sgd")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    runs, out = Path(args.runs).resolve(), Path(args.out).resolve()
    scratch = private_scratch("dendrite-race-")
    newest = {}
    for folder in sorted(runs.iterdir()):
        newest[folder.name.split("-", 2)[-1]] = folder
    for folder in newest.values():
        shutil.copytree(folder, scratch / "runs" / folder.name)

    from PySide6.QtCore import Qt

    _app, pump = start_app()
    from gui.main_window import MainWindow
    from gui.run_compare import XAxis
    from plugins import default_registry

    window = MainWindow(default_registry())
    window.resize(1440, 900)
    window.show()
    window.files.open(str(ROOT / "examples" / "optimizer_race_bfgs.dgraph"), ask=False)
    pump(0.5)
    window.canvas.fit_to_view()
    panel = window.run_controller.runs_panel
    panel.refresh()
    panel.show()
    panel.raise_()
    window.resizeDocks([panel], [430], Qt.Orientation.Vertical)
    for name in panel.run_names():
        panel.set_ticked(name)
    panel.set_x_axis(XAxis(args.axis))
    panel.run_list.setCurrentItem(panel.item(next(
        n for n in panel.run_names() if n.endswith(args.select))))
    pump(1.0)
    window.grab().save(str(out / "optimizer_race.png"))
    window.undo_stack.set_clean()
    return 0


if __name__ == "__main__":
    sys.exit(main())
