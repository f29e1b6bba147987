"""The RBM's learning rule, shared by the RBM node and the DBN's greedy pretraining.

E(v, h) = -a.v - b.h - v W h (binary visible) or |v - a|^2 / 2 - b.h - v W h (gaussian,
unit variance). P(h_j = 1 | v) = sigma(b_j + v W_:j); the visible mean is sigma(a + W h)
(binary) or a + W h (gaussian). Contrastive divergence CD-k starts the negative chain at the
data, persistent CD (PCD) at a chain kept between updates; both move the parameters by
lr (<v h>_data - <v h>_model) with momentum and L2 weight decay, optionally scaled per
parameter by local gains (GainLimits: + bonus while a step keeps its sign, x penalty when it
flips, clipped to [low, high]; the notes' NeuronLocalGainLimit, as in the SGD optimizer).

Everything runs in float32 on preallocated arrays: matmuls write with out=, sigmoids are
computed in place, Bernoulli draws compare against a uniform buffer filled in place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plugins.energy.kernels import (
    bias_sigmoid_,
    fill_normal,
    momentum_step_,
    sample_bernoulli_,
    seed_device_generator,
    softplus_,
)


@dataclass(frozen=True)
class GainLimits:
    """Local gains on the RBM's steps: gain += bonus while a parameter's step keeps its sign,
    gain *= penalty when it flips, kept in [low, high] (the notes: [0.001, 1000], 0.0005,
    0.9995)."""

    low: float = 0.001
    high: float = 1000.0
    bonus: float = 0.0005
    penalty: float = 0.9995


class LocalGains:
    """One gain per element of a parameter; scale(step) adapts them and scales step in place."""

    def __init__(self, xp, shape, limits: GainLimits, dtype=np.float32):
        self.xp, self.limits = xp, limits
        self.gain = xp.ones(shape, dtype=dtype)
        self.previous = xp.zeros(shape, dtype=dtype)
        self.work = xp.zeros(shape, dtype=dtype)
        self.kept = xp.zeros(shape, dtype=bool)
        self.flipped = xp.zeros(shape, dtype=bool)

    def scale(self, step):
        xp, limits, gain, work = self.xp, self.limits, self.gain, self.work
        xp.multiply(step, self.previous, out=work)
        xp.greater(work, 0, out=self.kept)
        xp.less(work, 0, out=self.flipped)
        xp.add(gain, limits.bonus, out=work)
        xp.copyto(gain, work, where=self.kept)
        xp.multiply(gain, limits.penalty, out=work)
        xp.copyto(gain, work, where=self.flipped)
        xp.clip(gain, limits.low, limits.high, out=gain)
        xp.copyto(self.previous, step)
        step *= gain
        return step


class RBMKernel:
    """Buffers and CD-k / PCD updates for one RBM with parameters W (V, H), a (V,), b (H,).

    W, a, b are parameter Buffers (read through .value at call time, since an optimizer may
    re-point them at shared storage after this is built) or plain device arrays; they are
    updated in place. batch is the largest minibatch; shorter ones use the first rows of
    every work array.
    """

    def __init__(self, xp, rng: np.random.Generator, W, a, b, batch: int,
                 visible: str = "binary", dtype=np.float32,
                 gains: GainLimits | None = None):
        self.xp, self.rng = xp, rng
        seed_device_generator(xp, rng)
        self._params = (W, a, b)
        self.gaussian = visible == "gaussian"
        n_visible, n_hidden = self.W.shape

        def zeros(*shape):
            return xp.zeros(shape, dtype=dtype)

        self.h_sample, self.h_uniform = zeros(batch, n_hidden), zeros(batch, n_hidden)
        self.h_model = zeros(batch, n_hidden)
        self.v_mean, self.v_sample = zeros(batch, n_visible), zeros(batch, n_visible)
        self.v_uniform = zeros(batch, n_visible)
        self.grad_W, self.model_W = zeros(n_visible, n_hidden), zeros(n_visible, n_hidden)
        self.vel_W, self.vel_a, self.vel_b = zeros(n_visible, n_hidden), zeros(n_visible), \
            zeros(n_hidden)
        self.diff_v, self.diff_h = zeros(batch, n_visible), zeros(batch, n_hidden)
        self.fe_work = zeros(batch, n_hidden)
        self.error = zeros(1)
        self.chain: object | None = None  # PCD's persistent hidden states, made on first use
        self.gains = None if gains is None else tuple(
            LocalGains(xp, shape, gains, dtype)
            for shape in ((n_visible, n_hidden), (n_visible,), (n_hidden,)))
        self.hamming_h = zeros(batch, n_hidden)
        self.hamming_v = zeros(batch, n_visible)

    @property
    def W(self):
        return _array(self._params[0])

    @property
    def a(self):
        return _array(self._params[1])

    @property
    def b(self):
        return _array(self._params[2])

    # -- conditionals --------------------------------------------------------------------------
    def hidden_probs(self, v, out):
        """out = P(h = 1 | v) = sigma(v W + b)."""
        self.xp.matmul(v, self.W, out=out)
        return bias_sigmoid_(self.xp, out, self.b)

    def visible_mean(self, h, out):
        """out = E[v | h]: sigma(h W^T + a) for binary units, h W^T + a for gaussian ones."""
        self.xp.matmul(h, self.W.T, out=out)
        if self.gaussian:
            out += self.a
            return out
        return bias_sigmoid_(self.xp, out, self.a)

    def sample_visible(self, mean, out):
        if self.gaussian:
            fill_normal(self.xp, self.rng, out)
            out += mean
            return out
        return sample_bernoulli_(self.xp, self.rng, mean, self.v_uniform[:mean.shape[0]], out)

    def sample_hidden(self, probs, out):
        return sample_bernoulli_(self.xp, self.rng, probs, self.h_uniform[:probs.shape[0]], out)

    # -- learning ------------------------------------------------------------------------------
    def cd_update(self, v_data, h_data, *, k: int = 1, lr: float = 0.05,
                  momentum: float = 0.5, weight_decay: float = 0.0,
                  persistent: bool = False):
        """One CD-k (or PCD-k) step on a minibatch; h_data = P(h | v_data) precomputed.

        Returns the (1,) device array holding the batch's mean squared reconstruction error
        (data against the visible mean after one Gibbs step from the data).
        """
        xp, rows = self.xp, v_data.shape[0]
        h = self.h_sample[:rows]
        v_mean, v_model, h_model = self.v_mean[:rows], self.v_sample[:rows], self.h_model[:rows]
        if persistent:
            if self.chain is None:  # start the persistent chain at the first batch's data
                self.chain = xp.zeros_like(self.h_sample)
                self.sample_hidden(h_data, self.chain[:rows])
            h[...] = self.chain[:rows]
            self._reconstruction_error(v_data, h_data)
        else:
            self.sample_hidden(h_data, h)
        for step in range(k):
            self.visible_mean(h, v_mean)
            if not persistent and step == 0:
                self._store_error(v_data, v_mean)
            last = step == k - 1
            negative = v_mean if (last and not persistent) else self.sample_visible(v_mean,
                                                                                     v_model)
            self.hidden_probs(negative, h_model)
            if not last:
                self.sample_hidden(h_model, h)
        if persistent:
            self.sample_hidden(h_model, self.chain[:rows])
        self._apply(v_data, h_data, negative, h_model, lr, momentum, weight_decay)
        return self.error

    def _apply(self, v_data, h_data, v_model, h_model, lr, momentum, weight_decay):
        xp, rows = self.xp, v_data.shape[0]
        step = lr / rows
        xp.matmul(v_data.T, h_data, out=self.grad_W)
        xp.matmul(v_model.T, h_model, out=self.model_W)
        self.grad_W -= self.model_W
        if weight_decay:  # fold the decay into the gradient: no temporary array
            xp.multiply(self.W, weight_decay * rows, out=self.model_W)
            self.grad_W -= self.model_W
        W, a, b = self.W, self.a, self.b
        diff_v, diff_h = self.diff_v[:rows], self.diff_h[:rows]
        xp.subtract(v_data, v_model, out=diff_v)
        xp.subtract(h_data, h_model, out=diff_h)
        sum_a, sum_b = diff_v.sum(axis=0), diff_h.sum(axis=0)
        if self.gains is None:  # one fused pass per parameter (one launch each on CuPy)
            momentum_step_(xp, self.vel_W, self.grad_W, W, momentum, step)
            momentum_step_(xp, self.vel_a, sum_a, a, momentum, step)
            momentum_step_(xp, self.vel_b, sum_b, b, momentum, step)
            return
        self.grad_W *= step
        self.gains[0].scale(self.grad_W)
        self.vel_W *= momentum
        self.vel_W += self.grad_W
        W += self.vel_W
        step_a, step_b = step * sum_a, step * sum_b
        self.gains[1].scale(step_a)
        self.gains[2].scale(step_b)
        self.vel_a *= momentum
        self.vel_a += step_a
        self.vel_b *= momentum
        self.vel_b += step_b
        a += self.vel_a
        b += self.vel_b

    def _store_error(self, v_data, v_mean):
        diff = self.diff_v[:v_data.shape[0]]
        self.xp.subtract(v_data, v_mean, out=diff)
        self.error[0] = self.xp.vdot(diff, diff) / diff.size

    def _reconstruction_error(self, v_data, h_data):
        rows = v_data.shape[0]
        h = self.sample_hidden(h_data, self.h_model[:rows])
        self._store_error(v_data, self.visible_mean(h, self.v_mean[:rows]))

    def reconstruction_error(self, v_data):
        """(1,) mean squared error of a one-step reconstruction (evaluation; no learning)."""
        rows = v_data.shape[0]
        h_data = self.hidden_probs(v_data, self.diff_h[:rows])
        self._reconstruction_error(v_data, h_data)
        return self.error

    def hamming_error(self, v_data) -> float:
        """Mean Hamming distance per row between the binary input (v >= 0.5) and its binary
        reconstruction: h = P(h | v) >= 0.5, then E[v | h] >= 0.5 (deterministic, so an
        early-stopping rule can compare epochs). The notes' error measure for RBMs."""
        xp, rows = self.xp, v_data.shape[0]
        h = self.hamming_h[:rows]
        self.hidden_probs(v_data, h)
        xp.greater_equal(h, 0.5, out=h)
        v = self.visible_mean(h, self.hamming_v[:rows])
        mismatch = xp.not_equal(v >= 0.5, v_data >= 0.5)
        return float(mismatch.sum()) / rows

    # -- free energy ---------------------------------------------------------------------------
    def free_energy(self, v):
        """F(v) per row, with p(v) proportional to exp(-F(v)); v holds at most `batch` rows."""
        xp, rows = self.xp, v.shape[0]
        pre = self.fe_work[:rows]
        xp.matmul(v, self.W, out=pre)
        pre += self.b
        hidden_term = softplus_(xp, pre, pre).sum(axis=1)
        if self.gaussian:
            visible_term = 0.5 * ((v - self.a) ** 2).sum(axis=1)
        else:
            visible_term = -(v @ self.a)
        return visible_term - hidden_term


def _array(param):
    return param.value if hasattr(param, "value") else param
