"""The statistical-efficiency benchmark: grid, checks against the theory table, report.

``run_suite(config)`` estimates C_WC, C_PE and C_RE on every cell of a grid
(n, p, design, sketch, r); ``check_cells`` compares each cell with the entries of
``rnla.efficiency.bounds`` that apply to it; ``write_report`` writes
``efficiency.json``, ``efficiency.md`` and one figure per design.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rnla._random import spawn
from rnla._validation import check_int, check_option
from rnla.efficiency.bounds import (
    bounds_for,
    gaussian_pe,
    gaussian_re,
    orthogonal_pe,
    orthogonal_re,
    with_replacement_pe,
    with_replacement_re,
)
from rnla.efficiency.criteria import SAMPLINGS, SKETCHES, estimate_efficiency
from rnla.efficiency.designs import DESIGNS, coherence, make_design

__all__ = ["SuiteConfig", "QUICK", "FULL", "TINY", "run_suite", "check_cells", "slope_checks",
           "write_report", "has_matplotlib"]

logger = logging.getLogger("rnla")

#: (sketch, replace) pairs of the suite
DEFAULT_SKETCHES = (
    ("gaussian", False), ("srht", False), ("countsketch", False), ("sparse_sign", False),
    ("uniform", False), ("uniform", True), ("leverage", True), ("leverage", False),
    ("leverage_approx", True), ("shrinkage", True),
)


@dataclass(frozen=True)
class SuiteConfig:
    """A grid: sizes, designs, sketches, number of r values and of draws per cell."""

    ns: tuple[int, ...]
    ps: tuple[int, ...]
    designs: tuple[str, ...] = ("GA", "T3", "T1", "coherent")
    sketches: tuple[tuple[str, bool], ...] = DEFAULT_SKETCHES
    r_points: int = 7
    n_draws: int = 200
    seed: int = 0
    name: str = "custom"

    def r_grid(self, n: int, p: int) -> list[int]:
        """r on a log grid from about 1.5 p (at least p + 3) up to n."""
        lo = max(p + 3, math.ceil(1.5 * p))
        grid = np.unique(np.round(np.geomspace(lo, n, self.r_points)).astype(int))
        return [int(r) for r in grid]


QUICK = SuiteConfig(ns=(1024,), ps=(20,), n_draws=500, name="quick")
FULL = SuiteConfig(ns=(1024, 4096), ps=(10, 50), designs=DESIGNS, r_points=10, n_draws=500,
                   name="full")
TINY = SuiteConfig(ns=(128,), ps=(4,), designs=("GA", "T1"), r_points=3, n_draws=20,
                   name="tiny")


@dataclass
class Cell:
    """One estimate of the grid, with the design it was measured on."""

    design: str
    coherence: float
    estimate: dict = field(default_factory=dict)
    checks: list = field(default_factory=list)


def _progress_bar(total: int):
    """A tqdm bar over the suite's cells on a terminal; None when stderr is redirected
    (a bar would flood the file) or tqdm (``rnla[bench]``) is absent."""
    if not sys.stderr.isatty():
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        logger.info("tqdm is not installed: no progress bar (pip install 'rnla[bench]')")
        return None
    return tqdm(total=total, unit="cell", desc="efficiency suite")


def has_matplotlib() -> bool:
    """Whether the report can have figures (matplotlib is in ``rnla[bench]``)."""
    return importlib.util.find_spec("matplotlib") is not None


def run_suite(config: SuiteConfig, *, progress: bool = True) -> list[Cell]:
    """Estimate the three criteria on every cell of ``config``'s grid."""
    for design in config.designs:
        check_option(design, "design", DESIGNS)
    for sketch, _ in config.sketches:
        check_option(sketch, "sketch", SKETCHES)
    check_int(config.n_draws, "n_draws", low=2)
    plan = []
    for n in config.ns:
        for p in config.ps:
            for design in config.designs:
                for sketch, replace in config.sketches:
                    for r in config.r_grid(n, p):
                        if r > n and sketch in SAMPLINGS and not replace:
                            continue
                        plan.append((n, p, design, sketch, replace, r))
    bar = _progress_bar(len(plan)) if progress else None
    seeds = iter(spawn(config.seed, len(plan) + 1))
    designs = {}
    cells = []
    design_seed = next(seeds)
    for n, p, design, sketch, replace, r in plan:
        if (n, p, design) not in designs:
            X = make_design(design, n, p, rng=design_seed)
            designs[n, p, design] = (X, coherence(X))
        X, mu = designs[n, p, design]
        est = estimate_efficiency(X, sketch, r, n_draws=config.n_draws, replace=replace,
                                  rng=next(seeds))
        cells.append(Cell(design=design, coherence=mu, estimate=asdict(est)))
        if bar is not None:
            bar.set_postfix_str(f"{design} {sketch}{' wr' if replace else ''} n={n} p={p} r={r}")
            bar.update()
    if bar is not None:
        bar.close()
    check_cells(cells)
    return cells


