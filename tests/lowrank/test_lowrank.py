"""rnla.lowrank against numpy's / scipy's exact decompositions and exact identities."""

import numpy as np
import pytest
import scipy.linalg.interpolative as sli
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from hypothesis import given
from hypothesis import strategies as st

from rnla.lowrank import eigh, interpolative, nystrom, range_finder, single_pass_svd, svd


def _matrix(m, n, spectrum, rng, dtype=np.float64):
    U, _ = np.linalg.qr(rng.standard_normal((m, min(m, n))))
    V, _ = np.linalg.qr(rng.standard_normal((n, min(m, n))))
    return ((U * spectrum) @ V.T).astype(dtype)


SPECTRA = {
    "poly": lambda i: 1.0 / i,
    "exp": lambda i: np.exp(-i / 10),
    "gap": lambda i: np.where(i <= 20, 1.0, 1e-3) / np.sqrt(i),
}


def _spectrum(name, size):
    return SPECTRA[name](np.arange(1, size + 1, dtype=float))


def _error(A, res):
    return np.linalg.norm(A - (res.U * res.s) @ res.Vt, 2)


@pytest.mark.smoke
@pytest.mark.parametrize("name", sorted(SPECTRA))
@pytest.mark.parametrize("method", ["krylov", "subspace"])
def test_svd_near_optimal_and_bounded(name, method, rng):
    # Rayleigh-Ritz never beats the optimal rank-k error sigma_{k+1}; with the default
    # passes both methods are within a few percent of it, and the a posteriori bound
    # (probability 0.99 per call) holds on every fixed seed
    s0 = _spectrum(name, 300)
    A = _matrix(800, 300, s0, rng)
    k = 20
    res = svd(A, k, method=method, rng=1)
    err = _error(A, res)
    assert s0[k] * (1 - 1e-12) <= err <= 1.05 * s0[k]
    assert err <= res.error_estimate <= 2.0 * err
    assert res.confidence == 0.99
    np.testing.assert_allclose(res.U.T @ res.U, np.eye(k), atol=1e-12)
    np.testing.assert_allclose(res.Vt @ res.Vt.T, np.eye(k), atol=1e-12)
    assert np.all(np.diff(res.s) <= 0)
    assert res.method == method and res.converged


def test_svd_passes_and_matvecs(rng):
    A = _matrix(300, 200, _spectrum("exp", 200), rng)
    res = svd(A, 10, method="krylov", maxiter=2, estimate_error=False, rng=0)
    assert res.n_passes == 2 * 2 + 2 and res.n_matvecs == 20 * 6
    res = svd(A, 10, method="subspace", maxiter=3, estimate_error=False, rng=0)
    assert res.n_passes == 2 * 3 + 2 and res.n_matvecs == 20 * 8


def test_krylov_beats_subspace_at_equal_passes(rng):
    # the point of block Krylov: on a slowly decaying spectrum, at equal passes, a
    # smaller error and far more accurate singular values (Musco and Musco 2015)
    s0 = _spectrum("poly", 400)
    A = _matrix(1000, 400, s0, rng)
    kr = svd(A, 30, method="krylov", maxiter=2, estimate_error=False, rng=3)
    su = svd(A, 30, method="subspace", maxiter=2, estimate_error=False, rng=3)
    assert np.max(np.abs(kr.s - s0[:30]) / s0[:30]) < 0.1 * np.max(np.abs(su.s - s0[:30])
                                                                   / s0[:30])


@pytest.mark.parametrize("form", ["C", "F", "sparse", "operator"])
def test_svd_inputs_agree(form, rng):
    A = _matrix(400, 150, _spectrum("exp", 150), rng)
    A[np.abs(A) < 0.002] = 0.0
    reference = np.linalg.svd(A, compute_uv=False)
    operand = {"C": np.ascontiguousarray(A), "F": np.asfortranarray(A),
               "sparse": sp.csr_array(A), "operator": spla.aslinearoperator(A)}[form]
    res = svd(operand, 10, rng=4)
    np.testing.assert_allclose(res.s, reference[:10], rtol=1e-10)
    assert _error(A, res) <= res.error_estimate


