"""A run's per-epoch metrics, bounded in memory.

A run of a million epochs must not keep a million dicts (about 0.6 KiB each): EpochHistory keeps
the last KEEP epochs and, for every metric, its lowest and highest value over the whole run,
which is what stop rules ask of older epochs. Every epoch is still written to the run's
metrics.jsonl by the recorder.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Iterator

KEEP = 1000  # epochs kept in memory


class EpochHistory:
    """Metrics dicts, one per finished epoch. len() counts every epoch of the run; indexing
    (history[-1], history[0] while the run is short) and iteration see the kept ones."""

    def __init__(self, keep: int = KEEP):
        self._recent: collections.deque = collections.deque(maxlen=keep)
        self._count = 0
        self._lowest: dict[str, float] = {}
        self._highest: dict[str, float] = {}

    def append(self, metrics: dict) -> None:
        self._recent.append(metrics)
        self._count += 1
        for tag, value in metrics.items():
            if isinstance(value, (int, float)):
                self._lowest[tag] = min(self._lowest.get(tag, math.inf), value)
                self._highest[tag] = max(self._highest.get(tag, -math.inf), value)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[dict]:
        return iter(self._recent)

    def __getitem__(self, index: int) -> dict:
        if isinstance(index, slice):
            raise TypeError("EpochHistory cannot be sliced; iterate over the kept epochs.")
        position = index + self._count if index < 0 else index
        first = self._count - len(self._recent)
        if not first <= position < self._count:
            raise IndexError(f"epoch {position + 1} is not kept in memory (the last "
                             f"{self._recent.maxlen} epochs are; every epoch is in the run's "
                             "metrics.jsonl).")
        return self._recent[position - first]

    def lowest(self, tag: str) -> float:
        """The smallest value tag took in any epoch of the run (inf if never)."""
        return self._lowest.get(tag, math.inf)

    def highest(self, tag: str) -> float:
        """The largest value tag took in any epoch of the run (-inf if never)."""
        return self._highest.get(tag, -math.inf)
