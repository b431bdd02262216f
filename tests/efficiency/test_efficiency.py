"""Statistical-efficiency criteria: exact identities, exact expectations, the suite."""

import math

import numpy as np
import pytest

from rnla.efficiency import bounds as B
from rnla.efficiency import (
    efficiency_draws,
    estimate_efficiency,
    make_design,
    make_response,
)
from rnla.efficiency.criteria import SKETCHES
from rnla.efficiency.suite import TINY, run_suite, slope_checks, write_report


@pytest.mark.parametrize("sketch", SKETCHES)
@pytest.mark.parametrize("replace", [False, True])
def test_identities_hold_for_every_draw(sketch, replace):
    """C_RE - 1 = p (C_PE - 1)/(n - p) exactly; C_PE >= 1; C_WC >= 1."""
    X = make_design("T3", 256, 6, rng=0)
    d = efficiency_draws(X, sketch, 40, 20, replace=replace, rng=1)
    ok = np.isfinite(d["pe"])
    assert ok.any()
    n, p = X.shape
    np.testing.assert_allclose(d["re"][ok] - 1, p * (d["pe"][ok] - 1) / (n - p), rtol=1e-10)
    assert np.all(d["pe"][ok] >= 1 - 1e-10) and np.all(d["wc"][ok] >= 1 - 1e-10)


def test_criteria_match_a_noise_simulation():
    """The closed forms equal the definitions, estimated by simulating the noise for a
    fixed sketch (within 5 Monte Carlo standard errors)."""
    from rnla.efficiency.criteria import _draw_projection
    from rnla.sketch import make_sketch

    rng = np.random.default_rng(0)
    X = make_design("GA", 200, 5, rng=1)
    n, p = X.shape
    S = make_sketch("gaussian", 30, n, rng=2)
    U = np.linalg.svd(X, full_matrices=False)[0]
    F = _draw_projection(U, np.ones(n) - U @ (U.T @ np.ones(n)), S)[0]
    beta = np.ones(p)
    SX = S @ X
    pred, res = [], []
    for _ in range(4000):
        y = X @ beta + rng.standard_normal(n)
        b_s = np.linalg.lstsq(SX, S @ y, rcond=None)[0]
        pred.append(np.sum((X @ (b_s - beta)) ** 2) / p)          # sigma = 1
        res.append(np.sum((y - X @ b_s) ** 2) / (n - p))
    for values, closed in [(pred, F / p), (res, 1 + (F - p) / (n - p))]:
        assert abs(np.mean(values) - closed) <= 5 * np.std(values) / math.sqrt(len(values))


@pytest.mark.parametrize("design", ["GA", "T1"])
def test_gaussian_projection_exact_expectations(design):
    """E C_PE = 1 + (n-p)/(r-p-1), E C_RE = 1 + p/(r-p-1) for any X (inverse Wishart)."""
    X = make_design(design, 300, 8, rng=2)
    e = estimate_efficiency(X, "gaussian", 40, n_draws=600, rng=3)
    assert abs(e.pe_mean - B.gaussian_pe(300, 8, 40)) <= 5 * e.pe_se
    assert abs(e.re_mean - B.gaussian_re(300, 8, 40)) <= 5 * e.re_se


def test_srht_without_replacement_at_full_size_is_exact():
    X = make_design("GA", 256, 6, rng=0)
    d = efficiency_draws(X, "srht", 256, 3, rng=1)
    np.testing.assert_allclose(d["pe"], 1.0, atol=1e-10)
    np.testing.assert_allclose(d["re"], 1.0, atol=1e-10)


def test_uniform_without_replacement_tracks_the_haar_formula():
    X = make_design("GA", 1024, 10, rng=4)
    e = estimate_efficiency(X, "uniform", 200, n_draws=400, rng=5)
    expected = B.orthogonal_pe(1024, 10, 200)
    assert abs(e.pe_mean - expected) <= 0.10 * expected + 5 * e.pe_se


