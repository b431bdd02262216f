"""Leverage scores against exact identities."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import rnla
from tests.conftest import orthonormal


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exact_matches_row_norms_of_basis(dtype, rng):
    A = rng.standard_normal((500, 12)) @ rng.standard_normal((12, 12))
    U = np.linalg.svd(A, full_matrices=False)[0]
    h = rnla.leverage_scores(A.astype(dtype))
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(h, np.sum(U**2, axis=1), atol=tol)
    assert abs(h.sum() - 12) < tol * 500
    assert h.min() >= 0 and h.max() <= 1 + tol


def test_identities(rng):
    A = np.vstack([np.eye(4), np.zeros((6, 4))])
    np.testing.assert_allclose(rnla.leverage_scores(A), [1] * 4 + [0] * 6, atol=1e-12)
    B = rng.standard_normal((300, 6))
    G = rng.standard_normal((6, 6))
    np.testing.assert_allclose(rnla.leverage_scores(B @ G), rnla.leverage_scores(B), atol=1e-8)
    # rank deficient: two equal columns
    C = np.column_stack([B, B[:, 0]])
    h = rnla.leverage_scores(C)
    assert abs(h.sum() - 6) < 1e-8
    np.testing.assert_allclose(h, rnla.leverage_scores(B), atol=1e-8)
    assert np.all(rnla.leverage_scores(np.zeros((5, 2))) == 0)


def test_sparse_exact_equals_dense(rng):
    A = sp.random(3000, 20, density=0.05, random_state=1, format="csr") + sp.eye(3000, 20)
    h_dense = rnla.leverage_scores(A.toarray())
    for X in (A, A.tocsc(), A.tocoo()):
        np.testing.assert_allclose(rnla.leverage_scores(X), h_dense, atol=1e-10)
    D = sp.hstack([A, A[:, :1]]).tocsr()  # rank deficient sparse
    assert abs(rnla.leverage_scores(D).sum() - 20) < 1e-8


@pytest.mark.parametrize("eps", [0.5, 0.25, 0.1])
@pytest.mark.parametrize("sketch", ["sparse_sign", "srht", "gaussian"])
def test_approx_within_requested_relative_error_on_coherent_matrix(eps, sketch):
    rng = np.random.default_rng(3)
    n, d = 2**14, 20
    A = rng.standard_normal((n, d))
    A[:d] += 1e3 * np.eye(d)  # d rows with leverage near 1
    A[d : 3 * d] *= 10.0
    h = rnla.leverage_scores(A)
    assert h.max() > 0.95  # coherence (n/d) max h ~ 800
    ha = rnla.leverage_scores(A, method="approx", eps=eps, sketch=sketch, rng=0)
    assert np.max(np.abs(ha - h) / h) <= eps


def test_approx_with_jl_projection():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((2**14, 200))
    h = rnla.leverage_scores(A)
    ha = rnla.leverage_scores(A, method="approx", eps=0.5, n_projections=100, rng=0)
    assert np.max(np.abs(ha - h) / h) <= 0.5 + 0.5  # JL with 100 projections: sd ~ 0.14
    assert np.corrcoef(ha, h)[0, 1] > 0.5
    assert abs(ha.sum() / h.sum() - 1) < 0.1


def test_approx_falls_back_to_exact_when_sketch_is_not_smaller(rng):
    A = rng.standard_normal((100, 10))
    np.testing.assert_allclose(rnla.leverage_scores(A, method="approx", rng=0),
                               rnla.leverage_scores(A), atol=1e-12)


def test_approx_is_reproducible(rng):
    A = rng.standard_normal((5000, 5))
    h1 = rnla.leverage_scores(A, method="approx", eps=0.5, rng=7)
    h2 = rnla.leverage_scores(A, method="approx", eps=0.5, rng=7)
    np.testing.assert_array_equal(h1, h2)


@given(n=st.integers(1, 200), d=st.integers(1, 8), seed=st.integers(0, 2**31))
def test_exact_hypothesis(n, d, seed):
    if n < d:
        n = d
    rng = np.random.default_rng(seed)
    U = orthonormal(n, d, rng)
    A = U @ rng.standard_normal((d, d))
    h = rnla.leverage_scores(A)
    rank = np.linalg.matrix_rank(A)
    assert abs(h.sum() - rank) < 1e-8 * n
    assert h.min() >= -1e-12 and h.max() <= 1 + 1e-12
