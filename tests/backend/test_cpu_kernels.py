"""Backend kernels against dense references."""

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from rnla.backend import cpu, get_namespace, kernels
from rnla.backend.cpu import sketch as cpu_sketch


@pytest.mark.parametrize("log_n", range(0, 11))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("d", [1, 3, 16])
def test_fwht_equals_hadamard(log_n, dtype, order, d, rng):
    n = 2**log_n
    A = np.asarray(rng.standard_normal((n, d)), dtype=dtype, order=order)
    X = A.copy(order=order)
    cpu.fwht(X)
    ref = scipy.linalg.hadamard(n).astype(np.float64) @ A.astype(np.float64)
    tol = 8 * np.finfo(dtype).eps * np.sqrt(n) * log_n * np.abs(A).max() + 1e-300
    assert np.abs(X - ref).max() <= tol * np.sqrt(n)
    cpu.fwht(X)  # H H = n I
    np.testing.assert_allclose(X, n * A, rtol=0, atol=n * tol * np.sqrt(n) + 1e-30)


def test_fwht_vector_and_large_blocked(rng):
    v = rng.standard_normal(2**12)
    w = v.copy()
    cpu.fwht(w)
    np.testing.assert_allclose(w, scipy.linalg.hadamard(2**12) @ v, atol=1e-9)
    # large enough for several cache blocks and cross-block groups, both layouts
    n = 2**16
    for order, d in (("C", 24), ("F", 3), ("F", 1)):
        A = np.asarray(rng.standard_normal((n, d)), order=order)
        X = A.copy(order=order)
        cpu.fwht(X)
        cpu.fwht(X)
        np.testing.assert_allclose(X / n, A, atol=1e-10)
        # one column against an independent radix-2 reference (float64, exact ops)
        ref = A[:, 0].copy()
        h = 1
        while h < n:
            ref = ref.reshape(-1, 2, h)
            ref = np.stack([ref[:, 0] + ref[:, 1], ref[:, 0] - ref[:, 1]], axis=1).reshape(-1)
            h *= 2
        Y = A.copy(order=order)
        cpu.fwht(Y)
        np.testing.assert_allclose(Y[:, 0], ref, atol=1e-9)


