"""Command line of rnla (installed as the rnla command; python -m rnla is the same).

  rnla demo                                   every sketch, MC against QMC features
  rnla bench efficiency [--quick | --full]    the statistical-efficiency suite
  rnla lp packing|covering MATRIX.mtx         a positive LP from a Matrix Market file
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import rnla
from rnla import features


def subspace_distortion(S, U: np.ndarray) -> tuple[float, float, float]:
    r"""Singular values extremes of S U for orthonormal U, and the distortion
    :math:`\epsilon = \max(1 - \sigma_{min}, \sigma_{max} - 1)`."""
    SU = S @ U
    SU = SU.toarray() if hasattr(SU, "toarray") else SU
    sv = np.linalg.svd(SU, compute_uv=False)
    return float(sv[-1]), float(sv[0]), float(max(1 - sv[-1], sv[0] - 1))


def demo(n: int, d: int, seed: int) -> None:
    """Sketch a coherent n x d matrix with every operator; print each distortion."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, d))
    A[:d] *= 1e3  # a few rows with high leverage: uniform sampling will struggle
    U = np.linalg.qr(A)[0]
    h = rnla.leverage_scores(A)
    print(f"A: {n} x {d}, coherence (n/d) max h_i = {n / d * h.max():.1f}")
    print(f"{'sketch':<28}{'k':>6}{'time [ms]':>11}{'sigma_min':>11}{'sigma_max':>11}{'eps':>8}")
    operators = [
        ("gaussian", {}),
        ("srht", {}),
        ("countsketch", {}),
        ("sparse_sign", {"s": 8}),
        ("uniform", {}),
        ("leverage", {"probabilities": h / h.sum()}),
    ]
    for kind, options in operators:
        rnla.make_sketch(kind, 4 * d, n, rng=seed, **options) @ A  # compile once, untimed
        for k in (4 * d, 16 * d):
            t0 = time.perf_counter()
            S = rnla.make_sketch(kind, k, n, rng=seed, **options)
            S @ A
            elapsed = 1e3 * (time.perf_counter() - t0)
            lo, hi, eps = subspace_distortion(S, U)
            label = kind + (f" (s={options['s']})" if "s" in options else "")
            print(f"{label:<28}{k:>6}{elapsed:>11.1f}{lo:>11.3f}{hi:>11.3f}{eps:>8.3f}")
    approx = rnla.leverage_scores(A, method="approx", rng=seed)
    print(f"approximate leverage scores: max relative error "
          f"{np.max(np.abs(approx - h) / h):.3f} (target 0.25)")
    demo_features(seed)


def demo_features(seed: int) -> None:
    """Gram error and box discrepancy of MC and QMC Fourier features on one data set."""
    X = np.random.default_rng(seed).random((500, 4))
    sigma = features.median_bandwidth(X)
    K = features.kernel_matrix(X, bandwidth=sigma)
    box = features.data_box(X)
    print(f"\nGaussian-kernel features of a 500 x 4 matrix (bandwidth {sigma:.2f}), "
          f"512 output features")
    print(f"{'sequence':<14}{'Gram error':>12}{'box discrepancy^2':>20}")
    for sequence in ("mc", "halton", "sobol", "lattice", "digital_net", "learned", "orf",
                     "orf_qmc", "sorf"):
        fmap = features.FourierFeatureMap(512, "gaussian", sigma, sequence=sequence,
                                          rng=seed).fit(X)
        Z = fmap.transform(X)
        error = np.linalg.norm(Z @ Z.T - K, 2) / np.linalg.norm(K, 2)
        d2 = features.box_discrepancy_squared(fmap.frequencies_, box, sigma, normalized=True)
        print(f"{sequence:<14}{error:>12.2e}{d2:>20.2e}")


def bench_efficiency(args, parser) -> None:
    """Run the statistical-efficiency suite and write its report."""
    from dataclasses import replace
    from pathlib import Path

    from rnla.efficiency.suite import (
        FULL,
        QUICK,
        has_matplotlib,
        run_suite,
        slope_checks,
        write_report,
    )

    config = FULL if args.full else QUICK
    if args.draws is not None:
        if args.draws < 2:
            parser.error(f"--draws must be at least 2 (standard errors need replications); "
                         f"got {args.draws}")
        config = replace(config, n_draws=args.draws)
    figures = has_matplotlib()
    if not figures:
        print("matplotlib is not installed: the report will be written without figures "
              "(pip install 'rnla[bench]' to draw them)", file=sys.stderr)
    t0 = time.perf_counter()
    cells = run_suite(config)
    slopes = slope_checks(cells)
    md = write_report(cells, slopes, Path(args.out), config, time.perf_counter() - t0)
    print(md.read_text().split("## Prediction")[0])
    print(f"report: {md}")
    if figures:
        print(f"figures: {Path(args.out).resolve()}/efficiency_*.png")


def check_lp_file(A, parser) -> None:
    """Refuse a non-finite or negative entry, or an empty column, naming it as the
    Matrix Market file numbers it (from 1), before the solver sees the matrix."""
    import scipy.sparse as sp

    coo = sp.coo_array(A)
    for bad, what in ((~np.isfinite(coo.data), "is not finite"),
                      (coo.data < 0, "is negative (a positive LP needs A >= 0)")):
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            parser.error(f"entry ({coo.row[k] + 1}, {coo.col[k] + 1}) of the file, "
                         f"{coo.data[k]:g}, {what}")
    used = np.zeros(coo.shape[1], dtype=bool)
    used[coo.col[coo.data != 0]] = True
    if not used.all():
        j = int(np.flatnonzero(~used)[0]) + 1
        parser.error(f"column {j} of the file has no nonzero entry: the packing LP is "
                     f"unbounded in that column's variable and the covering LP infeasible")


