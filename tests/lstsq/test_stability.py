"""Backward stability and the path ``method="auto"`` takes: the reliability reproducers."""

import math
import sys

import numpy as np
import pytest

import rnla
from rnla._validation import column_maxabs, column_powers_of_two
from tests.conftest import orthonormal
from tests.lstsq.test_lstsq import problem

pytestmark = pytest.mark.smoke  # also run against the lowest supported versions

EPS = np.finfo(np.float64).eps


def backward_error(A, b, x):
    """Exact Karlson-Walden estimate of the normwise relative backward error (theta =
    ||A||_F / ||b||), with the residual computed in extended precision."""
    r = (b.astype(np.longdouble) - A.astype(np.longdouble) @ x.astype(np.longdouble))
    r = r.astype(np.float64)
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    normF = np.linalg.norm(s)
    t2 = (normF / np.linalg.norm(b)) ** 2
    mu = t2 / (1 + t2 * (x @ x))
    w = s / np.sqrt(s**2 + mu * (r @ r)) * (U.T @ r)
    return math.sqrt(mu) * np.linalg.norm(w) / normF


CONFIGS = [("precondition", "cg"), ("precondition", "lsqr"), ("precondition", "lsmr"),
           ("ihs", "cg")]


@pytest.mark.parametrize("cond", [1e2, 1e6, 1e10, 1e14])
@pytest.mark.parametrize("resid", [0.0, 1e-6, 1.0, 1e3])
def test_backward_stable_like_lapack(cond, resid):
    """Tall problems with cond(A) from 1e2 to 1e14 and residuals from 0 to 1e3 ||Ax||:
    the backward error is within 10x of machine precision and, for sketch-and-precondition
    with every inner solver, wherever numpy's x has at least two correct digits, the
    forward error within 10x of numpy's.  Where
    numpy's has none (cond^2 u ||r|| / (||A|| ||x||) >= 1e-2), no solver's x is
    meaningful and the perturbation bound of least squares is the test."""
    rng = np.random.default_rng(int(math.log10(cond)) * 10 + int(resid > 0) + int(resid > 1))
    n, d = 2000, 50
    A, b, x_true = problem(n, d, cond, resid, rng, with_solution=True)
    x_np = np.linalg.lstsq(A, b, rcond=1e-15)[0]
    xnorm = np.linalg.norm(x_true)
    f_np = np.linalg.norm(x_np - x_true) / xnorm
    r_norm = np.linalg.norm(b - A @ x_true)
    bound = cond * EPS * (1 + cond * r_norm / (np.linalg.norm(A, 2) * xnorm))
    for method, solver in CONFIGS:
        res = rnla.lstsq(A, b, method=method, solver=solver, rng=0)
        assert res.converged, (method, solver, res.message)
        eta = backward_error(A, b, res.x)
        assert eta <= 10 * EPS, (method, solver)
        f = np.linalg.norm(res.x - x_true) / xnorm
        if f_np < 1e-2 and method == "precondition":
            assert f <= 10 * f_np, (method, solver, f, f_np)
        else:
            # the perturbation bound for the backward error reached; the heavy-ball inner
            # solver ("ihs") ends at a few eps where CG, LSQR and LSMR reach 0.1 eps, so
            # its x can be 10-15x further than numpy's where numpy's is unusually good
            assert f <= math.sqrt(n) * bound * max(1.0, eta / EPS), (method, solver, f)