@given(log_n=st.integers(0, 9), d=st.integers(1, 9), f_order=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_fwht_hypothesis(log_n, d, f_order, seed):
    n = 2**log_n
    A = np.random.default_rng(seed).standard_normal((n, d))
    A = np.asfortranarray(A) if f_order else A
    X = A.copy(order="K")
    cpu.fwht(X)
    np.testing.assert_allclose(X, scipy.linalg.hadamard(n) @ A, atol=1e-10 * n)


def _dense_sparse_sign(rows, signs, scale, k):
    n, s = rows.shape
    S = np.zeros((k, n))
    for q in range(s):
        S[rows[:, q], np.arange(n)] += scale * signs[:, q]
    return S


def _sparse_sign_any(X, rows, signs, scale, k):
    """The kernel for X's storage: dense, CSR (None when over budget) or CSC."""
    if isinstance(X, np.ndarray):
        return cpu.sparse_sign_apply(X, rows, signs, scale, k)
    if X.format == "csr":
        out = cpu.sparse_sign_apply_csr(X.indptr, X.indices, X.data, X.shape[1], rows, signs,
                                        scale, k)
        if out is not None:
            return out
        X = X.tocsc()
    return cpu.sparse_sign_apply_csc(X.indptr, X.indices, X.data, rows, signs, scale, k)


@pytest.mark.parametrize("s", [1, 3, 8])
def test_sparse_sign_draw_and_apply(s, rng):
    n, k, d = 500, 37, 11
    rows, signs = cpu.sparse_sign_draw(12345, n, k, s)
    assert rows.shape == (n, s) and rows.min() >= 0 and rows.max() < k
    assert all(len(set(r)) == s for r in rows)  # distinct rows per column
    assert set(np.unique(signs)) <= {-1, 1}
    S = _dense_sparse_sign(rows, signs, 0.5, k)
    A = rng.standard_normal((n, d))
    A[rng.random((n, d)) < 0.7] = 0
    for X in (A, np.asfortranarray(A), sp.csr_matrix(A), sp.csc_matrix(A)):
        np.testing.assert_allclose(_sparse_sign_any(X, rows, signs, 0.5, k), S @ A,
                                   atol=1e-12)
    Y = rng.standard_normal((k, 4))
    np.testing.assert_allclose(cpu.sparse_sign_apply_transpose(Y, rows, signs, 0.5, n),
                               S.T @ Y, atol=1e-12)


def test_sparse_sign_draw_is_uniform(rng):
    # each of the k rows is hit with probability s/k per column
    n, k, s = 40000, 16, 4
    rows, signs = cpu.sparse_sign_draw(7, n, k, s)
    counts = np.bincount(rows.ravel(), minlength=k)
    expected = n * s / k
    # multinomial-like counts: sd <= sqrt(expected); 6 sd over 16 cells
    assert np.abs(counts - expected).max() < 6 * np.sqrt(expected)
    assert abs(signs.mean()) < 6 / np.sqrt(n * s)


def test_gather_scatter(rng):
    A = rng.standard_normal((50, 7))
    idx = np.array([3, 3, 10, 49], dtype=np.int64)
    w = rng.random(4)
    for X in (A, np.asfortranarray(A)):
        np.testing.assert_allclose(cpu.gather_rows(X, idx, w), w[:, None] * A[idx])
    Y = rng.standard_normal((4, 5))
    ref = np.zeros((50, 5))
    np.add.at(ref, idx, w[:, None] * Y)
    np.testing.assert_allclose(cpu.scatter_rows(Y, idx, w, 50), ref)


def test_gaussian_block_blocking_invariant_and_normal():
    k, n = 64, 3000
    whole = cpu.gaussian_block(99, 0, n, k, np.float64)
    parts = np.vstack([cpu.gaussian_block(99, j, min(700, n - j), k, np.float64)
                       for j in range(0, n, 700)])
    np.testing.assert_array_equal(whole, parts)
    f32 = cpu.gaussian_block(99, 0, n, k, np.float32)
    np.testing.assert_allclose(f32, whole, rtol=1e-6, atol=1e-6)
    x = whole.ravel()
    m = x.size
    # moments of N(0,1): standard errors 1/sqrt(m), sqrt(2/m), sqrt(96/m) for x^4
    assert abs(x.mean()) < 6 / np.sqrt(m)
    assert abs(x.var() - 1) < 6 * np.sqrt(2 / m)
    assert abs((x**4).mean() - 3) < 6 * np.sqrt(96 / m)
    # the tail beyond the ziggurat base strip r = 3.654 is sampled separately
    r = 3.6541528853610088
    p_tail = 2 * stats.norm.sf(r)
    frac = np.mean(np.abs(x) > r)
    assert abs(frac - p_tail) < 6 * np.sqrt(p_tail * (1 - p_tail) / m)
    assert stats.kstest(x, "norm").pvalue > 1e-6


def _csr(A):
    M = sp.csr_matrix(A)
    return M.indptr, M.indices, M.data, M.shape[1]


def test_namespace_and_kernels():
    import array_api_strict as xps

    from rnla.backend import generic_kernels, xp

    assert get_namespace(np.zeros(3), None) is np
    assert kernels(np) is cpu
    assert kernels(get_namespace(xps.asarray([1.0]))) is xp
    with generic_kernels():
        assert kernels(get_namespace(np.zeros(3))) is xp
    assert set(xp.__all__) <= set(cpu.__all__)  # one contract: same names everywhere


def test_sparse_sign_fallback_paths(monkeypatch, rng):
    """Column-split and CSR->CSC paths, taken when per-thread partials exceed the budget."""
    monkeypatch.setattr(cpu_sketch, "_PARTIALS_BUDGET", 0)
    n, k, s = 3000, 40, 4
    A = rng.standard_normal((n, 17))
    A[rng.random(A.shape) < 0.5] = 0
    rows, signs = cpu.sparse_sign_draw(3, n, k, s)
    S = _dense_sparse_sign(rows, signs, 0.5, k)
    assert cpu.sparse_sign_apply_csr(*_csr(A), rows, signs, 0.5, k) is None
    for X in (A, sp.csr_matrix(A)):
        np.testing.assert_allclose(_sparse_sign_any(X, rows, signs, 0.5, k), S @ A,
                                   atol=1e-12)


@pytest.mark.parametrize("limit", [1.0, 100.0, 8000.0, 1e5])
def test_float32_cos_sin_and_cos_phase_within_an_ulp(limit, rng):
    """The float32 kernels compute in float32 and stay within eps32 = 2^-23 of the exact
    value (the float64 kernels are within 2^-53), also past the float32 reduction range."""
    Z = rng.uniform(-limit, limit, (300, 64)).astype(np.float32)
    Z[0, 0] = 9000.0  # one row past the float32 reduction: computed in float64
    exact = Z.astype(np.float64)
    out = np.empty((300, 128), np.float32)
    out[:, :64] = Z
    out = cpu.cos_sin(out, 64, 1.0)
    assert out.dtype == np.float32
    eps32 = np.finfo(np.float32).eps
    assert np.abs(out[:, :64] - np.cos(exact)).max() <= eps32
    assert np.abs(out[:, 64:] - np.sin(exact)).max() <= eps32
    phase = rng.uniform(0, 2 * np.pi, 64)
    shifted = cpu.cos_phase(Z.copy(), phase, 1.0)
    assert np.abs(shifted - np.cos(exact + phase)).max() <= eps32


@given(st.integers(1, 300), st.integers(1, 9), st.sampled_from(["C", "F", "strided"]),
       st.sampled_from([np.float32, np.float64]))
@settings(max_examples=40, deadline=None)
def test_column_maxabs_matches_numpy(n, d, order, dtype):
    from rnla.backend.cpu import column_maxabs

    A = np.random.default_rng(n * d).standard_normal((2 * n, d)).astype(dtype)
    A *= np.logspace(-30, 30, d).astype(dtype)
    M = A[::2] if order == "strided" else (np.asfortranarray(A) if order == "F" else A)
    np.testing.assert_array_equal(column_maxabs(M), np.abs(M).max(axis=0).astype(np.float64))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 300), m=st.integers(1, 40), d=st.integers(1, 24),
       seed=st.integers(0, 2**16))
