"""Events a run streams to its observer (the GUI, the CLI, a test). Small, frozen, host-side."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
class Finished:
    """The run ended normally (completed, stopped by the user or early-stopped)."""

    reason: str  # "completed" | "stopped" | "early_stopped" | "converged"
    summary: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Failed:
    """The run could not go on; node_id names the node to blame when one is known."""

    message: str
    node_id: str | None = None


EVENT_TYPES = (Progress, Scalar, Image, Trace, Points, Raster, Text, Log, Finished, Failed)
