"""One contract for every sketch kind: shape, determinism, dtype, S @ A vs the
dense S, transpose, E[S^T S] = I, subspace embedding at the documented size."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import rnla
from rnla.sketch import SKETCH_KINDS, embedding_size
from tests.conftest import orthonormal

KINDS = sorted(SKETCH_KINDS)


def build(kind, k, n, rng=0, **kw):
    if kind == "leverage" and "probabilities" not in kw:
        p = np.random.default_rng(n).random(n) + 0.1
        kw["probabilities"] = p / p.sum()
    return rnla.make_sketch(kind, k, n, rng=rng, **kw)


def dense(X):
    return X.toarray() if sp.issparse(X) else np.asarray(X)


@pytest.mark.parametrize("kind", KINDS)
def test_shape_and_determinism(kind):
    S1, S2, S3 = build(kind, 20, 100, rng=5), build(kind, 20, 100, rng=5), build(kind, 20, 100, 6)
    assert S1.shape == (20, 100)
    np.testing.assert_array_equal(S1.to_dense(), S2.to_dense())
    assert not np.array_equal(S1.to_dense(), S3.to_dense())
    A = np.random.default_rng(0).standard_normal((100, 3))
    np.testing.assert_array_equal(dense(S1 @ A), dense(S2 @ A))
    # a Generator seed is accepted, and the same state gives the same sketch
    g1, g2 = np.random.default_rng(1), np.random.default_rng(1)
    np.testing.assert_array_equal(build(kind, 20, 100, rng=g1).to_dense(),
                                  build(kind, 20, 100, rng=g2).to_dense())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_apply_matches_dense_operator(kind, dtype, rng):
    n, d, k = 300, 7, 40
    S = build(kind, k, n, rng=3)
    D = S.to_dense()
    A = rng.standard_normal((n, d))
    A[rng.random((n, d)) < 0.5] = 0
    if dtype == np.int64:
        A = np.round(4 * A)
    A = A.astype(dtype)
    out_dtype = np.float64 if dtype == np.int64 else dtype
    ref = D @ A.astype(np.float64)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    inputs = [A, np.asfortranarray(A), A[::1, :], sp.csr_matrix(A), sp.csc_matrix(A),
              sp.coo_matrix(A), sp.csr_array(A)]
    for X in inputs:
        before = dense(X).copy()
        Y = S @ X
        assert Y.dtype == out_dtype, (type(X), Y.dtype)
        assert Y.shape == (k, d)
        np.testing.assert_allclose(dense(Y), ref, rtol=tol, atol=tol * np.abs(ref).max())
        np.testing.assert_array_equal(dense(X), before)  # input untouched
    v = A[:, 0]
    np.testing.assert_allclose(S @ v, ref[:, 0], rtol=tol, atol=tol * np.abs(ref).max())
    np.testing.assert_allclose(S.apply(A[:, [0]]), ref[:, [0]], rtol=tol,
                               atol=tol * np.abs(ref).max())
    # non-contiguous input view
    wide = np.zeros((n, 2 * d), dtype=dtype)
    wide[:, ::2] = A
    np.testing.assert_allclose(dense(S @ wide[:, ::2]), ref, rtol=tol,
                               atol=tol * np.abs(ref).max())


@pytest.mark.parametrize("kind", KINDS)
def test_transpose_and_linear_operator(kind, rng):
    S = build(kind, 30, 200, rng=2)
    D = S.to_dense()
    Y = rng.standard_normal((30, 4))
    np.testing.assert_allclose(S.apply_transpose(Y), D.T @ Y, atol=1e-12)
    L = S.as_linear_operator()
    x = rng.standard_normal(200)
    y = rng.standard_normal(30)
    np.testing.assert_allclose(L.matvec(x), D @ x, atol=1e-12)
    np.testing.assert_allclose(L.rmatvec(y), D.T @ y, atol=1e-12)
    np.testing.assert_allclose(L.matmat(np.eye(200)[:, :3]), D[:, :3], atol=1e-12)
    np.testing.assert_allclose(L.rmatmat(np.eye(30)[:, :2]), D.T[:, :2], atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_expected_gram_is_identity(kind):
    """E[S^T S] = I: over B draws every entry of the mean Gram matrix is within
    6 standard errors (Bonferroni over n^2 entries: false alarm ~2e-6)."""
    n, k, B = 32, 16, 3000
    p = np.random.default_rng(0).random(n) + 0.2
    kw = {"probabilities": p / p.sum()} if kind == "leverage" else {}
    root = np.random.SeedSequence(42)
    G = np.empty((B, n, n))
    for b, child in enumerate(root.spawn(B)):
        D = rnla.make_sketch(kind, k, n, rng=np.random.default_rng(child), **kw).to_dense()
        G[b] = D.T @ D
    mean = G.mean(axis=0)
    se = G.std(axis=0, ddof=1) / np.sqrt(B)
    dev = np.abs(mean - np.eye(n))
    exact = se == 0
    assert np.all(dev[exact] <= 1e-12)
    assert np.all(dev[~exact] <= 6 * se[~exact]), (dev / np.where(exact, 1, se)).max()


@pytest.mark.parametrize("kind", ["srht", "countsketch", "sparse_sign"])
def test_diagonal_of_gram_is_exactly_one(kind):
    for seed in range(5):
        D = build(kind, 24, 100, rng=seed).to_dense()
        np.testing.assert_allclose(np.diag(D.T @ D), 1.0, rtol=0, atol=1e-12)


def test_srht_full_size_is_orthogonal():
    S = rnla.SRHT(64, 64, rng=0)
    D = S.to_dense()
    np.testing.assert_allclose(D.T @ D, np.eye(64), atol=1e-12)
    A = np.random.default_rng(0).standard_normal((64, 5))
    np.testing.assert_allclose(np.linalg.norm(S @ A, axis=0), np.linalg.norm(A, axis=0))


def test_srht_pads_and_processes_column_chunks(rng):
    A = rng.standard_normal((1000, 9))
    S = rnla.SRHT(50, 1000, rng=4, block_bytes=1024 * 8 * 2)  # 2 columns per chunk
    assert S.n_padded == 1024
    np.testing.assert_allclose(S @ A, S.to_dense() @ A, atol=1e-10)


def test_gaussian_blocking_does_not_change_the_sketch(rng):
    A = rng.standard_normal((1000, 4))
    big = rnla.GaussianSketch(30, 1000, rng=1)
    small = rnla.GaussianSketch(30, 1000, rng=1, block_bytes=30 * 8 * 7)  # 7 columns a block
    np.testing.assert_allclose(big @ A, small @ A, atol=1e-12)
    np.testing.assert_array_equal(big.to_dense(), small.to_dense())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("d", [5, 50])
@pytest.mark.parametrize("coherent", [False, True])
def test_subspace_embedding_at_documented_size(kind, d, coherent):
    """Singular values of S U in [1 - eps, 1 + eps] at k = embedding_size(kind, d, 0.5)."""
    eps = 0.5
    rng = np.random.default_rng(d)
    n = 2**17 if kind == "countsketch" and d == 50 else 2**14
    U = orthonormal(n, d, rng, coherent=coherent)
    h = np.einsum("ij,ij->i", U, U)
    kw = {}
    if kind == "leverage":
        kw["probabilities"] = h / h.sum()
    k = embedding_size(kind, d, eps, n=n, coherence=n / d * h.max())
    if k > n:
        pytest.skip(f"the guaranteed size {k} exceeds n = {n} (uniform on a coherent basis)")
    S = rnla.make_sketch(kind, k, n, rng=11, **kw)
    sv = np.linalg.svd(dense(S @ U), compute_uv=False)
    assert 1 - eps <= sv[-1] and sv[0] <= 1 + eps, (k, sv[-1], sv[0])


def test_uniform_sampling_fails_on_coherent_basis():
    # the reason leverage sampling exists: at the leverage size uniform misses the spikes
    n, d = 2**14, 5
    U = orthonormal(n, d, np.random.default_rng(0), coherent=True)
    k = embedding_size("leverage", d, 0.5)
    sv = np.linalg.svd(rnla.UniformSampling(k, n, rng=0) @ U, compute_uv=False)
    assert sv[-1] < 0.5


def test_poisson_leverage_sampling_size():
    p = np.full(1000, 1e-3)
    S = rnla.LeverageSampling(100, 1000, probabilities=p, replace=False, rng=0)
    # Binomial(1000, 0.1): sd = 9.5
    assert abs(S.shape[0] - 100) < 6 * 9.5
    assert S.k_requested == 100
    assert len(np.unique(S.indices)) == S.shape[0]


def test_leverage_sampling_from_matrix_shrinkage(rng):
    A = rng.standard_normal((400, 3))
    A[0] *= 1e3
    S = rnla.LeverageSampling.from_matrix(A, 50, shrinkage=0.0, rng=0)
    np.testing.assert_allclose(S.probabilities, 1 / 400)
    S = rnla.LeverageSampling.from_matrix(A, 50, shrinkage=0.9, rng=0)
    h = rnla.leverage_scores(A)
    np.testing.assert_allclose(S.probabilities, 0.9 * h / h.sum() + 0.1 / 400)
    S = rnla.LeverageSampling.from_matrix(A, 50, method="approx", rng=0)
    assert S.shape == (50, 400)


def test_one_shot_sketch_function(rng):
    A = rng.standard_normal((500, 4))
    for kind in KINDS:
        np.testing.assert_allclose(dense(rnla.sketch(A, 40, kind=kind, rng=9)),
                                   dense(build(kind, 40, 500, rng=9) @ A)
                                   if kind != "leverage" else
                                   dense(rnla.LeverageSampling.from_matrix(A, 40, rng=9) @ A))
    assert rnla.sketch.SRHT is rnla.SRHT  # also the package


@given(n=st.integers(1, 300), d=st.integers(1, 6), k=st.integers(1, 40),
       kind=st.sampled_from(KINDS), seed=st.integers(0, 2**31), f_order=st.booleans())
def test_apply_hypothesis(n, d, k, kind, seed, f_order):
    if kind in ("uniform", "srht") and k > n:
        k = n
    s = min(8, k)
    kw = {"s": s} if kind == "sparse_sign" else {}
    S = build(kind, k, n, rng=seed, **kw)
    A = np.random.default_rng(seed).standard_normal((n, d))
    A = np.asfortranarray(A) if f_order else A
    np.testing.assert_allclose(dense(S @ A), S.to_dense() @ A, atol=1e-10)


# ---- a sketch acts from both sides, as a scipy user expects of a linear map ----------

@pytest.mark.parametrize("kind", KINDS)
def test_right_multiplication_on_dense_sparse_and_operators(kind):
    """``A @ S.T``, ``Y @ S``, ``csr @ S.T``, ``A.T @ S.T``: the transposes of what S does
    from the left, against the dense S."""
    rng = np.random.default_rng(3)
    n, k = 90, 12
    S = build(kind, k, n, rng=1)
    D = S.to_dense()
    A = rng.standard_normal((5, n))            # m x n, multiplied by S.T from the right
    Y = rng.standard_normal((4, S.shape[0]))   # m x k, multiplied by S from the right
    np.testing.assert_allclose(dense(A @ S.T), A @ D.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dense(Y @ S), Y @ D, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dense(np.asfortranarray(A) @ S.T), A @ D.T, rtol=1e-12,
                               atol=1e-12)
    tall = rng.standard_normal((n, 3))
    np.testing.assert_allclose(dense(tall.T @ S.T), (D @ tall).T, rtol=1e-12, atol=1e-12)
    csr = sp.random_array((6, n), density=0.2, rng=rng, format="csr")
    np.testing.assert_allclose(dense(csr @ S.T), csr.toarray() @ D.T, rtol=1e-12, atol=1e-12)
    op = sp.linalg.aslinearoperator(rng.standard_normal((7, n)))
    np.testing.assert_allclose(dense(op @ S.T), op.matmat(np.eye(n)) @ D.T, rtol=1e-12,
                               atol=1e-12)
    v = rng.standard_normal(n)
    np.testing.assert_allclose(dense(v @ S.T), D @ v, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dense(S.dot(tall)), D @ tall, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dense(S.T.dot(Y.T)), D.T @ Y.T, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_products_of_a_sketch_with_sketches(kind):
    S = build(kind, 10, 64, rng=2)
    R = build("gaussian", 7, 64, rng=3)
    D, E = S.to_dense(), R.to_dense()
    np.testing.assert_allclose(S @ S.T, D @ D.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(S @ R.T, D @ E.T, rtol=1e-12, atol=1e-12)
    StS = S.T @ S                                 # n x n: an operator, never formed
    assert isinstance(StS, sp.linalg.LinearOperator) and StS.shape == (64, 64)
    x = np.random.default_rng(0).standard_normal(64)
    np.testing.assert_allclose(StS @ x, D.T @ (D @ x), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="one n"):
        S @ build("gaussian", 5, 65).T


def test_asarray_is_the_dense_matrix_or_a_clear_error():
    S = build("sparse_sign", 8, 50, rng=0)
    np.testing.assert_array_equal(np.asarray(S), S.to_dense())
    np.testing.assert_array_equal(np.asarray(S.T), S.to_dense().T)
    assert np.asarray(S, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="S @ A"):
        np.asarray(build("countsketch", 4096, 2**14, rng=0))
