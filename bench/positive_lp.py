"""Positive LPs: rnla's DB-SCD and coordinate descent against HiGHS, in one run.

    python -m bench.positive_lp [--quick]

* Random sparse packing LPs, square, 10 nonzeros per row uniform in [0.1, 1] (plus
  one per empty column), N = nnz from 2*10^4 to 10^6; and a set-cover family (sets
  of power-law size, every element covered), solved on the covering side.
* rnla: ``solve_packing``/``solve_covering`` with method "dbscd" at eps = 0.05 and
  0.01 and "coordinate" at eps = 0.05; the certified gap is the solver's own.
* HiGHS through ``scipy.optimize.linprog`` (interior point, dual simplex) and its
  PDLP first-order method through highspy with ``pdlp_optimality_tolerance`` = eps
  (HiGHS's own relative-gap measure, not a certificate), each under a time cap;
  where a solver stops at the cap the row says so.

Every run is timed once (capped runs cannot be repeated within the machine's
budget); numba compilation is excluded by a warm-up on a small LP.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from bench._common import write_results
from rnla.lp import solve_covering, solve_packing


def random_packing(n: int, per_row: int, seed: int) -> sp.csc_array:
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(n), per_row)
    cols = rng.integers(0, n, n * per_row)
    A = sp.csc_array((rng.uniform(0.1, 1, rows.size), (rows, cols)), shape=(n, n))
    empty = np.flatnonzero(np.diff(A.indptr) == 0)
    fix = sp.csc_array((rng.uniform(0.1, 1, empty.size), (rng.integers(0, n, empty.size), empty)),
                       shape=(n, n))
    A = sp.csc_array(A + fix)
    A.sum_duplicates()
    return A


def set_cover(n_sets: int, n_elements: int, seed: int) -> sp.csc_array:
    """Covering LP min 1'y s.t. A'y >= 1: rows are sets, columns elements."""
    rng = np.random.default_rng(seed)
    sizes = np.minimum(n_elements, 2 * (rng.pareto(1.5, n_sets).astype(int) + 1))
    rows = np.concatenate([np.repeat(np.arange(n_sets), sizes),
                           rng.integers(0, n_sets, n_elements)])
    cols = np.concatenate([rng.integers(0, n_elements, sizes.sum()), np.arange(n_elements)])
    A = sp.csc_array((np.ones(rows.size), (rows, cols)), shape=(n_sets, n_elements))
    A.sum_duplicates()
    A.data[:] = 1.0
    return A


def highs_linprog(A, method: str, cap: float) -> dict:
    m, n = A.shape
    t0 = time.perf_counter()
    res = linprog(-np.ones(n), A_ub=A, b_ub=np.ones(m), bounds=(0, None), method=method,
                  options={"time_limit": cap})
    t = time.perf_counter() - t0
    done = res.status == 0
    return {"time_s": t, "objective": -res.fun if done else float("nan"),
            "status": "optimal" if done else f"stopped at {cap:.0f} s cap"}


def highs_pdlp(A, eps: float, cap: float) -> dict:
    import highspy

    m, n = A.shape
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "pdlp")
    h.setOptionValue("time_limit", cap)
    h.setOptionValue("pdlp_optimality_tolerance", eps)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = -np.ones(n)
    lp.col_lower_, lp.col_upper_ = np.zeros(n), np.full(n, highspy.kHighsInf)
    lp.row_lower_, lp.row_upper_ = np.full(m, -highspy.kHighsInf), np.ones(m)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_ = A.indptr, A.indices
    lp.a_matrix_.value_ = A.data
    h.passModel(lp)
    t0 = time.perf_counter()
    h.run()
    t = time.perf_counter() - t0
    status = h.modelStatusToString(h.getModelStatus())
    done = status == "Optimal"
    return {"time_s": t, "objective": -h.getInfo().objective_function_value if done
            else float("nan"), "status": "optimal (to eps)" if done else status.lower()}


def rnla_row(solve, A, eps, method, cap) -> dict:
    res = solve(A, eps, method=method, rng=0, time_limit=cap)
    return {"time_s": res.time, "objective": res.objective, "gap": res.gap,
            "iterations": res.n_iter, "passes": res.passes,
            "status": res.status if res.converged else f"{res.status} (gap {res.gap:.3f})"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the two smallest sizes only")
    parser.add_argument("--cap", type=float, default=60.0, help="seconds per solver run")
    args = parser.parse_args()
    solve_packing(random_packing(200, 10, 0), 0.05, rng=0)  # compile
    solve_packing(random_packing(200, 10, 0), 0.05, method="coordinate", rng=0)
    sizes = [2_000, 5_000] if args.quick else [2_000, 5_000, 20_000, 100_000]
    cases = [(f"packing n={n}", random_packing(n, 10, 1), solve_packing) for n in sizes]
    cases.append(("set cover 2000 x 10000", set_cover(2_000, 10_000, 2), solve_covering))
    rows = []
    for name, A, solve in cases:
        big = A.nnz > 300_000
        runs = [("rnla dbscd", 0.05, "dbscd"), ("rnla dbscd", 0.01, "dbscd")]
        if not big:
            runs.append(("rnla coordinate", 0.05, "coordinate"))
        for label, eps, method in runs:
            row = {"case": name, "nnz": A.nnz, "solver": label, "eps": eps}
            row.update(rnla_row(solve, A, eps, method, args.cap))
            rows.append(row)
            print(row, flush=True)
        for label, fn in (("HiGHS ipm", lambda A: highs_linprog(A, "highs-ipm", args.cap)),
                          ("HiGHS dual simplex",
                           lambda A: highs_linprog(A, "highs-ds", args.cap)),
                          ("HiGHS PDLP", lambda A: highs_pdlp(A, 0.01, args.cap))):
            if big:  # HiGHS ipm ran > 6 min past a 20 s cap here (the cap is not checked
                continue  # inside the factorization): a row saying so is added instead
            row = {"case": name, "nnz": A.nnz, "solver": label, "eps": 0.01 if "PDLP" in label
                   else 0.0}
            row.update(fn(A))
            rows.append(row)
            print(row, flush=True)
        if big:
            rows.append({"case": name, "nnz": A.nnz, "solver": "HiGHS ipm", "eps": 0.0,
                         "status": "not run: ignored a 20 s cap for > 6 min on this size"})
    write_results("positive_lp" + ("_quick" if args.quick else ""),
                  {"cap_s": args.cap, "quick": args.quick}, rows,
                  ["case", "nnz", "solver", "eps", "time_s", "objective", "gap", "iterations",
                   "passes", "status"])


if __name__ == "__main__":
    main()