def test_svd_float32_keeps_dtype_and_accuracy(rng):
    s0 = _spectrum("exp", 200)
    A = _matrix(600, 200, s0, rng, dtype=np.float32)
    res = svd(A, 15, rng=0)
    assert res.U.dtype == res.s.dtype == res.Vt.dtype == np.float32
    exact = np.linalg.svd(A.astype(np.float64), compute_uv=False)
    eps = np.finfo(np.float32).eps
    # singular values are well conditioned: an absolute error of a few eps * ||A||
    assert np.max(np.abs(res.s - exact[:15])) <= 50 * eps * exact[0]
    assert _error(A.astype(np.float64), res) <= 1.01 * exact[15] + 50 * eps * exact[0]


def test_svd_does_not_copy_or_modify_input(rng):
    A = np.asfortranarray(_matrix(300, 100, _spectrum("exp", 100), rng))
    before = A.copy()
    A.flags.writeable = False
    svd(A, 5, rng=0)
    np.testing.assert_array_equal(A, before)


def test_svd_reproducible_and_sign_fixed(rng):
    A = _matrix(300, 100, _spectrum("poly", 100), rng)
    a, b = svd(A, 8, rng=7), svd(A, 8, rng=7)
    np.testing.assert_array_equal(a.U, b.U)
    c = svd(A, 8, rng=8)
    np.testing.assert_allclose(np.abs(a.Vt).max(axis=1), a.Vt.max(axis=1))
    np.testing.assert_allclose(a.Vt[:3], c.Vt[:3], atol=1e-6)  # separated values: same vectors


