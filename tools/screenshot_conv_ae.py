"""Screenshots of the convolution, siamese and autoencoder examples in the real editor window.

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python tools/screenshot_conv_ae.py

Opens each example in a 1900x1040 window with private settings, runs it for the given number
of epochs (or to its end), lets the docks catch up and saves the window to
docs/screenshots/<name>.png: LeNet feature maps and kernels, the VAE latent grid and scatter,
the siamese embedding and pair distances.
"""

from __future__ import annotations

import sys

from example_shots import Shot, main

SHOTS = (
    Shot("lenet_digits", 6, "lenet_feature_maps.png", ("Feature maps", "Kernels"),
         ("data", "image", "c1", "c1_act", "s2", "c3")),
    Shot("vae_digits", 40, "vae_latent_grid.png", ("Decoded latent grid", "Scatter")),
    Shot("siamese_digits", 12, "siamese_embedding.png", ("Embedding", "Pair distances")),
)

if __name__ == "__main__":
    sys.exit(main(SHOTS, __doc__.splitlines()[0]))
