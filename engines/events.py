"""Events a run streams to its observer (the GUI, the CLI, a test). Small, frozen, host-side."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class FinishReason(str, enum.Enum):
    """Why a run ended normally. A str enum: its value is what run records store."""

    COMPLETED = "completed"  # every planned epoch ran
    STOPPED = "stopped"  # the user (or a script) stopped it
    EARLY_STOPPED = "early_stopped"  # a trainer's stop rule ended it (validation stalled)
    CONVERGED = "converged"  # a simulation settled (a Hopfield fixed point)

    def __str__(self):
        return self.value


@dataclass(frozen=True)
class Stop:
    """What a stop rule returns to end the run: why, and a sentence for the log."""

    reason: FinishReason
    message: str


@dataclass(frozen=True)
class Progress:
    """Where the run is: epoch and step counters, the latest training loss, an ETA."""

    epoch: int
    epochs: int
    step: int  # global step count
    steps_per_epoch: int
    loss: float | None = None
    eta_s: float | None = None


@dataclass(frozen=True)
class Scalar:
    """One value of a named metric ('train/loss', 'val/accuracy', 'energy', 'grad_norm/h1')."""

    tag: str
    step: int
    value: float


@dataclass(frozen=True)
class Image:
    """A host array to show as an image ('weights/h1' as a tile grid, 'hopfield/state')."""

    tag: str
    step: int
    array: Any  # numpy array, 2-D (grey) or 3-D (rgb)
    extent: tuple | None = None  # (x0, x1, y0, y1) the image covers in data units, or pixels


@dataclass(frozen=True)
class Trace:
    """A batch of samples of a named signal over time (membrane potential, spikes)."""

    tag: str
    times: Any
    values: Any


@dataclass(frozen=True)
class Points:
    """2-D points to scatter (latent codes, embeddings, a SOM lattice over its data).

    xy is (n, 2); labels (n,) ints colour the points; edges (m, 2) index pairs draw lines
    between points (a lattice's neighbours)."""

    tag: str
    step: int
    xy: Any
    labels: Any = None
    edges: Any = None


@dataclass(frozen=True)
class Raster:
    """Spike events: times (ms or steps) and the index of the neuron that fired, same length."""

    tag: str
    times: Any
    neurons: Any


@dataclass(frozen=True)
class Text:
    """A short text to show (a generated sample, a category assignment)."""

    tag: str
    step: int
    text: str


@dataclass(frozen=True)
class Log:
    message: str
    level: str = "info"


@dataclass(frozen=True)
class LiveEdit:
    """A live parameter changed during the run, applied before training step `step` + 1."""

    step: int
    node_id: str
    name: str
    old: Any
    new: Any

    @property
    def label(self) -> str:
        """'opt.lr 0.5 -> 0.01': how plots and logs name the edit."""
        return f"{self.node_id}.{self.name} {self.old!r} -> {self.new!r}"


@dataclass(frozen=True)
class Finished:
    """The run ended normally (completed, stopped, early-stopped or converged)."""

    reason: FinishReason
    summary: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Failed:
    """The run could not go on; node_id names the node to blame when one is known."""

    message: str
    node_id: str | None = None


EVENT_TYPES = (Progress, Scalar, Image, Trace, Points, Raster, Text, Log, LiveEdit, Finished,
               Failed)
