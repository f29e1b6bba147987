"""Confusion matrix and per-class precision, recall and F1 for a classifier's loss node.

Counts are gathered on the device during validation passes (training steps when the data has
no validation split) and read back once per epoch by a monitor, which emits two Images:
'confusion/<node>' (true class by predicted class) and 'class_scores/<node>' (one row per
class: precision, recall, F1).
"""

from __future__ import annotations

import numpy as np

from engines.events import Image


def class_scores(confusion: np.ndarray) -> np.ndarray:
    """(K, 3) precision, recall and F1 per class from a (true, predicted) count matrix;
    0 where a class was never predicted or never present."""
    confusion = np.asarray(confusion, dtype=np.float64)
    hits = np.diag(confusion)
    predicted = confusion.sum(axis=0)
    actual = confusion.sum(axis=1)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    recall = np.divide(hits, actual, out=np.zeros_like(hits), where=actual > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(hits), where=both > 0)
    return np.stack([precision, recall, f1], axis=1)


def add_class_report(ctx, pred, target) -> callable:
    """Register the monitor on ctx; returns count(), to call from the loss's forward (a loss
    that finds the classes itself adds to count.counts, flat (true, predicted) pairs, while
    count.active() is True)."""
    xp, backend, phase = ctx.xp, ctx.backend, ctx.phase
    classes = pred.storage.shape[1]
    counts = xp.zeros(classes * classes, dtype=xp.int64)
    on_training = not any(feed.batches("val") for feed in ctx.program.feeds)

    def active() -> bool:
        return not (phase.training and not on_training)

    def count():
        if not active():
            return
        truth = xp.argmax(target.value, axis=1)
        guess = xp.argmax(pred.value, axis=1)
        counts[...] += xp.bincount(truth * classes + guess, minlength=classes * classes)

    count.active, count.counts = active, counts  # for a loss that counts in its own pass

    def report(phase_now):
        host = np.array(backend.to_host(counts)).reshape(classes, classes)  # a copy: fill(0)
        counts.fill(0)
        if not host.any():
            return []
        return [Image(f"confusion/{ctx.node_id}", phase_now.step, host.astype(np.float32)),
                Image(f"class_scores/{ctx.node_id}", phase_now.step,
                      class_scores(host).astype(np.float32))]

    ctx.monitor(report, every="epoch")
    return count
