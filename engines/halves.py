"""Elementwise work on large flat arrays split over two CPU threads.

NumPy's ufuncs run on one core, but they release the GIL, so two Python threads that each
update one half of the same flat buffers run in parallel. The optimizers' updates (about ten
passes over every parameter) are the main user: at 269k parameters one Adam update took a fifth
of an MLP step on one core (docs/PERFORMANCE.md). Arrays below MIN_SIZE stay on one thread,
where the hand-off (tens of microseconds) would cost more than it saves. Results are identical
to the one-thread run: every element is computed by the same operations either way.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

MIN_SIZE = 1 << 17  # elements; below this one thread is faster (measured, PERFORMANCE.md)

_pool: ThreadPoolExecutor | None = None


def cpu_count() -> int:
    """CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _worker() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dendrite-halves")
    return _pool


def split(arrays: tuple, xp_name: str) -> list[tuple]:
    """[arrays] or [first halves, second halves] of equally long flat arrays: two parts only
    for NumPy arrays of at least MIN_SIZE elements on a machine with two or more CPUs."""
    size = arrays[0].size
    if xp_name != "numpy" or size < MIN_SIZE or cpu_count() < 2:
        return [arrays]
    middle = size // 2
    return [tuple(a[:middle] for a in arrays), tuple(a[middle:] for a in arrays)]


def run(fn, parts: list[tuple]) -> None:
    """fn(*part) for every part from split(): the second part on the worker thread."""
    if len(parts) == 1:
        fn(*parts[0])
        return
    other = _worker().submit(fn, *parts[1])
    fn(*parts[0])
    other.result()
