"""Namespace in, namespace out: the generic Array-API kernels against the numba ones.

Every result computed on ``array_api_strict`` arrays, or on numpy arrays through
``rnla.backend.generic_kernels()``, comes back in the input's namespace and agrees
with the numba path as the design's reproducibility table says: sketch entries
bitwise, ``S @ A`` to 1e-12 relative, solvers to 1e-10 relative in x.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import rnla
from rnla.backend import generic_kernels
from rnla.features import box_discrepancy_squared

xps = pytest.importorskip("array_api_strict")

KINDS = ["gaussian", "srht", "countsketch", "sparse_sign", "uniform"]


@contextlib.contextmanager
def _nothing():
    yield


NAMESPACES = {
    # name: (context, wrap, unwrap, expected array type)
    "numpy-generic": (generic_kernels, lambda a: a, np.asarray, np.ndarray),
    "array_api_strict": (_nothing, xps.asarray, np.from_dlpack, type(xps.asarray(1.0))),
}


@pytest.fixture(params=list(NAMESPACES))
def ns(request):
    context, wrap, unwrap, kind = NAMESPACES[request.param]
    with context():
        yield wrap, unwrap, kind


def _rel(a, b):
    return np.abs(a - b).max() / max(np.abs(a).max(), 1e-300)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sketch_matches_numba(ns, kind, dtype, rng):
    wrap, unwrap, array_type = ns
    n, d, k = 1500, 7, 60
    A = rng.standard_normal((n, d)).astype(dtype)
    Y = rng.standard_normal((k, 3)).astype(dtype)
    S = rnla.make_sketch(kind, k, n, rng=11)
    SA = S @ wrap(A)
    assert isinstance(SA, array_type) and SA.shape == (k, d)
    reference = rnla.make_sketch(kind, k, n, rng=11)
    with _host():
        expected, expected_t = reference @ A, reference.T @ Y
        expected_v = reference @ A[:, 0]
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert unwrap(SA).dtype == dtype
    assert _rel(expected, unwrap(SA)) <= tol
    assert _rel(expected_t, unwrap(S.T @ wrap(Y))) <= tol
    assert _rel(expected_v, unwrap(S @ wrap(A[:, 0]))) <= tol


def test_block_srht_matches_numba(ns, rng):
    wrap, unwrap, _ = ns
    A, Y = rng.standard_normal((1500, 7)), rng.standard_normal((60, 3))
    S = rnla.sketch.BlockSRHT(60, 1500, block_rows=256, rng=11)
    reference = rnla.sketch.BlockSRHT(60, 1500, block_rows=256, rng=11)
    with _host():
        expected, expected_t = reference @ A, reference.T @ Y
    assert _rel(expected, unwrap(S @ wrap(A))) <= 1e-12
    assert _rel(expected_t, unwrap(S.T @ wrap(Y))) <= 1e-12


@contextlib.contextmanager
def _host():
    """The numba path, even inside generic_kernels()."""
    from rnla.backend import _GENERIC

    token = _GENERIC.set(False)
    try:
        yield
    finally:
        _GENERIC.reset(token)


def test_drawn_entries_are_bitwise_equal():
    from rnla.backend import cpu
    from rnla.backend import xp as generic

    np.testing.assert_array_equal(cpu.uniforms(5, 7, 999),
                                  np.from_dlpack(generic.uniforms(5, 7, 999, xp=xps)))
    rows, signs = cpu.sparse_sign_draw(9, 3000, 50, 8)
    rows2, signs2 = generic.sparse_sign_draw(9, 3000, 50, 8, xp=xps)
    np.testing.assert_array_equal(rows, np.from_dlpack(rows2))
    np.testing.assert_array_equal(signs, np.from_dlpack(signs2))
    G = cpu.gaussian_block(77, 10, 2000, 40, np.float64)
    G2 = np.from_dlpack(generic.gaussian_block(77, 10, 2000, 40, xps.float64, xp=xps))
    # 1 ulp: exp/log come from the namespace
    np.testing.assert_array_max_ulp(G, G2, maxulp=1)


@pytest.mark.parametrize("replace", [True, False])
def test_leverage_sampling_applies_in_namespace(ns, replace, rng):
    wrap, unwrap, array_type = ns
    A = rng.standard_normal((800, 5))
    S = rnla.sketch.LeverageSampling.from_matrix(A, 40, replace=replace, rng=3)
    out = S @ wrap(A)
    assert isinstance(out, array_type)
    with _host():
        np.testing.assert_array_equal(unwrap(out), S @ A)
    # built from the device array: scores and sample in its namespace, the same rows
    S2 = rnla.sketch.LeverageSampling.from_matrix(wrap(A), 40, replace=replace, rng=3)
    np.testing.assert_array_equal(S2.indices, S.indices)
    np.testing.assert_allclose(S2.weights, S.weights, rtol=1e-10)
    np.testing.assert_allclose(unwrap(S2 @ wrap(A)), unwrap(out), rtol=1e-10)


def test_lstsq_leverage_sketch_in_namespace(ns, rng):
    wrap, unwrap, _ = ns
    A = rng.standard_normal((4000, 10))
    b = rng.standard_normal(4000)
    result = rnla.lstsq(wrap(A), wrap(b), method="precondition", sketch="leverage", rng=1)
    assert result.converged
    np.testing.assert_allclose(unwrap(result.x), np.linalg.lstsq(A, b, rcond=None)[0],
                               rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("method", ["direct", "precondition", "auto"])
@pytest.mark.parametrize("ridge", [False, True])
def test_lstsq_matches_numpy(ns, method, ridge, rng):
    wrap, unwrap, array_type = ns
    n, d = 4000, 30
    A = rng.standard_normal((n, d)) * np.logspace(0, 2, d)
    b = A @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n)
    solve = (lambda A, b, **kw: rnla.ridge(A, b, 2.0, **kw)) if ridge else rnla.lstsq
    result = solve(wrap(A), wrap(b), method=method, rng=5)
    assert isinstance(result.x, array_type) and result.converged
    with _host():
        expected = solve(A, b, method="direct").x
    assert np.linalg.norm(unwrap(result.x) - expected) <= 1e-10 * np.linalg.norm(expected)


def test_lstsq_multiple_rhs_and_float32(ns, rng):
    wrap, unwrap, _ = ns
    A = rng.standard_normal((3000, 10))
    B = rng.standard_normal((3000, 3))
    X = unwrap(rnla.lstsq(wrap(A), wrap(B), method="precondition", rng=1).x)
    np.testing.assert_allclose(X, np.linalg.lstsq(A, B, rcond=None)[0], rtol=1e-10, atol=1e-12)
    x32 = rnla.lstsq(wrap(A.astype(np.float32)), wrap(B[:, 0].astype(np.float32))).x
    assert unwrap(x32).dtype == np.float32


def test_direct_is_minimum_norm(ns, rng):
    wrap, unwrap, _ = ns
    A = rng.standard_normal((200, 5))
    A = np.hstack([A, A[:, :2]])  # rank 5 of 7
    b = rng.standard_normal(200)
    result = rnla.lstsq(wrap(A), wrap(b), method="direct")
    assert result.rank == 5
    np.testing.assert_allclose(unwrap(result.x), np.linalg.lstsq(A, b, rcond=None)[0],
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method", ["exact", "approx"])
def test_leverage_scores_match(ns, method, rng):
    wrap, unwrap, array_type = ns
    A = rng.standard_normal((2000, 6))
    A[:, 5] = A[:, 4]  # rank 5
    h = rnla.leverage_scores(wrap(A), method, rng=2)
    assert isinstance(h, array_type)
    with _host():
        expected = rnla.leverage_scores(A, method, rng=2)
    assert _rel(expected, unwrap(h)) <= 1e-10


@pytest.mark.parametrize("sequence", ["auto", "halton", "orf", "sorf", "mc"])
@pytest.mark.parametrize("kind", ["cos_sin", "cos_phase"])
def test_fourier_features_match(ns, sequence, kind, rng):
    wrap, unwrap, array_type = ns
    X = rng.standard_normal((300, 4))
    Z = rnla.fourier_features(wrap(X), 32, sequence=sequence, kind=kind, bandwidth="median",
                              rng=4)
    assert isinstance(Z, array_type)
    with _host():
        expected = rnla.fourier_features(X, 32, sequence=sequence, kind=kind,
                                         bandwidth="median", rng=4)
    np.testing.assert_allclose(unwrap(Z), expected, rtol=0, atol=1e-13)


def test_box_discrepancy_matches(ns, rng):
    wrap, unwrap, array_type = ns
    W = rng.standard_normal((25, 3))
    b = np.array([1.0, 2.0, 0.5])
    value, grad = box_discrepancy_squared(wrap(W), wrap(b), gradient=True)
    assert isinstance(grad, array_type)
    with _host():
        v_ref, g_ref = box_discrepancy_squared(W, b, gradient=True)
    assert abs(value - v_ref) <= 1e-12 * abs(v_ref)
    np.testing.assert_allclose(unwrap(grad), g_ref, rtol=1e-10, atol=1e-14)


def test_bad_input_in_namespace(rng):
    A = xps.asarray(rng.standard_normal((100, 3)))
    S = rnla.make_sketch("gaussian", 10, 100, rng=0)
    with pytest.raises(TypeError, match="one array library"):
        rnla.lstsq(A, rng.standard_normal(100))
    with pytest.raises(TypeError, match="`A` must be real"):
        S @ xps.asarray(np.ones((100, 2), dtype=np.complex128))
    with pytest.raises(ValueError, match="`A` must contain only finite values; got NaN"):
        bad = np.ones((100, 2))
        bad[3, 1] = np.nan
        S @ xps.asarray(bad)
    with pytest.raises(ValueError, match="`A` must have 100 rows"):
        S @ xps.asarray(np.ones((99, 2)))
    with pytest.raises(ValueError, match="`solver` must be 'cg'"):
        rnla.lstsq(A, xps.asarray(np.ones(100)), method="precondition", solver="lsqr")
    with pytest.raises(TypeError, match="numpy arrays and scipy.sparse matrices only"):
        rnla.lp.solve_packing(xps.asarray(np.ones((3, 3))))
    ints = S @ xps.asarray(np.ones((100, 2), dtype=np.int64))
    assert ints.dtype == xps.float64


@pytest.mark.parametrize("kind", KINDS)
def test_right_multiplication_in_the_namespace(ns, kind, rng):
    wrap, unwrap, array_type = ns
    S = rnla.make_sketch(kind, 16, 200, rng=3)
    A = rng.standard_normal((5, 200))
    Y = rng.standard_normal((4, 16))
    AS, YS = S.T.right_apply(wrap(A)), S.right_apply(wrap(Y))
    assert isinstance(AS, array_type) and isinstance(YS, array_type)
    with _host():
        np.testing.assert_allclose(unwrap(AS), A @ S.T, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(unwrap(YS), Y @ S, rtol=1e-12, atol=1e-12)


def test_one_shot_sketch_follows_the_namespace(ns, rng):
    wrap, unwrap, array_type = ns
    A = rng.standard_normal((300, 4))
    SA = rnla.sketch(wrap(A), 20, kind="gaussian", rng=1)
    assert isinstance(SA, array_type)
    with _host():
        np.testing.assert_allclose(unwrap(SA), rnla.sketch(A, 20, kind="gaussian", rng=1),
                                   rtol=1e-12, atol=1e-12)


def test_one_driver_one_meaning_per_field(ns, rng):
    """Every engine runs the same driver: the same path, status, sketch, rank, iteration
    budget and Karlson-Walden backward error as numpy (to rounding), x0 and a
    rank-deficient sketch (minimum norm) included."""
    wrap, unwrap, _ = ns
    A = rng.standard_normal((4000, 12)) * np.logspace(0, 3, 12)
    b = rng.standard_normal(4000)
    for kw in (dict(method="precondition"), dict(method="sketch_solve"), dict(method="ihs"),
               dict(method="precondition", x0=np.ones(12)), dict(method="precondition",
                                                                 maxiter=3)):
        wrapped = {k: wrap(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        res = rnla.lstsq(wrap(A), wrap(b), rng=2, **wrapped)
        with _host():
            ref = rnla.lstsq(A, b, rng=2, **kw)
        assert (res.method, res.status, res.sketch_size, res.rank) == \
            (ref.method, ref.status, ref.sketch_size, ref.rank), kw
        assert abs(res.n_iter - ref.n_iter) <= 1, kw
        if ref.backward_error is not None:
            assert res.backward_error <= 4 * max(ref.backward_error, 4e-16), kw
        np.testing.assert_allclose(unwrap(res.x), ref.x, rtol=1e-8 if kw.get("maxiter") else
                                   1e-10, atol=0)
    deficient = np.hstack([A[:, :6], A[:, :3]])  # rank 6 of 9
    res = rnla.lstsq(wrap(deficient), wrap(b), method="precondition", rng=1)
    np.testing.assert_allclose(unwrap(res.x), np.linalg.lstsq(deficient, b, rcond=None)[0],
                               rtol=1e-8, atol=1e-12)
