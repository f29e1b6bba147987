"""Screenshots of the neuron and self-organising examples running in the real editor window.

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python tools/screenshot_neurons.py

Opens each example in a 1900x1040 window with private settings, runs it for the given number
of epochs (or to its end), lets the docks catch up and saves the window to
docs/screenshots/<name>.png: the Hodgkin-Huxley traces and f-I curve, the LIF raster and the SOM
unfolding.
"""

from __future__ import annotations

import sys

from example_shots import Shot, main

SHOTS = (
    Shot("hodgkin_huxley_step", 12, "hodgkin_huxley.png", ("Membrane potential", "Gates n, m, h")),
    Shot("hodgkin_huxley_fi_curve", 2, "hodgkin_fi_curve.png", ("f-I curve",)),
    Shot("spiking_network", 3, "spiking_raster.png", ("Spike raster", "Membrane potential")),
    Shot("som_uniform", 60, "som_unfolding.png", ("Lattice over the data", "U-matrix")),
)

if __name__ == "__main__":
    sys.exit(main(SHOTS, __doc__.splitlines()[0]))