def test_center_is_svd_of_centered_matrix(rng):
    X = sp.random_array((500, 80), density=0.1, random_state=1, format="csr")
    offsets = np.outer(np.ones(500), rng.uniform(1, 2, 80)) * (rng.random((500, 80)) < 0.05)
    X = X + sp.csr_array(offsets)
    dense = X.toarray()
    centered = dense - dense.mean(axis=0)
    # the same algorithm and draws on the explicitly centered matrix: equal to rounding
    res = svd(X, 10, center=True, rng=0)
    explicit = svd(centered, 10, rng=0)
    np.testing.assert_allclose(res.mean, dense.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(res.s, explicit.s, rtol=1e-10)
    np.testing.assert_allclose(np.abs(res.Vt), np.abs(explicit.Vt), atol=1e-8)
    assert _error(centered, res) <= res.error_estimate


@pytest.mark.parametrize("name", sorted(SPECTRA))
def test_tol_rank_meets_tolerance_and_is_near_smallest(name, rng):
    s0 = _spectrum(name, 300)
    A = _matrix(700, 300, s0, rng)
    # in the decaying part: the smallest rank that meets tol is 40; across the gap: 20
    best = 20 if name == "gap" else 40
    tol = float(s0[best] / s0[0]) * (2.0 if name == "gap" else 1.0001)
    res = svd(A, tol=tol, rng=2)
    rank = res.s.size
    assert res.converged and res.method == "adaptive"
    assert _error(A, res) <= tol * s0[0]
    assert res.error_estimate <= tol * s0[0]
    assert best <= rank <= 1.1 * best


def test_tol_with_rank_cap_reports_maxiter(rng):
    s0 = _spectrum("poly", 200)
    A = _matrix(500, 200, s0, rng)
    res = svd(A, 10, tol=1e-3, rng=0)
    assert res.status == "maxiter" and res.s.size == 10 and "k=10" in res.message


def test_range_finder(rng):
    A = _matrix(400, 100, _spectrum("exp", 100), rng)
    Q = range_finder(A, 30, rng=0)
    np.testing.assert_allclose(Q.T @ Q, np.eye(30), atol=1e-12)
    assert np.linalg.norm(A - Q @ (Q.T @ A), 2) <= 1.05 * _spectrum("exp", 100)[30]


@pytest.mark.parametrize("which", ["LA", "SA", "LM", "BE"])
def test_eigh_matches_numpy(which, rng):
    n = 300
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    w0 = np.concatenate([[-6.0, -5.0, -4.5, -4.0, 7.0, 6.5, 5.5, 4.2], rng.uniform(-1, 1, n - 8)])
    A = (Q * w0) @ Q.T
    A = (A + A.T) / 2
    res = eigh(A, 4, which=which, rng=0)
    exact = np.linalg.eigvalsh(A)
    expected = {"LA": exact[::-1][:4], "SA": exact[:4],
                "LM": exact[np.argsort(-np.abs(exact))][:4],
                "BE": np.concatenate([exact[:2], exact[-2:]])}[which]
    np.testing.assert_allclose(res.eigenvalues, expected, rtol=1e-10)
    V = res.eigenvectors
    np.testing.assert_allclose(V.T @ V, np.eye(4), atol=1e-10)
    residual = np.linalg.norm(A @ V - V * res.eigenvalues, axis=0)
    np.testing.assert_allclose(res.residual_norms, residual, rtol=1e-6, atol=1e-13)
    assert res.error_estimate == pytest.approx(residual.max(), rel=1e-6, abs=1e-13)


def test_eigh_tol_and_sparse(rng):
    n = 2000
    diagonal = np.concatenate([[10.0, 9.0, 8.0], rng.uniform(0, 1, n - 3)])
    A = sp.diags_array(diagonal) + sp.random_array((n, n), density=1e-4, random_state=2) * 0.01
    A = ((A + A.T) / 2).tocsr()
    res = eigh(A, 3, tol=1e-10, rng=0)
    exact = spla.eigsh(A, 3, which="LA")[0][::-1]
    assert res.converged
    np.testing.assert_allclose(res.eigenvalues, exact, rtol=1e-9)


def test_nystrom_exact_on_low_rank_psd(rng):
    G = rng.standard_normal((400, 25))
    A = G @ G.T
    res = nystrom(A, 25, rng=0)
    V, w = res.eigenvectors, res.eigenvalues
    assert np.all(w >= 0) and np.all(np.diff(w) <= 0)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(A)[::-1][:25], rtol=1e-9)
    assert np.linalg.norm(A - (V * w) @ V.T, 2) <= max(res.error_estimate, 1e-9 * w[0])


def test_nystrom_error_bound_and_power_steps(rng):
    n = 500
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    w0 = 1.0 / np.arange(1, n + 1)
    A = (Q * w0) @ Q.T
    plain = nystrom(A, 20, rng=1)
    powered = nystrom(A, 20, n_iter=2, rng=1)
    for res in (plain, powered):
        err = np.linalg.norm(A - (res.eigenvectors * res.eigenvalues) @ res.eigenvectors.T, 2)
        assert w0[20] <= err * (1 + 1e-9) and err <= res.error_estimate
    assert powered.eigenvalues[-1] > plain.eigenvalues[-1]  # closer to w0[19] from below


def test_nystrom_refuses_indefinite_and_nonsymmetric(rng):
    Q, _ = np.linalg.qr(rng.standard_normal((100, 100)))
    A = (Q * np.linspace(-1, 1, 100)) @ Q.T
    with pytest.raises(ValueError, match="positive semidefinite"):
        nystrom(A, 5, rng=0)
    with pytest.raises(ValueError, match="symmetric"):
        nystrom(rng.standard_normal((100, 100)), 5, rng=0)
    with pytest.raises(ValueError, match="symmetric"):
        eigh(rng.standard_normal((100, 100)), 5, rng=0)
    with pytest.raises(ValueError, match="square"):
        eigh(rng.standard_normal((100, 90)), 5, rng=0)


