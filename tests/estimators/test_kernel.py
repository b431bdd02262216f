"""QMCFourierFeatures and QMCKernelRidge: the scikit-learn contract and agreement with sklearn."""

import numpy as np
import pytest
import scipy.sparse as sp

pytest.importorskip("sklearn")
from sklearn.kernel_approximation import RBFSampler  # noqa: E402
from sklearn.kernel_ridge import KernelRidge  # noqa: E402
from sklearn.linear_model import Ridge  # noqa: E402
from sklearn.metrics.pairwise import laplacian_kernel, rbf_kernel  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import rnla  # noqa: E402
from rnla.estimators import (  # noqa: E402
    NystromKernelRidge,
    QMCFourierFeatures,
    QMCKernelRidge,
)


@parametrize_with_checks([QMCFourierFeatures(random_state=0),
                          QMCFourierFeatures(sequence="sobol", kind="cos_phase", random_state=0),
                          QMCKernelRidge(random_state=0),
                          NystromKernelRidge(random_state=0),
                          NystromKernelRidge(n_centers=150, random_state=0)])
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_lazy_top_level_access():
    assert rnla.QMCFourierFeatures is QMCFourierFeatures
    assert rnla.QMCKernelRidge is QMCKernelRidge


def gram_error(Z, K):
    return np.linalg.norm(Z @ Z.T - K, 2) / np.linalg.norm(K, 2)


@pytest.mark.parametrize("kernel, exact", [("rbf", rbf_kernel), ("laplacian", laplacian_kernel)])
def test_kernel_parametrisation_matches_sklearn(kernel, exact, rng):
    """gamma means what it means in sklearn.metrics.pairwise (the RBFSampler bug of #3656
    was a factor 2 in the variance, which this check would catch)."""
    X = rng.random((200, 3))
    K = exact(X, gamma=0.7)
    Z = QMCFourierFeatures(kernel=kernel, gamma=0.7, n_components=4096, sequence="sobol",
                           random_state=0).fit_transform(X)
    assert gram_error(Z, K) < 0.02
    # a factor-2 error in gamma is far outside that
    assert gram_error(Z, exact(X, gamma=1.4)) > 0.1


def test_gamma_scale_as_rbfsampler(rng):
    X = rng.random((100, 4)) * 3
    ours = QMCFourierFeatures(gamma="scale", n_components=8, random_state=0).fit(X)
    theirs = RBFSampler(gamma="scale", n_components=8, random_state=0).fit(X)
    assert np.isclose(ours.feature_map_.bandwidth_, 1 / np.sqrt(2 * theirs._gamma))


def test_more_accurate_than_rbfsampler(rng):
    X = rng.random((300, 5))
    K = rbf_kernel(X, gamma=1.0)
    err_qmc, err_mc = [], []
    for seed in range(5):
        err_qmc.append(gram_error(QMCFourierFeatures(n_components=1024, sequence="sobol",
                                                     random_state=seed).fit_transform(X), K))
        err_mc.append(gram_error(RBFSampler(n_components=1024, random_state=seed)
                                 .fit_transform(X), K))
    assert np.median(err_qmc) < 0.5 * np.median(err_mc)


def test_pipeline_with_ridge(rng):
    X = rng.uniform(-2, 2, (600, 2))
    y = np.sin(2 * X[:, 0]) * np.cos(X[:, 1])
    model = make_pipeline(QMCFourierFeatures(gamma=1.0, n_components=300, random_state=0),
                          Ridge(alpha=1e-4)).fit(X[:500], y[:500])
    assert model.score(X[500:], y[500:]) > 0.99


def test_dense_sparse_float32_agree(rng):
    X = rng.random((50, 6))
    X[X < 0.5] = 0
    est = QMCFourierFeatures(n_components=64, random_state=3).fit(X)
    Z = est.transform(X)
    np.testing.assert_allclose(est.transform(sp.csr_matrix(X)), Z, rtol=0, atol=1e-14)
    Z32 = QMCFourierFeatures(n_components=64, random_state=3).fit_transform(X.astype(np.float32))
    assert Z32.dtype == np.float32
    np.testing.assert_allclose(Z32, Z, atol=1e-5)


def test_kernel_ridge_closer_to_exact_kernel_ridge_than_rbfsampler(rng):
    """Predictions approach exact kernel ridge's as the features approach the kernel, and
    QMC features get closer than RBFSampler's i.i.d. ones with the same n_components."""
    X = rng.uniform(-2, 2, (500, 3))
    y = np.sin(X.sum(axis=1)) + 0.1 * rng.standard_normal(500)
    exact = KernelRidge(alpha=0.1, kernel="rbf", gamma=0.5).fit(X, y).predict(X)
    ours, theirs = [], []
    for seed in range(3):
        pred = QMCKernelRidge(alpha=0.1, gamma=0.5, n_components=2048, sequence="sobol",
                              random_state=seed).fit(X, y).predict(X)
        ours.append(np.linalg.norm(pred - exact) / np.linalg.norm(exact))
        Z = RBFSampler(gamma=0.5, n_components=2048, random_state=seed).fit_transform(X)
        pred = Ridge(alpha=0.1, fit_intercept=False).fit(Z, y).predict(Z)
        theirs.append(np.linalg.norm(pred - exact) / np.linalg.norm(exact))
    assert np.median(ours) < 0.05
    assert np.median(ours) < np.median(theirs)


@pytest.mark.parametrize("params, match", [
    ({"kernel": "poly"}, "kernel"),
    ({"gamma": -1.0}, "gamma"),
    ({"gamma": "auto"}, "gamma"),
    ({"n_components": 0}, "n_components"),
    ({"n_components": 7, "kind": "cos_sin"}, "even"),
    ({"kind": "sin"}, "kind"),
    ({"sequence": "niederreiter"}, "sequence"),
])
def test_bad_parameters(params, match, rng):
    with pytest.raises(ValueError, match=match):
        QMCFourierFeatures(**params).fit(rng.random((10, 2)))


def test_transform_checks_columns(rng):
    est = QMCFourierFeatures(n_components=8, random_state=0).fit(rng.random((10, 3)))
    with pytest.raises(ValueError, match="3 features"):
        est.transform(rng.random((10, 4)))
