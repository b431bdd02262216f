"""rnla on Dask arrays, side by side with its baselines in one run.

    python -m bench.dask [--quick] [--loaded]

All Dask work runs on a ``LocalCluster`` of 2 worker processes with one thread each
(numba kernels single-threaded inside them).

* Out of core: a 2^25 x 128 float64 matrix (32 GiB, more than this machine's memory)
  generated lazily by ``dask.array.random`` (fixed seed), sketched in one pass by a
  sparse sign sketch to k = 1024, against the same pass doing nothing but generate and
  sum (generation is the floor).  Peak resident memory of the whole process tree
  (client, scheduler, workers) is sampled every 0.1 s.  The Gaussian sketch (GEMM-bound)
  is reported on the first 2^22 rows.
* Scheduler overhead: the sparse sign sketch of a persisted 2^23 x 128 array (8 GiB)
  against the in-memory numba sketch of the same data (computed into the client first).
* Solve: a persisted 2^21 x 512 Gaussian least-squares problem (8 GiB):
  ``dask.array.linalg.lstsq`` (TSQR) against ``rnla.lstsq`` sketch-and-solve and
  sketch-and-precondition (at tol 1e-9 and at the default), errors in x relative to
  the TSQR solution.

``--quick`` divides every size by 2^6; ``--loaded`` repeats every timed run while two
busy-loop processes hold the cores and writes the loaded times beside the quiet ones.
Results: bench/results/dask[_quick][_loaded].{json,md}.
"""

from __future__ import annotations

import argparse
import gc
import threading
import time

import dask.array as da
import numpy as np
import psutil
from distributed import Client, LocalCluster, wait

import rnla
from bench._common import busy_cores, write_results
from rnla.sketch import GaussianSketch, SparseSign

GiB = 2**30


class PeakRSS:
    """Peak resident memory of this process and all its descendants while the block runs."""

    def __init__(self, every: float = 0.1):
        self.every = every
        self.peak = 0

    def _sample(self) -> int:
        me = psutil.Process()
        total = 0
        for proc in [me] + me.children(recursive=True):
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.every)

    def __enter__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


#: set by --loaded: every timed run is repeated while busy loops hold the cores
LOADED = False


def timed(fn, memory: bool = False):
    """``(seconds, result, peak RSS bytes or None, loaded seconds or None)`` of one run
    of ``fn``, and with --loaded of a second run while busy loops hold the cores."""
    if memory:
        with PeakRSS() as rss:
            t0 = time.perf_counter()
            out = fn()
            t = time.perf_counter() - t0
        peak = rss.peak
    else:
        t0 = time.perf_counter()
        out = fn()
        t, peak = time.perf_counter() - t0, None
    loaded = None
    if LOADED:
        with busy_cores():
            t0 = time.perf_counter()
            fn()
            loaded = time.perf_counter() - t0
    return t, out, peak, loaded


def out_of_core(n: int, d: int, k: int, chunk_rows: int, gaussian_rows: int) -> list[dict]:
    x = da.random.default_rng(0).standard_normal((n, d), chunks=(chunk_rows, d))
    size = n * d * 8
    rows = []
    t, _, peak, t_loaded = timed(lambda: x.sum(axis=0).compute(), memory=True)
    base = size / t
    rows.append({"case": f"out of core {n}x{d} ({size / GiB:.0f} GiB)",
                 "what": "generate and sum (the floor)", "time_s": t, "GB_per_s": base / 1e9,
                 "vs_floor": 1.0, "peak_rss_GiB": peak / GiB, "time_s_loaded": t_loaded})
    S = SparseSign(k, n, rng=1)
    t, _, peak, t_loaded = timed(lambda: (S @ x).compute(), memory=True)
    rows.append({"case": rows[0]["case"], "what": f"rnla sparse sign sketch, k = {k}",
                 "time_s": t, "GB_per_s": size / t / 1e9, "vs_floor": size / t / base,
                 "peak_rss_GiB": peak / GiB, "time_s_loaded": t_loaded})
    xg = x[:gaussian_rows]
    G = GaussianSketch(k, gaussian_rows, rng=1)
    t, _, peak, t_loaded = timed(lambda: (G @ xg).compute(), memory=True)
    rows.append({"case": f"first {gaussian_rows} rows", "what": f"rnla Gaussian sketch, k = {k}",
                 "time_s": t, "GB_per_s": gaussian_rows * d * 8 / t / 1e9,
                 "vs_floor": gaussian_rows * d * 8 / t / base, "peak_rss_GiB": peak / GiB,
                 "time_s_loaded": t_loaded})
    return rows


def _median_loaded(runs) -> float | None:
    return float(np.median([r[3] for r in runs])) if LOADED else None


def scheduler_in_memory(n: int, d: int, k: int, chunk_rows: int, repeats: int):
    """The in-memory sketch (before the cluster starts): its row, its result, and the lazy
    array (the same data) for :func:`scheduler_dask`."""
    x = da.random.default_rng(3).standard_normal((n, d), chunks=(chunk_rows, d))
    size = n * d * 8
    S = SparseSign(k, n, rng=1)
    X = x.compute(scheduler="threads")
    S @ X  # compile and draw
    runs = [timed(lambda X=X: S @ X) for _ in range(repeats)]
    ref = S @ X
    del X
    gc.collect()
    t_mem = float(np.median([r[0] for r in runs]))
    case = f"persisted {n}x{d} ({size / GiB:.0f} GiB)"
    return [{"case": case, "what": "in-memory numba sparse sign (client)", "time_s": t_mem,
             "GB_per_s": size / t_mem / 1e9, "vs_in_memory": 1.0,
             "time_s_loaded": _median_loaded(runs)}], ref, x


