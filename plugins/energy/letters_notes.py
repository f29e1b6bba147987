"""The notes' letters experiment (seed 004, section 19.3) in plain NumPy: the reference the
engine's example graphs are tested against (tests/energy/test_letters_experiment.py); the
reproduce command runs the graphs (letters_experiment.py).

Data: plugins/energy/letters_data.py (the notes' faces, noise and three sets).

Three arms: 841-100-26 from scratch; 841-100-300-100-50-26 from a random start; the same net
with its first three layers pretrained as RBMs (841-100, 100-300, 300-100) and then fine-tuned.
Everything stops early when the cross-validation error rises more than the arm's stop factor
above its minimum (plugins/core/training.py's rule), from epoch 10 on (the early-stopping
node's default min_epochs: in the first epochs the error bumps on its starting plateau by more
than the notes' 1% and 10% factors, which ended fine-tuning at epoch 6 and the second RBM at
epoch 2, while the notes' runs went on for 17 epochs and 20-35 minutes). Feedforward nets
measure cross-entropy, RBMs the Hamming distance between the binary input and its binary
reconstruction. The best cross-validation weights are kept. Learning rates are per sample:
gradients are summed over the batch, as the notes' full-batch lr = 0.001 only makes sense
that way. The L2 factor
belongs to the mean error per sample (the notes report errors per sample: their deep net
from a random start ends at 3.257, about ln 26, the error of uniform outputs), so over a batch
of n rows the decay added to the summed gradient is n * l2 * W.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from plugins.core.training import stop_reason
from plugins.energy.letters_data import LetterSets, letter_sets
from plugins.energy.rbm_core import GainLimits, LocalGains, RBMKernel

# -- feedforward nets: sigmoid hidden layers, softmax output, cross-entropy -------------------

@dataclass
class FeedForward:
    """A sigmoid MLP with a softmax output, trained full batch (float64 on the host)."""

    weights: list
    biases: list
    history: list = field(default_factory=list)

    @classmethod
    def random(cls, sizes, rng: np.random.Generator) -> FeedForward:
        weights, biases = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            limit = np.sqrt(6.0 / (n_in + n_out))
            weights.append(rng.uniform(-limit, limit, (n_in, n_out)))
            biases.append(np.zeros(n_out))
        return cls(weights, biases)

    def activations(self, x) -> list:
        out = [np.asarray(x, np.float64)]
        for index, (W, b) in enumerate(zip(self.weights, self.biases)):
            z = out[-1] @ W + b
            if index == len(self.weights) - 1:
                z -= z.max(axis=1, keepdims=True)
                e = np.exp(z)
                out.append(e / e.sum(axis=1, keepdims=True))
            else:
                out.append(_sigmoid(z))
        return out

    def loss(self, x, labels) -> float:
        """Mean cross-entropy per sample."""
        p = self.activations(x)[-1]
        return float(-np.mean(np.log(p[np.arange(len(labels)), labels] + 1e-300)))

    def wins(self, x, labels) -> int:
        return int(np.sum(self.activations(x)[-1].argmax(axis=1) == labels))

    def gradients(self, x, labels):
        """Summed (not averaged) gradients of the cross-entropy over the rows."""
        acts = self.activations(x)
        delta = acts[-1].copy()
        delta[np.arange(len(labels)), labels] -= 1.0
        grads = []
        for index in reversed(range(len(self.weights))):
            grads.append((acts[index].T @ delta, delta.sum(axis=0)))
            if index:
                delta = (delta @ self.weights[index].T) * acts[index] * (1.0 - acts[index])
        return grads[::-1]


@dataclass(frozen=True)
class Schedule:
    """How an arm trains: the notes' parameters."""

    lr: float
    momentum: float = 0.0
    gains: GainLimits | None = None
    l2: float = 0.0
    stop_factor: float = 0.05
    max_epochs: int = 2000
    min_error: float = 0.0  # stop once the training loss is at or below this (0: off)
    min_epochs: int = 10  # the stop factor acts from this epoch on (module doc)


