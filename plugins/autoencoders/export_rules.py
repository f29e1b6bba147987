"""How the autoencoder pack exports (engines.export): its inference forms.

A VAE exports as its encoder and decoder: the reparameterisation gives z = mu (its evaluation
form), and the KL loss's inputs (mu, log_var) stay model outputs beside the reconstruction.
Input corruption is the identity, as in evaluation; Oja's PCA is the projection y = x W.
Tied decoders read their encoder's weights (transposed) through graph ties.
"""

from __future__ import annotations

from engines.export.ops import GEMM


def corrupt(ctx):
    ctx.output("y", ctx.input("x"))
    ctx.compare_with(level=0.0)  # it may corrupt validation batches too; deployed it is clean


def reparameterize(ctx):
    ctx.output("z", ctx.input("mu"))


def oja(ctx):
    ctx.output("y", ctx.emit(GEMM, [ctx.input("x")], weights={"W": ctx.weight("W")}))


EXPORT_RULES = {
    "ae.corrupt": corrupt,
    "ae.reparameterize": reparameterize,
    "ae.oja": oja,
}
