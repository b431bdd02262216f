"""Quality of Gaussian-kernel feature maps: every frequency sampler on real and synthetic data.

    python -m bench.features_quality [--quick]

Data: scikit-learn's bundled digits (first 1000 rows), breast_cancer and diabetes, and
Gaussian data with d = 10, 50, 100 (1000 rows), each standardised; the kernel is
exp(-gamma ||x - y||^2) with gamma = 1/(d Var X) = 1/d (scikit-learn's "scale"), i.e.
bandwidth sigma = sqrt(d/2).  For 256, 1024 and 4096 output features, the relative
Gram error ||K - Z Z^T|| / ||K|| in the spectral and Frobenius norms, median and
interquartile range over 10 seeds, for: scikit-learn's RBFSampler (Monte Carlo with
a random phase), rnla's Monte Carlo, ORF, SORF, Halton, Sobol' (unscrambled and
scrambled), lattice, digital net, the learned set (sizes up to 1024), and two
combinations: ORF with radii from a scrambled one-dimensional Sobol' sequence
("orf_qmc", rnla's default for the Gaussian kernel), and scrambled Sobol' frequencies
orthogonalised per block of d, keeping their norms ("sobol_orth", measured here only:
it is biased in low dimension).  Transform time of all rows (median of 5) for each.

Also the transform time of SORF against ORF for d = 64 to 1024 (10000 rows, 4096
features), and the dimension where scrambled Sobol' stops beating orf_qmc (the switch of
``sequence="auto"``).  Writes bench/results/features_quality[_quick].{json,md},
features_sorf_speed[_quick].{json,md}, features_crossover[_quick].{json,md} and, in full
mode, the figure docs/figures/features_quality.png.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.linalg
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.kernel_approximation import RBFSampler

from bench._common import median_time, write_results
from rnla.features import FourierFeatureMap, kernel_matrix, qmc_points, spectral_frequencies

FIGURE = Path(__file__).resolve().parent.parent / "docs" / "figures" / "features_quality.png"
METHODS = ["rbf_sampler", "mc", "orf", "sorf", "halton", "sobol_plain", "sobol", "lattice",
           "digital_net", "learned", "orf_qmc", "sobol_orth"]


def datasets(quick: bool) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    data = {"digits": load_digits().data[:1000], "breast_cancer": load_breast_cancer().data,
            "diabetes": load_diabetes().data}
    for d in (10, 50, 100):
        data[f"gaussian_d{d}"] = rng.standard_normal((1000, d))
    if quick:
        data = {k: v[:300] for k, v in data.items() if k in ("digits", "diabetes",
                                                              "gaussian_d50")}
    out = {}
    for name, X in data.items():
        X = X[:, X.std(axis=0) > 0]
        out[name] = (X - X.mean(axis=0)) / X.std(axis=0)
    return out


def _sobol_orth(s: int, d: int, sigma: float, rng) -> np.ndarray:
    """Scrambled Sobol' Gaussian frequencies, directions orthogonalised per block."""
    W = spectral_frequencies(qmc_points(s, d, "sobol", True, rng), d, "gaussian", sigma)
    out = np.empty_like(W)
    for b in range(0, s, d):  # orthogonalise each block's directions, keep the radii
        block = W[b:b + d]
        Q, R = np.linalg.qr(block.T)
        directions = (Q * np.sign(np.diag(R))).T
        out[b:b + d] = directions * np.linalg.norm(block, axis=1)[:, None]
    return out


