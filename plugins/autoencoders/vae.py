"""Variational autoencoder parts: the reparameterisation z = mu + exp(log_var / 2) eps and the
KL term of the evidence lower bound, with a weight.

The reconstruction term is core.binary_cross_entropy on a sigmoid decoder (Bernoulli pixels:
-sum [x log p + (1 - x) log(1 - p)] over pixels, averaged over the batch). The lecture notes'
code samples with exp(log_var) (the variance, not the standard deviation) and drops the 1/2 of
the KL term; these nodes use the standard forms.
"""

from __future__ import annotations

from engines.program import Step
from graph.spec import NodeSpec, ParamSpec, ParamType, PortKind, PortSpec, ShapeError
from graph.views import Axis, View, ViewKind
from plugins.core.noise import normal_filler


def _pair_shapes(params, in_shapes):
    mu, log_var = in_shapes["mu"], in_shapes["log_var"]
    if tuple(mu) != tuple(log_var) or len(mu) != 2:
        raise ShapeError(f"'mu' and 'log_var' must be (batch, latent) of one size; got {mu} "
                         f"and {log_var}.")
    return mu


_HEADS = (PortSpec("mu", PortKind.TENSOR, "Encoder head: latent means (batch, latent)."),
          PortSpec("log_var", PortKind.TENSOR, "Encoder head: log sigma^2 (batch, latent)."))

REPARAM_SPEC = NodeSpec(
    type_id="ae.reparameterize", title="Reparameterisation", category="Autoencoders",
    doc="z = mu + exp(log_var / 2) * eps with eps ~ N(0, I) drawn once per training step, so "
        "gradients reach mu and log_var (dz/dmu = 1, dz/dlog_var = eps exp(log_var / 2) / 2). "
        "In evaluation z = mu. (Some code uses exp(log_var), the variance, as the scale; "
        "this node uses the standard deviation.)",
    inputs=_HEADS,
    outputs=(PortSpec("z", PortKind.TENSOR, "Latent sample (batch, latent)."),),
    infer_shapes=lambda params, in_shapes: ({"z": _pair_shapes(params, in_shapes)}, {}),
    stochastic=True,
)


def build_reparameterize(ctx):
    xp, phase = ctx.xp, ctx.phase
    mu, log_var, z = ctx.input("mu"), ctx.input("log_var"), ctx.output("z")
    eps = ctx.scratch(z.storage.shape)
    scale = ctx.scratch(z.storage.shape)  # exp(log_var / 2)
    work = ctx.scratch(z.storage.shape)
    normal = normal_filler(ctx)
    state = {"sampled": True, "step": None}

    def forward():
        rows = mu.value.shape[0]
        state["sampled"] = phase.training
        if not phase.training:
            xp.copyto(z.value, mu.value)
            return
        e, s = eps[:rows], scale[:rows]
        if state["step"] != phase.step:  # one draw per step: re-running a step repeats it
            state["step"] = phase.step
            normal(eps)
        xp.multiply(log_var.value, 0.5, out=s)
        xp.exp(s, out=s)
        xp.multiply(s, e, out=z.value)
        z.value += mu.value

    def backward():
        if mu.grad is not None:
            mu.grad += z.grad
        if log_var.grad is not None and state["sampled"]:
            rows = z.grad.shape[0]
            w = work[:rows]
            xp.multiply(z.grad, eps[:rows], out=w)
            w *= scale[:rows]
            w *= 0.5
            log_var.grad += w

    return Step(forward, backward)


def infer_kl(params, in_shapes):
    _pair_shapes(params, in_shapes)
    return {"total": (1,)}, {}


KL_SPEC = NodeSpec(
    type_id="ae.kl_loss", title="VAE KL loss", category="Autoencoders",
    doc="KL(N(mu, sigma^2) || N(0, I)) = 1/2 sum (sigma^2 + mu^2 - 1 - log sigma^2) per sample, "
        "averaged over the batch and multiplied by weight (a convolutional VAE on digits "
        "works with about 5e-4). Output 'total' is the reconstruction loss wired into "
        "'recon' plus this term: wire the optimizer to it. Reports metrics kl (weighted) "
        "and total; the reconstruction node reports its own loss, so the three are plotted "
        "separately. (Some code drops the 1/2; this node keeps the standard form.)",
    inputs=(*_HEADS, PortSpec("recon", PortKind.LOSS, "The reconstruction loss, to add.",
                              optional=True)),
    outputs=(PortSpec("total", PortKind.LOSS, "recon + weight * KL."),),
    params=(ParamSpec("weight", ParamType.FLOAT, 1.0, "Weight of the KL term.",
                      range=(0.0, 1e6), live=True),),
    infer_shapes=infer_kl,
    views=(View(ViewKind.CURVES, "VAE losses", ("train/loss", "train/kl", "train/total",
                                               "val/loss", "val/kl", "val/total"),
                y=Axis("loss")),),
)


def build_kl(ctx):
    xp, live = ctx.xp, ctx.params
    mu, log_var, recon = ctx.input("mu"), ctx.input("log_var"), ctx.input("recon")
    total = ctx.output("total", (1,), batched=False)
    kl = ctx.output("kl", (1,), batched=False)
    ctx.loss(total)
    ctx.metric("kl", kl)
    ctx.metric("total", total)
    variance = ctx.scratch(mu.storage.shape)
    work = ctx.scratch(mu.storage.shape)

    def forward():
        rows = mu.value.shape[0]
        v = variance[:rows]
        xp.exp(log_var.value, out=v)
        value = 0.5 * (v.sum() + xp.vdot(mu.value, mu.value) - mu.value.size
                       - log_var.value.sum()) / rows
        kl.value[0] = live["weight"] * value
        total.value[0] = kl.value[0] + (recon.value[0] if recon is not None else 0.0)

    def backward():
        # the reconstruction node's own gradient is seeded by the program: only KL flows here
        rows = mu.value.shape[0]
        factor = total.grad[0] * live["weight"] / rows
        w = work[:rows]
        if mu.grad is not None:
            xp.multiply(mu.value, factor, out=w)
            mu.grad += w
        if log_var.grad is not None:
            xp.subtract(variance[:rows], 1.0, out=w)
            w *= 0.5 * factor
            log_var.grad += w

    return Step(forward, backward)


NODES = [(REPARAM_SPEC, build_reparameterize), (KL_SPEC, build_kl)]
