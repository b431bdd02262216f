"""Does a parallel kernel ever lose to its serial twin, quiet or loaded?

    python -m bench.threads [--quick] [--layers]

Times every family of parallel CPU kernels (sparse sign apply, the fused
normal-residual pass, row gather, FWHT, stream uniforms, the features' cos/sin, the
Laplacian kernel block, 32 PDHG iterations, the LP penalties) on inputs from 128 KiB
to 32 MiB three ways: forced to one thread (the serial twin), forced to every thread,
and on the count ``rnla.backend.cpu._threads`` chooses (``auto``, what users get), on
a quiet machine and with two busy-loop processes running.  ``auto_vs_serial`` is auto's
time over the serial twin's (target <= 1.1 loaded: "never loses"), ``gain`` the serial
time over auto's on the quiet machine (the kept speed-up).  This is the measurement
behind ``SERIAL_BELOW_BYTES`` and the load rule.  Writes
``bench/results/threads.{json,md}``.

``--layers`` instead times a PDHG solve (``solve_packing`` on a random 20000 x 20000
packing LP, 2*10^5 nonzeros, 1%) in a fresh process per numba threading layer and
wait policy (OpenMP with the default and the passive ``OMP_WAIT_POLICY``, workqueue,
TBB when the ``tbb`` wheel is installed), quiet and loaded, on rnla's thread rules
(``auto``) and forced to every thread: what the docs' advice on layers rests on.
Writes ``bench/results/threads_layers.{json,md}``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numba
import numpy as np

from bench._common import busy_cores, loaded_timings, median_time, write_results
from bench.positive_lp import random_packing
from rnla.backend import cpu
from rnla.backend.cpu import _threads
from rnla.lp._problem import standard_form


@contextlib.contextmanager
def _forced(mode: str):
    """``serial``: every kernel on one thread; ``parallel``: on every thread whatever
    the size or load; ``auto``: the library's rules."""
    saved = _threads.SERIAL_BELOW_BYTES, _threads.busy_cpus
    if mode == "serial":
        _threads.SERIAL_BELOW_BYTES = 2**62
    elif mode == "parallel":
        _threads.SERIAL_BELOW_BYTES, _threads.busy_cpus = 0, lambda: 0
    try:
        yield
    finally:
        _threads.SERIAL_BELOW_BYTES, _threads.busy_cpus = saved


def _lp_kernels(mib: float) -> dict:
    """32 PDHG iterations and one penalty pass on a random packing LP whose CSC arrays
    take ``mib`` MiB (10 nonzeros per row)."""
    n = max(100, int(mib * 2**20 / 12 / 10))
    sf = standard_form(random_packing(n, 10, 0), None, None, "{i}")
    csc, (row_indptr, row_indices), csr = sf.csc_arrays, sf.row_pattern, sf.csr
    m, n = sf.A.shape
    tau = 1.0 / np.add.reduceat(csc[2], sf.A.indptr[:-1])
    sigma = 1.0 / np.add.reduceat(csr.data, csr.indptr[:-1])
    x, y, xt, yt = np.zeros(n), np.zeros(m), np.empty(n), np.empty(m)
    x0, y0 = np.zeros(n), np.zeros(m)
    r, p, q = np.full(m, 0.5), np.empty(m), np.empty(n)
    empty = np.empty(0)  # no scaled pattern: the data arrays are read
    return {
        "pdhg_steps_32": lambda: cpu.pdhg_steps(*csc, row_indptr, row_indices, csr.data, tau,
                                                sigma, 0, 32, 1.0, x, y, x0, y0, xt, yt,
                                                np.empty(n), empty, empty, empty),
        "lp_penalties": lambda: cpu.lp_penalties(*csc, r, 0.01, p, q),
    }


