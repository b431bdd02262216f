"""QMC feature maps: Gram-matrix error, box discrepancy, kernel ridge error, and speed.

    python -m bench.qmc_features [--quick] [--loaded]

1. Gram error (the paper's comparison): the first 1000 rows of ``load_digits`` scaled so
   that the largest row norm is 1, Gaussian kernel with the median-distance bandwidth;
   relative error ||K - K~||_2 / ||K||_2 (and Frobenius) of cos/sin features against the
   number of output features 2^5..2^12, for MC, Halton, Sobol', lattice, digital net
   and learned sequences (all randomised; median over 5 seeds), with the normalised box
   discrepancy of each set (box = ranges of the data, the box the learned sets minimise
   it over).
2. Kernel ridge regression with the features on ``load_diabetes`` (rows scaled to norm
   <= 1, median bandwidth, 342 train / 100 test rows, alpha by 5-fold cross-validation of
   exact kernel ridge): relative test error
   ||y^ - y|| / ||y|| and the distance to exact kernel ridge's predictions.
3. Speed: ``QMCFourierFeatures.transform`` of 20000 x 64 to 4096 features against
   ``RBFSampler.transform`` (same n_components; medians of 5 runs after a warm-up), and the
   largest difference from a numpy reference (cos/sin of X W^T).

Writes bench/results/qmc_features[_quick].{json,md} and, in full mode, the figure
docs/figures/qmc_features.png.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes, load_digits
from sklearn.kernel_approximation import RBFSampler
from sklearn.kernel_ridge import KernelRidge
from sklearn.model_selection import GridSearchCV

from bench._common import LOADED_NOTES, loaded_timings, median_time, merge_loaded, write_results
from rnla.estimators import QMCFourierFeatures, SketchedRidge
from rnla.features import (
    FourierFeatureMap,
    box_discrepancy_squared,
    data_box,
    kernel_matrix,
    median_bandwidth,
)

SEQUENCES = ["mc", "halton", "sobol", "lattice", "digital_net", "learned"]
FIGURE = Path(__file__).resolve().parent.parent / "docs" / "figures" / "qmc_features.png"


def scaled(X: np.ndarray) -> np.ndarray:
    return X / np.linalg.norm(X, axis=1).max()


def gram_errors(sizes, seeds, learned_max) -> list[dict]:
    X = scaled(load_digits().data[:1000])
    sigma = median_bandwidth(X)
    K = kernel_matrix(X, bandwidth=sigma)
    norm2, normF = np.linalg.norm(K, 2), np.linalg.norm(K)
    box = data_box(X)
    rows = []
    for sequence in SEQUENCES:
        for n_features in sizes:
            if sequence == "learned" and n_features > learned_max:
                continue
            spec, frob, disc, fit_time = [], [], [], []
            for seed in seeds:
                t0 = time.perf_counter()
                fmap = FourierFeatureMap(n_features, "gaussian", sigma, sequence=sequence,
                                         rng=seed).fit(X)
                fit_time.append(time.perf_counter() - t0)
                Z = fmap.transform(X)
                E = Z @ Z.T - K
                spec.append(np.abs(np.linalg.eigvalsh(E)).max() / norm2)
                frob.append(np.linalg.norm(E) / normF)
                disc.append(box_discrepancy_squared(fmap.frequencies_, box, sigma,
                                                    normalized=True))
            rows.append({"experiment": "gram", "sequence": sequence, "n_features": n_features,
                         "gram_error_2": float(np.median(spec)),
                         "gram_error_F": float(np.median(frob)),
                         "box_discrepancy2": float(np.median(disc)),
                         "fit_s": float(np.median(fit_time)),
                         "per_seed_2": spec, "sigma": sigma})
            print(f"gram {sequence:12s} {n_features:5d}  {rows[-1]['gram_error_2']:.3e}  "
                  f"D2 {rows[-1]['box_discrepancy2']:.3e}", flush=True)
    return rows


def kernel_ridge_errors(sizes, seeds, learned_max) -> list[dict]:
    data = load_diabetes()
    X, y = scaled(data.data), data.target - data.target[:342].mean()
    Xtr, ytr, Xte, yte = X[:342], y[:342], X[342:], y[342:]
    sigma = median_bandwidth(Xtr)
    search = GridSearchCV(KernelRidge(kernel="rbf", gamma=1 / (2 * sigma**2)),
                          {"alpha": np.logspace(-6, 1, 15)}, cv=5).fit(Xtr, ytr)
    alpha = search.best_params_["alpha"]
    pred_exact = search.best_estimator_.predict(Xte)
    rows = [{"experiment": "krr", "sequence": "exact kernel ridge", "n_features": 0,
             "alpha": alpha,
             "test_error": float(np.linalg.norm(pred_exact - yte) / np.linalg.norm(yte)),
             "to_exact": 0.0}]
    for sequence in SEQUENCES:
        for n_features in sizes:
            if sequence == "learned" and n_features > learned_max:
                continue
            err, gap = [], []
            for seed in seeds:
                fmap = FourierFeatureMap(n_features, "gaussian", sigma, sequence=sequence,
                                         rng=seed).fit(Xtr)
                Ztr, Zte = fmap.transform(Xtr), fmap.transform(Xte)
                model = SketchedRidge(alpha, fit_intercept=False, random_state=seed)
                pred = model.fit(Ztr, ytr).predict(Zte)
                err.append(np.linalg.norm(pred - yte) / np.linalg.norm(yte))
                gap.append(np.linalg.norm(pred - pred_exact) / np.linalg.norm(pred_exact))
            rows.append({"experiment": "krr", "sequence": sequence, "n_features": n_features,
                         "test_error": float(np.median(err)), "to_exact": float(np.median(gap))})
    return rows


def speed(n: int, d: int, n_components: int, repeats: int) -> list[dict]:
    X = np.random.default_rng(0).random((n, d))
    rows = []
    for dtype in (np.float64, np.float32):
        Xd = X.astype(dtype)
        ours = QMCFourierFeatures(gamma=1.0, n_components=n_components, random_state=0).fit(Xd)
        theirs = RBFSampler(gamma=1.0, n_components=n_components, random_state=0).fit(Xd)
        t_ours = median_time(lambda ours=ours, Xd=Xd: ours.transform(Xd), repeats)["median_s"]
        t_theirs = median_time(lambda theirs=theirs, Xd=Xd: theirs.transform(Xd),
                               repeats)["median_s"]
        W = ours.frequencies_
        Zref = X @ W.T
        ref = np.hstack([np.cos(Zref), np.sin(Zref)]) / np.sqrt(W.shape[0])
        diff = float(np.abs(ours.transform(Xd).astype(np.float64) - ref).max())
        rows.append({"experiment": "speed", "dtype": np.dtype(dtype).name,
                     "shape": f"{n}x{d} -> {n_components}", "rnla_s": t_ours,
                     "rbfsampler_s": t_theirs, "speedup": t_theirs / t_ours,
                     "max_abs_diff_vs_numpy": diff})
        print(rows[-1], flush=True)
    return rows


def plot(gram_rows, krr_rows) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
    for sequence in SEQUENCES:
        g = [r for r in gram_rows if r["sequence"] == sequence]
        s = [r["n_features"] for r in g]
        axes[0].loglog(s, [r["gram_error_2"] for r in g], "o-", label=sequence)
        axes[1].loglog(s, [r["box_discrepancy2"] for r in g], "o-", label=sequence)
        k = [r for r in krr_rows if r["sequence"] == sequence]
        axes[2].loglog([r["n_features"] for r in k], [r["to_exact"] for r in k], "o-",
                       label=sequence)
    axes[0].set_title("digits: relative Gram error $\\|K-\\tilde K\\|_2/\\|K\\|_2$")
    axes[1].set_title("normalised box discrepancy $\\pi^d D^2/\\prod b_j$")
    axes[2].set_title("diabetes: kernel ridge, distance to exact")
    for ax in axes:
        ax.set_xlabel("output features (cos/sin pairs)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    fig.tight_layout()
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=90)
    print(f"wrote {FIGURE}")


def summary(gram_rows, at: int = 1024) -> str:
    at_size = {r["sequence"]: r["gram_error_2"] for r in gram_rows if r["n_features"] == at}
    if "mc" not in at_size:
        return ""
    qmc = {k: v for k, v in at_size.items() if k != "mc"}
    best = min(qmc, key=qmc.get)
    lines = [f"At {at} output features: MC {at_size['mc']:.3e}; best QMC {best} "
             f"{qmc[best]:.3e} (ratio to MC {qmc[best] / at_size['mc']:.2f}, target <= 0.5)."]
    if "learned" in qmc and "halton" in qmc:
        lines.append(f"Learned {qmc['learned']:.3e} vs its Halton start {qmc['halton']:.3e} "
                     f"(ratio {qmc['learned'] / qmc['halton']:.2f}, target < 1).")
    return " ".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and seeds")
    parser.add_argument("--loaded", action="store_true",
                        help="only the transform-speed table, timed quiet and again with two "
                             "busy-loop processes running, side by side")
    args = parser.parse_args()
    q = args.quick
    if args.loaded:
        shape = (5000 if q else 20000, 64, 4096, 3 if q else 5)
        quiet = speed(*shape)
        with loaded_timings():
            loaded = speed(*shape)
        rows = merge_loaded(quiet, loaded, ("dtype", "shape"), ("rnla_s", "speedup"),
                            "speedup", speedup=True)
        write_results("qmc_features_loaded" + ("_quick" if q else ""),
                      {"quick": q, "loaded": True}, rows,
                      ["dtype", "shape", "rnla_s", "rnla_s_loaded", "speedup", "speedup_loaded",
                       "loaded_vs_quiet", "time_loaded_vs_quiet"],
                      notes=LOADED_NOTES + "Command: `python -m bench.qmc_features --loaded`.")
        return
    sizes = [2**k for k in range(5, 11 if q else 13)]
    seeds = list(range(3 if q else 5))
    learned_max = 512 if q else 1024
    gram = gram_errors(sizes, seeds, learned_max)
    krr = kernel_ridge_errors(sizes, seeds, learned_max)
    fast = speed(5000 if q else 20000, 64, 4096, 3 if q else 5)
    if not q:
        plot(gram, krr)
    write_results(
        "qmc_features" + ("_quick" if q else ""),
        {"quick": q, "sizes": sizes, "seeds": seeds, "learned_max": learned_max},
        gram, ["sequence", "n_features", "gram_error_2", "gram_error_F", "box_discrepancy2",
               "fit_s"], notes=summary(gram),
        tables=[("kernel ridge on diabetes (median over seeds)", krr,
                 ["sequence", "n_features", "alpha", "test_error", "to_exact"]),
                ("transform speed against RBFSampler", fast,
                 ["dtype", "shape", "rnla_s", "rbfsampler_s", "speedup",
                  "max_abs_diff_vs_numpy"])])


if __name__ == "__main__":
    main()