def test_interpolative_matches_scipy(rng):
    A = _matrix(500, 300, np.exp(-np.arange(300) / 5), rng)
    k = 25
    res = interpolative(A, k, rng=0)
    err = np.linalg.norm(A - A[:, res.columns] @ res.X, 2)
    idx, proj = sli.interp_decomp(A, k, rand=False)
    ref = np.linalg.norm(A - sli.reconstruct_skel_matrix(A, k, idx)
                         @ sli.reconstruct_interp_matrix(idx, proj), 2)
    assert err <= 1.5 * ref
    assert err <= res.error_estimate
    np.testing.assert_allclose(res.X[:, np.searchsorted(np.arange(300), res.columns)],
                               np.eye(k), atol=1e-12)


def test_interpolative_two_sided_and_tol(rng):
    A = _matrix(400, 250, np.exp(-np.arange(250) / 4), rng)
    res = interpolative(A, 20, two_sided=True, rng=0)
    np.testing.assert_allclose(res.Z[res.rows], np.eye(20), atol=1e-12)
    approx = res.Z @ A[np.ix_(res.rows, res.columns)] @ res.X
    assert np.linalg.norm(A - approx, 2) <= res.error_estimate
    tol = 1e-4
    res = interpolative(sp.csr_array(A), tol=tol, rng=0)
    assert np.linalg.norm(A - A[:, res.columns] @ res.X, 2) <= 100 * tol * np.linalg.norm(A, 2)


def test_single_pass_within_3x_of_two_pass_and_chunking_invariant(rng):
    s0 = _spectrum("exp", 200)
    A = _matrix(3000, 200, s0, rng)
    whole = single_pass_svd(A, 15, rng=5)
    stream = single_pass_svd(((r0, A[r0:r0 + 700]) for r0 in reversed(range(0, 3000, 700))),
                             15, shape=A.shape, rng=5)
    np.testing.assert_allclose(whole.s, stream.s, rtol=1e-12)
    two_pass = svd(A, 15, method="subspace", maxiter=0, rng=5)
    assert _error(A, whole) <= 3 * _error(A, two_pass)
    assert _error(A, whole) <= whole.error_estimate and whole.n_passes == 1


def test_single_pass_streams_are_checked(rng):
    A = rng.standard_normal((100, 10))
    with pytest.raises(ValueError, match="shape"):
        single_pass_svd(iter([(0, A)]), 3)
    with pytest.raises(ValueError, match="unread"):
        single_pass_svd(iter([(0, A[:50])]), 3, shape=(100, 10))
    with pytest.raises(ValueError, match="repeats"):
        single_pass_svd(iter([(0, A[:60]), (50, A[50:])]), 3, shape=(100, 10))
    with pytest.raises(ValueError, match="columns"):
        single_pass_svd(iter([(0, A[:, :5])]), 3, shape=(100, 10))
    with pytest.raises(ValueError, match="row_offset"):
        single_pass_svd(iter([(95, A[:10])]), 3, shape=(100, 10))
    with pytest.raises(TypeError, match="pair"):
        single_pass_svd(iter([A]), 3, shape=(100, 10))


@pytest.mark.dask
def test_single_pass_dask_reads_each_chunk_once(rng):
    da = pytest.importorskip("dask.array")
    import dask

    A = _matrix(2000, 80, _spectrum("exp", 80), rng)
    calls = []

    def load(block, block_info=None):
        calls.append(block_info[None]["chunk-location"])
        return block

    D = da.from_array(A, chunks=(300, 80)).map_blocks(load, dtype=A.dtype)
    with dask.config.set(scheduler="synchronous"):
        res = single_pass_svd(D, 10, rng=0)
    assert len(calls) == len(set(calls)) == 7
    np.testing.assert_allclose(res.s, single_pass_svd(A, 10, rng=0).s, rtol=1e-12)
    assert np.linalg.norm(A - (res.U.compute() * res.s) @ res.Vt, 2) <= res.error_estimate


