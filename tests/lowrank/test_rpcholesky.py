"""rnla.lowrank.rpcholesky and NystromFeatures against exact kernel matrices."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import rnla
from rnla.features import kernel_matrix


def clustered(seed=0, n=1500):
    rng = np.random.default_rng(seed)
    rare = [rng.normal(rng.uniform(-8, 8, 3), 0.2, (10, 3)) for _ in range(8)]
    return np.concatenate([rng.normal(0, 1, (n, 3))] + rare)


@pytest.mark.parametrize("landmarks", ["rpcholesky", "uniform", "leverage"])
@pytest.mark.parametrize("kernel", ["gaussian", "laplacian", "cauchy", "matern"])
def test_factor_and_residual_trace_are_exact(landmarks, kernel):
    X = clustered()[:400]
    K = kernel_matrix(X, kernel=kernel, bandwidth=1.5)
    res = rnla.lowrank.rpcholesky(X, 60, kernel=kernel, bandwidth=1.5, landmarks=landmarks,
                                  rng=0)
    E = K - res.F @ res.F.T
    assert np.trace(E) == pytest.approx(res.residual_trace, rel=1e-8, abs=1e-9)
    assert np.linalg.eigvalsh(E).min() > -1e-8             # a Nystrom residual is PSD
    # features of the training rows reproduce F: W k(S, x)
    np.testing.assert_allclose(K[:, res.pivots] @ res.W.T, res.F, atol=1e-7)


def test_rpcholesky_finds_rare_clusters_and_beats_uniform():
    X = clustered()
    K = kernel_matrix(X, bandwidth=3.0)

    def error(landmarks):
        F = rnla.lowrank.rpcholesky(X, 100, bandwidth=3.0, landmarks=landmarks, rng=1).F
        return np.linalg.norm(K - F @ F.T, 2)
    assert error("rpcholesky") < error("uniform") / 2


@pytest.mark.parametrize("block_size", [1, 7, 120])
def test_block_sizes_and_a_precomputed_matrix(block_size):
    X = clustered()[:300]
    K = kernel_matrix(X, bandwidth=2.0)
    for source in (K, sp.csr_matrix(K)):
        res = rnla.lowrank.rpcholesky(source, 40, kernel="precomputed", block_size=block_size,
                                      rng=0)
        assert res.F.shape == (300, 40) and len(set(res.pivots)) == 40
        assert np.trace(K - res.F @ res.F.T) == pytest.approx(res.residual_trace, rel=1e-8)


def test_stops_at_the_numerical_rank_and_refuses_bad_input():
    G = np.random.default_rng(0).standard_normal((100, 5))
    res = rnla.lowrank.rpcholesky(G @ G.T, 20, kernel="precomputed", rng=0)
    assert res.F.shape[1] == 5 and "numerical rank" in res.message
    A = np.diag(np.r_[np.ones(50), -np.ones(50)])
    with pytest.raises(ValueError, match="positive semidefinite"):
        rnla.lowrank.rpcholesky(A, 60, kernel="precomputed", rng=0)
    with pytest.raises(ValueError, match="bandwidth"):
        rnla.lowrank.rpcholesky(G, 3, bandwidth=0.0)
    with pytest.raises(ValueError, match="NaN|finite"):
        rnla.lowrank.rpcholesky(np.full((5, 2), np.nan), 2)
    with pytest.raises(ValueError, match="`k`"):
        rnla.lowrank.rpcholesky(G, 101)
    before = G.copy()
    rnla.lowrank.rpcholesky(G, 3, rng=0)
    np.testing.assert_array_equal(G, before)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(2, 60), k=st.integers(1, 30), seed=st.integers(0, 1000),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_residual_is_psd_and_trace_decreases(n, k, seed, dtype):
    X = np.random.default_rng(seed).standard_normal((n, 2)).astype(dtype)
    k = min(k, n)
    K = kernel_matrix(X, bandwidth=1.0)
    res = rnla.lowrank.rpcholesky(X, k, rng=seed)
    assert 0 <= res.residual_trace <= n + 1e-9
    assert np.linalg.eigvalsh(K - res.F @ res.F.T).min() > -1e-7


def test_nystrom_features_against_sklearn_nystroem():
    pytest.importorskip("sklearn")
    from sklearn.kernel_approximation import Nystroem
    from sklearn.utils.estimator_checks import check_estimator

    from rnla.estimators import NystromFeatures
    check_estimator(NystromFeatures(n_components=20, random_state=0))
    X = clustered()
    K = kernel_matrix(X, bandwidth=3.0)
    ours = NystromFeatures(gamma=1 / 18, n_components=100, random_state=0).fit(X)
    Z = ours.transform(X)
    # fit_transform returns the factor itself: the same features up to rounding
    Zf = NystromFeatures(gamma=1 / 18, n_components=100, random_state=0).fit_transform(X)
    np.testing.assert_allclose(Zf, Z, rtol=0, atol=1e-8)
    theirs = Nystroem(gamma=1 / 18, n_components=100, random_state=0).fit_transform(X)
    assert np.linalg.norm(K - Z @ Z.T, 2) < np.linalg.norm(K - theirs @ theirs.T, 2) / 2
    uniform = NystromFeatures(gamma=0.5, n_components=X.shape[0], landmarks="uniform",
                              random_state=0).fit_transform(X[:200])
    K200 = kernel_matrix(X[:200], bandwidth=1.0)
    np.testing.assert_allclose(uniform @ uniform.T, K200, atol=1e-6)
    Z32 = NystromFeatures(gamma=0.5, n_components=30, random_state=0).fit_transform(
        X.astype(np.float32))
    assert Z32.dtype == np.float32
