"""Sketched least squares against numpy.linalg.lstsq and exact identities."""

import math
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import rnla
from rnla._validation import column_maxabs, column_powers_of_two
from rnla.lstsq._precondition import Preconditioner
from rnla.sketch import make_sketch
from tests.conftest import orthonormal

U_ROUND = np.finfo(np.float64).eps / 2


def problem(n, d, cond, resid, rng, with_solution=False):
    """A = U diag(s) V^T with log-spaced s (cond(A) = cond); b = A x + r_perp with
    ||r_perp|| = resid * ||A x|| orthogonal to range(A), so that x solves the problem."""
    U, V = orthonormal(n, d, rng), orthonormal(d, d, rng)
    A = (U * np.logspace(0, -math.log10(cond), d)) @ V.T
    x = rng.standard_normal(d)
    Ax = A @ x
    r = rng.standard_normal(n)
    r -= U @ (U.T @ r)
    b = Ax + resid * np.linalg.norm(Ax) * r / np.linalg.norm(r)
    return (A, b, x) if with_solution else (A, b)


def k_tau(tol, gamma):
    """LSQR iterations for a Gaussian sketch of gamma d rows (spec table 2.3)."""
    return 2 * math.log(2 / tol) / math.log(gamma)


@pytest.mark.parametrize("solver", ["cg", "lsqr", "lsmr"])
@pytest.mark.parametrize("cond", [1e1, 1e4, 1e8, 1e10])
@pytest.mark.parametrize("resid", [0.0, 1e-4, 1.0])
def test_precondition_matches_lapack(solver, cond, resid, rng):
    """Spec oracle 5 on problems with a known solution x_true (sketched path forced).

    The residual norm is optimal to 1e-10 for every cond(A).  With
    f = cond u (1 + cond ||r|| / (||A|| ||x||)), the perturbation bound of least
    squares: where f <= 1e-11 the problem determines x to 1e-10 and rnla must reach
    it; beyond that no solver can, and rnla must be forward stable, with error at
    most sqrt(n) f ||x|| (Epperly, Meier, Nakatsukasa 2024 show this for
    sketch-and-precondition with a warm start).  As in the spec, tol = 1e-14: the
    stopping test bounds the backward error by tol, so the forward error is about
    cond(A) tol, which must lie below the bound.
    """
    n, d, tol = 4000, 50, 1e-14
    A, b, x_true = problem(n, d, cond, resid, rng, with_solution=True)
    x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
    r_ref = np.linalg.norm(b - A @ x_ref)
    res = rnla.lstsq(A, b, method="precondition", solver=solver, tol=tol, rng=0)
    assert res.converged, res.message
    bnorm = np.linalg.norm(b)
    assert res.residual_norm <= r_ref * (1 + 1e-10) + 1e-14 * bnorm
    assert res.residual_norm == pytest.approx(np.linalg.norm(b - A @ res.x), rel=1e-12,
                                              abs=1e-14 * bnorm)
    xnorm = np.linalg.norm(x_true)
    err, err_ref = np.linalg.norm(res.x - x_true), np.linalg.norm(x_ref - x_true)
    f = cond * U_ROUND * (1 + cond * r_ref / (np.linalg.norm(A, 2) * xnorm))
    if f <= 1e-11:
        assert err <= 1e-10 * xnorm
        assert np.linalg.norm(A @ (res.x - x_ref)) <= 1e-10 * bnorm
    assert err <= math.sqrt(n) * f * xnorm
    assert err_ref <= math.sqrt(n) * f * xnorm  # the bound holds for LAPACK too
    # the iteration count does not grow with cond(A) (spec: <= 1.5 k(tau))
    assert res.n_iter <= 1.5 * k_tau(tol, 4)


