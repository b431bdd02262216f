"""CuPy input: every GPU kernel and public function against the numba result.

Marked ``gpu``; skipped cleanly without CuPy or a CUDA device (CI has none).
"""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.gpu
cp = pytest.importorskip("cupy")
try:
    if cp.cuda.runtime.getDeviceCount() < 1:
        pytest.skip("no CUDA device", allow_module_level=True)
except cp.cuda.runtime.CUDARuntimeError:
    pytest.skip("no CUDA device", allow_module_level=True)

import rnla  # noqa: E402
from rnla.backend import cpu, kernels, xp  # noqa: E402
from rnla.features import box_discrepancy_squared  # noqa: E402

KINDS = ["gaussian", "srht", "countsketch", "sparse_sign", "uniform"]


def test_dispatch():
    assert kernels(rnla.backend.get_namespace(cp.zeros(3))) is xp


def test_drawn_entries_equal_numba():
    np.testing.assert_array_equal(cpu.uniforms(5, 7, 999),
                                  xp.uniforms(5, 7, 999, xp=cp).get())
    rows, signs = cpu.sparse_sign_draw(9, 3000, 50, 8)
    rows2, signs2 = xp.sparse_sign_draw(9, 3000, 50, 8, xp=cp)
    np.testing.assert_array_equal(rows, rows2.get())
    np.testing.assert_array_equal(signs, signs2.get())
    G = cpu.gaussian_block(77, 10, 2000, 40, np.float64)
    np.testing.assert_array_max_ulp(G, xp.gaussian_block(77, 10, 2000, 40, cp.float64,
                                                          xp=cp).get(), maxulp=1)


def test_kernels_match_numba(rng):
    A = rng.standard_normal((1024, 6))
    X = rng.standard_normal((6, 2))
    B = rng.standard_normal((1024, 2))
    np.testing.assert_allclose(xp.fwht(cp.asarray(A)).get(), cpu.fwht(A.copy()), atol=1e-11)
    G, rr = cpu.normal_residual(A, X, B)
    G2, rr2 = xp.normal_residual(cp.asarray(A), cp.asarray(X), cp.asarray(B))
    np.testing.assert_allclose(G2.get(), G, rtol=1e-12)
    np.testing.assert_allclose(rr2.get(), rr, rtol=1e-12)
    Z = rng.standard_normal((50, 8))
    np.testing.assert_allclose(xp.cos_sin(cp.asarray(Z), 4, 0.5).get(),
                               cpu.cos_sin(Z.copy(), 4, 0.5), atol=1e-15)
    W, b = rng.standard_normal((20, 3)), np.array([1.0, 2.0, 0.5])
    t, g = cpu.sinc_box_sum(W, W, b, True)
    t2, g2 = xp.sinc_box_sum(cp.asarray(W), cp.asarray(W), cp.asarray(b), True)
    assert abs(t - t2) <= 1e-12 * abs(t)
    np.testing.assert_allclose(g2.get(), g, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("kind", KINDS)
def test_sketches_on_device(kind, rng):
    A = rng.standard_normal((3000, 7))
    S = rnla.make_sketch(kind, 80, 3000, rng=5)
    out = S @ cp.asarray(A)
    assert isinstance(out, cp.ndarray)
    expected = S @ A
    assert float(np.abs(out.get() - expected).max()) <= 1e-12 * np.abs(expected).max()


@pytest.mark.parametrize("method", ["direct", "precondition"])
def test_lstsq_ridge_on_device(method, rng):
    A = rng.standard_normal((20000, 40))
    b = rng.standard_normal(20000)
    for solve in (rnla.lstsq, lambda A, b, **kw: rnla.ridge(A, b, 1.5, **kw)):
        result = solve(cp.asarray(A), cp.asarray(b), method=method, rng=1)
        assert isinstance(result.x, cp.ndarray) and result.converged
        expected = solve(A, b, method="direct").x
        assert np.linalg.norm(result.x.get() - expected) <= 1e-10 * np.linalg.norm(expected)


def test_leverage_features_discrepancy_on_device(rng):
    A = rng.standard_normal((3000, 6))
    for method in ("exact", "approx"):
        h = rnla.leverage_scores(cp.asarray(A), method, rng=2)
        np.testing.assert_allclose(h.get(), rnla.leverage_scores(A, method, rng=2), rtol=1e-10)
    Z = rnla.fourier_features(cp.asarray(A), 64, rng=3)
    assert isinstance(Z, cp.ndarray)
    np.testing.assert_allclose(Z.get(), rnla.fourier_features(A, 64, rng=3), atol=1e-13)
    W = rng.standard_normal((25, 3))
    v, g = box_discrepancy_squared(cp.asarray(W), cp.asarray(np.ones(3)), gradient=True)
    v_ref, g_ref = box_discrepancy_squared(W, np.ones(3), gradient=True)
    assert abs(v - v_ref) <= 1e-12 * abs(v_ref)
    np.testing.assert_allclose(g.get(), g_ref, rtol=1e-10, atol=1e-14)


def test_mixed_namespaces_refused(rng):
    with pytest.raises(TypeError, match="one array library"):
        rnla.lstsq(rng.standard_normal((100, 3)), cp.ones(100))
