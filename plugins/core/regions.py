"""Decision regions of a network trained on 2-D data, redrawn live (TensorFlow Playground).

A data node serving 2-D inputs with class targets registers this monitor. Between steps it
writes a grid over the data's bounding box into the node's 'x' buffer, runs the forward
passes batch by batch with training off, up to the node making the prediction that the loss
node published in `program.extras["prediction"]` (losses and metrics stay untouched, the
batch's values are put back), and emits 'regions/<node>' (an Image with its extent) and
'points/<node>' (the data by class).
"""

from __future__ import annotations

import time

import numpy as np

from engines.events import Image, Points

GRID = 40
INTERVAL_S = 0.5
SHARE = 0.01  # at most this share of the run goes to redrawing the regions
CHUNK = 400  # grid rows per forward pass (GRID * GRID / CHUNK passes)
MARGIN = 0.15


def grid_over(x: np.ndarray, size: int = GRID) -> tuple[np.ndarray, tuple]:
    """(size*size, 2) grid points row by row (y up the rows) and their extent."""
    low, high = x.min(axis=0), x.max(axis=0)
    pad = (high - low) * MARGIN + 1e-6
    low, high = low - pad, high + pad
    xs = np.linspace(low[0], high[0], size)
    ys = np.linspace(low[1], high[1], size)
    gx, gy = np.meshgrid(xs, ys)
    extent = (float(low[0]), float(high[0]), float(low[1]), float(high[1]))
    return np.stack([gx.ravel(), gy.ravel()], axis=1), extent


def class_labels(y: np.ndarray) -> np.ndarray:
    """Class index per row: argmax of one-hot rows, or output > 0.5 for a single column."""
    y = np.asarray(y).reshape(len(y), -1)
    return (y[:, 0] > 0.5).astype(np.int64) if y.shape[1] == 1 else y.argmax(axis=1)


def scores(pred: np.ndarray) -> np.ndarray:
    """A value in [0, 1] per row: the probability of class 1, or class index / (K - 1)."""
    pred = np.asarray(pred).reshape(len(pred), -1)
    if pred.shape[1] == 1:
        return np.clip(pred[:, 0], 0.0, 1.0)
    return pred.argmax(axis=1) / (pred.shape[1] - 1)


def reserve_grid_rows(ctx, features: int) -> None:
    """Size the program's buffers for CHUNK rows when the data is 2-D (before any batched
    output exists), so the grid passes in a few chunks even when batches are tiny (XOR's 4
    rows). Steps still run on the feed's own batch size; only storage grows (a few KiB)."""
    if features != 2 or ctx.batch_size >= CHUNK:
        return
    if any(buf.batched for buf in ctx.program.outputs.values()):
        return  # another data node sized the buffers first: smaller chunks then
    ctx.grow_batch(CHUNK)


def add_decision_regions(ctx, out_x, x_train: np.ndarray, y_train: np.ndarray) -> None:
    """Register the monitor when the data is 2-D with class targets (else do nothing)."""
    if x_train.ndim != 2 or x_train.shape[1] != 2 or len(x_train) == 0:
        return
    program, backend, phase = ctx.program, ctx.backend, ctx.phase
    grid, extent = grid_over(x_train)
    labels = class_labels(y_train)
    rows_max = out_x.storage.shape[0]
    shown = np.empty(len(grid), dtype=np.float32)

    def report(phase_now):
        pred = program.extras.get("prediction")
        began = time.perf_counter()
        if pred is None or not program.has_backward:
            return []
        if any(spec.delay for spec in program.specs.values()):
            return []  # a forward pass would advance the loop's state: no regions there
        training = phase.training
        phase.training = False  # dropout and noise off, as in validation
        batched = [buf for buf in program.outputs.values() if buf.batched]
        rows = out_x.value.shape[0]
        saved = [buf.value.copy() for buf in batched]  # a probe must see the real batch
        try:
            for start in range(0, len(grid), rows_max):
                chunk = grid[start:start + rows_max]
                program.set_rows(len(chunk))
                out_x.value[...] = backend.from_host(chunk.astype(out_x.value.dtype))
                for node_id, forward in program.forwards:
                    forward()
                    if node_id == pred.node_id:
                        break  # the prediction is ready; losses and metrics stay untouched
                shown[start:start + len(chunk)] = scores(backend.to_host(pred.value))
        finally:
            phase.training = training
            program.set_rows(rows)
            for buf, value in zip(batched, saved):
                buf.value[...] = value
        # small batches mean many passes over the grid: space the redraws to keep the share
        # (through the monitor's interval, so the final pass at the run's end still draws:
        # a slow first pass, e.g. compiling kernels, once left a run with its step-1 picture)
        monitor.min_interval_s = max(INTERVAL_S, (time.perf_counter() - began) / SHARE)
        return [Image(f"regions/{ctx.node_id}", phase_now.step,
                      shown.reshape(GRID, GRID).copy(), extent),
                Points(f"points/{ctx.node_id}", phase_now.step, x_train, labels)]

    monitor = ctx.monitor(report, every="step", min_interval_s=INTERVAL_S)
