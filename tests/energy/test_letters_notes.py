"""The notes' letters experiment (seed 004, 19.3): data protocol, RBM local gains and Hamming
error, the feedforward nets' gradients and early stopping, and the three arms' wiring."""

import numpy as np
import pytest

from plugins.energy import letters_data as ld
from plugins.energy import letters_notes as ln
from plugins.energy.rbm_core import GainLimits, LocalGains, RBMKernel


@pytest.fixture(scope="module")
def sets():
    return ld.letter_sets(0)


def test_the_sets_follow_the_notes_protocol(sets):
    (x, _y), (cv_x, cv_y), (test_x, test_y) = sets.train, sets.cv, sets.test
    assert x.shape == (3 * 26 * (1 + ld.TRAIN_COPIES), 841)
    assert cv_x.shape == test_x.shape == (312, 841)  # four faces x 26 letters x 3 noisy copies
    assert set(np.unique(x)) <= {0.0, 1.0} and set(np.unique(test_x)) <= {0.0, 1.0}
    assert np.array_equal(np.bincount(test_y), np.full(26, 12))
    # the cross-validation and test sets differ only by their independent flips: a pixel
    # differs when exactly one of the two flipped it, 2 e (1 - e) for e = EVAL_FLIPS
    e = ld.EVAL_FLIPS
    assert ld.EVAL_FLIPS == pytest.approx(1.5 * ld.TRAIN_FLIPS)
    assert np.mean(cv_x != test_x) == pytest.approx(2 * e * (1 - e), abs=0.01)
    assert np.array_equal(cv_y, test_y)
    # the training set's noisy copies flip TRAIN_FLIPS of each clean glyph's pixels
    clean, noisy = x[:78], x[78:156]
    assert np.mean(clean != noisy) == pytest.approx(ld.TRAIN_FLIPS, abs=0.01)


def test_local_gains_rise_while_the_sign_holds_and_fall_when_it_flips():
    limits = GainLimits(low=0.5, high=1.2, bonus=0.1, penalty=0.5)
    gains = LocalGains(np, (3,), limits, np.float64)
    step = np.array([1.0, -1.0, 1.0])
    gains.scale(step.copy())  # no previous step: gains stay 1
    assert np.allclose(gains.gain, 1.0)
    out = gains.scale(np.array([2.0, 1.0, 3.0]))  # kept, flipped, kept
    assert np.allclose(gains.gain, [1.1, 0.5, 1.1])
    assert np.allclose(out, [2.2, 0.5, 3.3])
    gains.scale(np.array([1.0, 1.0, 1.0]))
    gains.scale(np.array([1.0, 1.0, 1.0]))
    assert np.allclose(gains.gain, [1.2, 0.7, 1.2])  # clipped at high
    gains.scale(np.array([-1.0, -1.0, -1.0]))
    assert np.allclose(gains.gain, [0.6, 0.5, 0.6])  # clipped at low


def test_rbm_gains_change_the_steps_but_not_the_first():
    rng = np.random.default_rng(0)
    v = (rng.random((10, 12)) < 0.5).astype(np.float32)

    def kernel(gains):
        W = (0.1 * np.random.default_rng(1).standard_normal((12, 5))).astype(np.float32)
        return RBMKernel(np, np.random.default_rng(2), W, np.zeros(12, np.float32),
                         np.zeros(5, np.float32), 10, gains=gains)

    plain, gained = kernel(None), kernel(GainLimits(0.1, 10.0, 0.5, 0.5))
    for k in (plain, gained):
        k.cd_update(v, k.hidden_probs(v, np.empty((10, 5), np.float32)), k=1, lr=0.1,
                    momentum=0.0)
    assert np.allclose(plain.W, gained.W)  # gains start at 1
    for k in (plain, gained):
        k.cd_update(v, k.hidden_probs(v, np.empty((10, 5), np.float32)), k=1, lr=0.1,
                    momentum=0.0)
    assert not np.allclose(plain.W, gained.W)
    assert set(np.unique(gained.gains[0].gain)) <= {0.5, 1.0, 1.5}


def test_hamming_error_matches_a_direct_count():
    rng = np.random.default_rng(3)
    W = rng.standard_normal((20, 6)).astype(np.float32)
    a, b = rng.standard_normal(20).astype(np.float32), rng.standard_normal(6).astype(np.float32)
    v = (rng.random((7, 20)) < 0.5).astype(np.float32)
    kernel = RBMKernel(np, rng, W, a, b, 7)
    h = (1 / (1 + np.exp(-(v.astype(np.float64) @ W + b)))) >= 0.5
    recon = (1 / (1 + np.exp(-(h @ W.T.astype(np.float64) + a)))) >= 0.5
    assert kernel.hamming_error(v) == pytest.approx(np.sum(recon != (v >= 0.5)) / 7)


def test_feedforward_gradients_match_finite_differences():
    rng = np.random.default_rng(4)
    net = ln.FeedForward.random((6, 5, 4, 3), rng)
    x, y = rng.random((8, 6)), rng.integers(0, 3, 8)
    grads = net.gradients(x, y)
    eps = 1e-6
    for layer in range(3):
        for param, grad in ((net.weights[layer], grads[layer][0]),
                            (net.biases[layer], grads[layer][1])):
            flat, g = param.reshape(-1), grad.reshape(-1)
            for i in range(0, flat.size, 3):
                keep = flat[i]
                flat[i] = keep + eps
                up = net.loss(x, y) * len(y)
                flat[i] = keep - eps
                down = net.loss(x, y) * len(y)
                flat[i] = keep
                assert (up - down) / (2 * eps) == pytest.approx(g[i], rel=1e-5, abs=1e-8)


def test_training_stops_early_and_keeps_the_best_cross_validation_weights(sets):
    small = ld.LetterSets(sets.train, sets.cv, sets.test)
    net = ln.FeedForward.random((841, 20, 26), np.random.default_rng(0))
    schedule = ln.Schedule(lr=0.05, momentum=0.9, stop_factor=0.0, max_epochs=200)
    epochs = ln.train_feedforward(net, small, schedule)
    losses = [h["val/loss"] for h in net.history]
    assert epochs < 200 and losses[-1] > min(losses)  # stop factor 0: the first rise stops it
    assert epochs >= schedule.min_epochs == 10  # but not before epoch 10
    assert net.loss(*small.cv) == pytest.approx(min(losses))
    train, val = ln.kept_losses(net)  # the kept weights' losses, measured again
    assert val == pytest.approx(net.loss(*small.cv)) and train == pytest.approx(
        net.loss(*small.train))


def test_rbm_training_stops_on_the_cross_validation_hamming_error(sets):
    x, cv = sets.train[0][:60], sets.cv[0][:60]
    schedule = ln.RBMSchedule(stop_factor=0.0, k=1, max_epochs=30, lr=0.01)
    W, b, epochs, history = ln.train_rbm(x, cv, 16, schedule, np.random.default_rng(0))
    errors = [h["val/hamming"] for h in history]
    assert epochs == len(history) and W.shape == (841, 16) and b.shape == (16,)
    assert errors[-1] > min(errors) or epochs == 30
    assert all(0 <= e <= 841 for e in errors)


def test_the_three_arms_run_and_report_wins_of_312(sets):
    results = ln.run_arms(0, max_epochs=3, rbm_epochs=1, rbm_k=1, sets=sets)
    assert [r.total for r in results] == [312, 312, 312]
    assert all(0 <= r.wins <= 312 for r in results)
    assert results[2].epochs.startswith("RBMs 1/1/1")
    assert all(np.all(np.isfinite(r.losses)) for r in results)