def _kernels(n: int, rng) -> tuple[float, dict]:
    """The timed calls on an n x 64 float64 input, and its size in MiB."""
    A = rng.standard_normal((n, 64))
    X, B = rng.standard_normal((64, 1)), rng.standard_normal((n, 1))
    rows, signs = cpu.sparse_sign_draw(1, n, 256, 4)
    idx, w = np.sort(rng.integers(0, n, n // 4)), np.ones(n // 4)
    Z = rng.standard_normal((n, 64))
    P, Q = rng.standard_normal((n, 3)), rng.standard_normal((128, 3))  # an n x 128 block
    mib = A.nbytes / 2**20
    return mib, {
        "sparse_sign_apply": lambda: cpu.sparse_sign_apply(A, rows, signs, 1.0, 256),
        "normal_residual": lambda: cpu.normal_residual(A, X, B),
        "gather_rows": lambda: cpu.gather_rows(A, idx, w),
        "fwht": lambda: cpu.fwht(A),
        "uniforms": lambda: cpu.uniforms(1, 0, n * 64),
        "cos_sin": lambda: cpu.cos_sin(Z, 32, 1.0),
        "laplacian_block": lambda: cpu.distance_kernel(P, Q, "laplacian"),
        **_lp_kernels(mib),
    }


def _interleaved(fn, repeats: int) -> dict:
    """Median time of ``fn`` in each mode.  The serial twin and auto take turns call by
    call, so that both see the same machine (a busy one changes from millisecond to
    millisecond); forced parallel runs apart, after them, since its pool threads keep
    spinning for a while after each call and would slow whatever came next."""
    times = {"serial": [], "auto": [], "parallel": []}
    for mode in times:  # warm-up
        with _forced(mode):
            fn()
    for turn in [("serial", "auto")] * repeats + [("parallel",)] * repeats:
        for mode in turn:
            with _forced(mode):
                start = time.perf_counter()
                fn()
                times[mode].append(time.perf_counter() - start)
    return {f"{mode}_s": float(np.median(t)) for mode, t in times.items()}


def sweep(sizes, repeats: int, loaded: bool) -> list[dict]:
    rng = np.random.default_rng(0)
    rows = []
    for n in sizes:
        mib, kernels = _kernels(n, rng)
        for name, fn in kernels.items():
            with busy_cores() if loaded else contextlib.nullcontext():
                rows.append({"kernel": name, "MiB": mib, **_interleaved(fn, repeats)})
    return rows


#: (label, environment) of the threading-layer comparison
LAYERS = (
    ("omp", {"NUMBA_THREADING_LAYER": "omp"}),
    ("omp, OMP_WAIT_POLICY=PASSIVE",
     {"NUMBA_THREADING_LAYER": "omp", "OMP_WAIT_POLICY": "PASSIVE"}),
    ("workqueue", {"NUMBA_THREADING_LAYER": "workqueue"}),
    ("tbb", {"NUMBA_THREADING_LAYER": "tbb"}),
)


def _layer_child() -> None:
    """In a fresh process: the PDHG solve's median time, auto and forced, quiet and
    loaded, printed as JSON."""
    from rnla.lp import solve_packing

    A = random_packing(20_000, 10, 1)
    out = {"layer": numba.threading_layer() if solve_packing(A, 0.05) else None}
    for mode in ("auto", "parallel"):
        with _forced(mode):
            out[f"{mode}_s"] = median_time(lambda: solve_packing(A, 0.01), 5)["median_s"]
            with loaded_timings():
                out[f"{mode}_loaded_s"] = median_time(lambda: solve_packing(A, 0.01),
                                                      5)["median_s"]
    print(json.dumps(out))


def layers() -> None:
    venv_lib = str(Path(sys.prefix) / "lib")  # where the tbb wheel puts libtbb
    rows = []
    for label, env in LAYERS:
        full = {**os.environ, **env,
                "LD_LIBRARY_PATH": venv_lib + ":" + os.environ.get("LD_LIBRARY_PATH", "")}
        run = subprocess.run([sys.executable, "-m", "bench.threads", "--layer-child"],
                             env=full, capture_output=True, text=True)
        if run.returncode != 0:
            rows.append({"setting": label, "layer": "not available: "
                         + (run.stderr.strip().splitlines() or ["?"])[-1][:80]})
        else:
            rows.append({"setting": label, **json.loads(run.stdout.strip().splitlines()[-1])})
        print(rows[-1], flush=True)
    write_results(
        "threads_layers", {"threads": numba.get_num_threads()}, rows,
        ["setting", "layer", "auto_s", "auto_loaded_s", "parallel_s", "parallel_loaded_s"],
        notes="Median of 5 wall seconds of `solve_packing` (random 20000 x 20000 packing LP, "
              "2*10^5 nonzeros, eps 0.01) per numba threading layer, each in a fresh process: "
              "on rnla's thread rules (`auto`) and forced to every thread (`parallel`), quiet "
              "and with two busy-loop processes running (`_loaded`). Command: "
              "`python -m bench.threads --layers`.")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repeats")
    parser.add_argument("--layers", action="store_true",
                        help="compare numba's threading layers on a PDHG solve instead")
    parser.add_argument("--layer-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.layer_child:
        return _layer_child()
    if args.layers:
        return layers()
    sizes = [2**k for k in ((8, 12, 16) if args.quick else range(8, 17, 2))]
    repeats = 5 if args.quick else 15
    quiet = sweep(sizes, repeats, loaded=False)
    loaded = sweep(sizes, repeats, loaded=True)
    for row, other in zip(quiet, loaded, strict=True):
        row["gain"] = row["serial_s"] / row["auto_s"]
        row["auto_vs_serial"] = row["auto_s"] / row["serial_s"]
        for mode in ("serial", "parallel", "auto"):
            row[f"{mode}_loaded_s"] = other[f"{mode}_s"]
        row["auto_vs_serial_loaded"] = other["auto_s"] / other["serial_s"]
        row["parallel_vs_serial_loaded"] = other["parallel_s"] / other["serial_s"]
    worst = max(row["auto_vs_serial_loaded"] for row in quiet)
    write_results(
        "threads" + ("_quick" if args.quick else ""),
        {"quick": args.quick, "repeats": repeats, "threads": numba.get_num_threads(),
         "serial_below_bytes": _threads.SERIAL_BELOW_BYTES,
         "worst_auto_vs_serial_loaded": worst},
        quiet,
        ["kernel", "MiB", "serial_s", "parallel_s", "auto_s", "gain", "serial_loaded_s",
         "parallel_loaded_s", "auto_loaded_s", "parallel_vs_serial_loaded",
         "auto_vs_serial_loaded"],
        notes="Median wall seconds of each kernel forced to one thread (`serial`), forced "
              "to every thread (`parallel`) and on the library's choice (`auto`; serial and "
              "auto take turns call by call), quiet and with two busy-loop processes running "
              "(`_loaded`); gain = serial / auto quiet "
              "(above 1: threads pay), auto_vs_serial_loaded = auto / serial under load "
              f"(target <= 1.1; worst here {worst:.3g}). Command: `python -m bench.threads`.")


if __name__ == "__main__":
    main()
