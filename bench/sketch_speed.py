"""Speed of the sketch operators against their baselines, in one run.

    python -m bench.sketch_speed [--quick] [--only projection] [--loaded]

* FWHT (2^20 x 64 float64, C and F order) vs fht-cpu (SIMD C), and vs a copy.
* Gaussian sketch k=1024 of 2^17 x 256 (drawing included) vs scikit-learn's
  GaussianRandomProjection fit + transform on A.T; time and peak extra memory.
* CountSketch vs scipy.linalg.clarkson_woodruff_transform; SparseSign (s=8) vs
  CountSketch; every operator on a 2^18 x 512 dense and a 10^6 x 1000 sparse matrix.
* Approximate vs exact leverage scores on 2^18 x 100: time and max relative error.
* SketchProjection (fit + transform to k = 1000) against scikit-learn's
  GaussianRandomProjection and SparseRandomProjection on a 20000 x 10000 dense and
  a 10^5 x 10^5 sparse (density 10^-3) matrix, with the pairwise-distance
  distortion of each: written to bench/results/projection.{json,md}.

Times are medians over repeated runs after a warm-up (numba compilation excluded).
"""

from __future__ import annotations

import argparse

import numpy as np
import scipy.linalg
import scipy.sparse as sp

import rnla
from bench._common import (
    LOADED_NOTES,
    loaded_timings,
    median_time,
    merge_loaded,
    peak_memory,
    write_results,
)
from rnla.backend import cpu


def bench_fwht(n: int, d: int, repeats: int) -> list[dict]:
    rows = []
    A = np.random.default_rng(0).standard_normal((n, d))
    try:
        import fht_cpu
    except ImportError:  # pragma: no cover - optional baseline
        fht_cpu = None
    for order in "CF":
        X = np.array(A, order=order)
        buf = np.empty_like(X, order=order)

        def fill(buf=buf, X=X):
            buf[...] = X
            return buf

        ours = median_time(cpu.fwht, repeats, setup=fill)
        copy = median_time(lambda buf=buf, X=X: np.copyto(buf, X), repeats)
        row = {"case": f"FWHT {n}x{d} f64 {order}-order", "rnla_s": ours["median_s"],
               "copy_s": copy["median_s"], "ratio_to_copy": ours["median_s"] / copy["median_s"]}
        if fht_cpu is not None:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # fht-cpu warns that it copies C-order input
                base = median_time(lambda b: fht_cpu.fht(b, axis=0), repeats, setup=fill)
            row.update(baseline="fht-cpu", baseline_s=base["median_s"],
                       ratio=ours["median_s"] / base["median_s"])
        rows.append(row)
    return rows


def bench_gaussian(n: int, d: int, k: int, repeats: int) -> list[dict]:
    from sklearn.random_projection import GaussianRandomProjection

    A = np.random.default_rng(1).standard_normal((n, d))
    At = A.T

    def ours():
        return rnla.GaussianSketch(k, n, rng=0) @ A

    def sklearn():
        return GaussianRandomProjection(n_components=k, random_state=0).fit(At).transform(At)

    t_ours = median_time(ours, repeats)["median_s"]
    t_sk = median_time(sklearn, repeats)["median_s"]
    m_ours, m_sk = peak_memory(ours), peak_memory(sklearn)
    return [{"case": f"Gaussian k={k} of {n}x{d}", "rnla_s": t_ours, "baseline": "sklearn GRP",
             "baseline_s": t_sk, "ratio": t_ours / t_sk, "rnla_peak_MiB": m_ours / 2**20,
             "baseline_peak_MiB": m_sk / 2**20, "memory_ratio": m_ours / m_sk}]


def bench_countsketch(n: int, d: int, k: int, repeats: int) -> list[dict]:
    A = np.random.default_rng(2).standard_normal((n, d))
    cs = median_time(lambda: rnla.CountSketch(k, n, rng=0) @ A, repeats)["median_s"]
    cwt = median_time(lambda: scipy.linalg.clarkson_woodruff_transform(A, k, rng=0),
                      repeats)["median_s"]
    ss = median_time(lambda: rnla.SparseSign(k, n, s=8, rng=0) @ A, repeats)["median_s"]
    return [
        {"case": f"CountSketch k={k} of {n}x{d}", "rnla_s": cs, "baseline": "scipy CWT",
         "baseline_s": cwt, "ratio": cs / cwt},
        {"case": f"SparseSign s=8 k={k} of {n}x{d}", "rnla_s": ss, "baseline": "rnla CountSketch",
         "baseline_s": cs, "ratio": ss / cs},
    ]


