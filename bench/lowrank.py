"""Randomized low-rank approximation: rnla.lowrank against numpy, scikit-learn, scipy, torch.

    python -m bench.lowrank [--quick] [--loaded]

Matrices (k = 50 unless said): dense 20000 x 2000 A = U diag(s) V^T with Haar U, V and
s_i = i^-1 ("poly"), exp(-i/10) ("exp"), or 1/sqrt(i) with a drop of 1000 after i = k
("gap"); the same three in float32; a sparse 200000 x 20000 matrix with 2 x 10^6
nonzeros whose row and column degrees follow a power law (Zipf exponent 1.5, k = 100);
the grayscale Grace Hopper photograph shipped with matplotlib (600 x 512, real dense);
a TF-IDF term-document matrix of the Python source files of numpy, scipy and
scikit-learn as installed (real sparse: files x words).  ``--quick`` shrinks the
synthetic matrices to 4000 x 1000 and 40000 x 5000 (4 x 10^5 nonzeros).

Methods, in the same run: numpy's full SVD (the exact reference, dense only),
scikit-learn's ``randomized_svd`` at its default n_iter and at 2 and 4, scipy's
``svds`` (ARPACK and PROPACK, tol 1e-3 for the sparse speed target, default tol for the
reference values), torch's ``svd_lowrank`` (when torch is installed; niter 2 and 4), and
rnla: the default (``svd(A, k)``: block Krylov, depth 3, with the error bound), block
Krylov at depth 1, 2 and 7, and subspace iteration at scikit-learn's default steps.

Metrics: spectral error / sigma_{k+1} (the residual's norm by ARPACK), Frobenius error /
optimal tail, the worst relative error of the top k singular values, passes over A,
median time (3 runs after a warm-up; one for a case slower than 5 s), peak memory beyond
A (tracemalloc), and for rnla the error bound / true error. A "tol" section runs
``svd(A, tol=...)`` with 50 seeds per matrix (200 without --quick): the share of runs
with a true error above tol * ||A||_2, and the chosen rank against the smallest rank
that meets tol (on the 4000 x 1000 matrices in both modes). ``--only dask``: a 2^21 x
256 array (2^19 with --quick; 4 GiB, the most this 23 GiB machine holds with U and the
sketches) generated chunk by chunk as G diag(1/i) V^T, nothing persisted, rnla's ``svd``
and ``single_pass_svd`` against dask's ``svd_compressed`` (the accuracy of the right
subspace, from the exact SVD by TSQR); writes bench/results/lowrank_dask[_quick].

Writes bench/results/lowrank[_quick].{json,md} and, in full mode, the figure
docs/figures/lowrank.png (error against time, one panel per matrix).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from sklearn.utils.extmath import randomized_svd

from bench._common import loaded_timings, median_time, peak_memory, write_results
from rnla.lowrank import svd

FIGURE = Path(__file__).resolve().parent.parent / "docs" / "figures" / "lowrank.png"


def synthetic(m: int, n: int, kind: str, k: int, dtype, rng) -> tuple[np.ndarray, np.ndarray]:
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    i = np.arange(1, n + 1, dtype=float)
    s = {"poly": 1.0 / i, "exp": np.exp(-i / 10),
         "gap": np.where(i <= k, 1.0, 1e-3) / np.sqrt(i)}[kind]
    return ((U * s) @ V.T).astype(dtype), s


def power_law_sparse(m: int, n: int, nnz: int, rng) -> sp.csr_array:
    """nnz distinct Gaussian entries, row i drawn with probability proportional to
    (i + 1)^-0.8 and column j to (j + 1)^-0.8 (power-law degrees), rows and columns
    shuffled."""
    def weights(size):
        w = np.arange(1, size + 1, dtype=float) ** -0.8
        return w / w.sum()

    p_rows, p_cols = weights(m), weights(n)
    keys = np.empty(0, dtype=np.int64)
    while keys.size < nnz:
        draw = 2 * (nnz - keys.size)
        fresh = rng.choice(m, draw, p=p_rows).astype(np.int64) * n + rng.choice(n, draw,
                                                                                 p=p_cols)
        keys = np.unique(np.concatenate([keys, fresh]))
    keys = rng.permutation(keys)[:nnz]
    rows, cols = rng.permutation(m)[keys // n], rng.permutation(n)[keys % n]
    return sp.csr_array((rng.standard_normal(nnz), (rows, cols)), shape=(m, n))


def photograph() -> np.ndarray:
    import matplotlib.cbook as cbook
    import matplotlib.image as mimage

    with cbook.get_sample_data("grace_hopper.jpg") as f:
        image = mimage.imread(f).astype(np.float64)
    return image @ np.array([0.299, 0.587, 0.114]) / 255.0


def source_text() -> sp.csr_array:
    from sklearn.feature_extraction.text import TfidfVectorizer

    documents = []
    for package in ("numpy", "scipy", "sklearn"):
        root = Path(importlib.util.find_spec(package).origin).parent
        documents += [p.read_text(errors="ignore") for p in sorted(root.rglob("*.py"))]
    vectorizer = TfidfVectorizer(min_df=2, token_pattern=r"[A-Za-z_]{3,}", dtype=np.float64)
    return sp.csr_array(vectorizer.fit_transform(documents))


def _residual_operator(A, U, s, Vt):
    A64 = A.astype(np.float64) if not sp.issparse(A) else A.astype(np.float64)
    U, s, Vt = (np.asarray(x, dtype=np.float64) for x in (U, s, Vt))
    return spla.LinearOperator(
        A.shape, dtype=np.float64,
        matvec=lambda x: A64 @ x.ravel() - U @ (s * (Vt @ x.ravel())),
        rmatvec=lambda y: A64.T @ y.ravel() - Vt.T @ (s * (U.T @ y.ravel())))


def spectral_error(A, U, s, Vt) -> float:
    E = _residual_operator(A, U, s, Vt)
    return float(spla.svds(E, 1, tol=1e-6, return_singular_vectors=False,
                           random_state=0)[0])


def frobenius_error(A, U, s, Vt, norm_f2: float) -> float:
    U, s, Vt = (np.asarray(x, dtype=np.float64) for x in (U, s, Vt))
    AV = A.astype(np.float64) @ Vt.T
    return float(np.sqrt(max(norm_f2 - 2 * np.sum(s * np.sum(U * AV, axis=0)) + s @ s, 0.0)))


def reference(A, k: int, known: np.ndarray | None):
    """Exact top k+1 singular values and ||A||_F^2."""
    norm_f2 = float(sp.linalg.norm(A) ** 2 if sp.issparse(A)
                    else np.linalg.norm(A.astype(np.float64)) ** 2)
    if known is not None:
        return known[:k + 1], norm_f2
    s = spla.svds(A.astype(np.float64), k + 1, return_singular_vectors=False,
                  random_state=0)
    return np.sort(s)[::-1], norm_f2


def methods(A, k: int, dense: bool, sparse_target: bool, torch):
    """(name, family, passes or None, callable returning U, s, Vt)."""
    default_iter = 7 if k < 0.1 * min(A.shape) else 4
    out = []
    if dense:
        out.append(("numpy full svd", "exact", None,
                    lambda: _truncate(np.linalg.svd(A, full_matrices=False), k)))
    for n_iter, label in ((default_iter, "default"), (2, "2"), (4, "4")):
        if label == "4" and default_iter == 4:
            continue
        out.append((f"sklearn n_iter={label}", "sklearn", 2 * n_iter + 2,
                    lambda n_iter=n_iter: randomized_svd(A, k, n_iter=n_iter,
                                                         random_state=0)))
    for solver in ("arpack", "propack"):
        tol = 1e-3 if sparse_target else 0
        out.append((f"svds {solver} tol={tol:g}", "svds", None,
                    lambda solver=solver, tol=tol: _svds(A, k, solver, tol)))
    if torch is not None and dense:
        for niter in (2, 4):
            out.append((f"torch svd_lowrank niter={niter}", "torch", 2 * niter + 2,
                        lambda niter=niter: _torch(torch, A, k, niter)))
    out.append(("rnla default", "rnla default", None, lambda: svd(A, k, rng=0)))
    for depth in (1, 2, 7):
        out.append((f"rnla krylov q={depth}", "rnla krylov", 2 * depth + 2,
                    lambda depth=depth: svd(A, k, method="krylov", maxiter=depth,
                                            estimate_error=False, rng=0)))
    out.append((f"rnla subspace q={default_iter}", "rnla subspace", 2 * default_iter + 2,
                lambda: svd(A, k, method="subspace", estimate_error=False, rng=0)))
    return out


def _truncate(usv, k):
    U, s, Vt = usv
    return U[:, :k], s[:k], Vt[:k]


def _svds(A, k, solver, tol):
    U, s, Vt = spla.svds(A, k, tol=tol, solver=solver, random_state=0)
    order = np.argsort(s)[::-1]
    return U[:, order], s[order], Vt[order]


def _torch(torch, A, k, niter):
    U, s, V = torch.svd_lowrank(torch.from_numpy(A), q=k + 10, niter=niter)
    return U[:, :k].numpy(), s[:k].numpy(), V[:, :k].T.numpy()


def _unpack(result):
    if isinstance(result, tuple):
        return result, None
    return (result.U, result.s, result.Vt), result


def run_matrix(name: str, A, k: int, known, repeats: int, torch) -> list[dict]:
    dense = not sp.issparse(A)
    sigma, norm_f2 = reference(A, k, known)
    tail = np.sqrt(max(norm_f2 - float(np.sum(sigma[:k] ** 2)), 0.0)) if known is None \
        else float(np.sqrt(np.sum(known[k:] ** 2)))
    rows = []
    sparse_target = name.startswith("sparse")
    for label, family, passes, fn in methods(A, k, dense, sparse_target, torch):
        # a warm-up run; a case slower than 5 s (the exact reference, block Krylov at
        # depth 7 on the large sparse matrix) is then timed once
        start = time.perf_counter()
        fn()
        slow = time.perf_counter() - start > 5.0
        timing = median_time(fn, repeats=1 if slow else repeats, warmup=0)
        (U, s, Vt), res = _unpack(fn())
        memory = peak_memory(fn)
        spectral = spectral_error(A, U, s, Vt)
        row = {"matrix": name, "method": label, "family": family,
               "passes": res.n_passes if res is not None else passes,
               "spectral_vs_opt": spectral / sigma[k],
               "frobenius_vs_opt": frobenius_error(A, U, s, Vt, norm_f2) / tail,
               "sv_rel_err": float(np.max(np.abs(np.asarray(s, dtype=np.float64) - sigma[:k])
                                          / sigma[:k])),
               "time_s": timing["median_s"], "peak_mb": memory / 2**20,
               "bound_vs_true": (res.error_estimate / spectral if res is not None
                                 and np.isfinite(res.error_estimate) else "")}
        rows.append(row)
        print(f"  {name:12s} {label:28s} err/opt={row['spectral_vs_opt']:.4f} "
              f"sv={row['sv_rel_err']:.1e} t={row['time_s']:.3f}s", flush=True)
    return rows


def targets(rows: list[dict]) -> list[dict]:
    """Per matrix: rnla's default against scikit-learn's default (accuracy and time), and
    rnla's block Krylov at scikit-learn's default passes against it."""
    out = []
    for name in dict.fromkeys(r["matrix"] for r in rows):
        mine = {r["method"]: r for r in rows if r["matrix"] == name}
        sk = next((r for m, r in mine.items() if m == "sklearn n_iter=default"), None)
        ours = mine.get("rnla default")
        if sk is None or ours is None:
            continue
        equal = mine.get("rnla krylov q=7") if sk["passes"] == 16 else None
        row = {"matrix": name, "sklearn_err": sk["spectral_vs_opt"],
               "rnla_err": ours["spectral_vs_opt"],
               "err_ratio": ours["spectral_vs_opt"] / sk["spectral_vs_opt"],
               "speedup": sk["time_s"] / ours["time_s"],
               "equal_pass_err_ratio": (equal["spectral_vs_opt"] / sk["spectral_vs_opt"]
                                        if equal else "")}
        svds = [r for m, r in mine.items() if m.startswith("svds")]
        if name.startswith("sparse") and svds:
            fastest = min(svds, key=lambda r: r["time_s"])
            row["svds_speedup"] = fastest["time_s"] / ours["time_s"]
            row["rnla_sv_rel_err"] = ours["sv_rel_err"]
            row["svds_sv_rel_err"] = fastest["sv_rel_err"]
        out.append(row)
    return out


def tol_section(cases: dict, seeds: int) -> list[dict]:
    out = []
    for name, (A, s0, k) in cases.items():
        tol = float(s0[k] / s0[0]) * (2.0 if name.startswith("gap") else 1.0001)
        best = int(np.count_nonzero(s0 / s0[0] > tol)) if not name.startswith("gap") \
            else k
        misses, ranks = 0, []
        for seed in range(seeds):
            res = svd(A, tol=tol, rng=seed)
            err = spectral_error(A, res.U, res.s, res.Vt)
            misses += err > tol * s0[0]
            ranks.append(res.s.shape[0])
        out.append({"matrix": name, "tol": tol, "seeds": seeds, "miss_rate": misses / seeds,
                    "smallest_rank": best, "median_rank": float(np.median(ranks)),
                    "max_rank_vs_smallest": max(ranks) / best})
        print(f"  tol {name}: misses {misses}/{seeds}, ranks {min(ranks)}..{max(ranks)} "
              f"(smallest {best})", flush=True)
    return out


def dask_section(m: int, n: int, k: int, chunk_rows: int, repeats: int) -> list[dict]:
    """A Dask array generated chunk by chunk (nothing persisted): single_pass_svd against
    dask's svd_compressed; accuracy from the exact SVD by TSQR."""
    import dask
    import dask.array as da

    from rnla.lowrank import single_pass_svd

    rng = np.random.default_rng(1)
    Vt, _ = np.linalg.qr(rng.standard_normal((n, n)))
    mix = (1.0 / np.arange(1, n + 1))[:, None] * Vt.T  # diag(s) V^T: A = G diag(s) V^T
    A = da.random.default_rng(0).standard_normal((m, n), chunks=(chunk_rows, n))
    A = A.map_blocks(lambda block: block @ mix, dtype=np.float64)
    _, exact_lazy, Ve_lazy = da.linalg.svd(A)
    exact, Ve = dask.compute(exact_lazy, Ve_lazy)  # not U: m x n
    S_Vt = exact[:, None] * Ve

    def projection_error(V):  # ||A (I - V V^T)||_2 from the exact thin SVD
        return float(np.linalg.norm(S_Vt - (S_Vt @ V) @ V.T, 2)) / exact[k]

    rows = []
    cases = [("rnla single_pass_svd", 1, lambda: single_pass_svd(A, k, rng=0))]
    cases += [(f"rnla svd (normal) q={q}", q + 2,
               lambda q=q: svd(A, k, maxiter=q, estimate_error=False, rng=0))
              for q in (1, 2, 4)]
    cases += [(f"dask svd_compressed n_power_iter={q}", 2 * q + 2,
               lambda q=q: da.linalg.svd_compressed(A, k, n_power_iter=q, seed=0,
                                                    compute=True))
              for q in (0, 1, 2)]
    for label, passes, fn in cases:
        def run(fn=fn):
            out = fn()
            if isinstance(out, tuple):
                _, s, V = dask.compute(out[0][:0], out[1], out[2])
                return s, V.T
            return out.s, out.Vt.T

        timing = median_time(run, repeats=repeats, warmup=0)
        s, V = run()
        rows.append({"matrix": f"dask {m}x{n}", "method": label, "passes": passes,
                     "spectral_vs_opt": projection_error(V),
                     "sv_rel_err": float(np.max(np.abs(s - exact[:k]) / exact[:k])),
                     "time_s": timing["median_s"]})
        print(f"  dask {label:36s} err/opt={rows[-1]['spectral_vs_opt']:.3f} "
              f"t={rows[-1]['time_s']:.2f}s", flush=True)
    return rows


