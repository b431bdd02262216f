"""How many numba threads a CPU kernel uses: one below a measured amount of work, or
while other processes hold the cores.

``python -m bench.threads`` times every parallel kernel on one thread, on all of them
and on the count chosen here, on a quiet machine and with two busy-loop processes
running (2 cores, bench/results/threads.md).  Two rules come from it:

* below ``SERIAL_BELOW_BYTES`` (1 MiB) of data a second thread never paid (0.5-0.95x
  of the one-thread speed: starting the parallel region costs more than it saves), so
  such calls run on one thread, their serial twin;
* when other processes' runnable threads leave fewer CPUs free than the kernel would
  use, a parallel region waits at each barrier for a descheduled thread (a scheduler
  time slice, milliseconds); the kernel then runs on the free CPUs, at least one.
  The count of runnable threads is read from ``/proc/loadavg`` less this process's own
  (``/proc/self/task/*/stat``), at most once per ``LOAD_PROBE_SECONDS``, and a CPU
  counts as taken when the last ``LOAD_READINGS`` readings (of the last
  ``LOAD_STALE_SECONDS``) agree; where there is no ``/proc`` (macOS, Windows) the
  machine is taken to be free.

Larger calls run on ``min(numba.get_num_threads(), CPUs this process may use, free
CPUs)``.  A thread count the user chose (``NUMBA_NUM_THREADS`` in the environment, or
``numba.set_num_threads`` to anything but the default) is used as given, capped only
by the CPUs this process may use and never lowered for load; the size rule still
applies.  Nothing here sets the threading layer or ``OMP_WAIT_POLICY``, and the count
is restored after every call, so the user's own numba code runs as they configured it.
Every kernel partitions its work by problem size, so results do not depend on any of
these choices.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import time

import numba

__all__ = ["SERIAL_BELOW_BYTES", "LOAD_PROBE_SECONDS", "LOAD_READINGS", "LOAD_STALE_SECONDS",
           "available_cpus", "busy_cpus", "threads_for", "sized"]

SERIAL_BELOW_BYTES = 2**20
LOAD_PROBE_SECONDS = 0.01  # the load is read again after this long (a read costs ~50 us)

LOAD_READINGS = 3  # a CPU counts as busy when the last three readings all say so
LOAD_STALE_SECONDS = 1.0  # readings older than this are forgotten

_probe = {"at": -math.inf, "busy": 0, "readings": [0], "interval": LOAD_PROBE_SECONDS}


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _own_running() -> int:
    """This process's threads in state R (its own spinning pool threads included)."""
    own = 0
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/stat") as f:
                stat = f.read()
        except OSError:  # the thread ended meanwhile
            continue
        own += stat[stat.rfind(")") + 2] == "R"
    return own


def _runnable_elsewhere() -> int:
    """Runnable threads of other processes now: the kernel's ``nr_running`` less this
    process's running threads, counted before and after it (a pool thread going to
    sleep or waking in between is not taken for another process)."""
    before = _own_running()
    with open("/proc/loadavg") as f:
        running = int(f.read().split()[3].partition("/")[0])
    return max(0, running - max(before, _own_running()))


def busy_cpus() -> int:
    """CPUs of this process's affinity mask that other processes' runnable threads
    take now (0 where ``/proc`` is missing).  The load is read at most once per
    ``LOAD_PROBE_SECONDS``, or per 100 times the last read's own cost if that is longer
    (a process with hundreds of threads reads as many files), and the smallest of the
    last ``LOAD_READINGS`` counts, so a daemon waking for a moment does not take a CPU
    away; readings older than ``LOAD_STALE_SECONDS`` are forgotten, so the first call
    after a pause sees the load of now."""
    now = time.monotonic()
    since = now - _probe["at"]
    if since >= _probe["interval"]:
        try:
            reading = _runnable_elsewhere()
        except (OSError, ValueError, IndexError):
            reading = 0
        kept = _probe["readings"][1 - LOAD_READINGS:] if since < LOAD_STALE_SECONDS else []
        readings = kept + [reading]
        cost = time.monotonic() - now
        _probe.update(at=now, readings=readings, busy=min(min(readings), available_cpus()),
                      interval=max(LOAD_PROBE_SECONDS, 100.0 * cost))
    return _probe["busy"]


def _user_chose_threads(current: int) -> bool:
    """Whether the numba thread count is the user's explicit choice."""
    return "NUMBA_NUM_THREADS" in os.environ or current != numba.config.NUMBA_NUM_THREADS


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
    ``nbytes`` (the rules of this module)."""
    current = numba.get_num_threads()
    if nbytes < SERIAL_BELOW_BYTES:
        return _numba_threads(1)
    cpus = available_cpus()
    if _user_chose_threads(current):
        return _numba_threads(max(1, min(current, cpus)))
    return _numba_threads(max(1, min(current, cpus, cpus - busy_cpus())))


def sized(work):
    """Decorate a kernel so that it runs under ``threads_for(work(*args, **kwargs))``."""
    def decorate(kernel):
        @functools.wraps(kernel)
        def run(*args, **kwargs):
            with threads_for(work(*args, **kwargs)):
                return kernel(*args, **kwargs)
        return run
    return decorate
