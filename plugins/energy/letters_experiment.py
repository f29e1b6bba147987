"""The notes' letters experiment (seed 004, 19.3) through the engine: the three arms are the
example graphs examples/letters_notes_{shallow,deep_random,pretrained}.dgraph, compiled and
run by a Session; each scores the test split once, with its best cross-validation epoch's
weights (early stopping's restore_best).

Why pretraining does not win here (measured 2026-12-01, seed 0; scripts not kept, figures
only). The row's text reports the nearest-glyph yardstick, which the run computes. Beside it:
- More training rows do not turn the order. With 15 noisy copies per glyph (1,248 rows,
  the full-batch learning rate scaled to keep the notes' 0.001 per sample) the shallow and
  pretrained arms won 278 and 263 of 312 at 20% flips, 212 and 124 at 25%, 56 and 16 at 30%;
  with the default 3 copies, 298 and 285 at 10% flips, 293 and 276 at 15%, 285 and 35 at 20%
  (there the second RBM stopped after 10 epochs and fine-tuning kept a training
  cross-entropy of 2.1).
- The first RBM's features are worse inputs than the pixels. A softmax fitted to its 100
  hidden probabilities (100 epochs of CD-35, 15 copies, 20% flips) won 255 of 312, the same
  softmax on the pixels 286.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from engines.compiler import compile_graph
from engines.datasets.letters import ALPHABET
from engines.events import Finished, Log
from engines.reproduce import Context, Experiment, Outcome, Verdict
from engines.session import Session
from graph.fileio import load_graph
from plugins.energy.letters_data import (
    EVAL_FLIPS,
    TRAIN_FLIPS,
    TRAIN_FONTS,
    letter_sets_of,
    nearest_glyph_labels,
)

NOTES = (231, 3, 267)  # wins of 312: from scratch, deep random start, pretrained
ARMS = (("letters_notes_shallow", "841-100-26 from scratch"),
        ("letters_notes_deep_random", "841-100-300-100-50-26 random start"),
        ("letters_notes_pretrained", "the same net pretrained by three RBMs"))
QUICK_EPOCHS, QUICK_RBM_EPOCHS, QUICK_K = 60, 3, 5
SEED = 0


@dataclass(frozen=True)
class Arm:
    """One arm's outcome: test wins of `total`, how long it trained, and the training and
    cross-validation losses at the epoch whose weights it kept."""

    name: str
    wins: int
    total: int
    epochs: str
    losses: tuple


def run_arm(context: Context, example: str, name: str) -> Arm:
    graph = load_graph(context.examples / f"{example}.dgraph", context.registry)
    epochs = int(graph.settings["epochs"])
    dbn = graph.nodes.get("dbn")
    if context.quick:  # the notes' schedules, capped
        epochs = QUICK_EPOCHS
        if dbn is not None:
            dbn.params.update(pretrain_epochs=QUICK_RBM_EPOCHS, k=QUICK_K)
            epochs += len(dbn.params["layers"]) * QUICK_RBM_EPOCHS
    program = compile_graph(graph, context.registry, seed=SEED, monitors=False)
    session = Session(program, epochs=epochs)
    history = []  # every epoch's metrics (session.history keeps the last 1000)
    session.epoch_ends.append(lambda _epoch: history.append(session.history[-1]))
    events = session.run()
    if len(history) < len(session.history):  # the epoch that ended the run
        history.append(session.history[-1])
    finished = [e for e in events if isinstance(e, Finished)]
    if not finished or "test/accuracy" not in finished[-1].summary:
        raise RuntimeError(f"{example}: the run ended without scoring the test split.")
    summary, messages = finished[-1].summary, [e.message for e in events if isinstance(e, Log)]
    total = program.feeds[0].n_test
    restored = [int(m) for text in messages
                for m in re.findall(r"restored the parameters of epoch (\d+),", text)]
    kept = history[restored[-1] - 1] if restored else history[-1]
    run = str(len(session.history))
    if dbn is not None:
        layers = [re.search(r"after (\d+) epochs", m).group(1) for m in messages
                  if "stops pretraining" in m]
        pretrained = sum(int(n) for n in layers)
        run = f"RBMs {'/'.join(layers)}, fine-tuning {len(session.history) - pretrained}"
    return Arm(name, round(summary["test/accuracy"] * total), total, run,
               (kept["train/loss"], kept["val/loss"]))


@dataclass(frozen=True)
class Yardstick:
    """Test wins of the nearest clean training glyph (no learning), in all and on the
    fourth face's images, on the sets the arms ran on (which had training_rows rows)."""

    wins: int
    total: int
    fourth_face_wins: int
    fourth_face_total: int
    training_rows: int


