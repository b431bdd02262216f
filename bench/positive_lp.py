"""Positive LPs: rnla's PDHG and DB-SCD against HiGHS, in one run.

    python -m bench.positive_lp [--quick] [--loaded] [--cap SECONDS] [--sections ...]

* ``packing``: random sparse packing LPs, square, 10 nonzeros per row uniform in
  [0.1, 1] (plus one per empty column), nnz from 2*10^4 to 10^7, and a synthetic
  set-cover family (sets of power-law size).
* ``ablation``: PDHG with one of its enhancements (reflection, restart rule, primal
  weight) switched off at a time, on the large set covers.
* ``orlib``: the OR-Library set-cover relaxations in ``../shared/data/orlib`` when
  present (weighted where the costs are given) and rail-like crew-scheduling
  instances (``rail_like``), solved on the covering side by PDHG against the faster of
  HiGHS's dual simplex and interior point.
* rnla: ``method="pdhg"`` and ``"dbscd"`` at eps = 0.01 (0.02 at 10^7 nonzeros), with
  the certified gap recorded against wall time through ``callback`` (the time-to-gap
  curves of docs/figures/positive_lp.png).
* HiGHS through ``scipy.optimize.linprog`` (interior point, dual simplex) and its PDLP
  through highspy with ``pdlp_optimality_tolerance`` = 0.01 (HiGHS's own relative-gap
  measure, not a certificate), each in a child process that is killed at the cap
  (HiGHS does not always honour its own time limit); where it returns nothing the row
  says so.

Every run is timed once; numba compilation is excluded by a warm-up on a small LP.
``--loaded`` repeats every run (rnla's and HiGHS's) while two busy-loop processes hold
the cores and writes the loaded times beside the quiet ones
(bench/results/positive_lp[_orlib][_quick]_loaded.{json,md}).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from bench._common import busy_cores, write_results
from rnla.lp import solve_covering, solve_packing, solve_positive_lp

ORLIB = Path(__file__).resolve().parents[2] / "shared" / "data" / "orlib"


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


def rail_like(m: int, n: int, seed: int) -> tuple[sp.csc_array, np.ndarray]:
    """A crew-scheduling-like weighted set cover (the OR-Library rail family's shape):
    m trips in time order (rows), n duties (columns), each covering a chain of 2-12
    trips that start at a random trip and move forward by geometric gaps within a shift
    window of m/12 trips; a duty costs 1 + its span / the window, in [1, 2].  A trip no
    duty covers gets a one-trip duty at cost 2."""
    rng = np.random.default_rng(seed)
    window = max(8, m // 12)
    sizes = np.clip(rng.poisson(5.5, n) + 1, 2, 12)
    starts = rng.integers(0, m, n)
    rows, cols, costs = [], [], np.empty(n)
    for j in range(n):
        trips = starts[j] + np.concatenate([[0], np.cumsum(rng.geometric(0.35, sizes[j] - 1))])
        trips = np.unique(trips[trips < min(m, starts[j] + window)])
        rows.append(trips)
        cols.append(np.full(trips.size, j))
        costs[j] = 1.0 + (trips[-1] - trips[0]) / window
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    A = sp.csc_array((np.ones(rows.size), (rows, cols)), shape=(m, n))
    uncovered = np.flatnonzero(np.bincount(rows, minlength=m) == 0)
    if uncovered.size:
        single = sp.csc_array((np.ones(uncovered.size), (uncovered, np.arange(uncovered.size))),
                              shape=(m, uncovered.size))
        A = sp.csc_array(sp.hstack([A, single]))
        costs = np.concatenate([costs, np.full(uncovered.size, 2.0)])
    return A, costs


#: the rail-like instances of the set-cover table: (trips, duties, seed)
RAIL_LIKE = ((500, 60_000, 0), (600, 50_000, 1), (400, 80_000, 2))


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


def _child(queue, fn, args):
    queue.put(fn(*args))


def capped(fn, args, cap: float) -> dict:
    """``fn(*args)`` in a child process, killed ``cap`` + 10 s after it starts."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, fn, args))
    t0 = time.perf_counter()
    proc.start()
    proc.join(cap + 10)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return {"time_s": time.perf_counter() - t0, "objective": float("nan"),
                "status": f"killed at the {cap:.0f} s cap: no answer"}
    return queue.get() if not queue.empty() else {"time_s": time.perf_counter() - t0,
                                                  "status": "no answer (process failed)"}


#: set by --loaded: every solver run is repeated with busy-loop processes on the cores
LOADED = False


def quiet_and_loaded(run) -> dict:
    """``run()`` (a dict with ``time_s``), and with --loaded the same run again while
    busy loops hold the cores: its time as ``time_s_loaded`` beside the quiet one."""
    row = run()
    if LOADED:
        with busy_cores():
            row["time_s_loaded"] = run()["time_s"]
    return row


def rnla_row(solve, A, eps, method, cap, curve: list) -> dict:
    t0 = time.perf_counter()

    def record(progress):
        curve.append((time.perf_counter() - t0, progress.gap))
        return False

    res = solve(A, eps, method=method, rng=0, time_limit=cap, callback=record)
    return {"time_s": res.time, "objective": res.objective, "gap": res.gap,
            "iterations": res.n_iter, "passes": res.passes,
            "status": res.status if res.converged else f"{res.status} (gap {res.gap:.3f})"}


def read_orlib(path: Path):
    """An OR-Library set cover (rows elements, columns sets) as (A, costs or None); text
    after the numbers (some files carry a solver's log) is ignored."""
    tokens = path.read_text().split()
    end = next((i for i, t in enumerate(tokens) if not t.lstrip("-").isdigit()), len(tokens))
    numbers = np.array(tokens[:end], dtype=np.int64)
    m, n = int(numbers[0]), int(numbers[1])
    costs = None
    if path.name.endswith("_costs_orlib.txt"):
        costs, pos = numbers[2:2 + n].astype(float), 2 + n
    else:
        pos = 2 + 2 * m
    rows, cols = [], []
    for i in range(m):
        k = int(numbers[pos])
        rows += [i] * k
        cols += list(numbers[pos + 1:pos + 1 + k] - 1)
        pos += 1 + k
    A = sp.csc_array((np.ones(len(rows)), (rows, cols)), shape=(m, n))
    A.sum_duplicates()
    A.data[:] = 1.0
    if path.name == "scp41.txt" and (ORLIB / "scp41_costs.txt").exists():
        costs = np.array((ORLIB / "scp41_costs.txt").read_text().split(), dtype=float)
    return A, costs


def highs_cover(A, costs, method: str, cap: float) -> dict:
    m, n = A.shape
    c = np.ones(n) if costs is None else costs
    t0 = time.perf_counter()
    res = linprog(c, A_ub=-A, b_ub=-np.ones(m), bounds=(0, None), method=method,
                  options={"time_limit": cap})
    return {"time_s": time.perf_counter() - t0,
            "objective": res.fun if res.status == 0 else float("nan"),
            "status": "optimal" if res.status == 0 else res.message}


def best_highs(A, costs, cap: float) -> dict:
    """HiGHS's dual simplex and interior point, each in a capped child process: the
    faster one that returned an optimum (quiet and, with --loaded, loaded)."""
    runs = {}
    for method in ("highs-ds", "highs-ipm"):
        runs[method] = quiet_and_loaded(
            lambda method=method: capped(highs_cover, (A, costs, method, cap), cap))
    ok = {k: v for k, v in runs.items() if v.get("status") == "optimal"} or runs
    best = min(ok, key=lambda k: ok[k]["time_s"])
    return {**runs[best], "method": best.removeprefix("highs-"),
            "time_s_loaded": min((v.get("time_s_loaded", math.inf) for v in ok.values()),
                                 default=math.inf)}


def set_cover_instances():
    """(name, A, costs or None) for every OR-Library file present, then the rail-like
    instances."""
    for path in sorted(ORLIB.glob("scp*.txt")) if ORLIB.exists() else ():
        if path.name == "scp41_costs.txt":
            continue
        A, costs = read_orlib(path)
        yield (f"OR-Library {path.stem.replace('_costs_orlib', '')}"
               + (" (weighted)" if costs is not None else " (unicost)")), A, costs
    for m, n, seed in RAIL_LIKE:
        A, costs = rail_like(m, n, seed)
        yield f"rail-like {m} x {n} (weighted)", A, costs


def orlib_rows(cap: float) -> list[dict]:
    """Each set cover: the best HiGHS method's optimum and rnla's certified 1% answer."""
    rows = []
    for name, A, costs in set_cover_instances():
        c = np.ones(A.shape[1]) if costs is None else costs
        ref = best_highs(A, costs, cap)

        def run(A=A, c=c):
            res = solve_positive_lp(c, A, np.ones(A.shape[0]), "covering", 0.01,
                                    method="pdhg", time_limit=cap)
            return {"time_s": res.time, "objective": res.objective, "gap": res.gap,
                    "iterations": res.n_iter, "status": str(res.status)}

        row = quiet_and_loaded(run)
        rows.append({"case": name, "nnz": A.nnz, "solver": "rnla pdhg", "eps": 0.01, **row,
                     "highs_method": ref["method"], "highs_objective": ref.get("objective"),
                     "highs_time_s": ref["time_s"],
                     "highs_time_s_loaded": ref.get("time_s_loaded"),
                     "vs_highs": ref["time_s"] / row["time_s"]})
        if "time_s_loaded" in row:
            rows[-1]["vs_highs_loaded"] = ref["time_s_loaded"] / row["time_s_loaded"]
        print(rows[-1], flush=True)
    return rows


#: the PDHG variants of the ablation: the module constants of rnla.lp.solve each sets
ABLATION = {
    "shipped: r2HPDHG + cuPDLPx restarts + primal weight": {},
    "no primal weight update": {"_PDHG_WEIGHT_SMOOTHING": 0.0},
    "plain Halpern (no reflection)": {"_PDHG_REFLECT": 0.0},
    "restart only when the gap halves": {"_PDHG_RESTART_SUFFICIENT": 0.5,
                                         "_PDHG_RESTART_NECESSARY": 0.0},
}


def ablation_rows(cap: float) -> list[dict]:
    """Iterations and time of each PDHG variant on the large set covers and a random
    packing LP (quiet)."""
    import rnla.lp.solve as lp_solve

    cases = [(name, A, costs) for name, A, costs in set_cover_instances() if A.nnz > 10**5]
    cases.append(("packing nnz=2e+05", sp.csc_array(random_packing(20_000, 10, 1).T), None))
    rows = []
    for variant, constants in ABLATION.items():
        saved = {k: getattr(lp_solve, k) for k in constants}
        for k, v in constants.items():
            setattr(lp_solve, k, v)
        try:
            for name, A, costs in cases:
                c = np.ones(A.shape[1]) if costs is None else costs
                res = solve_positive_lp(c, A, np.ones(A.shape[0]), "covering", 0.01,
                                        time_limit=cap)
                rows.append({"variant": variant, "case": name, "nnz": A.nnz,
                             "iterations": res.n_iter, "time_s": res.time, "gap": res.gap,
                             "status": str(res.status)})
                print(rows[-1], flush=True)
        finally:
            for k, v in saved.items():
                setattr(lp_solve, k, v)
    return rows


def plot(curves: dict, highs: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = list(curves)
    fig, axes = plt.subplots(1, len(cases), figsize=(4.2 * len(cases), 3.8), squeeze=False)
    for ax, case in zip(axes[0], cases, strict=True):
        for label, points in curves[case].items():
            if points:
                t, g = zip(*points, strict=True)
                ax.step(t, np.maximum(g, 1e-4), where="post", label=label)
        for label, (t, ok) in highs.get(case, {}).items():
            ax.axvline(t, ls="--" if ok else ":", color="grey")
            ax.text(t, 0.5, f"{label}{'' if ok else ' (no answer)'}", rotation=90,
                    fontsize=7, va="top", ha="right")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("seconds")
        ax.set_title(case, fontsize=9)
        ax.axhline(0.01, color="k", lw=0.5)
    axes[0][0].set_ylabel("certified relative gap")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    out = Path(__file__).resolve().parents[1] / "docs" / "figures" / "positive_lp.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


def packing_cases(sizes: list[int], cap: float) -> tuple[list[dict], dict, dict]:
    """Random packing LPs and the synthetic set cover: rows, rnla's curves, HiGHS's times."""
    cases = [(f"packing nnz={10 * n:.0e}", random_packing(n, 10, 1), solve_packing)
             for n in sizes]
    cases.append(("set cover 2000 x 10000", set_cover(2_000, 10_000, 2), solve_covering))
    rows, curves, highs = [], {}, {}
    for name, A, solve in cases:
        huge = A.nnz > 5_000_000
        case_cap = 2 * cap if huge else cap
        eps = 0.02 if huge else 0.01
        curves[name] = {}
        for method in ("pdhg", "dbscd"):
            curve = curves[name].setdefault(f"rnla {method}", [])
            row = {"case": name, "nnz": A.nnz, "solver": f"rnla {method}", "eps": eps}
            row.update(quiet_and_loaded(
                lambda solve=solve, A=A, eps=eps, method=method, curve=curve, cap=case_cap:
                rnla_row(solve, A, eps, method, cap, curve)))
            rows.append(row)
            print(row, flush=True)
        for label, fn, fargs in (("HiGHS ipm", highs_linprog, ("highs-ipm", case_cap)),
                                 ("HiGHS dual simplex", highs_linprog, ("highs-ds", case_cap)),
                                 ("HiGHS PDLP", highs_pdlp, (0.01, case_cap))):
            row = {"case": name, "nnz": A.nnz, "solver": label,
                   "eps": 0.01 if "PDLP" in label else 0.0}
            row.update(quiet_and_loaded(  # covering: its packing dual
                lambda fn=fn, A=A, fargs=fargs, cap=case_cap: capped(fn, (A,) + fargs, cap)))
            rows.append(row)
            highs.setdefault(name, {})[label] = (row["time_s"],
                                                 row.get("status", "").startswith("optimal"))
            print(row, flush=True)
    return rows, curves, highs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the two smallest sizes only")
    parser.add_argument("--cap", type=float, default=60.0,
                        help="seconds per solver run (twice this at 10^7 nonzeros)")
    parser.add_argument("--sections", default="packing,orlib",
                        help="comma-separated: packing (random packing LPs and a set cover, "
                             "with the figure), orlib (the OR-Library and rail-like set "
                             "covers), ablation (PDHG's enhancements one at a time)")
    parser.add_argument("--loaded", action="store_true",
                        help="also time every run with busy cores (columns *_loaded)")
    args = parser.parse_args()
    global LOADED
    LOADED = args.loaded
    sections = set(args.sections.split(","))
    for method in ("dbscd", "pdhg"):  # compile
        solve_packing(random_packing(200, 10, 0), 0.05, method=method, rng=0)
    suffix = ("_quick" if args.quick else "") + ("_loaded" if args.loaded else "")
    loaded = ["time_s_loaded"] if args.loaded else []
    if "orlib" in sections:  # small and fast: first, so it always lands
        write_results("positive_lp_orlib" + suffix, {"cap_s": args.cap}, orlib_rows(args.cap),
                      ["case", "nnz", "time_s", *loaded, "gap", "iterations", "highs_method",
                       "highs_time_s", *(["highs_time_s_loaded"] if args.loaded else []),
                       "vs_highs", *(["vs_highs_loaded"] if args.loaded else []),
                       "objective", "highs_objective", "status"],
                      notes=("Set-cover relaxations, covering side: every OR-Library "
                             "instance in ../shared/data/orlib (weighted where the file gives "
                             "costs) and rail-like crew-scheduling instances "
                             "(`rail_like`). rnla's PDHG to a certified 1% gap against the "
                             "faster of HiGHS's dual simplex and interior point (to "
                             "optimality), each in a child process killed at the cap; "
                             "vs_highs = HiGHS time / rnla time (above 1: rnla faster). "
                             "Command: `python -m bench.positive_lp --sections orlib "
                             "[--loaded]`."))
    if "ablation" in sections:
        write_results("positive_lp_ablation", {"cap_s": args.cap}, ablation_rows(args.cap),
                      ["variant", "case", "nnz", "iterations", "time_s", "gap", "status"],
                      notes=("PDHG to a certified 1% gap (covering side), one enhancement "
                             "switched off at a time, on every set cover above 10^5 "
                             "nonzeros and a random packing LP (as its covering dual). "
                             "Command: `python -m bench.positive_lp --sections ablation`."))
    if "packing" in sections:
        sizes = [2_000, 5_000] if args.quick else [2_000, 5_000, 20_000, 100_000, 1_000_000]
        rows, curves, highs = packing_cases(sizes, args.cap)
        write_results("positive_lp" + suffix, {"cap_s": args.cap, "quick": args.quick}, rows,
                      ["case", "nnz", "solver", "eps", "time_s", *loaded, "objective", "gap",
                       "iterations", "passes", "status"],
                      notes=(f"One run each, {args.cap:.0f} s cap per solver "
                             f"({2 * args.cap:.0f} s at 10^7 nonzeros), HiGHS in a child "
                             "process killed at the cap. rnla's gap is its certified gap; "
                             "HiGHS PDLP's eps is its own optimality tolerance. Command: "
                             "`python -m bench.positive_lp`."))
        if not args.quick and not args.loaded:
            plot(curves, highs)


if __name__ == "__main__":
    main()
