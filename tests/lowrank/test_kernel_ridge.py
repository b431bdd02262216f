"""Nystrom-preconditioned kernel ridge regression and the Nystrom preconditioner, against
exact solves of the same systems."""

import warnings

import numpy as np
import pytest
import scipy.sparse.linalg as spla
from hypothesis import given, settings
from hypothesis import strategies as st

import rnla
from rnla.features import kernel_matrix
from rnla.lowrank import NystromPreconditioner, kernel_ridge


def data(n=1500, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X, np.sin(X.sum(axis=1)) + 0.1 * rng.standard_normal(n)


def relative_residual(H, c, b):
    return np.linalg.norm(H @ c - b) / np.linalg.norm(b)


@pytest.mark.parametrize("kernel", ["gaussian", "laplacian", "matern"])
@pytest.mark.parametrize("alpha", [1e-1, 1e-3])
def test_full_krr_meets_tol_on_the_exact_system(kernel, alpha):
    X, y = data()
    K = kernel_matrix(X, kernel=kernel, bandwidth=2.0)
    H = K + alpha * np.eye(len(y))
    res = kernel_ridge(X, y, alpha, kernel=kernel, bandwidth=2.0, rng=0)
    assert res.converged and res.method == "full"
    # the reported residual is the true one, to rounding
    assert relative_residual(H, res.coef, y) <= 1e-6 * (1 + 1e-6)
    assert abs(relative_residual(H, res.coef, y) - res.residual) < 1e-9
    exact = np.linalg.solve(H, y)
    cond = np.linalg.cond(H)
    assert np.linalg.norm(res.coef - exact) <= 1e-6 * cond * np.linalg.norm(exact)


@pytest.mark.parametrize("landmarks", ["rpcholesky", "uniform", "leverage"])
@pytest.mark.parametrize("alpha", [1e-1, 1e-6])
def test_restricted_krr_solves_the_subset_of_regressors_system(landmarks, alpha):
    X, y = data()
    res = kernel_ridge(X, y, alpha, bandwidth=2.0, n_centers=200, landmarks=landmarks, rng=0)
    assert res.converged and res.method == "restricted" and res.centers.size == 200
    assert len(np.unique(res.centers)) == 200
    K = kernel_matrix(X, bandwidth=2.0)
    KnS = K[:, res.centers]
    H = KnS.T @ KnS + alpha * K[np.ix_(res.centers, res.centers)]
    assert relative_residual(H, res.coef, KnS.T @ y) <= 1e-6 * (1 + 1e-6)
    # KRILL: the condition number is bounded whatever alpha, so few iterations
    assert res.n_iter <= 50


def test_two_targets_streamed_blocks_and_memory_cap_agree():
    X, y = data(n=9000, d=3)
    Y = np.column_stack([y, np.cos(X[:, 0])])
    kept = kernel_ridge(X, Y, 1e-2, bandwidth=2.0, n_centers=300, rng=1)
    streamed = kernel_ridge(X, Y, 1e-2, bandwidth=2.0, n_centers=300, rng=1, max_memory=0)
    assert kept.coef.shape == (300, 2)
    np.testing.assert_array_equal(kept.centers, streamed.centers)
    np.testing.assert_allclose(kept.coef, streamed.coef, rtol=1e-10, atol=1e-12)
    single = kernel_ridge(X, Y[:, 1], 1e-2, bandwidth=2.0, n_centers=300, rng=1)
    # each target is its own CG run: the same system solved to the same tolerance
    Xs = X / 2.0
    KnS = kernel_matrix(Xs, Xs[kept.centers])
    H = KnS.T @ KnS + 1e-2 * kernel_matrix(Xs[kept.centers])
    for c in (single.coef, kept.coef[:, 1]):
        assert relative_residual(H, c, KnS.T @ Y[:, 1]) <= 1e-6 * (1 + 1e-6)


def test_seed_reproduces_and_float32_input():
    X, y = data(n=600)
    a = kernel_ridge(X, y, 1e-2, bandwidth=2.0, n_centers=100, rng=3)
    b = kernel_ridge(X.astype(np.float32), y.astype(np.float32), 1e-2, bandwidth=2.0,
                     n_centers=100, rng=3)
    np.testing.assert_array_equal(a.centers, b.centers)
    assert a.coef.dtype == np.float64
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-3, atol=1e-3 * np.abs(a.coef).max())


