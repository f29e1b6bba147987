"""Recording per-tick values on the device, drained to the host by monitors.

A kernel calls `record(row)` once per tick (a device copy, no host sync); a monitor calls
`drain()` for everything recorded since its last call. When the device block fills before a
monitor drains it (monitors are throttled), it is moved to the host first, so nothing is lost.
"""

from __future__ import annotations

import numpy as np


class TickRecorder:
    """Rows of `columns` values, one per tick, with the tick index of each."""

    def __init__(self, xp, backend, columns: int, dtype, capacity: int = 2000):
        self.xp, self.backend = xp, backend
        self.block = xp.zeros((capacity, columns), dtype=dtype)
        self.ticks = np.zeros(capacity, dtype=np.int64)
        self.filled = 0
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []

    def record(self, tick: int, row) -> None:
        if self.filled == len(self.block):
            self._spill()
        self.block[self.filled] = row
        self.ticks[self.filled] = tick
        self.filled += 1

    def _spill(self) -> None:
        host = np.array(self.backend.to_host(self.block[:self.filled]), copy=True)
        self._pending.append((self.ticks[:self.filled].copy(), host))
        self.filled = 0

    def drain(self) -> tuple[np.ndarray, np.ndarray]:
        """(ticks (n,), values (n, columns)) recorded since the last drain, oldest first."""
        if self.filled:
            self._spill()
        pending, self._pending = self._pending, []
        if not pending:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.block.shape[1]))
        ticks = np.concatenate([t for t, _ in pending])
        values = np.concatenate([v for _, v in pending])
        return ticks, values
