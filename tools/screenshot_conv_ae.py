"""Screenshots of the convolution, siamese and autoencoder examples in the real editor window.

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python tools/screenshot_conv_ae.py

Opens each example in a 1900x1040 window with private settings, runs it for the given number
of epochs (or to its end), lets the docks catch up and saves the window to
docs/screenshots/<name>.png: LeNet feature maps and kernels, the VAE latent grid and scatter,
the siamese embedding and pair distances.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHOTS = (  # (example, epochs, screenshot name, docks to bring to the front, cards to zoom on)
    ("lenet_digits", 6, "lenet_feature_maps.png", ("Feature maps", "Kernels"),
     ("data", "image", "c1", "c1_act", "s2", "c3")),
    ("vae_digits", 40, "vae_latent_grid.png", ("Decoded latent grid", "Scatter"), ()),
    ("siamese_digits", 12, "siamese_embedding.png", ("Embedding", "Pair distances"), ()),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--only", default="", help="take only the shot of this example")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="dendrite-shot-"))
    os.environ["DENDRITE_SETTINGS"] = str(scratch / "settings.ini")  # not the user's settings
    os.environ["DENDRITE_DATA_DIR"] = str(scratch / "data")
    os.chdir(scratch)  # runs are recorded under ./runs

    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from gui.main_window import MainWindow
    from plugins import default_registry

    def pump(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.005)

    window = MainWindow(default_registry())
    window.resize(1900, 1040)
    window.show()
    for example, epochs, name, front, focus in SHOTS:
        if args.only and args.only != example:
            continue
        window.files.open(str(ROOT / "examples" / f"{example}.dgraph"), ask=False)
        pump(0.5)
        window.canvas.fit_to_view()
        controller = window.run_controller
        controller.run_bar.epochs_spin.setValue(epochs)
        controller.start()
        began = time.perf_counter()
        while controller.state != "idle" and time.perf_counter() - began < 120:
            pump(0.05)
        pump(0.5)
        if focus:  # a long chain: show the first cards readable rather than all of them tiny
            from PySide6.QtCore import QRectF, Qt
            rect = QRectF()
            for node_id in focus:
                rect = rect.united(window.scene.nodes[node_id].sceneBoundingRect())
            window.canvas.fitInView(rect.adjusted(-30, -60, 30, 60),
                                    Qt.AspectRatioMode.KeepAspectRatio)
        for title in front:
            dock = controller.plots.dock(title)
            if dock is not None:
                dock.raise_()
        controller.plots.refresh()
        pump(0.5)
        window.grab().save(str(Path(args.out) / name))
        window.undo_stack.set_clean()
    return 0


if __name__ == "__main__":
    sys.exit(main())
