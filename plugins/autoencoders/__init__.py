"""Autoencoders and Hebbian PCA: Oja's rules, views of codes and latent spaces, the VAE's
reparameterisation and losses, and input-corruption noise for denoising autoencoders.

Linear, stacked and tied autoencoders are built from core layers; ties (graph.ties) give a
decoder its encoder's weights transposed.
"""

MODULES = ["oja", "views", "vae", "corrupt", "pretrain", "export_rules", "experiments"]
