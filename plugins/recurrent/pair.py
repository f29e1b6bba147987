"""Two halves of a layer's work on two threads: this one and one helper thread.

A recurrent layer's step loop is a chain of small matmuls and elementwise kernels on one core
(one BLAS thread: OpenBLAS's own threads, woken for every small product, spin against each
other). Its batch rows are independent, so two cells each take half the rows and run on both
cores; the compiled step kernels and NumPy's matmul and tanh release the GIL
(docs/PERFORMANCE.md, "Recurrent networks"). One helper thread serves the process; a second
caller while it is busy runs its halves one after the other instead of waiting.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from engines import subnormals


class _Helper:
    """A daemon thread that runs one job at a time for run()."""

    def __init__(self):
        self._go = threading.Semaphore(0)
        self._done = threading.Semaphore(0)
        self._job: Callable | None = None
        self._error: BaseException | None = None
        threading.Thread(target=self._loop, name="dendrite-pair", daemon=True).start()

    def _loop(self) -> None:
        while True:
            self._go.acquire()
            try:
                self._job()
            except BaseException as error:  # handed to the caller, raised there
                self._error = error
            finally:
                self._done.release()

    def run(self, mine: Callable, theirs: Callable) -> None:
        self._job, self._error = theirs, None
        self._go.release()
        try:
            mine()
        finally:
            self._done.acquire()  # never leave while the helper still writes
        error, self._error = self._error, None
        if error is not None:
            raise error


_helper: _Helper | None = None
_busy = threading.Lock()


def run_pair(first: Callable, second: Callable) -> None:
    """first() on the calling thread and second() on the helper, both finished on return;
    an exception from either is raised here (first's if both raise)."""
    global _helper
    if not _busy.acquire(blocking=False):  # another layer or session holds the helper
        first()
        second()
        return
    mode = subnormals.thread_mode()  # a Session flushes subnormals: the helper does too

    def helper_part():
        with subnormals.flushed_as(mode):
            second()

    try:
        if _helper is None:
            _helper = _Helper()
        _helper.run(first, helper_part)
    finally:
        _busy.release()


def two_cores() -> bool:
    """True where this process may run on at least two CPUs."""
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except AttributeError:  # not Linux
        return (os.cpu_count() or 1) >= 2


def _after_fork() -> None:  # a forked child has no helper thread: start a new one if needed
    global _helper, _busy
    _helper, _busy = None, threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX; Windows starts processes fresh
    os.register_at_fork(after_in_child=_after_fork)