def train_feedforward(net: FeedForward, sets: LetterSets, schedule: Schedule) -> int:
    """Full-batch gradient descent with momentum, local gains and L2 until the
    cross-validation loss rises schedule.stop_factor above its minimum; keeps the best
    weights. Returns the number of epochs run."""
    (x, y), (cv_x, cv_y) = sets.train, sets.cv
    decay = schedule.l2 * len(x)  # l2 on the mean error, the gradient summed over rows
    params = [p for pair in zip(net.weights, net.biases) for p in pair]
    velocity = [np.zeros_like(p) for p in params]
    gains = [LocalGains(np, p.shape, schedule.gains, np.float64) for p in params] \
        if schedule.gains else None
    best, best_params = np.inf, [p.copy() for p in params]
    epoch = 0
    for epoch in range(1, schedule.max_epochs + 1):
        grads = [g for pair in net.gradients(x, y) for g in pair]
        for index, (param, grad) in enumerate(zip(params, grads)):
            step = schedule.lr * (grad + decay * param * (index % 2 == 0))
            if gains is not None:
                gains[index].scale(step)
            velocity[index] *= schedule.momentum
            velocity[index] -= step
            param += velocity[index]
        record = {"epoch": epoch, "train/loss": net.loss(x, y), "val/loss": net.loss(cv_x, cv_y)}
        net.history.append(record)
        if record["val/loss"] < best:
            best, best_params = record["val/loss"], [p.copy() for p in params]
        if stop_reason(net.history, "loss", schedule.stop_factor, schedule.min_epochs,
                       schedule.min_error):
            break
    for param, kept in zip(params, best_params):
        param[...] = kept
    return epoch


# -- RBM pretraining --------------------------------------------------------------------------

@dataclass(frozen=True)
class RBMSchedule:
    """The notes' RBM parameters (lr per sample, batch 10, CD-35, local gains)."""

    stop_factor: float
    lr: float = 0.001
    batch: int = 10
    momentum: float = 0.9
    k: int = 35
    gains: GainLimits = GainLimits()
    max_epochs: int = 200
    min_epochs: int = 10  # the stop factor acts from this epoch on (module doc)


def train_rbm(data: np.ndarray, cv: np.ndarray, hidden: int, schedule: RBMSchedule,
              rng: np.random.Generator):
    """CD-k on minibatches until the cross-validation Hamming error rises stop_factor above
    its minimum; returns (W, b, epochs, history) with the best cross-validation weights."""
    n_visible = data.shape[1]
    W = (0.01 * rng.standard_normal((n_visible, hidden))).astype(np.float32)
    a, b = np.zeros(n_visible, np.float32), np.zeros(hidden, np.float32)
    rows = max(len(data), len(cv))
    kernel = RBMKernel(np, rng, W, a, b, rows, "binary", np.float32, gains=schedule.gains)
    history, best, kept = [], np.inf, (W.copy(), b.copy())
    epoch = 0
    for epoch in range(1, schedule.max_epochs + 1):
        order = rng.permutation(len(data))
        for start in range(0, len(data), schedule.batch):
            v = data[order[start:start + schedule.batch]]
            h = kernel.hidden_probs(v, kernel.diff_h[:len(v)]).copy()
            kernel.cd_update(v, h, k=schedule.k, lr=schedule.lr * len(v),
                             momentum=schedule.momentum, weight_decay=0.0)
        record = {"epoch": epoch, "train/hamming": kernel.hamming_error(data),
                  "val/hamming": kernel.hamming_error(cv)}
        history.append(record)
        if record["val/hamming"] < best:
            best, kept = record["val/hamming"], (W.copy(), b.copy())
        if stop_reason(history, "hamming", schedule.stop_factor, schedule.min_epochs, 0.0):
            break
    return kept[0], kept[1], epoch, history


def hidden_of(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _sigmoid(x @ W + b).astype(np.float32)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))


