"""VAE and denoising nodes: float64 gradients, the standard formulas against torch, noise
statistics."""

import numpy as np
import torch

from engines.gradcheck import NodeHarness, assert_gradients


def test_reparameterisation_gradients(registry):
    assert_gradients("ae.reparameterize", {"mu": (5, 3), "log_var": (5, 3)}, registry=registry)


def test_reparameterisation_uses_the_standard_deviation(registry):
    harness = NodeHarness("ae.reparameterize", {"mu": (4000, 2), "log_var": (4000, 2)},
                          registry=registry,
                          values={"mu": np.full((4000, 2), 1.5),
                                  "log_var": np.full((4000, 2), np.log(4.0))})
    harness.forward()
    z = harness.outputs["z"].value
    assert abs(z.mean() - 1.5) < 0.1
    assert abs(z.std() - 2.0) < 0.1  # sigma = exp(log_var / 2) = 2, not the variance 4
    harness.ctx.phase.training = False
    harness.forward()
    np.testing.assert_array_equal(harness.outputs["z"].value, 1.5)


def test_kl_loss_gradients_with_a_weight(registry):
    assert_gradients("ae.kl_loss", {"mu": (5, 3), "log_var": (5, 3)}, {"weight": 0.3},
                     registry=registry)


def test_kl_loss_equals_the_closed_form_and_adds_the_reconstruction(registry):
    rng = np.random.default_rng(3)
    mu, log_var = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    harness = NodeHarness("ae.kl_loss", {"mu": (6, 2), "log_var": (6, 2), "recon": (1,)},
                          {"weight": 5e-4}, registry=registry, batched=False,
                          values={"mu": mu, "log_var": log_var, "recon": [2.5]}, wrt=())
    harness.forward()
    m, lv = torch.tensor(mu), torch.tensor(log_var)
    p = torch.distributions.Normal(m, torch.exp(lv / 2))
    q = torch.distributions.Normal(torch.zeros_like(m), torch.ones_like(m))
    expected = torch.distributions.kl_divergence(p, q).sum(dim=1).mean().item()
    kl = harness.compilation.program.outputs[("node", "kl")]
    assert abs(kl.value[0] - 5e-4 * expected) < 1e-12
    assert abs(harness.outputs["total"].value[0] - (2.5 + 5e-4 * expected)) < 1e-12


def corrupt(registry, kind, level, salt_random=False, training=True):
    x = np.full((200, 64), 0.5)
    harness = NodeHarness("ae.corrupt", {"x": (200, 64)},
                          {"kind": kind, "level": level, "salt_random": salt_random,
                           "in_eval": False}, registry=registry, values={"x": x},
                          training=training, wrt=())
    harness.forward()
    return harness.outputs["y"].value


def test_corruption_kinds(registry):
    gaussian = corrupt(registry, "gaussian", 0.2)
    assert abs(gaussian.std() - 0.2) < 0.01 and abs(gaussian.mean() - 0.5) < 0.01
    dropped = corrupt(registry, "dropout", 0.3)
    assert abs((dropped == 0).mean() - 0.3) < 0.02 and set(np.unique(dropped)) == {0.0, 0.5}
    salted = corrupt(registry, "salt", 0.25, salt_random=True)
    hit = salted != 0.5
    assert abs(hit.mean() - 0.25) < 0.02
    assert 0.0 <= salted.min() and salted.max() <= 1.0 and len(np.unique(salted)) > 100
    np.testing.assert_array_equal(corrupt(registry, "salt", 0.25, training=False), 0.5)