def bench_all_operators(A, label: str, k: int, repeats: int) -> list[dict]:
    n = A.shape[0]
    rows = []
    h = None
    for kind in ("gaussian", "srht", "countsketch", "sparse_sign", "uniform", "leverage"):
        options = {}
        if kind == "leverage":
            if h is None:
                h = rnla.leverage_scores(A, method="approx", rng=0)
            options["probabilities"] = h / h.sum()

        def run(kind=kind, options=options):
            return rnla.make_sketch(kind, k, n, rng=0, **options) @ A

        t = median_time(run, repeats)["median_s"]
        rows.append({"case": f"{kind} k={k} of {label}", "rnla_s": t})
    return rows


def bench_leverage(n: int, d: int, repeats: int) -> list[dict]:
    rng = np.random.default_rng(3)
    A = rng.standard_normal((n, d))
    A[:d] += 1e3 * np.eye(d)  # coherent: d rows with leverage ~1
    exact = median_time(lambda: rnla.leverage_scores(A), repeats)["median_s"]
    h = rnla.leverage_scores(A)
    rows = []
    for eps in (0.5, 0.25, 0.1):
        t = median_time(lambda eps=eps: rnla.leverage_scores(A, "approx", eps=eps, rng=0),
                        repeats)["median_s"]
        ha = rnla.leverage_scores(A, "approx", eps=eps, rng=0)
        label = " (default)" if eps == 0.25 else ""
        rows.append({"case": f"approx leverage eps={eps}{label} {n}x{d}", "rnla_s": t,
                     "baseline": "exact (QR)", "baseline_s": exact, "ratio": t / exact,
                     "max_rel_err": float(np.max(np.abs(ha - h) / h))})
    return rows


def distance_distortion(X, Y, n_rows: int = 300) -> float:
    """Largest |‖y_i - y_j‖ / ‖x_i - x_j‖ - 1| over the pairs of the first ``n_rows`` rows
    (distances from the Gram matrices, so sparse rows stay sparse)."""
    def squared_distances(Z):
        G = Z[:n_rows] @ Z[:n_rows].T
        G = G.toarray() if sp.issparse(G) else np.asarray(G)
        g = np.diag(G)
        return g[:, None] + g[None, :] - 2 * G

    dx, dy = squared_distances(X), squared_distances(Y)
    i, j = np.triu_indices(dx.shape[0], 1)
    keep = dx[i, j] > 0
    return float(np.max(np.abs(np.sqrt(np.maximum(dy[i, j][keep], 0) / dx[i, j][keep]) - 1)))


