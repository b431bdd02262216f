"""RandomizedSVD and RandomizedPCA: the scikit-learn contract and agreement with
TruncatedSVD / PCA (exact solvers)."""

import numpy as np
import pytest
import scipy.sparse as sp

pytest.importorskip("sklearn")
from sklearn.decomposition import PCA, TruncatedSVD  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from rnla.estimators import RandomizedPCA, RandomizedSVD  # noqa: E402


@parametrize_with_checks([RandomizedSVD(random_state=0), RandomizedPCA(n_components=2,
                                                                       random_state=0),
                          RandomizedPCA(n_components=2, whiten=True, random_state=0)])
def test_sklearn_contract(estimator, check):
    check(estimator)


def _data(rng, m=300, n=60):
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (U * 0.8 ** np.arange(n)) @ V.T + 3.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_randomized_svd_matches_truncated_svd(dtype, rng):
    X = _data(rng).astype(dtype)
    ours = RandomizedSVD(n_components=8, random_state=0).fit(X)
    ref = TruncatedSVD(n_components=8, algorithm="arpack").fit(X.astype(np.float64))
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    assert ours.components_.dtype == dtype
    np.testing.assert_allclose(ours.singular_values_, ref.singular_values_, rtol=rtol)
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_,
                               rtol=100 * rtol)
    np.testing.assert_allclose(np.abs(ours.components_), np.abs(ref.components_),
                               atol=100 * rtol)
    Z = ours.transform(X)
    np.testing.assert_allclose(ours.inverse_transform(Z), Z @ ours.components_)


def test_randomized_pca_matches_pca_on_dense_and_sparse(rng):
    X = _data(rng)
    ref = PCA(n_components=6, svd_solver="full").fit(X)
    ours = RandomizedPCA(n_components=6, random_state=0).fit(X)
    np.testing.assert_allclose(ours.mean_, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-8)
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_,
                               rtol=1e-8)
    np.testing.assert_allclose(ours.noise_variance_, ref.noise_variance_, rtol=1e-8)
    np.testing.assert_allclose(np.abs(ours.transform(X)), np.abs(ref.transform(X)), atol=1e-8)
    # sparse data is centered implicitly: the same numbers as the dense fit
    Xs = X * (rng.random(X.shape) < 0.3)
    dense = RandomizedPCA(n_components=6, random_state=0).fit(Xs)
    sparse = RandomizedPCA(n_components=6, random_state=0).fit(sp.csr_array(Xs))
    np.testing.assert_allclose(sparse.explained_variance_, dense.explained_variance_,
                               rtol=1e-10)
    np.testing.assert_allclose(sparse.transform(sp.csr_array(Xs)), dense.transform(Xs),
                               atol=1e-9)
    white = RandomizedPCA(n_components=6, whiten=True, random_state=0).fit(X)
    Z = white.transform(X)
    np.testing.assert_allclose(Z.var(axis=0, ddof=1), 1.0, rtol=1e-8)
    np.testing.assert_allclose(white.inverse_transform(Z), ref.inverse_transform(
        ref.transform(X)), atol=1e-8)


def test_tol_finds_rank(rng):
    X = _data(rng)  # singular values 0.8^i of the centered part
    pca = RandomizedPCA(n_components=None, tol=0.8 ** 10 * 1.0001, random_state=0).fit(X)
    assert 10 <= pca.n_components_ <= 11


def test_partial_fit_is_the_single_pass_svd_of_all_batches(rng):
    X = _data(rng, m=900)
    batched = RandomizedSVD(n_components=6, random_state=0)
    for r0 in range(0, 900, 200):
        batched.partial_fit(X[r0:r0 + 200])
    assert batched.n_samples_seen_ == 900
    exact = np.linalg.svd(X, compute_uv=False)
    # one pass, no power steps: by Weyl, each value within ||X - U S Vt||_2 of the true
    # one, which the sketch's bound exceeds (probability 0.99; fixed seed)
    bound = batched.sketch_.svd()[2]
    assert np.abs(batched.singular_values_ - exact[:6]).max() <= bound
    V = batched.components_
    np.testing.assert_allclose(V @ V.T, np.eye(6), atol=1e-10)
    projected = np.linalg.norm(X - X @ V.T @ V, 2)
    assert projected <= 3 * exact[6]
    # explained variance from sigma^2 / n - (mean . v)^2: well conditioned on centered
    # data (a large mean makes it a difference of large numbers)
    Xc = X - X.mean(axis=0)
    centered = RandomizedSVD(n_components=6, random_state=0)
    for r0 in range(0, 900, 200):
        centered.partial_fit(Xc[r0:r0 + 200])
    ref = TruncatedSVD(n_components=6, algorithm="arpack").fit(Xc)
    np.testing.assert_allclose(centered.explained_variance_ratio_[:2],
                               ref.explained_variance_ratio_[:2], rtol=0.05)
    # sparse batches give the same sketches as dense ones
    sparse = RandomizedSVD(n_components=6, random_state=0)
    for r0 in range(0, 900, 200):
        sparse.partial_fit(sp.csr_array(X[r0:r0 + 200]))
    np.testing.assert_allclose(sparse.singular_values_, batched.singular_values_, rtol=0,
                               atol=1e-12 * batched.singular_values_[0])
    with pytest.raises(ValueError, match="features"):
        batched.partial_fit(X[:10, :20])