# -- the three arms ---------------------------------------------------------------------------

SHALLOW = (841, 100, 26)
DEEP = (841, 100, 300, 100, 50, 26)
SHALLOW_SCHEDULE = Schedule(lr=0.001, momentum=0.9, gains=GainLimits(0.1, 10.0, 0.05, 0.95),
                            stop_factor=0.05)
DEEP_RANDOM_SCHEDULE = Schedule(lr=0.001, momentum=0.0, l2=0.1, stop_factor=0.001,
                                max_epochs=2000, min_error=0.1)
FINE_TUNE_SCHEDULE = Schedule(lr=0.001, momentum=0.9, gains=GainLimits(0.01, 100.0, 0.005, 0.995),
                              stop_factor=0.01)
RBM_STOP_FACTORS = (0.5, 0.1, 0.1)


@dataclass(frozen=True)
class ArmResult:
    """One arm's outcome: test wins of len(test), epochs run, and the training and
    cross-validation losses at the kept (best cross-validation) epoch."""

    name: str
    wins: int
    total: int
    epochs: str
    losses: tuple = (float("nan"), float("nan"))


def kept_losses(net: FeedForward) -> tuple:
    """(training, cross-validation) loss at the epoch whose weights were kept."""
    if not net.history:
        return (float("nan"), float("nan"))
    best = min(net.history, key=lambda h: h["val/loss"])
    return (best["train/loss"], best["val/loss"])


def run_arms(seed: int = 0, *, max_epochs: int | None = None, rbm_epochs: int | None = None,
             rbm_k: int | None = None, sets: LetterSets | None = None) -> list[ArmResult]:
    """The three arms on one seed. max_epochs / rbm_epochs / rbm_k cap the notes' values
    (quick mode); None runs them as the notes did."""
    sets = sets or letter_sets(seed)
    rng = np.random.default_rng(seed)
    test_x, test_y = sets.test
    results = []

    def capped(schedule: Schedule) -> Schedule:
        if max_epochs is None:
            return schedule
        return Schedule(**{**schedule.__dict__, "max_epochs": min(schedule.max_epochs,
                                                                   max_epochs)})

    shallow = FeedForward.random(SHALLOW, rng)
    epochs = train_feedforward(shallow, sets, capped(SHALLOW_SCHEDULE))
    results.append(ArmResult("841-100-26 from scratch", shallow.wins(test_x, test_y),
                             len(test_y), str(epochs), kept_losses(shallow)))

    deep = FeedForward.random(DEEP, rng)
    epochs = train_feedforward(deep, sets, capped(DEEP_RANDOM_SCHEDULE))
    results.append(ArmResult("841-100-300-100-50-26 random start", deep.wins(test_x, test_y),
                             len(test_y), str(epochs), kept_losses(deep)))

    pretrained = FeedForward.random(DEEP, rng)
    data, cv = sets.train[0], sets.cv[0]
    rbm_runs = []
    for layer, stop in enumerate(RBM_STOP_FACTORS):
        schedule = RBMSchedule(stop_factor=stop)
        if rbm_epochs is not None or rbm_k is not None:
            schedule = RBMSchedule(stop_factor=stop, max_epochs=rbm_epochs or 200,
                                   k=rbm_k or schedule.k)
        W, b, epochs, _history = train_rbm(data, cv, DEEP[layer + 1], schedule, rng)
        pretrained.weights[layer], pretrained.biases[layer] = W.astype(np.float64), \
            b.astype(np.float64)
        data, cv = hidden_of(data, W, b), hidden_of(cv, W, b)
        rbm_runs.append(str(epochs))
    epochs = train_feedforward(pretrained, sets, capped(FINE_TUNE_SCHEDULE))
    results.append(ArmResult("the same net pretrained by three RBMs",
                             pretrained.wins(test_x, test_y), len(test_y),
                             f"RBMs {'/'.join(rbm_runs)}, fine-tuning {epochs}",
                             kept_losses(pretrained)))
    return results