def feature_map(method: str, m: int, X: np.ndarray, sigma: float, seed: int):
    """A fitted map with ``transform``: m output features."""
    if method == "rbf_sampler":
        return RBFSampler(gamma=1 / (2 * sigma**2), n_components=m, random_state=seed).fit(X)
    if method == "sobol_orth":
        fmap = FourierFeatureMap(m, bandwidth=sigma, sequence="mc", rng=seed).fit(X)
        fmap.frequencies_ = _sobol_orth(m // 2, X.shape[1], sigma, np.random.default_rng(seed))
        return fmap
    sequence, scramble = ("sobol", False) if method == "sobol_plain" else (method, True)
    with warnings.catch_warnings():  # the learned set warns when it keeps its start
        warnings.simplefilter("ignore", UserWarning)
        return FourierFeatureMap(m, bandwidth=sigma, sequence=sequence, scramble=scramble,
                                 rng=seed).fit(X)


def errors(Z: np.ndarray, K: np.ndarray, normK2: float, normKF: float) -> tuple[float, float]:
    E = Z @ Z.T - K
    spectral = np.abs(scipy.linalg.eigvalsh(E, subset_by_index=[0, 0])[0])
    spectral = max(spectral, scipy.linalg.eigvalsh(E, subset_by_index=[E.shape[0] - 1] * 2)[0])
    return float(spectral / normK2), float(np.linalg.norm(E) / normKF)


def run(quick: bool) -> list[dict]:
    sizes = (256, 1024) if quick else (256, 1024, 4096)
    seeds = range(3 if quick else 10)
    rows = []
    for name, X in datasets(quick).items():
        d = X.shape[1]
        sigma = np.sqrt(d / 2)  # gamma = 1 / (d Var X) with Var X = 1
        K = kernel_matrix(X, bandwidth=sigma)
        normK2, normKF = np.linalg.norm(K, 2), np.linalg.norm(K)
        for m in sizes:
            for method in METHODS:
                if method == "learned" and m > 1024:
                    continue
                spec, frob, t_fit = [], [], []
                learned_seeds = list(seeds)[:3] if method == "learned" else seeds
                for seed in learned_seeds:
                    t0 = time.perf_counter()
                    fmap = feature_map(method, m, X, sigma, seed)
                    t_fit.append(time.perf_counter() - t0)
                    e2, eF = errors(fmap.transform(X), K, normK2, normKF)
                    spec.append(e2)
                    frob.append(eF)
                t_transform = median_time(lambda f=fmap, X=X: f.transform(X), 5)["median_s"]
                q = np.percentile(spec, [25, 50, 75])
                rows.append({"dataset": name, "n": X.shape[0], "d": d, "features": m,
                             "method": method, "spectral": float(q[1]),
                             "spectral_iqr": f"{q[0]:.3g}-{q[2]:.3g}",
                             "frobenius": float(np.median(frob)),
                             "transform_ms": 1e3 * t_transform,
                             "fit_ms": 1e3 * float(np.median(t_fit)),
                             "seeds": len(spec)})
            print(f"done {name} m={m}", flush=True)
    for row in rows:
        orf = next(r for r in rows if r["dataset"] == row["dataset"]
                   and r["features"] == row["features"] and r["method"] == "orf")
        row["vs_orf"] = orf["spectral"] / row["spectral"]
        row["time_vs_orf"] = row["transform_ms"] / orf["transform_ms"]
    return rows


def plot(rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r["dataset"] for r in rows))
    colors = plt.get_cmap("tab20").colors
    fig, axes = plt.subplots(2, (len(names) + 1) // 2, figsize=(16, 8), squeeze=False)
    for ax, name in zip(axes.ravel(), names, strict=False):
        for i, method in enumerate(METHODS):
            pts = [(r["features"], r["spectral"]) for r in rows
                   if r["dataset"] == name and r["method"] == method]
            if pts:
                x, y = zip(*pts, strict=True)
                bold = method in ("orf_qmc", "rbf_sampler", "orf")
                ax.loglog(x, y, marker="o", label=method, color=colors[i % len(colors)],
                          linewidth=2.5 if bold else 1.0, linestyle="-" if i < 10 else "--")
        sizes = sorted({r["features"] for r in rows})
        ax.set_xticks(sizes, [str(m) for m in sizes])
        ax.minorticks_off()
        ax.set_title(name)
        ax.set_xlabel("output features")
        ax.set_ylabel("relative Gram error (spectral)")
    axes.ravel()[0].legend(fontsize=7)
    fig.tight_layout()
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=80)