def test_kernel_blocks_match_scipy_distances_on_both_kernel_sets(n, m, d, seed):
    import array_api_strict as xps
    from scipy.spatial.distance import cdist

    from rnla.backend import xp as generic

    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((n, d)), 2 * rng.standard_normal((m, d))
    exact = {"gaussian": np.exp(-0.5 * cdist(X, Y, "sqeuclidean")),
             "laplacian": np.exp(-cdist(X, Y, "cityblock")),
             "cauchy": np.prod(1 / (1 + (X[:, None] - Y[None]) ** 2), axis=-1)}
    for kernel, K in exact.items():
        np.testing.assert_allclose(cpu.distance_kernel(X, Y, kernel), K, rtol=1e-12,
                                   atol=1e-15)
        ours = generic.distance_kernel(xps.asarray(X), xps.asarray(Y), kernel)
        if kernel != "cauchy":      # the generic Cauchy is exp(-sum log1p)
            np.testing.assert_allclose(np.asarray(ours), K, rtol=1e-12, atol=1e-15)
        else:
            np.testing.assert_allclose(np.asarray(ours), K, rtol=1e-10, atol=1e-15)
    G = X @ Y.T
    x_sq, y_sq = (X**2).sum(1), (Y**2).sum(1)
    gram = generic.gaussian_from_gram(xps.asarray(G), xps.asarray(x_sq), xps.asarray(y_sq))
    np.testing.assert_allclose(cpu.gaussian_from_gram(G.copy(), x_sq, y_sq),
                               exact["gaussian"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(gram), exact["gaussian"], rtol=1e-10, atol=1e-12)
