"""Screenshot of the editor window for the docs: docs/screenshots/editor.png.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/screenshot_editor.py

(apt-get install -y xvfb libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 for a real X server;
QT_QPA_PLATFORM=offscreen works too.) Opens examples/digits_mlp.dgraph in a window of
1400x900 with private settings, selects the first Dense node so the inspector shows a form,
waits for layout and saves window.grab()."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shot_session import ROOT, private_scratch, start_app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graph", nargs="?", default=str(ROOT / "examples" / "digits_mlp.dgraph"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots" / "editor.png"))
    parser.add_argument("--size", default="1400x900")
    parser.add_argument("--select", default="", help="node id to select (default: first Dense)")
    args = parser.parse_args()
    graph_path, out = Path(args.graph).resolve(), Path(args.out).resolve()
    private_scratch()
    from PySide6.QtCore import QTimer

    from gui.main_window import MainWindow
    from plugins import default_registry

    app, _pump = start_app()
    window = MainWindow(default_registry())
    width, height = (int(v) for v in args.size.split("x"))
    window.resize(width, height)
    window.show()
    if not window.files.open(str(graph_path), ask=False):
        return 1
    node_id = args.select or next((n.id for n in window.graph.nodes.values()
                                   if n.type_id == "core.dense"), "")
    if node_id in window.scene.nodes:
        window.scene.nodes[node_id].setSelected(True)

    def shoot():
        window.canvas.fit_to_view()
        app.processEvents()
        out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(out))
        print(f"saved {out} ({window.width()}x{window.height()})")
        window.undo_stack.set_clean()
        window.close()
        app.quit()

    QTimer.singleShot(1500, shoot)  # let docks and plots settle
    app.exec()
    return 0


if __name__ == "__main__":
    sys.exit(main())
