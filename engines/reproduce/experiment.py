"""One of the notes' experiments as data: where the notes report it, their figure, and a
function that reruns it through the engine and returns Dendrite's figure with a verdict."""

from __future__ import annotations

import enum
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


class Verdict(enum.Enum):
    """How Dendrite's figure compares with the notes'."""

    AGREES = "agrees"  # within the experiment's stated tolerance
    ORDERING = "ordering holds"  # the notes' comparison comes out the same way
    DIFFERS = "differs"  # outside the tolerance: the row says why
    NOT_RUN = "not run"  # needs data that was not given (MNIST), or failed to run


@dataclass(frozen=True)
class Context:
    """What a run of the experiments was given: quick or full sizes, the registry, MNIST."""

    quick: bool
    registry: object
    mnist: Path | None = None
    examples: Path = Path(__file__).resolve().parents[2] / "examples"


@dataclass(frozen=True)
class Outcome:
    """Dendrite's figure (as text, with spread where it is random), the verdict and why."""

    figure: str
    verdict: Verdict
    why: str = ""


@dataclass(frozen=True)
class Experiment:
    """An experiment of the notes that the engine reruns."""

    name: str  # short key for --only
    title: str
    source: str  # "seed 004, 19.3"
    notes_figure: str
    tolerance: str  # what "agrees" means for this row
    run: Callable[[Context], Outcome]
    example: str = ""  # the example graph it uses, if any
    needs_mnist: bool = False


def spread(values: Sequence[float], fmt: str = "{:.3g}") -> str:
    """'mean ± sd (n runs)', or the single value."""
    values = list(values)
    if len(values) == 1:
        return fmt.format(values[0])
    return (f"{fmt.format(statistics.fmean(values))} ± {fmt.format(statistics.stdev(values))} "
            f"({len(values)} runs)")