@pytest.mark.parametrize("cond", [1e6, 1e10])
def test_default_tolerance_on_ill_conditioned_problems(cond, rng):
    """At the default tol (2 eps): x to 1e-10 when well conditioned, residual within
    (1 + 1e-10) of the optimum when cond(A) is 1e6 or 1e10."""
    for c in (1.0, cond):
        A, b = problem(4000, 50, c, 1e-2, rng)
        x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
        r_ref = np.linalg.norm(b - A @ x_ref)
        res = rnla.lstsq(A, b, method="precondition", rng=1)
        assert res.converged and res.n_iter <= 1.5 * k_tau(2.2e-16, 4)
        assert res.residual_norm <= r_ref * (1 + 1e-10)
        if c == 1.0:
            assert np.linalg.norm(res.x - x_ref) <= 1e-10 * np.linalg.norm(x_ref)


@pytest.mark.parametrize("kind", ["gaussian", "srht", "sparse_sign"])
def test_preconditioned_condition_number(kind, rng):
    """Spec oracle 6: cond(A N) <= 10 at m = 2d; <= 4 for Gaussian at m = 4d."""
    n, d = 3000, 40
    A, _ = problem(n, d, 1e8, 0.0, rng)
    for m, bound in [(2 * d, 10.0)] + ([(4 * d, 4.0)] if kind == "gaussian" else []):
        S = make_sketch(kind, m, n, rng=1)
        pre = Preconditioner(S @ A, None, 1e-13)
        assert np.linalg.cond(A @ pre.apply(np.eye(d))) <= bound


@pytest.mark.parametrize("solver", ["cg", "lsqr", "lsmr"])
def test_condition_estimate_reports_the_preconditioned_operator(solver, rng):
    """One meaning for every solver: the 2-norm condition number of A R^{-1}, estimated
    from inside by the Lanczos tridiagonal (CG) or the Golub-Kahan bidiagonal (LSQR,
    LSMR); after 30 or more iterations the extreme Ritz values are within a few percent."""
    A, b = problem(20000, 200, 1e6, 1.0, rng)
    S = make_sketch("sparse_sign", 800, 20000, rng=0)
    res = rnla.lstsq(A, b, method="precondition", sketch=S, solver=solver)
    pre = Preconditioner(S @ A, None, 1e-13)
    exact = np.linalg.cond(A @ pre.apply(np.eye(200)))
    assert res.n_iter >= 30
    assert 0.9 * exact <= res.condition_estimate <= exact * (1 + 1e-8)


def test_coherent_matrix_needs_the_right_sketch(rng):
    """Uniform sampling misses the few rows that carry the leverage; leverage-score
    sampling and the SRHT (which spreads them out) do not.  With uniform sampling the
    preconditioner is poor (cond(A N) in the hundreds), the iteration needs several
    times as many steps, and sketch-and-solve is far from optimal."""
    n, d = 4000, 40
    A = np.vstack([np.diag(np.logspace(0, 3, d)), 1e-4 * rng.standard_normal((n - d, d))])
    b = rng.standard_normal(n)
    x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
    r_opt = np.linalg.norm(b - A @ x_ref)
    good_iters = []
    for kind in ["leverage", "srht"]:
        res = rnla.lstsq(A, b, method="precondition", sketch=kind, rng=0)
        assert res.converged, (kind, res.message)
        assert res.condition_estimate < 10
        assert np.linalg.norm(res.x - x_ref) <= 1e-10 * np.linalg.norm(x_ref)
        good_iters.append(res.n_iter)
        solve = rnla.lstsq(A, b, method="sketch_solve", sketch=kind, rng=0)
        assert solve.residual_norm <= 1.5 * r_opt
    res = rnla.lstsq(A, b, method="precondition", sketch="uniform", rng=0)
    assert res.condition_estimate > 100
    assert not res.converged or res.n_iter > 2 * max(good_iters)
    if not res.converged:  # the remedy is another sketch, never the one that failed
        assert res.status == "sketch_failed" and "'uniform'" not in res.message
    solve = rnla.lstsq(A, b, method="sketch_solve", sketch="uniform", rng=0)
    assert solve.residual_norm > 10 * r_opt


