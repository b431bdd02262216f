"""How many numba threads a CPU kernel uses: one below a measured amount of work.

``python -m bench.threads`` times the kernels on one thread and on all of them, on
a quiet machine and with two busy-loop processes running (2 cores,
bench/results/threads.md): below 1 MiB of data a second thread never paid (0.5-0.95x
of the one-thread speed: starting the parallel region costs more than it saves),
from 2 MiB it did in most kernels (1.1-1.9x, loaded as well as quiet).  Kernels
touching less than ``SERIAL_BELOW_BYTES`` therefore run on one thread (their serial
twin); larger ones on ``min(numba.get_num_threads(), CPUs this process may use)``, so
``numba.set_num_threads`` and the process's CPU affinity both cap them.  Every kernel
partitions its work by problem size, so results do not depend on the choice.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time

import numba

__all__ = ["SERIAL_BELOW_BYTES", "AdaptiveThreads", "available_cpus", "threads_for", "sized"]

SERIAL_BELOW_BYTES = 2**20


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


@contextlib.contextmanager
def _numba_threads(wanted: int):
    """Run the block on ``wanted`` numba threads, then restore the caller's count."""
    current = numba.get_num_threads()
    if wanted == current:
        yield
        return
    numba.set_num_threads(wanted)
    try:
        yield
    finally:
        numba.set_num_threads(current)


def threads_for(nbytes: int):
    """A context running the block with the numba thread count for a kernel touching
    ``nbytes``."""
    current = numba.get_num_threads()
    return _numba_threads(1 if nbytes < SERIAL_BELOW_BYTES
                          else max(1, min(current, available_cpus())))


def sized(work):
    """Decorate a kernel so that it runs under ``threads_for(work(*args, **kwargs))``."""
    def decorate(kernel):
        @functools.wraps(kernel)
        def run(*args, **kwargs):
            with threads_for(work(*args, **kwargs)):
                return kernel(*args, **kwargs)
        return run
    return decorate


class AdaptiveThreads:
    """A kernel called many times (each iteration of a solver) on the thread count that
    is measured faster now.

    The first calls alternate between all threads and one thread; then the faster
    (by its best time) runs, and every ``recheck`` calls both are timed again, so a
    machine that becomes busy or idle during a long solve is followed.  On a quiet
    machine that keeps the parallel kernel; when other processes hold the cores, a
    parallel region waits for a descheduled thread (milliseconds per call), and one
    thread wins.  The kernels partition work by size, so results are unchanged.
    """

    def __init__(self, kernel, recheck: int = 16):
        self.kernel = kernel
        self.recheck = recheck
        self._best = {True: float("inf"), False: float("inf")}
        self._calls = 0

    def __call__(self, *args, **kwargs):
        phase = self._calls % self.recheck
        if phase < 4:  # measure: parallel, serial, parallel, serial
            parallel = phase % 2 == 0
            if phase == 0:
                self._best = {True: float("inf"), False: float("inf")}
        else:
            parallel = self._best[True] <= self._best[False]
        self._calls += 1
        start = time.perf_counter()
        with contextlib.nullcontext() if parallel else _numba_threads(1):
            out = self.kernel(*args, **kwargs)
        if phase < 4:
            self._best[parallel] = min(self._best[parallel], time.perf_counter() - start)
        return out
