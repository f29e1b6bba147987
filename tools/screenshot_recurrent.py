"""Screenshots of the recurrent examples running in the real editor window.

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python tools/screenshot_recurrent.py

Opens each example in a 1900x1040 window with private settings, runs it for the given number
of epochs, lets the docks catch up and saves the window to docs/screenshots/<name>.png: the
adding problem's hidden state and gates, the gradient through time of the vanishing-gradient
demo, the Elman prediction against its target and the GRU character model's text view.
"""

from __future__ import annotations

import sys

from example_shots import Shot, main

SHOTS = (
    Shot("adding_lstm_vs_simple_rnn", 6, "rnn_adding.png",
         ("Hidden state over time", "Error history")),
    Shot("vanishing_gradient_through_time", 1, "rnn_vanishing_gradient.png",
         ("Gradient norm per time step",)),
    Shot("elman_mackey_glass", 15, "rnn_elman.png", ("Prediction vs target",)),
    Shot("gru_characters", 4, "rnn_gru_text.png", ("Text samples",)),
)

if __name__ == "__main__":
    sys.exit(main(SHOTS, __doc__.splitlines()[0]))