def test_uniform_sampling_that_loses_rank_is_reported(rng):
    """With a sketch smaller than the coherent block, S A is rank-deficient although A
    is not: the SVD path must say so rather than return a truncated answer."""
    n, d = 2000, 30
    A = np.vstack([np.eye(d), np.zeros((n - d, d))])
    A[d:, :5] = rng.standard_normal((n - d, 5))
    b = rng.standard_normal(n)
    res = rnla.lstsq(A, b, method="precondition", sketch="uniform", sketch_size=60, rng=0)
    assert res.rank < d
    assert not res.converged and res.status == "sketch_failed"
    assert "sketch='uniform'" not in res.message


@pytest.mark.parametrize("solver", ["cg", "lsqr", "lsmr"])
def test_rank_deficient_gives_minimum_norm_solution(solver, rng):
    n, d, r = 3000, 30, 20
    A = rng.standard_normal((n, r)) @ rng.standard_normal((r, d))
    A[:, 5] = A[:, 6]  # and two equal columns
    b = rng.standard_normal(n)
    # the minimum-norm solution in the units of the equilibrated columns A D (D exact
    # powers of two): rank decisions do not depend on the units of A's columns
    D = column_powers_of_two(column_maxabs(A))
    x_ref = D * np.linalg.lstsq(A * D, b, rcond=1e-10)[0]
    res = rnla.lstsq(A, b, method="precondition", solver=solver, rng=0)
    assert res.converged, res.message
    assert res.rank == r
    assert np.linalg.norm(res.x - x_ref) <= 1e-8 * np.linalg.norm(x_ref)
    r_numpy = np.linalg.norm(b - A @ np.linalg.lstsq(A, b, rcond=1e-10)[0])
    assert res.residual_norm == pytest.approx(r_numpy, rel=1e-12)  # a least-squares fit
    direct = rnla.lstsq(A, b, method="direct", rcond=1e-10)
    assert direct.rank == r
    assert np.linalg.norm(direct.x - x_ref) <= 1e-10 * np.linalg.norm(x_ref)


@pytest.mark.parametrize("kind", ["gaussian", "srht", "sparse_sign"])
def test_sketch_and_solve_within_the_embedding_bound(kind, rng):
    """||b - A x_s|| <= (1 + eps)/(1 - eps) min ||b - A x|| for an eps-embedding of
    span([A, b]); eps = sqrt((d+1)/m) + 6/sqrt(m) bounds a Gaussian sketch's distortion
    with probability 1 - 2 exp(-18) (Davidson-Szarek), and the other sketches are
    held to the same bound.  Fixed seeds."""
    n, d, m = 4000, 20, 400
    A, b = problem(n, d, 1e3, 1.0, rng)
    r_opt = np.linalg.norm(b - A @ np.linalg.lstsq(A, b, rcond=None)[0])
    eps = math.sqrt((d + 1) / m) + 6 / math.sqrt(m)
    for seed in range(5):
        res = rnla.lstsq(A, b, method="sketch_solve", sketch=kind, sketch_size=m, rng=seed)
        assert res.n_iter == 0 and res.converged and res.method == "sketch_solve"
        assert r_opt <= res.residual_norm <= (1 + eps) / (1 - eps) * r_opt


def test_srht_full_size_sketch_and_solve_is_exact(rng):
    """Spec oracle 2: the SRHT without replacement at m = n' = n is orthogonal, so
    sketch-and-solve with it is least squares.  (rnla.lstsq refuses a sketch as large
    as A, so the sketched problem is solved here by numpy.)"""
    n, d = 512, 10
    A, b = problem(n, d, 1e2, 1.0, rng)
    S = rnla.SRHT(n, n, rng=0)
    x = np.linalg.lstsq(S @ A, S @ b, rcond=None)[0]
    x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
    assert np.linalg.norm(x - x_ref) <= 1e-12 * np.linalg.norm(x_ref) * 1e2
    with pytest.raises(ValueError, match="method='direct'"):
        rnla.lstsq(A, b, method="sketch_solve", sketch="srht", sketch_size=n, rng=0)