def solve_lp(args, parser) -> None:
    """Solve the packing or covering LP of a Matrix Market file and print the certificate."""
    import numpy as np
    import scipy.io

    from rnla.lp import solve_covering, solve_packing

    try:
        A = scipy.io.mmread(args.matrix)
    except (OSError, ValueError) as err:
        parser.error(f"cannot read {args.matrix} as Matrix Market: {err}")
    check_lp_file(A, parser)
    if args.output:  # refuse an unwritable output before the solve, not after it
        import os
        from pathlib import Path

        folder = Path(args.output).expanduser().resolve().parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            parser.error(f"cannot write --output {args.output}: {folder} is not a writable "
                         "directory")
    solve = solve_packing if args.sense == "packing" else solve_covering
    last = [0.0]

    def progress(state) -> bool:
        if state.elapsed - last[0] >= 1.0:
            last[0] = state.elapsed
            print(f"\r  {state.elapsed:7.1f} s  iteration {state.n_iter:>9d}  certified gap "
                  f"{state.gap:.4f}", end="", file=sys.stderr, flush=True)
        return False

    try:
        res = solve(A, args.eps, method=args.method, rng=args.seed, callback=progress,
                    time_limit=args.time_limit)
    except (ValueError, TypeError) as err:
        parser.error(str(err))
    if last[0] > 0:
        print(file=sys.stderr)
    nnz = A.nnz if hasattr(A, "nnz") else A.size
    print(f"{args.sense} LP, A {A.shape[0]} x {A.shape[1]}, {nnz} nonzeros, method {res.method}\n"
          f"objective       {res.objective:.10g}\n"
          f"dual objective  {res.dual_objective:.10g}\n"
          f"certified gap   {res.gap:.3g} (eps {args.eps:g})\n"
          f"iterations      {res.n_iter} ({res.passes:.0f} passes over A)\n"
          f"time            {res.time:.2f} s\n"
          f"status          {res.status}: {res.message}")
    if args.output:
        np.savez(args.output, x=res.x, dual=res.dual, objective=res.objective,
                 dual_objective=res.dual_objective, gap=res.gap)
        print(f"solution written to {args.output}")


def main(argv: list[str] | None = None) -> int:
    from pathlib import Path

    invoked_as = Path(sys.argv[0]).name
    parser = argparse.ArgumentParser(
        prog="rnla" if invoked_as == "rnla" else "python -m rnla", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"rnla {rnla.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    defaults = argparse.ArgumentDefaultsHelpFormatter
    demo_help = "sketch a matrix with every operator, and compare MC and QMC Fourier features"
    p_demo = sub.add_parser(
        "demo", help=demo_help, formatter_class=defaults,
        description=demo_help + ": for a coherent n x d Gaussian matrix, the subspace "
        "distortion of each sketch at 4d and 16d rows, then the Gram error and box "
        "discrepancy of each Fourier-feature sequence on a 500 x 4 data set")
    p_demo.add_argument("--n", type=int, default=2**16, help="rows of the matrix")
    p_demo.add_argument("--d", type=int, default=50, help="columns of the matrix")
    p_demo.add_argument("--seed", type=int, default=0, help="seed of every random draw")
    p_bench = sub.add_parser("bench", help="benchmark suites",
                             description="benchmark suites (the others: python -m bench.NAME "
                             "in a source checkout)")
    bench_sub = p_bench.add_subparsers(dest="suite", required=True)
    eff_help = "statistical efficiency of sketched least squares (Raskutti-Mahoney)"
    p_eff = bench_sub.add_parser(
        "efficiency", help=eff_help, formatter_class=defaults,
        description=eff_help + ": the prediction and residual efficiency of every sketch "
        "and solver over a grid of designs, written as a report (docs/efficiency.md)")
    mode = p_eff.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="small grid, minutes (default)")
    mode.add_argument("--full", action="store_true", help="the paper-sized grid")
    p_eff.add_argument("--out", default="efficiency-report",
                       help="directory for efficiency.json, efficiency.md and the figures")
    p_eff.add_argument("--draws", type=int, default=None,
                       help="sketches per cell (default: the grid's, 500)")
    lp_help = "solve a packing or covering LP (Matrix Market input)"
    p_lp = sub.add_parser(
        "lp", help=lp_help, formatter_class=defaults,
        description=lp_help + " to a certified relative duality gap, and print the "
        "certificate (docs/lp.md)")
    p_lp.add_argument("sense", choices=("packing", "covering"),
                      help="packing: max 1'x, Ax <= 1; covering: min 1'y, A'y >= 1")
    p_lp.add_argument("matrix", help="the nonnegative matrix A, a Matrix Market .mtx file")
    p_lp.add_argument("--eps", type=float, default=0.01, help="certified relative gap")
    p_lp.add_argument("--method", choices=("pdhg", "dbscd", "coordinate"), default="pdhg",
                      help="restarted PDHG, or the coordinate-descent solvers (docs/lp.md)")
    p_lp.add_argument("--seed", type=int, default=0, help="seed of the randomized methods")
    p_lp.add_argument("--time-limit", type=float, default=None,
                      help="seconds (default: none)")
    p_lp.add_argument("-o", "--output", default=None, help="write x and the dual to this .npz")
    args = parser.parse_args(argv)
    if args.command == "lp":
        solve_lp(args, p_lp)
        return 0
    if args.command == "bench":
        bench_efficiency(args, p_eff)
        return 0
    if args.command == "demo":
        if args.n < 16 * args.d:
            p_demo.error(f"--n must be at least 16 * d = {16 * args.d}; got {args.n}")
        demo(args.n, args.d, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