def check_cells(cells: list[Cell]) -> None:
    """Compare every cell with its exact and approximate table entries (in place).

    A check records the expected value, the z-score (mean - expected)/SE, and whether
    the mean exceeds the expected value (times 1 + slack) by more than 3 SE.
    """
    for cell in cells:
        e = cell.estimate
        cell.checks = []
        for crit in ("wc", "pe", "re"):
            for b in bounds_for(e["sketch"], e["replace"], crit, cell.design):
                if b.kind == "order" or not b.regime(e["n"], e["p"], e["r"], cell.coherence):
                    continue
                expected = b.value(e["n"], e["p"], e["r"])
                mean, se = e[f"{crit}_mean"], e[f"{crit}_se"]
                upper = expected * (1 + b.slack)
                exceeds = bool(not math.isfinite(mean) or mean > upper + 3 * se)
                z = (mean - expected) / se if se and math.isfinite(mean) else float("inf")
                cell.checks.append({"criterion": crit, "kind": b.kind, "source": b.source,
                                    "expected": expected, "slack": b.slack, "z": z,
                                    "exceeds": exceeds})


def slope_checks(cells: list[Cell]) -> list[dict]:
    """The order-only entries: slope of log(C - 1) against log(1/r) over each r series.

    Raskutti and Mahoney's bounds make C_PE - 1 and C_RE - 1 (and C_WC - 1) of order
    1/r as r grows; a fitted slope well below 1 (< 0.7), a slower decay, contradicts the
    order of the bound.  A steeper decay is allowed: sampling without replacement and
    the SRHT reach C = 1 exactly at r = n.
    """
    series: dict[tuple, list] = {}
    for cell in cells:
        e = cell.estimate
        key = (e["n"], e["p"], cell.design, e["sketch"], e["replace"])
        series.setdefault(key, []).append(cell)
    out = []
    for (n, p, design, sketch, replace), group in series.items():
        for crit in ("wc", "pe", "re"):
            entries = [b for b in bounds_for(sketch, replace, crit, design) if b.kind == "order"]
            if not entries:
                continue
            b = entries[0]
            pts = [(c.estimate["r"], c.estimate[f"{crit}_mean"]) for c in group
                   if b.regime(n, p, c.estimate["r"], c.coherence)
                   and math.isfinite(c.estimate[f"{crit}_mean"]) and c.estimate[f"{crit}_mean"] > 1
                   and c.estimate["r"] < n]
            if len(pts) < 3:
                continue
            r, v = np.array(pts, dtype=float).T
            slope = float(np.polyfit(np.log(1 / r), np.log(v - 1), 1)[0])
            gauss = gaussian_pe if crit == "pe" else gaussian_re
            below_gaussian = bool(all(vi <= gauss(n, p, ri) for ri, vi in zip(r, v, strict=True)))
            out.append({"n": n, "p": p, "design": design, "sketch": sketch, "replace": replace,
                        "criterion": crit, "slope": slope, "order_slope": b.slope,
                        "source": b.source, "ok": slope >= b.slope - 0.3, "points": len(pts),
                        "below_gaussian": below_gaussian})
    return out


def _label(sketch: str, replace: bool) -> str:
    if sketch in SAMPLINGS or sketch == "srht":
        return f"{sketch} ({'with' if replace else 'without'} repl.)"
    return sketch