@pytest.mark.parametrize("refresh", [False, True])
@pytest.mark.parametrize("kind", ["gaussian", "sparse_sign", "srht"])
def test_iterative_hessian_sketch(refresh, kind, rng):
    """With a fixed sketch the heavy ball is the inner solver of the refinement
    (FOSSILS): backward stable, converged at the default tol.  With a new sketch per
    step (Pilanci and Wainwright) there is no fixed preconditioner to refine with: the
    iteration is forward stable and ends at its floor, a few eps, as "stalled" when
    that lies above tol."""
    A, b = problem(4000, 40, 1e4, 0.1, rng)
    x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
    res = rnla.lstsq(A, b, method="ihs", sketch=kind, sketch_size=320, refresh=refresh, rng=0)
    if refresh:
        assert res.status in ("converged", "stalled"), res.message
        assert res.backward_error <= 20 * np.finfo(float).eps
    else:
        assert res.converged, res.message
    assert np.linalg.norm(A @ (res.x - x_ref)) <= 1e-10 * np.linalg.norm(b)
    # error contracts by about sqrt(d/m) per step: no more than twice that count
    assert res.n_iter <= 2 * math.log(1e-16) / math.log(math.sqrt(40 / 320)) + 10


def test_multiple_right_hand_sides_share_one_sketch(rng):
    A, _ = problem(3000, 25, 1e3, 0.0, rng)
    B = rng.standard_normal((3000, 3))
    B[:, 1] = 0.0
    res = rnla.lstsq(A, B, method="precondition", rng=0)
    assert res.x.shape == (25, 3) and res.residual_norm.shape == (3,)
    X_ref = np.linalg.lstsq(A, B, rcond=None)[0]
    assert np.allclose(res.x, X_ref, rtol=0, atol=1e-10 * np.abs(X_ref).max())
    for j in range(3):
        single = rnla.lstsq(A, B[:, j], method="precondition", rng=0)
        assert np.allclose(single.x, res.x[:, j], rtol=0, atol=1e-10 * np.abs(X_ref).max())


@pytest.mark.parametrize("method,solver", [("precondition", "cg"), ("precondition", "lsqr"),
                                           ("precondition", "lsmr"), ("ihs", "cg"),
                                           ("direct", "cg")])
@pytest.mark.parametrize("alpha", [1e-3, 1.0, 1e3])
def test_ridge_matches_normal_equations(method, solver, alpha, rng):
    A, b = problem(3000, 30, 1e6, 1.0, rng)
    x_ref = np.linalg.solve(A.T @ A + alpha * np.eye(30), A.T @ b)
    res = rnla.ridge(A, b, alpha, method=method, solver=solver, rng=0)
    assert res.converged, res.message
    assert np.linalg.norm(res.x - x_ref) <= 1e-8 * np.linalg.norm(x_ref)
    expect = math.sqrt(np.sum((b - A @ res.x) ** 2) + alpha * np.sum(res.x ** 2))
    assert res.residual_norm == pytest.approx(expect, rel=1e-12)


def test_ridge_with_zero_alpha_is_lstsq(rng):
    A, b = problem(2000, 20, 1e2, 1.0, rng)
    for method in ["precondition", "direct"]:
        assert np.allclose(rnla.ridge(A, b, 0.0, method=method, rng=0).x,
                           rnla.lstsq(A, b, method=method, rng=0).x, rtol=1e-12, atol=0)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "fortran"])
@pytest.mark.parametrize("solver", ["cg", "lsqr"])
def test_sparse_and_fortran_input(fmt, solver, rng):
    n, d = 5000, 30
    A = sp.random(n, d, density=0.05, format="csr", random_state=rng,
                  data_rvs=rng.standard_normal)
    A = A @ sp.diags(np.logspace(-4, 0, d))
    b = rng.standard_normal(n)
    Ad = A.toarray()
    x_ref = np.linalg.lstsq(Ad, b, rcond=None)[0]
    A_in = np.asfortranarray(Ad) if fmt == "fortran" else A.asformat(fmt)
    res = rnla.lstsq(A_in, b, method="precondition", solver=solver, rng=0)
    assert res.converged, res.message
    assert np.linalg.norm(res.x - x_ref) <= 1e-10 * np.linalg.norm(x_ref) * 1e2