@pytest.mark.dask
def test_dask_refuses_two_pass_methods_by_name():
    da = pytest.importorskip("dask.array")
    with pytest.raises(TypeError, match="tol"):
        svd(da.ones((100, 10), chunks=50), tol=0.1)
    with pytest.raises(TypeError, match="Dask"):
        eigh(da.ones((10, 10), chunks=5), 3)


@pytest.mark.parametrize("call, match", [
    (lambda A: svd(A, 0), "`k`"),
    (lambda A: svd(A, 41), "`k`"),
    (lambda A: svd(A), "`k`"),
    (lambda A: svd(A, tol=1.0), "`tol`"),
    (lambda A: svd(A, tol=0.0), "`tol`"),
    (lambda A: svd(A, 3, method="subspace", tol=0.1), "`tol`"),
    (lambda A: svd(A, 3, method="lanczos"), "`method`"),
    (lambda A: svd(A, 3, test_matrix="leverage"), "`test_matrix`"),
    (lambda A: interpolative(A), "`k`"),
    (lambda A: nystrom(A, 3), "square"),
    (lambda A: single_pass_svd(A, 50), "`k`"),
])
def test_bad_arguments(call, match, rng):
    with pytest.raises((ValueError, TypeError), match=match):
        call(rng.standard_normal((60, 40)))


@pytest.mark.parametrize("bad, error", [(np.nan, ValueError), (np.inf, ValueError)])
def test_nonfinite_refused(bad, error, rng):
    A = rng.standard_normal((30, 20))
    A[3, 4] = bad
    for f in (svd, eigh, nystrom, interpolative):
        with pytest.raises(error, match="finite"):
            f(A if f in (svd, interpolative) else A[:20], 3)
    with pytest.raises(ValueError, match="finite"):
        single_pass_svd(A, 3)


def test_complex_refused(rng):
    with pytest.raises(TypeError, match="real"):
        svd(rng.standard_normal((20, 10)) + 1j, 3)


@given(m=st.integers(2, 40), n=st.integers(2, 40), rank=st.integers(1, 6),
       seed=st.integers(0, 2**16))
def test_exact_low_rank_is_recovered(m, n, rank, seed):
    g = np.random.default_rng(seed)
    rank = min(rank, m, n)
    A = g.standard_normal((m, rank)) @ g.standard_normal((rank, n))
    scale = np.linalg.norm(A, 2)
    for method in ("krylov", "subspace"):
        res = svd(A, rank, method=method, rng=seed)
        assert np.linalg.norm(A - (res.U * res.s) @ res.Vt, 2) <= 1e-9 * scale
    res = single_pass_svd(A, rank, rng=seed)
    assert np.linalg.norm(A - (res.U * res.s) @ res.Vt, 2) <= 1e-7 * scale
    res = interpolative(A, rank, rng=seed)
    assert np.linalg.norm(A - A[:, res.columns] @ res.X, 2) <= 1e-7 * scale