def plot(rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r["matrix"] for r in rows))
    cols = 3
    fig, axes = plt.subplots(-(-len(names) // cols), cols, figsize=(13, 3.4 * -(-len(names)
                                                                                  // cols)))
    for ax, name in zip(axes.ravel(), names, strict=False):
        mine = [r for r in rows if r["matrix"] == name]
        for family in dict.fromkeys(r["family"] for r in mine):
            pts = sorted((r["time_s"], r["spectral_vs_opt"]) for r in mine
                         if r["family"] == family)
            ax.plot(*zip(*pts, strict=True), "o-", label=family)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(name)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("spectral error / sigma_{k+1}")
    axes.ravel()[0].legend(fontsize=7)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    fig.tight_layout()
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=72)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller matrices, 50 seeds")
    parser.add_argument("--loaded", action="store_true", help="time with busy cores")
    parser.add_argument("--only", choices=("dask",), default=None,
                        help="run the Dask section only (bench/results/lowrank_dask*)")
    args = parser.parse_args(argv)
    if args.only == "dask":
        size = 2**19 if args.quick else 2**21
        rows = dask_section(size, 256, 50, 2**16, 1 if args.quick else 3)
        write_results("lowrank_dask" + ("_quick" if args.quick else ""),
                      {"quick": args.quick, "shape": [size, 256], "k": 50}, rows,
                      ["matrix", "method", "passes", "spectral_vs_opt", "sv_rel_err",
                       "time_s"],
                      notes="A Dask array generated chunk by chunk as G diag(1/i) V^T "
                            "(2^16-row chunks, nothing persisted); spectral_vs_opt = "
                            "||A (I - V V^T)||_2 / sigma_{k+1} from the exact SVD by TSQR; "
                            "passes = reads of A (U lazily: one more when computed). "
                            "Command: `python -m bench.lowrank --only dask`.")
        return
    warnings.simplefilter("ignore")
    torch = None
    if importlib.util.find_spec("torch") is not None:
        import torch
    rng = np.random.default_rng(0)
    m, n = (4000, 1000) if args.quick else (20000, 2000)
    k = 50
    cases, tol_cases = {}, {}
    for kind in ("poly", "exp", "gap"):
        A, s0 = synthetic(m, n, kind, k, np.float64, rng)
        cases[kind] = (A, k, s0)
        cases[f"{kind} f32"] = (A.astype(np.float32), k, s0)
        # the tolerance section runs 50 or 200 seeds per matrix: at the quick size
        tol_cases[kind] = (A, s0, k) if args.quick else \
            synthetic(4000, 1000, kind, k, np.float64, rng) + (k,)
    sm, sn, nnz = (40000, 5000, 400_000) if args.quick else (200_000, 20_000, 2_000_000)
    cases["sparse power-law"] = (power_law_sparse(sm, sn, nnz, rng), 100, None)
    cases["photo (dense)"] = (photograph(), k, None)
    cases["source text (sparse)"] = (source_text(), k, None)
    repeats = 1 if args.quick else 3
    rows = []
    context = loaded_timings() if args.loaded else contextlib.nullcontext()
    with context:
        for name, (A, kk, s0) in cases.items():
            print(f"{name}: {A.shape}, {A.dtype}", flush=True)
            rows += run_matrix(name, A, kk, s0, repeats, torch)
    summary = targets(rows)
    tol_rows = tol_section(tol_cases, 50 if args.quick else 200)
    suffix = ("_quick" if args.quick else "") + ("_loaded" if args.loaded else "")
    shapes = {name: f"{A.shape[0]}x{A.shape[1]} {A.dtype}"
              + (f" nnz={A.nnz}" if sp.issparse(A) else "") for name, (A, _, _) in cases.items()}
    write_results(
        "lowrank" + suffix, {"quick": args.quick, "loaded": args.loaded, "k": k,
                             "shapes": shapes, "torch": torch is not None},
        summary, ["matrix", "sklearn_err", "rnla_err", "err_ratio", "speedup",
                  "equal_pass_err_ratio", "svds_speedup", "rnla_sv_rel_err",
                  "svds_sv_rel_err"],
        notes="Targets. err = spectral error / sigma_{k+1}; err_ratio = rnla default / "
              "scikit-learn default (target <= 1.02); speedup = scikit-learn default time / "
              "rnla default time (target >= 2 on poly, photo, text; >= 1 everywhere); "
              "equal_pass_err_ratio: rnla block Krylov at scikit-learn's default 16 passes; "
              "svds_speedup: fastest svds (tol 1e-3) / rnla default, sparse (target >= 5). "
              f"Shapes: {shapes}. Command: `python -m bench.lowrank"
              + (" --quick" if args.quick else "") + "`.",
        tables=[("All methods", rows, ["matrix", "method", "passes", "spectral_vs_opt",
                                       "frobenius_vs_opt", "sv_rel_err", "time_s", "peak_mb",
                                       "bound_vs_true"]),
                ("Rank for a tolerance", tol_rows,
                 ["matrix", "tol", "seeds", "miss_rate", "smallest_rank", "median_rank",
                  "max_rank_vs_smallest"])])
    if not args.quick:
        plot(rows)


if __name__ == "__main__":
    main()
