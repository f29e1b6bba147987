"""Screenshots of the editor's depth features for the docs (real MainWindow):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/screenshot_groups.py

docs/screenshots/groups.png: examples/lenet_digits_grouped.dgraph at the top level (group
cards, breadcrumb hidden) and groups_inside.png: inside Features (breadcrumb shown);
reroute.png: the XOR example with two wires bent through reroute dots and a frame;
formulas.png: the XOR example with View > Show Formulas on."""

from __future__ import annotations

import sys

from shot_session import ROOT, private_scratch, start_app

OUT = ROOT / "docs" / "screenshots"


def main() -> int:
    private_scratch()
    from graph.layout_commands import SetFrame, SetReroute
    from gui.main_window import MainWindow
    from plugins import default_registry

    app, _pump = start_app()
    window = MainWindow(default_registry())
    window.resize(1560, 900)
    window.show()
    from PySide6.QtWidgets import QDockWidget
    for dock in window.findChildren(QDockWidget):
        if dock.objectName() not in ("palette_dock", "inspector_dock"):
            dock.hide()  # the run side's docks: the canvas is the subject here

    def settle():
        for _ in range(5):
            app.processEvents()

    def shoot(name, zoom=None, centre=None):
        window.canvas.fit_to_view()
        if zoom is not None:  # closer than "fit", so card texts are readable
            window.canvas.zoom_by(zoom / window.canvas.zoom_factor())
            window.canvas.centerOn(*centre)
        settle()
        window.grab().save(str(OUT / name))
        print(f"saved {OUT / name}")

    OUT.mkdir(parents=True, exist_ok=True)
    window.files.open(str(ROOT / "examples" / "lenet_digits_grouped.dgraph"), ask=False)
    settle()
    shoot("groups.png")
    features = next(g for g, group in window.graph.groups.items() if group.title == "Features")
    window.scene.open_level(features)
    shoot("groups_inside.png")

    window.files.open(str(ROOT / "examples" / "xor_mlp.dgraph"), ask=False)
    settle()
    graph, scene = window.graph, window.scene
    target = graph.source_of("loss", "target")
    start = graph.nodes[target.src].position
    window.undo_stack.push(SetReroute(target, ((start[0] + 300, start[1] + 260),
                                               (start[0] + 700, start[1] + 260))))
    for node_id in ("hidden", "hidden_act"):
        scene.nodes[node_id].setSelected(True)
    scene.frame_selected("Hidden layer")
    scene.clearSelection()
    shoot("reroute.png", 0.8, (560, 120))
    window.undo_stack.push(SetFrame("frame", None))
    window.actions_by_name["formulas"].trigger()
    scene.nodes["opt"].setSelected(True)
    shoot("formulas.png", 0.72, (880, 40))
    window.undo_stack.set_clean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