def bench_projection(quick: bool, repeats: int) -> list[dict]:
    """fit + transform of SketchProjection and scikit-learn's random projections."""
    from sklearn.random_projection import GaussianRandomProjection, SparseRandomProjection

    from rnla.estimators import SketchProjection

    k = 1000
    rng = np.random.default_rng(6)
    dense = rng.standard_normal((2000, 5000) if quick else (20000, 10000))
    n_sp = 10**4 if quick else 10**5
    per_row = n_sp // 1000  # density 1e-3
    sparse = sp.csr_array((rng.standard_normal(n_sp * per_row),
                           rng.integers(0, n_sp, n_sp * per_row),
                           np.arange(0, n_sp * per_row + 1, per_row)), shape=(n_sp, n_sp))
    sparse.sum_duplicates()
    rows = []
    for label, X in ((f"dense {dense.shape[0]}x{dense.shape[1]}", dense),
                     (f"sparse {n_sp}x{n_sp} density 1e-3", sparse)):
        makers = {
            "rnla countsketch": lambda: SketchProjection(k, kind="countsketch", random_state=0),
            "rnla sparse_sign": lambda: SketchProjection(k, kind="sparse_sign", random_state=0,
                                                         dense_output=True),
            "sklearn Gaussian": lambda: GaussianRandomProjection(k, random_state=0),
            "sklearn sparse": lambda: SparseRandomProjection(k, random_state=0),
        }
        result = {}
        for name, make in makers.items():
            t = median_time(lambda make=make, X=X: make().fit_transform(X), repeats)["median_s"]
            result[name] = (t, distance_distortion(X, make().fit_transform(X[:300])))
        best = min(("sklearn Gaussian", "sklearn sparse"), key=lambda m: result[m][0])
        for name in ("rnla countsketch", "rnla sparse_sign"):
            t, dist = result[name]
            detail = " (default)" if name == "rnla countsketch" else " dense_output"
            rows.append({"case": f"{name}{detail} {label} -> {k}", "rnla_s": t,
                         "baseline": best, "baseline_s": result[best][0],
                         "ratio": t / result[best][0], "distortion": dist,
                         "baseline_distortion": result[best][1]})
        for name in ("sklearn Gaussian", "sklearn sparse"):
            rows.append({"case": f"{name} {label} -> {k}", "baseline": name,
                         "baseline_s": result[name][0], "baseline_distortion": result[name][1]})
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--only", choices=("projection",), default=None,
                        help="run one section only")
    parser.add_argument("--loaded", action="store_true",
                        help="time every case quiet and again with two busy-loop processes "
                             "running, and put the two side by side")
    args = parser.parse_args(argv)
    q = args.quick
    repeats = 3 if q else 5
    projection = bench_projection(q, 3)
    write_results(
        "projection" + ("_quick" if q else ""), {"quick": q, "repeats": 3}, projection,
        ["case", "rnla_s", "baseline", "baseline_s", "ratio", "distortion",
         "baseline_distortion"],
        notes="fit + transform, median wall seconds of 3 runs; ratio = rnla / the faster "
              "scikit-learn projection (below 1: rnla faster); distortion = max over the "
              "pairs of 300 rows of |projected distance / distance - 1|. "
              "Command: `python -m bench.sketch_speed --only projection`.")
    if args.only == "projection":
        return
    rows = timings(q, repeats)
    name, columns = "sketch_speed" + ("_quick" if q else ""), [
        "case", "rnla_s", "baseline", "baseline_s", "ratio", "ratio_to_copy", "memory_ratio",
        "max_rel_err"]
    notes = ("Median wall times in seconds; ratio = rnla / baseline (below 1: rnla faster). "
             "Command: `python -m bench.sketch_speed`.")
    if args.loaded:
        with loaded_timings():
            loaded = timings(q, repeats)
        rows = merge_loaded(rows, loaded, ("case",), ("rnla_s", "baseline_s", "ratio"), "ratio")
        name = "sketch_speed_loaded" + ("_quick" if q else "")
        columns = ["case", "rnla_s", "rnla_s_loaded", "baseline", "ratio", "ratio_loaded",
                   "loaded_vs_quiet", "time_loaded_vs_quiet"]
        notes = LOADED_NOTES + "Command: `python -m bench.sketch_speed --loaded`."
    write_results(name, {"quick": q, "repeats": repeats, "loaded": args.loaded}, rows, columns,
                  notes=notes)


def timings(q: bool, repeats: int) -> list[dict]:
    """The rows of the main table."""
    rows = []
    rows += bench_fwht(2**16 if q else 2**20, 64, repeats)
    rows += bench_gaussian(2**14 if q else 2**17, 256, 1024, 3)
    rows += bench_countsketch(2**14 if q else 2**17, 256, 1024, repeats)
    dense_n, dense_d = (2**14, 128) if q else (2**18, 512)
    A = np.random.default_rng(4).standard_normal((dense_n, dense_d))
    rows += bench_all_operators(A, f"dense {dense_n}x{dense_d}", 2 * dense_d, 3)
    del A
    sp_n, sp_d = (10**5, 200) if q else (10**6, 1000)
    B = sp.random(sp_n, sp_d, density=1e-3 if not q else 5e-3, format="csr", random_state=5)
    rows += bench_all_operators(B, f"sparse {sp_n}x{sp_d} nnz={B.nnz}", 2 * sp_d, 3)
    del B
    rows += bench_leverage(2**14 if q else 2**18, 100, 3)
    return rows


if __name__ == "__main__":
    main()