def sorf_speed(quick: bool) -> list[dict]:
    """Transform time of SORF (three FWHTs per block) against ORF's dense product."""
    rows = []
    n, m = (2000, 1024) if quick else (10000, 4096)
    for d in (64, 256, 512, 1024):
        X = np.random.default_rng(d).standard_normal((n, d)) / np.sqrt(d)
        times = {}
        for method in ("orf", "sorf"):
            fmap = FourierFeatureMap(m, bandwidth=1.0, sequence=method, rng=0).fit(X)
            times[method] = median_time(lambda fmap=fmap, X=X: fmap.transform(X), 5)["median_s"]
        rows.append({"d": d, "n": n, "features": m, "orf_s": times["orf"],
                     "sorf_s": times["sorf"], "sorf_vs_orf": times["sorf"] / times["orf"]})
    return rows


def crossover(quick: bool) -> list[dict]:
    """Scrambled Sobol' against orf_qmc on standardised Gaussian data by dimension: where
    ``sequence="auto"`` switches (``rnla.features.default_sequence``)."""
    rows = []
    rng = np.random.default_rng(14)
    for d in (2, 4, 8, 12, 16, 24):
        X = rng.standard_normal((300 if quick else 600, d))
        sigma = np.sqrt(d / 2)
        K = kernel_matrix(X, bandwidth=sigma)
        normK2, normKF = np.linalg.norm(K, 2), np.linalg.norm(K)
        for m in (512, 2048):
            med = {}
            for method in ("sobol", "orf_qmc"):
                med[method] = float(np.median([
                    errors(feature_map(method, m, X, sigma, seed).transform(X), K, normK2,
                           normKF)[0] for seed in range(3 if quick else 5)]))
            rows.append({"d": d, "features": m, "sobol": med["sobol"],
                         "orf_qmc": med["orf_qmc"], "sobol_vs_orf_qmc": med["sobol"] /
                         med["orf_qmc"]})
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 data sets, 2 sizes, 3 seeds")
    parser.add_argument("--only", choices=("sorf_speed", "crossover"), default=None,
                        help="run one section only")
    args = parser.parse_args(argv)
    if args.only in (None, "crossover"):
        write_results(
            "features_crossover" + ("_quick" if args.quick else ""), {"quick": args.quick},
            crossover(args.quick), ["d", "features", "sobol", "orf_qmc", "sobol_vs_orf_qmc"],
            notes="Spectral Gram error (median of 5 seeds) of scrambled Sobol' and orf_qmc "
                  "on standardised Gaussian data, gamma = 1/d; below 1 Sobol' is better. "
                  "Command: `python -m bench.features_quality --only crossover`.")
        if args.only == "crossover":
            return
    if args.only not in (None, "sorf_speed"):
        return
    speed = sorf_speed(args.quick)
    write_results(
        "features_sorf_speed" + ("_quick" if args.quick else ""), {"quick": args.quick},
        speed, ["d", "n", "features", "orf_s", "sorf_s", "sorf_vs_orf"],
        notes="Transform time (median of 5, seconds) of SORF, three fast Walsh-Hadamard "
              "transforms per block of d' frequencies, against ORF's dense product X W^T. "
              "Command: `python -m bench.features_quality --only sorf_speed`.")
    if args.only == "sorf_speed":
        return
    rows = run(args.quick)
    write_results(
        "features_quality" + ("_quick" if args.quick else ""), {"quick": args.quick}, rows,
        ["dataset", "features", "method", "spectral", "spectral_iqr", "frobenius", "vs_orf",
         "transform_ms", "time_vs_orf"],
        notes="Relative Gram error of Gaussian-kernel features (median over seeds; the "
              "learned set over 3), vs_orf = ORF's spectral error / this one (above 1: "
              "better than ORF), transform time of all rows (median of 5). "
              "Command: `python -m bench.features_quality`.")
    if not args.quick:
        plot(rows)


if __name__ == "__main__":
    main()
