"""ridge_path and SketchedRidgeCV against scikit-learn's Ridge and RidgeCV and an exact
GCV computed from the SVD."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import rnla

ALPHAS = np.logspace(-3, 3, 7)


def problem(n=3000, d=15, seed=0, targets=None):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, d)) * np.logspace(0, -2, d) + 2.0
    shape = (n,) if targets is None else (n, targets)
    b = A @ rng.standard_normal((d,) + shape[1:]) + rng.standard_normal(shape) + 1.0
    return A, b


def exact_gcv(A, b, alphas, center=True):
    if center:
        A, b = A - A.mean(0), b - b.mean(0)
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    out = []
    for a in alphas:
        x = Vt.T @ ((s / (s**2 + a)) * (U.T @ b))
        df = np.sum(s**2 / (s**2 + a)) + center
        out.append((np.sum((b - A @ x) ** 2) / len(b)) / (1 - df / len(b)) ** 2)
    return np.array(out)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("center", [True, False])
def test_every_penalty_solves_its_normal_equations(sparse, center):
    A, b = problem()
    M = sp.csr_matrix(A) if sparse else A
    tol = 1e-8
    res = rnla.ridge_path(M, b, ALPHAS, center=center, tol=tol, rng=0)
    assert res.converged and res.x.shape == (7, 15)
    Ac, bc = (A - A.mean(0), b - b.mean()) if center else (A, b)
    for j, alpha in enumerate(ALPHAS):
        H = Ac.T @ Ac + alpha * np.eye(15)
        # exact reference: least squares on [A_c; sqrt(alpha) I] (no normal equations)
        x = np.linalg.lstsq(np.vstack([Ac, np.sqrt(alpha) * np.eye(15)]),
                            np.r_[bc, np.zeros(15)], rcond=None)[0]
        # a relative normal-equation residual tol bounds the error by cond(H) tol
        assert np.linalg.norm(res.x[j] - x) <= np.linalg.cond(H) * tol * np.linalg.norm(x)
        intercept = b.mean() - A.mean(0) @ x if center else 0.0
        assert abs(res.intercept[j] - intercept) <= 1e-6 * max(abs(intercept), 1.0)
        if not sparse:   # scikit-learn's dense Ridge solves exactly too
            Ridge = pytest.importorskip("sklearn.linear_model").Ridge
            ref = Ridge(alpha=alpha, fit_intercept=center).fit(A, b)
            assert np.linalg.norm(ref.coef_ - x) <= 1e-8 * np.linalg.norm(x)


def test_gcv_within_its_bound_and_multi_target():
    A, B = problem(targets=2)
    res = rnla.ridge_path(A, B, ALPHAS, rng=1)
    assert res.x.shape == (7, 15, 2) and res.intercept.shape == (7, 2)
    exact = np.mean([exact_gcv(A, B[:, t], ALPHAS) for t in range(2)], axis=0)
    n = len(B)
    # the sketch's singular values are within 1 +- eps (eps < 1) of A's
    bound = 2 * res.df / (n - res.df)
    assert np.all(np.abs(res.gcv - exact) / exact <= bound)
    assert res.best == int(np.argmin(exact))


@settings(max_examples=15, deadline=None)
@given(n=st.integers(40, 400), d=st.integers(1, 12), seed=st.integers(0, 2**16),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_hypothesis_normal_equations_hold(n, d, seed, dtype):
    A, b = problem(n, d, seed)
    res = rnla.ridge_path(A.astype(dtype), b.astype(dtype), [1e-2, 1.0, 1e2], rng=seed)
    Ac, bc = A.astype(dtype).astype(float), b.astype(dtype).astype(float)
    Ac, bc = Ac - Ac.mean(0), bc - bc.mean()
    for x, alpha in zip(res.x, [1e-2, 1.0, 1e2], strict=True):
        rhs = Ac.T @ bc
        resid = Ac.T @ (Ac @ x) + alpha * x - rhs
        assert np.linalg.norm(resid) <= 1e-7 * max(np.linalg.norm(rhs), 1e-300) + 1e-10


def test_bad_input_and_nothing_modified():
    A, b = problem(n=200, d=5)
    A0, b0 = A.copy(), b.copy()
    for alphas in ([], [0.0, 1.0], [-1.0], [np.nan]):
        with pytest.raises(ValueError, match="alphas"):
            rnla.ridge_path(A, b, alphas)
    with pytest.raises(ValueError, match="`b`"):
        rnla.ridge_path(A, b[:-1], [1.0])
    bad = A.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="A"):
        rnla.ridge_path(bad, b, [1.0])
    rnla.ridge_path(A, b, [1.0], rng=0)
    np.testing.assert_array_equal(A, A0)
    np.testing.assert_array_equal(b, b0)
    res = rnla.ridge_path(A, b, [1.0, 2.0], maxiter=0)
    assert res.status == "maxiter"


def test_estimator_chooses_ridgecv_alpha():
    RidgeCV = pytest.importorskip("sklearn.linear_model").RidgeCV
    from rnla.estimators import SketchedRidgeCV

    A, b = problem(n=20000, d=40, seed=3)
    alphas = np.logspace(-3, 5, 20)
    ours = SketchedRidgeCV(alphas=alphas, random_state=0).fit(A, b)
    theirs = RidgeCV(alphas=alphas).fit(A, b)
    assert ours.alpha_ == theirs.alpha_
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6,
                               atol=1e-6 * np.abs(theirs.coef_).max())
    assert ours.intercept_ == pytest.approx(theirs.intercept_, rel=1e-6)
    assert ours.best_score_ == pytest.approx(theirs.best_score_, rel=1e-2)
    Z = SketchedRidgeCV(alphas=alphas, random_state=0).fit(A.astype(np.float32), b)
    assert Z.coef_.dtype == np.float32