def test_leverage_beats_uniform_on_heavy_tails_and_ties_on_gaussian():
    """Ma-Mahoney-Yu / Raskutti-Mahoney: on T1 uniform sampling is far worse; on GA they tie."""
    n, p, r = 1024, 10, 100
    Xt = make_design("T1", n, p, rng=6)
    lev = estimate_efficiency(Xt, "leverage", r, n_draws=200, replace=True, rng=7)
    uni = estimate_efficiency(Xt, "uniform", r, n_draws=200, replace=True, rng=8)
    assert uni.pe_mom > 3 * lev.pe_mom
    Xg = make_design("GA", n, p, rng=9)
    lev = estimate_efficiency(Xg, "leverage", r, n_draws=200, replace=True, rng=10)
    uni = estimate_efficiency(Xg, "uniform", r, n_draws=200, replace=True, rng=11)
    assert abs(uni.pe_mean - lev.pe_mean) <= 0.15 * lev.pe_mean + 5 * (uni.pe_se + lev.pe_se)


def test_bound_functions_hand_values():
    assert B.gaussian_pe(1000, 10, 111) == pytest.approx(1 + 990 / 100)
    assert B.gaussian_re(1000, 10, 111) == pytest.approx(1.1)
    assert B.orthogonal_pe(1000, 10, 111) == pytest.approx(989 / 100)
    assert B.orthogonal_re(1000, 10, 1000) == pytest.approx(1.0)
    assert B.orthogonal_pe(1000, 10, 1000) == pytest.approx(1.0)
    assert B.with_replacement_pe(1001, 10, 100) == pytest.approx(11.0)
    assert B.with_replacement_re(1001, 11, 100) == pytest.approx(1 + 11 * 1000 / (100 * 990))
    for b in B.BOUNDS:
        assert b.value(1024, 10, 100) > 1 and b.source


def test_tiny_suite_runs_and_reports(tmp_path):
    pytest.importorskip("matplotlib")
    cells = run_suite(TINY, progress=False)
    assert len(cells) == len(TINY.ns) * len(TINY.ps) * len(TINY.designs) * len(
        TINY.sketches) * len(TINY.r_grid(128, 4))
    slopes = slope_checks(cells)
    md = write_report(cells, slopes, tmp_path, TINY, 1.0)
    text = md.read_text()
    assert "## Summary" in text and (tmp_path / "efficiency.json").exists()
    assert list(tmp_path.glob("efficiency_*.png"))
    # the report defines what it shows
    for words in ("1 is OLS, lower is better", "**M**", "**r**", "**slack**", "**SE**",
                  "**inf**", "docs/efficiency.md"):
        assert words in text
    # Gaussian cells meet their exact expectations
    for c in cells:
        for k in c.checks:
            if k["kind"] == "exact":
                assert not k["exceeds"], (c.design, c.estimate["r"], k)


def test_make_response_and_designs():
    X = make_design("GA", 100, 10, rng=0)
    y, beta = make_response(X, rng=1)
    assert y.shape == (100,) and beta[0] == 1.0 and beta[5] == 0.1
    Xc = make_design("coherent", 100, 10, rng=0)
    np.testing.assert_array_equal(Xc[:10], np.eye(10))


BAD = [
    (dict(r=5), ValueError, "`r` must exceed p"),
    (dict(r=300, sketch="uniform"), ValueError, "`r` must be at most n"),
    (dict(sketch="fourier"), ValueError, "`sketch`"),
    (dict(n_draws=1), ValueError, "`n_draws`"),
]


@pytest.mark.parametrize("kwargs,exc,match", BAD)
def test_bad_input(kwargs, exc, match):
    X = make_design("GA", 256, 5, rng=0)
    args = dict(sketch="gaussian", r=20, n_draws=10)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        estimate_efficiency(X, args.pop("sketch"), args.pop("r"), **args)


def test_bad_design():
    with pytest.raises(ValueError, match="`design`"):
        make_design("T7", 100, 5)


def test_cli_rejects_bad_draws():
    from rnla.__main__ import main

    with pytest.raises(SystemExit):
        main(["bench", "efficiency", "--draws", "1"])


def test_efficiency_report_without_matplotlib(tmp_path, monkeypatch):
    from rnla.efficiency import suite

    monkeypatch.setattr(suite, "has_matplotlib", lambda: False)
    config = suite.TINY
    cells = suite.run_suite(config, progress=False)
    md = suite.write_report(cells, suite.slope_checks(cells), tmp_path, config, 1.0)
    assert "No figures: matplotlib is not installed" in md.read_text()
    assert not list(tmp_path.glob("*.png")) and (tmp_path / "efficiency.json").exists()
