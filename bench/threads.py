"""When do the CPU kernels gain from a second thread, quiet and loaded?

    python -m bench.threads [--quick]

Times five kernels (sparse sign apply, the fused normal-residual pass, row gather,
FWHT, stream uniforms) on n x 64 float64 inputs from 128 KiB to 32 MiB, forced to one
thread and to every thread (numba), on a quiet machine and with two busy-loop
processes running.  This is the measurement behind the serial-below threshold of
``rnla.backend.cpu._threads`` (``SERIAL_BELOW_BYTES``).  Writes
``bench/results/threads.{json,md}``.
"""

from __future__ import annotations

import argparse

import numba
import numpy as np

from bench._common import loaded_timings, median_time, write_results
from rnla.backend.cpu import _threads
from rnla.backend.cpu import sketch as cpu_sketch
from rnla.backend.cpu.lstsq import normal_residual


def _time(fn, threads: int, repeats: int) -> float:
    """Median time of fn on exactly ``threads`` numba threads (the size rule off)."""
    saved, previous = _threads.SERIAL_BELOW_BYTES, numba.get_num_threads()
    _threads.SERIAL_BELOW_BYTES = 0 if threads > 1 else 2**62
    numba.set_num_threads(threads)
    try:
        return median_time(fn, repeats)["median_s"]
    finally:
        numba.set_num_threads(previous)
        _threads.SERIAL_BELOW_BYTES = saved


def _kernels(n: int, rng) -> tuple[float, dict]:
    """The timed calls on an n x 64 float64 input, and its size in MiB."""
    A = rng.standard_normal((n, 64))
    X, B = rng.standard_normal((64, 1)), rng.standard_normal((n, 1))
    rows, signs = cpu_sketch.sparse_sign_draw(1, n, 256, 4)
    idx, w = np.sort(rng.integers(0, n, n // 4)), np.ones(n // 4)
    return A.nbytes / 2**20, {
        "sparse_sign_apply": lambda: cpu_sketch.sparse_sign_apply(A, rows, signs, 1.0, 256),
        "normal_residual": lambda: normal_residual(A, X, B),
        "gather_rows": lambda: cpu_sketch.gather_rows(A, idx, w),
        "fwht": lambda: cpu_sketch.fwht(A),
        "uniforms": lambda: cpu_sketch.uniforms(1, 0, n * 64),
    }


def sweep(sizes, repeats: int) -> list[dict]:
    rng = np.random.default_rng(0)
    all_threads = numba.get_num_threads()
    rows = []
    for n in sizes:
        mib, kernels = _kernels(n, rng)
        for name, fn in kernels.items():
            one = _time(fn, 1, repeats)
            many = _time(fn, all_threads, repeats)
            rows.append({"kernel": name, "MiB": mib, "one_thread_s": one,
                         "all_threads_s": many, "gain": one / many})
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repeats")
    args = parser.parse_args(argv)
    sizes = [2**k for k in ((8, 12, 16) if args.quick else range(8, 17, 2))]
    repeats = 5 if args.quick else 15
    quiet = sweep(sizes, repeats)
    with loaded_timings():
        loaded = sweep(sizes, repeats)
    for row, other in zip(quiet, loaded, strict=True):
        row.update(one_thread_loaded_s=other["one_thread_s"],
                   all_threads_loaded_s=other["all_threads_s"], gain_loaded=other["gain"])
    write_results(
        "threads" + ("_quick" if args.quick else ""),
        {"quick": args.quick, "repeats": repeats, "threads": numba.get_num_threads(),
         "serial_below_bytes": _threads.SERIAL_BELOW_BYTES},
        quiet,
        ["kernel", "MiB", "one_thread_s", "all_threads_s", "gain", "one_thread_loaded_s",
         "all_threads_loaded_s", "gain_loaded"],
        notes="Median wall seconds; gain = one-thread time / all-threads time (above 1: "
              "threads pay), quiet and with two busy-loop processes running (`_loaded`). "
              "Command: `python -m bench.threads`.")


if __name__ == "__main__":
    main()