def nearest_glyph_yardstick(context: Context, example: str) -> Yardstick:
    """The nearest-glyph rule on the test set of the example's letter-sets node."""
    graph = load_graph(context.examples / f"{example}.dgraph", context.registry)
    node = graph.nodes["letters"]
    sets = letter_sets_of(context.registry.spec(node.type_id).resolve(node.params))
    x, labels = sets.test
    right = nearest_glyph_labels(x) == labels
    faces = len(TRAIN_FONTS) + 1  # the test set runs face by face, copy after copy
    fourth = (np.arange(len(labels)) // len(ALPHABET)) % faces == faces - 1
    return Yardstick(int(right.sum()), len(labels), int(right[fourth].sum()), int(fourth.sum()),
                     len(sets.train[1]))


def comparison(arms: list, quick: bool, yardstick: Yardstick) -> str:
    """What the wins say about the notes' claim (pretrained > shallow > deep random start)."""
    shallow, random_start, pretrained = (a.wins for a in arms)
    fits = "; ".join(f"{label} {a.losses[0]:.2f} against {a.losses[1]:.2f}" for label, a
                     in (("shallow", arms[0]), ("pretrained", arms[2])))
    fits = (f"Cross-entropy on training against cross-validation at the kept epoch: {fits} "
            "(the notes' test errors: 1.39 shallow, 1.40 pretrained). ")
    if pretrained > shallow > random_start:
        return (f"Pretraining wins {pretrained - shallow} more than the shallow net "
                f"(the notes: 36 more). " + fits)
    text = (f"Pretraining does not beat the one-hidden-layer net here ({pretrained} against "
            f"{shallow}; the notes 267 against 231)")
    if quick:
        return (text + f"; quick mode's {QUICK_RBM_EPOCHS} RBM epochs of CD-{QUICK_K} "
                "barely train the RBMs. " + fits)
    y = yardstick
    beats = ("more than any trained arm" if y.wins > max(shallow, pretrained)
             else "against the trained arms' figures above")
    return text + ". " + fits + (
        "Why: on these sets the difficulty is the noise more than the shapes. Under "
        "independent pixel flips the most likely glyph is the one nearest in Hamming distance, "
        "a rule linear in the pixels that needs no learning; labelling each test image as its "
        f"nearest clean training glyph wins {y.wins} of {y.total} here ({y.fourth_face_wins} "
        f"of the {y.fourth_face_total} images of the fourth face), {beats}. So features "
        "learned by RBMs have little to add, and the deep net has more to overfit on the "
        f"{y.training_rows} training rows (above). The notes do not describe their noise; the "
        "gain they report suggests sets whose difficulty lay more in the shapes (the unseen "
        "fourth font) than in the noise. ")


def letters_dbn(context: Context) -> Outcome:
    """The three arms of seed 004, 19.3, each an example graph run by the engine."""
    arms = [run_arm(context, example, name) for example, name in ARMS]
    yardstick = nearest_glyph_yardstick(context, ARMS[0][0])
    wins = [a.wins for a in arms]
    figure = "; ".join(f"{a.name}: {a.wins} of {a.total} ({a.wins / a.total:.1%}, "
                       f"{a.epochs} epochs; notes {n})" for a, n in zip(arms, NOTES))
    verdict = Verdict.ORDERING if wins[2] > wins[0] > wins[1] else Verdict.DIFFERS
    why = ("Fonts: DejaVu Sans / Serif / Sans Mono for the notes' Arial / Times / Courier and "
           "Pillow's built-in Aileron for Tahoma. Noise: the notes say only 'random noise' "
           "and 'a little more' for cross-validation and test; the images stay binary (the "
           "RBMs' Hamming error), so it is random pixel flips, "
           f"{TRAIN_FLIPS:.0%} on training copies and 1.5 times that ({EVAL_FLIPS:.1%}) on "
           "the cross-validation and test sets; the training rate is the one calibrated "
           "constant (a 0.05 grid, the shallow arm nearest the notes' 231 of 312; our glyphs "
           "fill the box, so clean faces are easier than the notes'). The arms are the "
           "example graphs, run by the engine: the letter-sets node serves the "
           "cross-validation set as the validation split and scores the test set once at "
           "the end; early stopping keeps the best cross-validation epoch's weights; the DBN "
           "pretrains with a stop factor per RBM and batches of 10 inside the full-batch "
           "fine-tuning. Learning rates are the notes' per sample (0.001 x 312 rows on the "
           "mean loss, 0.001 x 10 for the RBMs). "
           + (f"Quick mode caps epochs ({QUICK_EPOCHS} feedforward, {QUICK_RBM_EPOCHS} per "
              f"RBM) and uses CD-{QUICK_K}. " if context.quick else "")
           + "L2 acts on the mean error per sample, so the deep net from a random start "
             "collapses to uniform outputs as in the notes (error ln 26). "
           + comparison(arms, context.quick, yardstick))
    return Outcome(figure, verdict, why)


NODES = []
EXPERIMENTS = [
    Experiment("letters_dbn", "Letters: pretrained deep net against shallow and random-start "
               "deep nets", "seed 004, 19.3",
               "wins of 312: 841-100-26 from scratch 231 (74.03%); 841-100-300-100-50-26 "
               "from random start about 3; pretrained by three RBMs 267 (85.57%)",
               "the ordering pretrained > from scratch > deep from random start",
               letters_dbn, example="letters_notes_{shallow,deep_random,pretrained}.dgraph"),
]