def _explain(cell: Cell, check: dict) -> str:
    e = cell.estimate
    if check["kind"] == "exact":
        return "bug: the expectation is exact, so the estimate must match it"
    if e["sketch"] in SAMPLINGS:
        return ("finding: the first-order (large-r) approximation underestimates the variance "
                "of sampling here; the design's leverage is non-uniform "
                f"(coherence {cell.coherence:.1f})")
    return ("finding: this sketch's rows are not Haar-distributed, and the Haar formula is an "
            "approximation for it")


def write_report(cells: list[Cell], slopes: list[dict], out: Path, config: SuiteConfig,
                 elapsed: float) -> Path:
    """Write efficiency.json, efficiency.md and efficiency_<design>.png into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    payload = {"config": {k: v for k, v in asdict(config).items()}, "elapsed_s": elapsed,
               "cells": [asdict(c) for c in cells], "slope_checks": slopes}
    (out / "efficiency.json").write_text(json.dumps(payload, indent=1, default=float))
    figures = _plot(cells, out) if has_matplotlib() else []
    checked = [(c, k) for c in cells for k in c.checks]
    flagged = [(c, k) for c, k in checked if k["exceeds"]]
    lines = [
        "# Statistical efficiency of sketched least squares",
        "",
        f"Grid `{config.name}`: n in {list(config.ns)}, p in {list(config.ps)}, designs "
        f"{list(config.designs)}, {len(config.sketches)} sketches, {config.r_points} values "
        f"of r, {config.n_draws} sketches per cell; {len(cells)} cells in {elapsed:.0f} s.",
        "",
        "## How to read this report",
        "",
        "Each criterion is the sketched estimator's error over ordinary least squares' "
        "(OLS): **1 is OLS, lower is better**, and C - 1 is the price of sketching.  "
        "C_WC (worst case) compares the residuals on the fixed data, C_PE (prediction) the "
        "expected error of the fitted values, C_RE (residual) the expected residual "
        "(definitions and the theory: docs/efficiency.md in the rnla documentation).",
        "",
        "* **n x p**: the design X; **r**: the sketch size (rows of S X; sampled rows for "
        "the sampling sketches).",
        "* **M** = (U^T S^T S U)^{-1} U^T S^T S with X = U Sigma V^T: the map from the "
        "noise to the sketched estimator's error, so that the noise integrates out "
        "exactly: C_PE = ||M||_F^2/p, C_RE = 1 + (||M||_F^2 - p)/(n - p), C_WC = "
        "1 + ||M e||^2/||e||^2 (e the OLS residual).  Only the sketch is random: each "
        "cell averages these over its sketches (no noise simulation).",
        "* **mean** and **SE**: the mean of the criterion over the cell's sketches and its "
        "standard error (standard deviation / sqrt(sketches)).",
        "* **expected** and **slack**: the value a bound of the papers gives, and the "
        "allowance for its approximations (0% for exact expectations such as Gaussian "
        "projection's 1 + (n - p)/(r - p - 1)); a cell is flagged when its mean exceeds "
        "expected (1 + slack) + 3 SE.",
        "* **inf**: some sketch of the cell lost rank (S X rank-deficient: the sketched "
        "problem has no unique solution), which happens for sampling sketches at r near "
        "p; the figures draw those cells as triangles at the top edge of each panel.",
        "",
        "## Summary",
        "",
        "| check | cells | within | flagged |",
        "|---|---|---|---|",
    ]
    for kind in ("exact", "approx"):
        ks = [k for _, k in checked if k["kind"] == kind]
        bad = sum(k["exceeds"] for k in ks)
        lines.append(f"| {kind} expectation (mean <= expected (1 + slack) + 3 SE) | {len(ks)} | "
                     f"{len(ks) - bad} | {bad} |")
    ok = sum(s["ok"] for s in slopes)
    lines.append(f"| order-only bound: slope of log(C - 1) vs log(1/r) >= order - 0.3 | "
                 f"{len(slopes)} | {ok} | {len(slopes) - ok} |")
    lines += ["", "Order-only entries (Raskutti-Mahoney Table 1) are checked by their scaling "
              "in 1/r, not by an absolute constant, because the papers do not state the "
              "constants.", ""]
    lines += _ordering_table(cells)
    lines += _pe_table(cells)
    if flagged:
        lines += ["", "## Cells above their bound", "",
                  "| n | p | design | sketch | r | criterion | mean | SE | expected | slack | "
                  "verdict |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for c, k in flagged:
            e = c.estimate
            lines.append(
                f"| {e['n']} | {e['p']} | {c.design} | {_label(e['sketch'], e['replace'])} | "
                f"{e['r']} | {k['criterion']} | {e[k['criterion'] + '_mean']:.4g} | "
                f"{e[k['criterion'] + '_se']:.2g} | {k['expected']:.4g} | {k['slack']:.0%} | "
                f"{_explain(c, k)} |")
    bad_slopes = [s for s in slopes if not s["ok"]]
    if bad_slopes:
        lines += ["", "## Slopes below the order of the bound (slower decay than 1/r)", "",
                  "| n | p | design | sketch | criterion | slope | order | verdict |",
                  "|---|---|---|---|---|---|---|---|"]
        for s in bad_slopes:
            verdict = ("finding: decays slower than 1/r, but stays below Gaussian projection's "
                       "exact expectation at every r of the series, so the O(1/r) bound holds "
                       "with the Gaussian's constant" if s["below_gaussian"] else
                       "bug or a bound that does not hold: decays slower than 1/r and exceeds "
                       "Gaussian projection")
            lines.append(f"| {s['n']} | {s['p']} | {s['design']} | "
                         f"{_label(s['sketch'], s['replace'])} | {s['criterion']} | "
                         f"{s['slope']:.2f} | {s['order_slope']} | {verdict} |")
    lines += ["", "## Figures", ""]
    lines += ([f"![{f.stem}]({f.name})" for f in figures] if figures else
              ["No figures: matplotlib is not installed. `pip install 'rnla[bench]'` and run "
               "the suite again to draw them."])
    md = out / "efficiency.md"
    md.write_text("\n".join(lines) + "\n")
    return md


def _ordering_table(cells: list[Cell]) -> list[str]:
    """Raskutti and Mahoney's qualitative finding, as a sign test per design.

    At the smallest r (just above p) projections should beat sampling in C_PE; at the
    largest r below n, sampling without replacement should match or beat projections.
    """
    lines = ["## Projections against sampling (C_PE, the paper's qualitative ordering)", "",
             "| n | p | design | coherence | r | gaussian | uniform w/o | leverage w/o | "
             "leverage w. | projection best? |", "|---|---|---|---|---|---|---|---|---|---|"]
    table: dict[tuple, dict] = {}
    for c in cells:
        e = c.estimate
        key = (e["n"], e["p"], c.design, c.coherence)
        table.setdefault(key, {})[(e["sketch"], e["replace"], e["r"])] = e["pe_mean"]
    wanted = (("gaussian", False), ("uniform", False), ("leverage", False), ("leverage", True))
    for (n, p, design, mu), vals in table.items():
        rs = sorted({r for (_, _, r) in vals if r < n})
        for r, small in ((rs[0], True), (rs[-1], False)):
            got = [vals.get((s, rep, r), float("nan")) for s, rep in wanted]
            best_sampling = min(got[1:])
            verdict = ("yes" if got[0] < best_sampling else "no") if small else \
                ("no (sampling w/o replacement <= projection)"
                 if min(got[1], got[2]) <= got[0] else "yes")
            lines.append(f"| {n} | {p} | {design} | {mu:.1f} | {r} | "
                         + " | ".join(f"{v:.3g}" for v in got) + f" | {verdict} |")
    lines += ["", "Expected from the paper: 'yes' at the smallest r on designs with non-uniform "
              "leverage (projections spread every row's mass), 'no' at the largest r (sampling "
              "without replacement reaches C_PE = 1 at r = n, projections 1 + (n - p)/(r - p - 1) "
              "for Gaussian).  On the Gaussian design (GA) all sketches tie at small r.  On the "
              "coherent design leverage sampling without replacement keeps the p rows of "
              "leverage near 1 in every draw and beats every projection already at small r: "
              "a finding of the suite, outside the paper's designs.", ""]
    return lines


def _pe_table(cells: list[Cell]) -> list[str]:
    """C_PE and C_RE at the smallest, middle and largest r of each series."""
    lines = ["## Prediction and residual efficiency (mean over sketches)", "",
             "| n | p | design | sketch | r: C_PE / C_RE ... |", "|---|---|---|---|---|"]
    series: dict[tuple, list] = {}
    for c in cells:
        e = c.estimate
        series.setdefault((e["n"], e["p"], c.design, e["sketch"], e["replace"]), []).append(e)
    for (n, p, design, sketch, replace), es in series.items():
        pick = [es[0], es[len(es) // 2], es[-1]]
        vals = "; ".join(f"r={e['r']}: {e['pe_mean']:.3g} / {e['re_mean']:.3g}" for e in pick)
        lines.append(f"| {n} | {p} | {design} | {_label(sketch, replace)} | {vals} |")
    return lines


def _plot(cells: list[Cell], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    groups: dict[tuple, list] = {}
    for c in cells:
        groups.setdefault((c.design, c.estimate["n"], c.estimate["p"]), []).append(c)
    for (design, n, p), group in groups.items():
        fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
        series: dict[tuple, list] = {}
        for c in group:
            series.setdefault((c.estimate["sketch"], c.estimate["replace"]), []).append(c)
        rs = np.array(sorted({c.estimate["r"] for c in group}), dtype=float)
        rs_fine = np.geomspace(max(rs.min(), p + 2), rs.max(), 50)
        for ax, crit, title in zip(axes, ("wc", "pe", "re"),
                                   ("worst case C_WC", "prediction C_PE", "residual C_RE"),
                                   strict=True):
            finite_max = max([c.estimate[f"{crit}_mean"] for c in group
                              if math.isfinite(c.estimate[f"{crit}_mean"])] or [1.0])
            for (sketch, replace), cs in series.items():
                r = np.array([c.estimate["r"] for c in cs], dtype=float)
                m = np.array([c.estimate[f"{crit}_mean"] for c in cs], dtype=float)
                se = np.array([c.estimate[f"{crit}_se"] for c in cs], dtype=float)
                ok = np.isfinite(m)
                line = ax.errorbar(r[ok], m[ok], yerr=np.where(np.isfinite(se), se, 0)[ok],
                                   marker="o", ms=3, lw=1, capsize=2,
                                   label=_label(sketch, replace))
                if not ok.all():          # a sketch lost rank: infinite, drawn at the top
                    ax.plot(r[~ok], np.full((~ok).sum(), 2 * finite_max), "^", ms=6,
                            color=line[0].get_color())
            if crit == "pe":
                ax.plot(rs_fine, [gaussian_pe(n, p, r) for r in rs_fine], "k--", lw=1,
                        label="Gaussian exact")
                ax.plot(rs_fine, [orthogonal_pe(n, p, r) for r in rs_fine], "k:", lw=1,
                        label="Haar rows")
                ax.plot(rs_fine, [with_replacement_pe(n, p, r) for r in rs_fine], "k-.", lw=1,
                        label="sampling w. repl. (1st order)")
            if crit == "re":
                ax.plot(rs_fine, [gaussian_re(n, p, r) for r in rs_fine], "k--", lw=1)
                ax.plot(rs_fine, [orthogonal_re(n, p, r) for r in rs_fine], "k:", lw=1)
                ax.plot(rs_fine, [with_replacement_re(n, p, r) for r in rs_fine], "k-.", lw=1)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("sketch size r")
            ax.set_title(title)
            ax.grid(True, which="both", alpha=0.3)
        axes[0].set_ylabel("criterion (1 = OLS, lower is better)")
        handles, labels = axes[1].get_legend_handles_labels()
        fig.legend(handles, labels, fontsize=8, loc="center right", frameon=False)
        mu = group[0].coherence
        fig.suptitle(f"design {design}, n={n}, p={p}, coherence (n/p) max h = {mu:.1f}; "
                     "triangles: infinite (a sketch lost rank)")
        fig.tight_layout(rect=(0, 0, 0.83, 1))
        path = out / f"efficiency_{design}_n{n}_p{p}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        paths.append(path)
    return paths