@pytest.mark.parametrize("solver", ["cg", "lsqr"])
def test_float32_input_keeps_dtype(solver, rng):
    A, b = problem(3000, 20, 1e2, 1.0, rng)
    A32, b32 = A.astype(np.float32), b.astype(np.float32)
    res = rnla.lstsq(A32, b32, method="precondition", solver=solver, rng=0)
    assert res.x.dtype == np.float32
    x_ref = np.linalg.lstsq(A32.astype(np.float64), b32.astype(np.float64), rcond=None)[0]
    # the float32 problem is solved in float64 and rounded once
    assert np.linalg.norm(res.x - x_ref) <= 2 * np.finfo(np.float32).eps * np.linalg.norm(x_ref)


def test_inputs_not_modified_and_seed_reproducible(rng):
    A, b = problem(2000, 20, 1e2, 1.0, rng)
    A0, b0 = A.copy(), b.copy()
    r1 = rnla.lstsq(A, b, method="precondition", rng=5)
    r2 = rnla.lstsq(A, b, method="precondition", rng=5)
    np.testing.assert_array_equal(A, A0)
    np.testing.assert_array_equal(b, b0)
    np.testing.assert_array_equal(r1.x, r2.x)


def test_warm_start_x0(rng):
    A, b = problem(2000, 20, 1e2, 1.0, rng)
    x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
    res = rnla.lstsq(A, b, method="precondition", x0=x_ref, rng=0)
    assert res.n_iter <= 1 + 5  # one step to confirm, one checked step
    assert np.linalg.norm(res.x - x_ref) <= 1e-12 * np.linalg.norm(x_ref)


def test_non_convergence_is_reported(rng):
    A, b = problem(2000, 20, 1e2, 1.0, rng)
    for solver in ["cg", "lsqr", "lsmr"]:
        res = rnla.lstsq(A, b, method="precondition", solver=solver, maxiter=2, rng=0)
        assert not res.converged and res.status == "maxiter" and "maxiter" in res.message


def test_sketch_operator_instance(rng):
    A, b = problem(2000, 20, 1e2, 1.0, rng)
    S = rnla.SRHT(100, 2000, rng=0)
    res = rnla.lstsq(A, b, method="precondition", sketch=S)
    assert res.converged and res.sketch_size == 100


@given(n_extra=st.integers(0, 200), d=st.integers(1, 12), seed=st.integers(0, 2**31),
       scale=st.floats(1e-6, 1e6), kind=st.sampled_from(["sparse_sign", "srht", "gaussian"]))
def test_hypothesis_matches_lstsq(n_extra, d, seed, scale, kind):
    rng = np.random.default_rng(seed)
    n = d + n_extra + 1
    A = scale * rng.standard_normal((n, d))
    b = rng.standard_normal(n)
    x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
    res = rnla.lstsq(A, b, sketch=kind, rng=seed)
    assert res.converged, res.message
    r_ref = np.linalg.norm(b - A @ x_ref)
    if 2 * sys.modules["rnla.lstsq"].default_sketch_size(n, d) <= n:
        forced = rnla.lstsq(A, b, method="precondition", sketch=kind, rng=seed)
        assert forced.converged, forced.message
        assert forced.residual_norm <= r_ref * (1 + 1e-10) + 1e-13 * np.linalg.norm(b)
    r_ref = np.linalg.norm(b - A @ x_ref)
    assert res.residual_norm <= r_ref * (1 + 1e-10) + 1e-13 * np.linalg.norm(b)


