"""The notes' experiments on energy models: Hopfield capacity, the Boltzmann 4-2-4 encoder and
the one-class RBM (the letters experiment: letters_experiment.py)."""

from __future__ import annotations

import numpy as np

from engines import datasets
from engines.compiler import compile_graph
from engines.events import Scalar
from engines.reproduce import Context, Experiment, Outcome, Verdict
from engines.reproduce.experiment import spread
from engines.session import Session
from graph.fileio import load_graph
from plugins.energy.hopfield import asynchronous_sweep, hebbian_weights

CAPACITY_NOTES = 0.138
RETRIEVED = 0.9  # mean overlap with the stored pattern that still counts as recall


def recall_overlap(neurons: int, patterns: int, rng: np.random.Generator) -> float:
    """Store random patterns (Hebbian), start at each one, sweep asynchronously until no
    neuron flips; the mean overlap m = s.x / N of the fixed points with their patterns."""
    x = rng.choice([-1.0, 1.0], size=(patterns, neurons))
    weights = hebbian_weights(x)
    states = x.T.copy()  # (N, p): one column per pattern, all recalled at once
    field, local = np.zeros_like(states), np.empty_like(states)
    for _ in range(50):
        if asynchronous_sweep(np, weights, states, field, 0.0, rng.permutation(neurons),
                              local) == 0:
            break
    return float(np.mean(np.sum(states * x.T, axis=0) / neurons))


def capacity(neurons: int, loads: np.ndarray, seed: int) -> float:
    """The load p/N where the mean recall overlap first falls below RETRIEVED (interpolated)."""
    rng = np.random.default_rng(seed)
    overlaps = [recall_overlap(neurons, max(1, round(a * neurons)), rng) for a in loads]
    for i in range(1, len(loads)):
        if overlaps[i] < RETRIEVED <= overlaps[i - 1]:
            share = (overlaps[i - 1] - RETRIEVED) / (overlaps[i - 1] - overlaps[i])
            return float(loads[i - 1] + share * (loads[i] - loads[i - 1]))
    return float(loads[-1] if overlaps[-1] >= RETRIEVED else loads[0])


def hopfield_capacity(context: Context) -> Outcome:
    neurons, seeds = (200, 3) if context.quick else (500, 5)
    loads = np.arange(0.06, 0.26, 0.01)
    found = [capacity(neurons, loads, seed) for seed in range(seeds)]
    mean = float(np.mean(found))
    verdict = Verdict.AGREES if abs(mean - CAPACITY_NOTES) <= 0.03 else Verdict.DIFFERS
    why = (f"N = {neurons}, Hebbian storage, asynchronous recall from each stored pattern; the "
           f"capacity is the load p/N where the mean overlap of the fixed point with its "
           f"pattern falls below {RETRIEVED} (finite N smooths the N -> infinity transition "
           f"at 0.138, where the retrieval overlap drops from 0.97).")
    return Outcome(f"{spread(found)} N", verdict, why)


def boltzmann_encoder(context: Context) -> Outcome:
    """The example on several seeds: completion accuracy at the end, and how many learned it."""
    path = context.examples / "boltzmann_encoder.dgraph"
    seeds = 3 if context.quick else 16
    finals = []
    for seed in range(seeds):
        graph = load_graph(path, context.registry)
        program = compile_graph(graph, context.registry, seed=seed)
        events = Session(program, epochs=int(graph.settings.get("epochs", 120))).run()
        values = [e.value for e in events
                  if isinstance(e, Scalar) and e.tag == "boltzmann/completion_accuracy"]
        finals.append(values[-1] if values else 0.0)
    learned = sum(v >= 0.9 for v in finals)
    verdict = Verdict.AGREES if learned >= 0.75 * seeds else Verdict.DIFFERS
    return Outcome(f"learned (recall >= 0.9) on {learned} of {seeds} seeds; completion "
                   f"{spread(finals, '{:.2f}')}", verdict,
                   "Recall clamps half of each pattern and anneals the rest.")


def _correlations(rows: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Pearson correlation of every row with every class mean (rows x classes)."""
    rows = rows - rows.mean(axis=1, keepdims=True)
    means = means - means.mean(axis=1, keepdims=True)
    return (rows @ means.T) / np.outer(np.linalg.norm(rows, axis=1),
                                       np.linalg.norm(means, axis=1))


def one_class_rbm(context: Context) -> Outcome:
    """The example (an RBM on the 2s alone) reconstructs every other digit from binary hidden
    features; how many reconstructions correlate best with the mean 2 of all class means."""
    path = context.examples / "rbm_one_class_twos.dgraph"
    seeds = 3 if context.quick else 10
    x, labels = datasets.digits()
    x = np.asarray(x, np.float64)
    means = np.stack([x[labels == c].mean(axis=0) for c in range(10)])
    others = labels != 2
    before = float(np.mean(_correlations(x[others], means).argmax(axis=1) == 2))
    shares = []
    for seed in range(seeds):
        graph = load_graph(path, context.registry)
        program = compile_graph(graph, context.registry, seed=seed)
        Session(program, epochs=int(graph.settings.get("epochs", 60))).run()
        W, a, b = (np.asarray(program.peek("rbm", k), np.float64) for k in ("W", "a", "b"))
        rng = np.random.default_rng(seed)
        probs = 1.0 / (1.0 + np.exp(-(x[others] @ W + b)))
        hidden = (rng.random(probs.shape) < probs).astype(np.float64)  # binary features
        recon = 1.0 / (1.0 + np.exp(-(hidden @ W.T + a)))
        shares.append(float(np.mean(_correlations(recon, means).argmax(axis=1) == 2)))
    mean = float(np.mean(shares))
    verdict = Verdict.AGREES if mean >= 0.5 else Verdict.DIFFERS
    return Outcome(f"{spread([100 * s for s in shares], '{:.0f}%')} of the other digits' "
                   f"reconstructions look most like a 2 (the inputs themselves: "
                   f"{100 * before:.1f}%)", verdict,
                   "8x8 digits; an RBM with 32 hidden units trained on the 2s alone (the "
                   "dataset node's classes = [2]); each of the 1,617 other digits is "
                   "reconstructed from one binary sample of its hidden features and counted "
                   "as a 2 when it correlates best with the mean 2 among the ten class means.")


NODES = []
EXPERIMENTS = [
    Experiment("hopfield_capacity", "Hopfield capacity", "seed 000 (Hebbian storage, recall)",
               "about 0.138 N patterns (the classic figure of Amit, Gutfreund and Sompolinsky; "
               "the notes describe storage and recall)", "within 0.03 N of 0.138 N",
               hopfield_capacity),
    Experiment("boltzmann_424", "Boltzmann machine learns the 4-2-4 encoder", "seed 001",
               "the 4-2-4 encoder is learned (no rate given)",
               "at least 3 of 4 seeds reach completion accuracy 0.9", boltzmann_encoder,
               example="boltzmann_encoder.dgraph"),
    Experiment("one_class_rbm", "An RBM trained on the 2s sees every digit as a 2",
               "seed 000 (RBM training example)",
               "reconstructions of digits of an unfamiliar class look like 2s (shown as "
               "images, no figure)",
               "at least half of the other digits' reconstructions correlate best with the "
               "mean 2", one_class_rbm, example="rbm_one_class_twos.dgraph"),
]
