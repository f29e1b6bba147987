"""Screenshots of each example family's run with its declared views: docs/screenshots/views_*.png.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/screenshot_views.py

Opens each example in the real MainWindow (private settings), runs it for a few epochs from
the run bar and saves the window once the run has ended and every dock has drawn. The digits
MLP is also shot at 1024x700 and 800x600 (the small-window layouts).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shot_session import ROOT, private_scratch, start_app, wait_until_idle

SHOTS = [  # (example, epochs, window size, file name, speed cap or 0)
    ("xor_mlp", 300, (1440, 900), "views_xor_mlp.png", 0),
    ("spirals_mlp", 150, (1440, 900), "views_spirals_mlp.png", 0),
    ("digits_mlp", 20, (1440, 900), "views_digits_mlp.png", 0),
    ("hopfield_letters", 30, (1440, 900), "views_hopfield_letters.png", 0),
    # capped at 6 steps/s: taken 0.7 s in, part-way through the first sweep (18 of 144
    # neurons updated per step)
    ("hopfield_letters", 30, (1440, 900), "views_hopfield_recall_capped.png", 6),
    ("rbm_digits", 10, (1440, 900), "views_rbm_digits.png", 0),
    ("boltzmann_encoder", 10, (1440, 900), "views_boltzmann_encoder.png", 0),
    ("dbn_letters", 6, (1440, 900), "views_dbn_letters.png", 0),
    ("letters_notes_pretrained", 40, (1440, 900), "views_letters_notes_pretrained.png", 0),
    ("stacked_autoencoder_digits", 8, (1440, 900), "views_stacked_autoencoder.png", 0),
    ("bam_letters", 20, (1440, 900), "views_bam_letters.png", 0),
    ("art1_letters", 40, (1440, 900), "views_art1_letters.png", 0),
    ("mcculloch_and", 20, (1440, 900), "views_mcculloch_and.png", 0),
    ("digits_mlp", 5, (1024, 700), "layout_1024x700.png", 0),
    ("digits_mlp", 5, (800, 600), "layout_800x600.png", 0),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--only", default="", help="shoot only files containing this text")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    private_scratch()
    _app, pump = start_app()
    from gui.main_window import MainWindow
    from plugins import default_registry

    registry = default_registry()
    for example, epochs, size, name, speed in SHOTS:
        if args.only and args.only not in name:
            continue
        window = MainWindow(registry)
        window.resize(*size)
        window.show()
        pump(0.3)
        window.files.open(str(ROOT / "examples" / f"{example}.dgraph"), ask=False)
        pump(0.3)
        window.canvas.fit_to_view(readable=True)  # as the window opens it
        controller = window.run_controller
        controller.run_bar.epochs_spin.setValue(epochs)
        controller.run_bar.speed.set_steps_per_s(speed)
        controller.start()
        if speed:
            pump(0.7)  # a capped run is shot while it plays
        else:
            wait_until_idle(controller, pump)
        controller.plots.refresh()
        pump(0.2 if speed else 1.0)
        path = out / name
        window.grab().save(str(path))
        if speed:
            controller.stop()
            wait_until_idle(controller, pump)
        shown = [dock.view.title for dock in controller.plots.shown()]
        print(f"{path.name}: {size[0]}x{size[1]}, docks with data: {', '.join(shown)}")
        window.undo_stack.set_clean()
        window.close()
        pump(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