BAD = [
    (dict(A=np.ones((3, 5)), b=np.ones(3), method="precondition"), ValueError,
     "method='direct'"),
    (dict(b=np.ones(99)), ValueError, "`b` must have 100 rows"),
    (dict(b=np.full(100, np.nan)), ValueError, "`b` must contain only finite"),
    (dict(A=np.full((100, 5), np.inf)), ValueError, "`A` must contain only finite"),
    (dict(sketch_size=4, method="precondition"), ValueError,
     "`sketch_size` must be at least d = 5"),
    (dict(tol=0.0), ValueError, "`tol`"),
    (dict(tol=1.0), ValueError, "`tol`"),
    (dict(method="qr"), ValueError, "`method`"),
    (dict(sketch="fourier"), ValueError, "`sketch`"),
    (dict(solver="gmres"), ValueError, "`solver`"),
    (dict(maxiter=-1), ValueError, "`maxiter`"),
    (dict(x0=np.ones(4)), ValueError, "`x0`"),
    (dict(A=np.ones((100, 5), dtype=complex)), TypeError, "complex"),
    (dict(A=np.ones((0, 5)), b=np.ones(0)), ValueError, "`A`"),
    (dict(sketch="uniform", sketch_size=101, method="precondition"), ValueError,
     "`sketch_size` must be less than n"),
    (dict(refresh=True, method="ihs", sketch=rnla.SRHT(20, 100, rng=0)), ValueError,
     "refresh"),
]


@pytest.mark.parametrize("kwargs,exc,match", BAD)
def test_bad_input(kwargs, exc, match, rng):
    args = dict(A=rng.standard_normal((100, 5)), b=rng.standard_normal(100))
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        rnla.lstsq(args.pop("A"), args.pop("b"), **args)


def test_bad_ridge_alpha(rng):
    with pytest.raises(ValueError, match="`alpha`"):
        rnla.ridge(rng.standard_normal((100, 5)), rng.standard_normal(100), -1.0)


def test_sketch_solve_warns_about_ignored_options(rng):
    A, b = problem(500, 5, 1e1, 1.0, rng)
    with pytest.warns(UserWarning, match="ignored"):
        rnla.lstsq(A, b, method="sketch_solve", sketch_size=20, maxiter=5, rng=0)


def test_ridge_with_a_penalty_per_coefficient(rng):
    A, b = problem(3000, 10, 1e4, 1.0, rng)
    alpha = np.r_[np.zeros(2), np.logspace(-2, 2, 8)]
    x_ref = np.linalg.solve(A.T @ A + np.diag(alpha), A.T @ b)
    for solver in ["cg", "lsqr"]:
        res = rnla.ridge(A, b, alpha, method="precondition", solver=solver, rng=0)
        assert res.converged
        assert np.linalg.norm(res.x - x_ref) <= 1e-8 * np.linalg.norm(x_ref)
    with pytest.raises(ValueError, match="`alpha` must be a float or have shape"):
        rnla.ridge(A, b, np.ones(3))
    with pytest.raises(ValueError, match="`alpha` must contain only finite values >= 0"):
        rnla.ridge(A, b, -alpha)


@pytest.mark.parametrize("method", ["precondition", "ihs"])    # CG, the heavy ball
def test_callback_every_iteration(method):
    """As scipy's cg: a call per inner iteration with the current x; returning True
    stops there with that x."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((20000, 40)) * np.logspace(0, -3, 40)
    b = rng.standard_normal(20000)
    seen = []
    res = rnla.lstsq(A, b, method=method, rng=0,
                     callback=lambda s: seen.append(s) or False, callback_every="iteration")
    per_iteration = [s for s in seen if np.isnan(s.backward_error)]
    assert res.converged and len(per_iteration) == res.n_iter
    assert [s.n_iter for s in per_iteration] == list(range(1, res.n_iter + 1))
    kept = []
    stopped = rnla.lstsq(A, b, method=method, rng=0,
                         callback=lambda s: kept.append(s.x.copy()) or len(kept) == 3,
                         callback_every="iteration")
    assert stopped.status == "callback" and stopped.n_iter == 3
    np.testing.assert_array_equal(stopped.x, kept[-1])
    with pytest.raises(ValueError, match="callback_every"):
        rnla.lstsq(A, b, callback=print, callback_every="often")
