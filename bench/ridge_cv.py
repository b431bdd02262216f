"""A path of ridge penalties: SketchedRidgeCV against RidgeCV and GridSearchCV.

    python -m bench.ridge_cv [--quick] [--loaded]

Problem: X 200000 x 200 (20000 x 50 with --quick), Gaussian with column scales from
1 to 1e-2 and an offset of 1 (a badly scaled design with an intercept), y = X beta +
N(0, 1), 20 penalties logarithmically spaced over 1e-3 .. 1e4; a held-out set of 20000
rows.  Methods, in the same run: scikit-learn's ``RidgeCV`` (GCV by the SVD of X: the
exact leave-one-out error), ``GridSearchCV(SketchedRidge, 5 folds)`` over the same
penalties, and rnla's ``SketchedRidgeCV`` (one sketch, all penalties by block
preconditioned CG, GCV).  Reported: median time (3 runs; 1 for a run slower than 20 s),
chosen alpha, the held-out R^2 of each method's model, and the speedups
(baseline time / rnla's).  Writes bench/results/ridge_cv[_quick][_loaded].{json,md}.
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV

from bench._common import loaded_timings, median_time, write_results
from rnla.estimators import SketchedRidge, SketchedRidgeCV


def problem(n: int, d: int, rng):
    X = rng.standard_normal((n + 20000, d)) * np.logspace(0, -2, d) + 1.0
    y = X @ rng.standard_normal(d) + rng.standard_normal(n + 20000)
    return X[:n], y[:n], X[n:], y[n:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller problem")
    parser.add_argument("--loaded", action="store_true", help="time with busy cores")
    args = parser.parse_args()
    n, d = (20000, 50) if args.quick else (200000, 200)
    X, y, Xt, yt = problem(n, d, np.random.default_rng(0))
    alphas = np.logspace(-3, 4, 20)
    methods = {
        "sklearn RidgeCV": lambda: RidgeCV(alphas=alphas),
        "GridSearchCV(SketchedRidge)": lambda: GridSearchCV(
            SketchedRidge(random_state=0), {"alpha": list(alphas)}, cv=5),
        "rnla SketchedRidgeCV": lambda: SketchedRidgeCV(alphas=alphas, random_state=0),
    }
    rows = []
    context = loaded_timings() if args.loaded else contextlib.nullcontext()
    with context:
        for name, make in methods.items():
            t0 = time.perf_counter()
            model = make().fit(X, y)
            once = time.perf_counter() - t0
            timing = {"median_s": once} if once > 20 and not args.loaded else median_time(
                lambda make=make: make().fit(X, y), repeats=1 if once > 20 else 3, warmup=0)
            alpha = model.alpha_ if hasattr(model, "alpha_") else model.best_params_["alpha"]
            rows.append({"method": name, "n": n, "d": d, "time_s": timing["median_s"],
                         "alpha": float(alpha), "heldout_r2": float(model.score(Xt, yt))})
    ours = rows[-1]
    for r in rows:
        r["speedup"] = r["time_s"] / ours["time_s"]
        r["r2_vs_rnla"] = r["heldout_r2"] - ours["heldout_r2"]
    suffix = ("_quick" if args.quick else "") + ("_loaded" if args.loaded else "")
    write_results("ridge_cv" + suffix, {"quick": args.quick, "loaded": args.loaded, "n": n,
                                        "d": d, "n_alphas": len(alphas)},
                  rows, ["method", "n", "d", "time_s", "speedup", "alpha", "heldout_r2",
                         "r2_vs_rnla"],
                  notes="speedup: the method's time / SketchedRidgeCV's (target >= 5 for "
                        "both baselines); r2_vs_rnla: its held-out R^2 minus rnla's "
                        "(target |.| <= 1e-3 or the same alpha).")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"{time.perf_counter() - t0:.0f} s")