@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_array_api_namespace_in_namespace_out(dtype, rng):
    xps = pytest.importorskip("array_api_strict")
    s0 = _spectrum("exp", 120)
    A = _matrix(300, 120, s0, rng, dtype=np.dtype(dtype))
    Ax = xps.asarray(A)
    rtol = 1e-10 if dtype == "float64" else 1e-4
    res, ref = svd(Ax, 10, rng=0), svd(A, 10, rng=0)
    assert type(res.U) is type(Ax) and res.U.dtype == Ax.dtype
    np.testing.assert_allclose(np.asarray(res.s), ref.s, rtol=rtol)
    assert res.n_passes == ref.n_passes and res.method == ref.method
    G = xps.asarray((A[:, :20] @ A[:, :20].T).astype(dtype))
    for f in (eigh, nystrom):
        out, host = f(G, 5, rng=0), f(np.asarray(G), 5, rng=0)
        assert type(out.eigenvectors) is type(Ax)
        np.testing.assert_allclose(np.asarray(out.eigenvalues), host.eigenvalues, rtol=rtol)
    out = interpolative(Ax, 10, rng=0)
    np.testing.assert_array_equal(out.columns, interpolative(A, 10, rng=0).columns)
    assert type(out.X) is type(Ax)
    with pytest.raises(TypeError, match="two_sided"):
        interpolative(Ax, 10, two_sided=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_deep_krylov_past_the_numerical_rank_stays_orthonormal(dtype, rng):
    # exp(-i/10) falls below rounding after ~170 (float64) or ~90 (float32) values; a
    # Krylov space of dimension 8 * 30 = 240 is then mostly rounding noise, and its basis
    # must stay orthonormal for Rayleigh-Ritz to remain exact
    s0 = _spectrum("exp", 400)
    A = _matrix(900, 400, s0, rng, dtype=dtype)
    res = svd(A, 20, method="krylov", maxiter=7, rng=0)
    eps = np.finfo(dtype).eps
    assert _error(A.astype(np.float64), res) <= s0[20] * (1 + 1e-6) + 100 * eps
    np.testing.assert_allclose(res.U.T @ res.U, np.eye(20), atol=100 * eps)


@pytest.mark.parametrize("order", ["C", "F"])
def test_no_copy_of_a_in_either_order(order, rng):
    import tracemalloc

    A = np.asarray(_matrix(4000, 1000, _spectrum("exp", 1000), rng), order=order)
    svd(A, 10, rng=0)  # compile and warm up outside the measurement
    tracemalloc.start()
    try:
        svd(A, 10, rng=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the basis, the products and the small factors: (m + n) D numbers, well under A
    assert peak < 0.5 * A.nbytes


@pytest.mark.parametrize("form", ["dense", "sparse"])
def test_normal_method_on_host(form, rng):
    s0 = _spectrum("exp", 150)
    A = _matrix(600, 150, s0, rng)
    res = svd(A if form == "dense" else sp.csr_array(A), 10, method="normal", rng=0)
    # Ritz values from below, converging like (sigma_{l+1} / sigma_i)^(4q) for q = 4
    # steps on A^T A with l = 20 columns
    assert np.all(res.s <= s0[:10] * (1 + 1e-12))
    assert np.max((s0[:10] - res.s) / s0[:10]) <= 10 * (s0[20] / s0[9]) ** 16
    err = _error(A, res)
    assert err <= 1.001 * s0[10] and err <= res.error_estimate
    # on the host each product with A^T A is two reads: 5 blocks, U = A V / s, and up to
    # 6 products for the bound
    assert 11 <= res.n_passes <= 23


@pytest.mark.dask
def test_dask_svd_is_lazy_in_u_and_matches_numpy(rng):
    da = pytest.importorskip("dask.array")
    s0 = _spectrum("exp", 80)
    A = _matrix(3000, 80, s0, rng)
    D = da.from_array(A, chunks=(500, 40))
    res = svd(D, 8, rng=0)
    ref = svd(A, 8, method="normal", rng=0)
    assert res.method == "normal" and type(res.U).__module__.startswith("dask")
    np.testing.assert_allclose(res.s, ref.s, rtol=1e-10)
    np.testing.assert_allclose(res.Vt, ref.Vt, atol=1e-10)
    assert np.linalg.norm(A - (res.U.compute() * res.s) @ res.Vt, 2) <= res.error_estimate
    centered = svd(D, 8, center=True, rng=0)
    np.testing.assert_allclose(centered.s, svd(A - A.mean(axis=0), 8, method="normal",
                                               rng=0).s, rtol=1e-9)
    with pytest.raises(TypeError, match="method='normal'"):
        svd(D, 8, method="krylov")
