"""TensorBoard event files beside a run record, so `tensorboard --logdir runs/` shows the runs.

A TensorBoardLog is a session observer like the run recorder (which owns one): Scalars become
scalars under the same tags as metrics.jsonl, Images (weight tiles, states) become images
scaled to [0, 1], live edits become text under 'live_edits', logs and the run's end text under
'log'. It needs tensorboardX (the 'export' extra); without it a record simply has no event file.
"""

from __future__ import annotations

import math

import numpy as np

from engines.events import Failed, Finished, Image, LiveEdit, Log, Progress, Scalar, Text

FLUSH_SECONDS = 5  # how stale the event file may get while a run goes


class TensorBoardLog:
    """Writes one run's events into folder as a TensorBoard event file."""

    def __init__(self, folder):
        from tensorboardX import SummaryWriter

        self._writer = SummaryWriter(logdir=str(folder), flush_secs=FLUSH_SECONDS)
        self._step = 0  # the latest step seen, for events that carry none
        self._handlers = {Scalar: self._scalar, Image: self._image, LiveEdit: self._edit,
                          Log: self._log, Text: self._text, Progress: self._progress,
                          Finished: self._finished, Failed: self._failed}

    def observe(self, event) -> None:
        """Session observer: write what TensorBoard can show, ignore the rest."""
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def close(self) -> None:
        self._writer.close()

    def _scalar(self, event: Scalar) -> None:
        self._step = max(self._step, int(event.step))
        value = float(event.value)
        self._writer.add_scalar(event.tag, value if math.isfinite(value) else math.nan,
                                int(event.step))

    def _image(self, event: Image) -> None:
        image = tensorboard_image(event.array)
        if image is not None:
            self._writer.add_image(event.tag, image, int(event.step),
                                   dataformats="HW" if image.ndim == 2 else "HWC")

    def _edit(self, event: LiveEdit) -> None:
        self._writer.add_text("live_edits", f"step {event.step}: {event.label}",
                              int(event.step))

    def _log(self, event: Log) -> None:
        self._writer.add_text("log", event.message, self._step)

    def _text(self, event: Text) -> None:
        self._writer.add_text(event.tag, event.text, int(event.step))

    def _progress(self, event: Progress) -> None:
        self._step = max(self._step, int(event.step))

    def _finished(self, event: Finished) -> None:
        self._writer.add_text("log", f"Finished ({event.reason}).", self._step)
        self._writer.flush()

    def _failed(self, event: Failed) -> None:
        self._writer.add_text("log", f"Failed: {event.message}", self._step)
        self._writer.flush()


def tensorboard_image(array) -> np.ndarray | None:
    """A grey (h, w) or colour (h, w, 3|4) image scaled to [0, 1]; None for other shapes."""
    image = np.asarray(array, dtype=np.float32)
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))) \
            or image.size == 0:
        return None
    finite = np.isfinite(image)
    if not finite.any():
        return np.zeros_like(image)
    low, high = float(image[finite].min()), float(image[finite].max())
    scaled = (image - low) / (high - low) if high > low else np.full_like(image, 0.5)
    return np.where(finite, scaled, 0.0).astype(np.float32)


def open_tensorboard_log(folder) -> TensorBoardLog | None:
    """A TensorBoardLog writing into folder, or None when tensorboardX is not installed."""
    try:
        return TensorBoardLog(folder)
    except ImportError:
        return None