def test_square_srht_reproducer_is_solved_directly():
    """Square systems: the default path is LAPACK, whatever the sketch; forcing a
    sketched method on them is refused, never a wrong x."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((20, 20))
    x = rng.standard_normal(20)
    res = rnla.lstsq(A, A @ x, sketch="srht", rng=0)
    assert res.method == "direct" and res.converged
    assert np.linalg.norm(res.x - x) <= 1e-12 * np.linalg.norm(x)
    for n in (10, 20, 50):
        wrong = 0
        for seed in range(20):
            g = np.random.default_rng(seed)
            A = g.standard_normal((n, n))
            x = g.standard_normal(n)
            xs = rnla.lstsq(A, A @ x, sketch="srht", rng=seed).x
            wrong += np.linalg.norm(xs - x) > 1e-10 * np.linalg.norm(x) * np.linalg.cond(A)
        assert wrong == 0
    with pytest.raises(ValueError, match="method='direct'"):
        rnla.lstsq(A, A @ x, method="precondition", sketch="srht", rng=0)


def _parla_problem(kind, rng):
    """PARLA's least-squares test classes (parla/tests/.../test_overdet_least_squares.py)."""
    if kind == "consistent_square":
        n = d = 10
    else:
        n, d = 2000, 20
    U = orthonormal(n, d, rng)
    s = np.logspace(0, -3.3, d)  # cond about 2e3, as PARLA's consistent_square
    V = orthonormal(d, d, rng)
    if kind == "consistent_lowrank":
        s[d // 2:] = 0.0
    A = (U * s) @ V.T
    x = V[:, : (d // 2 if kind == "consistent_lowrank" else d)] @ rng.standard_normal(
        d // 2 if kind == "consistent_lowrank" else d)
    b = A @ x
    if kind == "inconsistent_orthogonal":
        r = rng.standard_normal(n)
        b = r - U @ (U.T @ r)  # b orthogonal to range(A): the solution is 0
        x = np.zeros(d)
    elif kind == "inconsistent_general":
        r = rng.standard_normal(n)
        b = b + r - U @ (U.T @ r)
    return A, b, x


@pytest.mark.parametrize("kind", ["consistent_square", "consistent_tall", "consistent_lowrank",
                                  "inconsistent_orthogonal", "inconsistent_general"])
@pytest.mark.parametrize("method", ["auto", "precondition"])
def test_parla_problem_classes(kind, method):
    """PARLA's classes: consistent systems to 1e-11 relative (the minimum-norm x for the
    low-rank class); inconsistent ones, whose x is determined only to about
    cond^2 u ||r|| / ||A|| (4e-9 here), within 10x of numpy's error."""
    rng = np.random.default_rng(3)
    A, b, x = _parla_problem(kind, rng)
    if method == "precondition" and A.shape[0] == A.shape[1]:
        with pytest.raises(ValueError, match="method='direct'"):
            rnla.lstsq(A, b, method=method, rng=0)
        return
    res = rnla.lstsq(A, b, method=method, rng=0)
    assert res.converged, res.message
    if kind == "consistent_lowrank":
        # of the solutions, the one of least norm in the units of the equilibrated columns
        # (rank decisions do not depend on the units of A's columns; docs/conventions.md)
        D = column_powers_of_two(column_maxabs(A))
        x = D * np.linalg.lstsq(A * D, b, rcond=None)[0]
    scale = max(np.linalg.norm(x), np.linalg.norm(b) / np.linalg.norm(A, 2))
    if kind.startswith("consistent"):
        assert np.linalg.norm(res.x - x) <= 1e-11 * scale, kind
    if kind == "consistent_lowrank":
        return  # x is numpy's own answer there, so "within 10x of numpy's error" is moot
    x_np = np.linalg.lstsq(A, b, rcond=None)[0]
    assert np.linalg.norm(res.x - x) <= 10 * max(np.linalg.norm(x_np - x), EPS * scale)


def test_consistent_square_is_as_accurate_as_numpy():
    """The reproducer of 'converged below LAPACK accuracy': now within 10x of numpy."""
    rng = np.random.default_rng(7)
    A, b, x = _parla_problem("consistent_square", rng)
    err = np.linalg.norm(rnla.lstsq(A, b, rng=0).x - x)
    err_np = np.linalg.norm(np.linalg.lstsq(A, b, rcond=None)[0] - x)
    assert err <= 10 * max(err_np, EPS * np.linalg.norm(x))


def test_maxiter_zero_returns_the_sketch_and_solve_point(rng):
    A, b = problem(4000, 20, 1e3, 1.0, rng)
    start = rnla.lstsq(A, b, method="precondition", maxiter=0, rng=5)
    solve = rnla.lstsq(A, b, method="sketch_solve", rng=5)
    np.testing.assert_array_equal(start.x, solve.x)
    assert start.n_iter == 0 and start.status == "maxiter" and not start.converged
    assert start.residual_norm == pytest.approx(np.linalg.norm(b - A @ start.x), rel=1e-12)
    assert start.backward_error > 1e-10  # an inconsistent problem is not solved by it
    full = rnla.lstsq(A, b, method="precondition", rng=5)
    assert full.converged and full.backward_error <= 4 * EPS


def test_status_is_a_string_enum_with_method(rng):
    A, b = problem(3000, 20, 1e2, 1.0, rng)
    res = rnla.lstsq(A, b, rng=0)
    assert res.method == "direct" and res.status == "converged" and str(res.status) == "converged"
    res = rnla.lstsq(A, b, method="precondition", rng=0)
    assert res.method == "precondition" and res.solver == "cg" and res.converged


def test_rng_takes_every_spec7_value(rng):
    A, b = problem(3000, 20, 1e2, 1.0, rng)
    new = rnla.lstsq(A, b, method="precondition", rng=4)
    np.testing.assert_array_equal(rnla.lstsq(A, b, method="precondition", rng=4).x, new.x)
    legacy = rnla.lstsq(A, b, method="precondition", rng=np.random.RandomState(1))
    assert legacy.converged
    with pytest.raises(TypeError, match="`rng`"):
        rnla.lstsq(A, b, rng="zero")


def test_small_problems_take_the_direct_path():
    """2000 x 20 and 10000 x 50 gain nothing from a sketch (docs/lstsq.md, cost model)."""
    for shape in [(2000, 20), (10000, 50)]:
        assert sys.modules["rnla.lstsq"].choose_method(shape) == "direct"
    assert sys.modules["rnla.lstsq"].choose_method((2**18, 512)) == "precondition"


def _spy_on_column_scaling(monkeypatch):
    """Record every preconditioner ``refine`` iterates with."""
    import importlib

    solve = importlib.import_module("rnla.lstsq._sketched")
    seen = []
    real = solve.refine

    def spy(op, pre, *args, **kwargs):
        seen.append(type(pre).__name__)
        return real(op, pre, *args, **kwargs)

    monkeypatch.setattr(solve, "refine", spy)
    return solve, seen


@pytest.mark.parametrize("alpha", [None, 1.0])
def test_well_conditioned_a_is_iterated_with_column_scaling_only(rng, monkeypatch, alpha):
    """A Gaussian 40000 x 50 design (cond about 1.08 after column scaling, with columns
    of very different scales) is iterated on A D^{-1}: CG gains about a factor
    (cond - 1)/(cond + 1) = 0.04 per iteration, so 16 digits take about 12 iterations
    (against about 30 on A R^{-1} with gamma = 8)."""
    solve, seen = _spy_on_column_scaling(monkeypatch)
    scales = np.logspace(-3, 3, 50)
    A = rng.standard_normal((40000, 50)) * scales
    b = A @ (rng.standard_normal(50) / scales) + 1e-3 * rng.standard_normal(40000)
    # references from the well-conditioned A D^{-1}, solved by LAPACK
    if alpha is None:
        res = rnla.lstsq(A, b, method="precondition")
        ref = np.linalg.lstsq(A / scales, b, rcond=None)[0] / scales
    else:
        res = rnla.ridge(A, b, alpha, method="precondition")
        ref = np.linalg.lstsq(np.vstack([A, np.sqrt(alpha) * np.eye(50)]) / scales,
                              np.concatenate([b, np.zeros(50)]), rcond=None)[0] / scales
    assert seen == ["ColumnScaling"]
    assert res.status == "converged" and res.n_iter <= 16
    assert res.backward_error <= 4 * np.finfo(float).eps
    # a small residual: the forward error is at most about cond(A) times the normwise
    # backward error (cond(A) = 1e6 here: the columns' scales, not A D^{-1}, decide it)
    bound = 10 * np.linalg.cond(A) * np.finfo(float).eps
    assert np.linalg.norm(res.x - ref) <= bound * np.linalg.norm(ref)


def test_column_scaling_hands_over_to_the_sketch_preconditioner(rng, monkeypatch):
    """Forced onto an ill-conditioned A (cond 1e6), the column-scaled iteration stops
    at its budget and the R^{-1} iteration finishes from the point it reached."""
    solve, seen = _spy_on_column_scaling(monkeypatch)
    monkeypatch.setattr(solve, "_WELL_CONDITIONED", math.inf)
    n, d = 20000, 40
    A = orthonormal(n, d, rng) @ np.diag(np.logspace(0, -6, d)) @ orthonormal(d, d, rng).T
    b = rng.standard_normal(n)
    res = rnla.lstsq(A, b, method="precondition")
    assert seen == ["ColumnScaling", "Preconditioner"]
    assert res.status == "converged"
    assert res.backward_error <= 4 * np.finfo(float).eps
    ref = np.linalg.lstsq(A, b, rcond=None)[0]
    np.testing.assert_allclose(res.x, ref, rtol=0, atol=1e-8 * np.linalg.norm(ref))


def test_condition_estimate_means_cond_of_a_r_inverse_on_every_path(rng):
    """The column-scaled CG path, LSQR and LSMR all report cond(A R^-1) (about 3 for a
    sketch of 4d rows of a Gaussian A), not the condition of what they iterated on."""
    A = rng.standard_normal((20000, 200))
    b = rng.standard_normal(20000)
    figures = {solver: rnla.lstsq(A, b, method="precondition", solver=solver,
                                  sketch_size=800, rng=3).condition_estimate
               for solver in ("cg", "lsqr", "lsmr")}
    assert 2.0 <= min(figures.values()) and max(figures.values()) <= 4.0, figures
    assert max(figures.values()) / min(figures.values()) <= 1.35, figures


def test_float32_a_with_float64_b_warns_and_keeps_float32():
    """numpy would promote to float64; rnla keeps A's dtype and says so
    (docs/conventions.md)."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((400, 5)).astype(np.float32)
    b = rng.standard_normal(400)
    with pytest.warns(UserWarning, match="float32"):
        res = rnla.lstsq(A, b, rng=0)
    assert res.x.dtype == np.float32
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rnla.lstsq(A, b.astype(np.float32), rng=0)
        rnla.lstsq(A.astype(np.float64), b, rng=0)