def test_maxiter_status_and_bad_input():
    X, y = data(n=400)
    res = kernel_ridge(X, y, 1e-8, bandwidth=2.0, rank=5, maxiter=3, rng=0)
    assert res.status == "maxiter" and res.n_iter == 3 and "not met" in res.message
    X0, y0 = X.copy(), y.copy()
    for kwargs, match in [({"alpha": 0.0}, "alpha"), ({"bandwidth": -1.0}, "bandwidth"),
                          ({"n_centers": 0}, "n_centers"), ({"n_centers": 401}, "n_centers"),
                          ({"kernel": "poly"}, "kernel"), ({"tol": 0}, "tol")]:
        args = {"alpha": 1e-2, **kwargs}
        with pytest.raises(ValueError, match=match):
            kernel_ridge(X, y, args.pop("alpha"), **args)
    with pytest.raises(ValueError, match="y"):
        kernel_ridge(X, y[:-1], 1e-2)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="X"):
        kernel_ridge(bad, y, 1e-2)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(20, 120), r=st.integers(1, 20), mu=st.floats(1e-6, 10.0),
       seed=st.integers(0, 2**16))
def test_preconditioner_is_the_exact_inverse(n, r, mu, seed):
    rng = np.random.default_rng(seed)
    F = rng.standard_normal((n, min(r, n)))
    P = NystromPreconditioner.from_factor(F, mu)
    V = rng.standard_normal((n, 3))
    exact = np.linalg.solve(F @ F.T + mu * np.eye(n), V)
    np.testing.assert_allclose(P @ V, exact, rtol=1e-8, atol=1e-8 * np.abs(exact).max())
    np.testing.assert_allclose(P.matvec(V[:, 0]), exact[:, 0], rtol=1e-8,
                               atol=1e-8 * np.abs(exact).max())


def test_preconditioner_cuts_scipy_cg_iterations():
    X, y = data(n=1500)
    K = kernel_matrix(X, bandwidth=2.0)
    mu = 1e-4
    H = K + mu * np.eye(len(y))
    counts = {}
    for name, M in [("none", None),
                    ("nystrom", NystromPreconditioner.from_eigh(
                        rnla.lowrank.nystrom(K, 300, rng=0), mu)),
                    ("rpcholesky", NystromPreconditioner.from_factor(
                        rnla.lowrank.rpcholesky(X, 300, bandwidth=2.0, rng=0).F, mu))]:
        its = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x, info = spla.cg(H, y, M=M, rtol=1e-8, maxiter=2000, callback=its.append)
        if M is not None:
            assert info == 0 and relative_residual(H, x, y) <= 1e-8 * (1 + 1e-6)
        counts[name] = len(its)             # plain CG may stop at maxiter
    assert counts["rpcholesky"] * 5 < counts["none"]
    assert counts["nystrom"] * 5 < counts["none"]


def test_preconditioner_bad_input():
    with pytest.raises(ValueError, match="mu"):
        NystromPreconditioner(np.eye(3)[:, :2], [1.0, 0.5], 0.0)
    with pytest.raises(ValueError, match="eigenvalues"):
        NystromPreconditioner(np.eye(3)[:, :2], [1.0, -0.5], 1.0)
    with pytest.raises(ValueError, match="U"):
        NystromPreconditioner(np.eye(3), [1.0, 0.5], 1.0)
    assert "rank=2" in repr(NystromPreconditioner(np.eye(3)[:, :2], [1.0, 0.5], 1.0))


def test_estimator_matches_sklearn_kernel_ridge():
    KernelRidge = pytest.importorskip("sklearn.kernel_ridge").KernelRidge

    from rnla.estimators import NystromKernelRidge

    X, y = data(n=800)
    exact = KernelRidge(alpha=1e-2, kernel="rbf", gamma=0.125).fit(X, y)
    ours = NystromKernelRidge(alpha=1e-2, gamma=0.125, random_state=0).fit(X, y)
    assert ours.result_.method == "full"
    np.testing.assert_allclose(ours.dual_coef_, exact.dual_coef_, rtol=0,
                               atol=1e-4 * np.abs(exact.dual_coef_).max())
    Xt, _ = data(n=200, seed=1)
    np.testing.assert_allclose(ours.predict(Xt), exact.predict(Xt), rtol=0, atol=1e-5)
    restricted = NystromKernelRidge(alpha=1e-2, gamma=0.125, n_centers=300,
                                    random_state=0).fit(X, y)
    assert restricted.X_fit_.shape == (300, 4)
    assert ours.predict(Xt.astype(np.float32)).dtype == np.float32


def test_estimator_warns_when_cg_stops_early():
    ConvergenceWarning = pytest.importorskip("sklearn.exceptions").ConvergenceWarning

    from rnla.estimators import NystromKernelRidge

    X, y = data(n=300)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        NystromKernelRidge(alpha=1e-8, gamma=0.125, n_components=3, max_iter=2,
                           random_state=0).fit(X, y)