def scheduler_dask(x, ref, k: int, repeats: int, case: str) -> dict:
    n, d = x.shape
    size = n * d * 8
    xp = x.persist()
    wait(xp)
    S = SparseSign(k, n, rng=1)
    (S @ xp).compute()
    runs = [timed(lambda xp=xp: (S @ xp).compute()) for _ in range(repeats)]
    t = float(np.median([r[0] for r in runs]))
    err = float(np.abs(runs[-1][1] - ref).max() / np.abs(ref).max())
    del xp
    return {"case": case, "what": "rnla on the persisted Dask array", "time_s": t,
            "GB_per_s": size / t / 1e9, "rel_diff_vs_in_memory": err,
            "time_s_loaded": _median_loaded(runs)}


def solve(n: int, d: int, chunk_rows: int) -> list[dict]:
    rng = da.random.default_rng(5)
    A = rng.standard_normal((n, d), chunks=(chunk_rows, d)).persist()
    x_true = np.random.default_rng(6).standard_normal(d)
    b = (A @ x_true + 0.1 * rng.standard_normal(n, chunks=chunk_rows)).persist()
    wait([A, b])
    case = f"solve persisted {n}x{d} ({n * d * 8 / GiB:.0f} GiB)"
    t, x_ref, _, t_loaded = timed(lambda: da.linalg.lstsq(A, b[:, None])[0].compute()[:, 0])
    rows = [{"case": case, "what": "dask.array.linalg.lstsq (TSQR)", "time_s": t,
             "speedup": 1.0, "rel_err_x": 0.0, "time_s_loaded": t_loaded}]
    t_ref, t_ref_loaded = t, t_loaded
    for label, kw in [("rnla sketch-and-solve", {"method": "sketch_solve"}),
                      ("rnla sketch-and-precondition, tol 1e-9", {"tol": 1e-9}),
                      ("rnla sketch-and-precondition, default tol", {})]:
        t, res, _, t_loaded = timed(lambda kw=kw: rnla.lstsq(A, b, rng=0, **kw))
        rows.append({"case": case, "what": label, "time_s": t, "speedup": t_ref / t,
                     "time_s_loaded": t_loaded,
                     "speedup_loaded": t_ref_loaded / t_loaded if LOADED else None,
                     "rel_err_x": float(np.linalg.norm(res.x - x_ref) / np.linalg.norm(x_ref)),
                     "passes": res.n_passes, "time_per_pass_s": res.time_per_pass,
                     "n_iter": res.n_iter})
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="every size divided by 2^6")
    parser.add_argument("--loaded", action="store_true",
                        help="also time every run with busy cores (columns *_loaded)")
    args = parser.parse_args(argv)
    global LOADED
    LOADED = args.loaded
    loaded = ["time_s_loaded"] if args.loaded else []
    q = 2**6 if args.quick else 1
    repeats = 3
    over, ref, x_over = scheduler_in_memory(2**23 // q, 128, 1024, 2**18 // q, repeats)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           memory_limit="10GiB", dashboard_address=None,
                           env={"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    with Client(cluster):
        over.append(scheduler_dask(x_over, ref, 1024, repeats, over[0]["case"]))
        over[-1]["vs_in_memory"] = over[-1]["GB_per_s"] / over[0]["GB_per_s"]
        core = out_of_core(2**25 // q, 128, 1024, 2**16 // q, 2**22 // q)
        solved = solve(2**21 // q, 512, 2**16 // q)
    cluster.close()
    write_results(
        "dask" + ("_quick" if args.quick else "") + ("_loaded" if args.loaded else ""),
        {"quick": args.quick, "workers": 2, "threads_per_worker": 1},
        core, ["case", "what", "time_s", *loaded, "GB_per_s", "vs_floor", "peak_rss_GiB"],
        notes=("LocalCluster of 2 worker processes x 1 thread. Out of core: one pass each, "
               "peak RSS of the whole process tree sampled every 0.1 s (target < 4 GiB), "
               "vs_floor = throughput / generate-and-sum throughput (target >= 0.7). "
               + ("With --loaded every run is repeated while two busy-loop processes hold "
                  "the cores (`_loaded` columns). " if args.loaded else "")
               + "Command: `python -m bench.dask [--quick] [--loaded]`."),
        tables=[("Scheduler overhead (median of 3; target: Dask >= 0.5 of in-memory)", over,
                 ["case", "what", "time_s", *loaded, "GB_per_s", "vs_in_memory",
                  "rel_diff_vs_in_memory"]),
                ("Solve (one run each; target: rnla faster than TSQR at equal accuracy)",
                 solved, ["case", "what", "time_s", *loaded, "speedup",
                          *(["speedup_loaded"] if args.loaded else []), "rel_err_x", "passes",
                          "time_per_pass_s", "n_iter"])],
    )


if __name__ == "__main__":
    main()
