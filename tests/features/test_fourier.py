"""Fourier feature maps: convergence to the kernel (MC and QMC rates), exact identities,
agreement with a numpy reference, dtypes, sparse input, bad input."""

import functools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rnla
from rnla.features import KERNELS, FourierFeatureMap, fourier_features, kernel_matrix

SIGMA = 0.5
LOG2_S = np.arange(6, 13)  # s = 2^6 .. 2^12 frequencies


@functools.cache
def rms_errors(kernel: str, sequence: str, d: int) -> np.ndarray:
    """RMS over 50 seeds of z(x)^T z(y) - k(x, y) for s = 2^6..2^12 frequencies."""
    x = np.random.default_rng(3).random((2, d))
    k = kernel_matrix(x, kernel=kernel, bandwidth=SIGMA)[0, 1]
    rms = []
    for m in LOG2_S:
        errors = [FourierFeatureMap(2 * 2**m, kernel, SIGMA, sequence=sequence, rng=seed)
                  .fit_transform(x) for seed in range(50)]
        rms.append(np.sqrt(np.mean([(Z[0] @ Z[1] - k) ** 2 for Z in errors])))
    return np.array(rms)


def slope(rms):
    return np.polyfit(LOG2_S * np.log(2), np.log(rms), 1)[0]


@pytest.mark.parametrize("kernel, d", [("gaussian", 2), ("gaussian", 4), ("laplacian", 2),
                                       ("cauchy", 2), ("matern", 2)])
def test_mc_error_has_the_mc_rate(kernel, d):
    """Spec oracle 1: the RMS error of i.i.d. frequencies falls as s^(-1/2)."""
    assert -0.6 <= slope(rms_errors(kernel, "mc", d)) <= -0.4


@pytest.mark.parametrize("kernel, d", [("gaussian", 2), ("gaussian", 4), ("cauchy", 2),
                                       ("matern", 2)])
def test_sobol_error_beats_the_mc_rate(kernel, d):
    """Spec oracle 1: scrambled Sobol' (s = 2^m) falls at least as s^(-0.7) for d <= 4
    (smooth inverse CDFs; the Laplacian's Cauchy quantile is unbounded, see below)."""
    assert slope(rms_errors(kernel, "sobol", d)) <= -0.7


@pytest.mark.parametrize("kernel", KERNELS)
def test_qmc_clearly_below_mc_at_4096(kernel):
    """At s = 4096 the QMC error is at most half the MC error, for every kernel."""
    assert rms_errors(kernel, "sobol", 2)[-1] <= 0.5 * rms_errors(kernel, "mc", 2)[-1]


def reference_features(X, fmap):
    """numpy reference for the feature map."""
    Z = np.asarray(X, dtype=np.float64) @ fmap.frequencies_.T
    s = Z.shape[1]
    if fmap.kind == "cos_sin":
        return np.hstack([np.cos(Z), np.sin(Z)]) / np.sqrt(s)
    return np.sqrt(2.0 / s) * np.cos(Z + fmap.phase_)


@pytest.mark.parametrize("kind", ["cos_sin", "cos_phase"])
@pytest.mark.parametrize("kernel", KERNELS)
def test_matches_numpy_reference(kind, kernel, rng):
    """The fused kernel's sin/cos agree with numpy's to within rounding (absolute error of
    a few 2^-53 relative to the scale of the features)."""
    X = rng.standard_normal((200, 5)) * 3
    fmap = FourierFeatureMap(512, kernel, 0.3, kind=kind, sequence="sobol", rng=1).fit(X)
    Z = fmap.transform(X)
    scale = np.sqrt(2.0 / 512)
    np.testing.assert_allclose(Z, reference_features(X, fmap), rtol=0, atol=4e-16 * scale * 8)


def test_large_arguments_fall_back_to_libm(rng):
    """Rows with |x^T w| >= 1e6 use math.sin/math.cos and stay exact."""
    X = rng.standard_normal((20, 3)) * 1e5
    fmap = FourierFeatureMap(256, "laplacian", 0.01, rng=0).fit(X)
    np.testing.assert_allclose(fmap.transform(X), reference_features(X, fmap), rtol=0,
                               atol=1e-15)


def test_cos_sin_is_the_real_part_of_the_complex_map(rng):
    """Spec oracle 12: Z Z^T = Re(Psi Psi^*) exactly."""
    X = rng.standard_normal((30, 4))
    fmap = FourierFeatureMap(256, "gaussian", 1.0, rng=0).fit(X)
    Psi = np.exp(-1j * X @ fmap.frequencies_.T) / np.sqrt(128)
    Z = fmap.transform(X)
    np.testing.assert_allclose(Z @ Z.T, (Psi @ Psi.conj().T).real, atol=1e-14)


def test_cos_phase_is_unbiased(rng):
    """Spec oracle 12: the mean over seeds of the cos + phase estimate is within 3 standard
    errors of the kernel (its extra term averages out)."""
    X = rng.standard_normal((2, 3))
    k = kernel_matrix(X, bandwidth=1.0)[0, 1]
    values = [(Z := fourier_features(X, 64, bandwidth=1.0, sequence=seq, kind="cos_phase",
                                     rng=s))[0] @ Z[1] for s in range(400)
              for seq in ("mc", "halton")]
    assert abs(np.mean(values) - k) <= 3 * np.std(values) / np.sqrt(len(values))


@settings(max_examples=30, deadline=None)
@given(X=hnp.arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 8)),
                    elements=st.floats(-1e3, 1e3)),
       half=st.integers(1, 64), kernel=st.sampled_from(KERNELS),
       sequence=st.sampled_from(["mc", "halton", "sobol", "lattice", "digital_net"]),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_rows_have_unit_norm(X, half, kernel, sequence, dtype):
    """cos^2 + sin^2 = 1: every cos/sin feature vector has z(x)^T z(x) = k(x, x) = 1 exactly
    (to rounding), whatever the data, sequence, kernel or dtype."""
    Z = fourier_features(X.astype(dtype), 2 * half, kernel, 0.7, sequence, rng=0)
    assert Z.dtype == dtype and Z.shape == (X.shape[0], 2 * half)
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(np.einsum("ij,ij->i", Z, Z), 1.0, rtol=0, atol=64 * eps)


def test_float32_sparse_and_reuse(rng):
    X = rng.random((40, 6))
    X[X < 0.6] = 0
    fmap = FourierFeatureMap(128, "cauchy", 0.8, sequence="lattice", rng=4).fit(X)
    Z = fmap.transform(X)
    np.testing.assert_array_equal(fmap.transform(X), Z)  # transform many
    np.testing.assert_allclose(fmap.transform(sp.csr_matrix(X)), Z, atol=1e-15)
    np.testing.assert_allclose(fmap.transform(sp.csc_matrix(X)), Z, atol=1e-15)
    Z32 = fmap.transform(X.astype(np.float32))
    assert Z32.dtype == np.float32
    np.testing.assert_allclose(Z32, Z, atol=1e-5)
    X0 = X.copy()
    fourier_features(X, 16, rng=1)
    np.testing.assert_array_equal(X, X0)  # input untouched
    same = FourierFeatureMap(128, "cauchy", 0.8, sequence="lattice", rng=4).fit(X)
    np.testing.assert_array_equal(same.frequencies_, fmap.frequencies_)


def test_median_bandwidth_and_points_input(rng):
    X = rng.random((60, 3))
    fmap = FourierFeatureMap(64, bandwidth="median", rng=0).fit(X)
    assert fmap.bandwidth_ == pytest.approx(rnla.features.median_bandwidth(X))
    t = rnla.features.qmc_points(32, 3, "halton", scramble=False)
    a = FourierFeatureMap(64, bandwidth=1.0, sequence=t).fit(X)
    b = FourierFeatureMap(64, bandwidth=1.0, sequence="halton", scramble=False).fit(X)
    np.testing.assert_array_equal(a.frequencies_, b.frequencies_)


def test_learned_sequence_map(rng):
    X = rng.random((80, 2))
    fmap = FourierFeatureMap(64, bandwidth=0.5, sequence="learned", rng=0).fit(X)
    K = kernel_matrix(X, bandwidth=0.5)
    Z = fmap.transform(X)
    assert np.linalg.norm(Z @ Z.T - K, 2) / np.linalg.norm(K, 2) < 0.05


@pytest.mark.parametrize("kwargs, match", [
    ({"n_features": 0}, "n_features"),
    ({"n_features": 7}, "even"),
    ({"bandwidth": 0.0}, "bandwidth"),
    ({"bandwidth": -1.0}, "bandwidth"),
    ({"bandwidth": "mean"}, "bandwidth"),
    ({"kernel": "poly"}, "kernel"),
    ({"sequence": "faure"}, "sequence"),
    ({"kind": "sin"}, "kind"),
    ({"kernel": "cauchy", "sequence": "learned"}, "kernel"),
])
def test_bad_parameters(kwargs, match):
    params = {"n_features": 8, **kwargs}
    with pytest.raises(ValueError, match=match):
        FourierFeatureMap(**params).fit(np.ones((3, 2)))


def test_bad_data(rng):
    with pytest.raises(ValueError, match="finite"):
        fourier_features(np.array([[1.0, np.nan]]), 8)
    with pytest.raises(ValueError, match="non-empty"):
        fourier_features(np.empty((0, 3)), 8)
    fmap = FourierFeatureMap(8).fit(rng.random((5, 3)))
    with pytest.raises(ValueError, match="3 columns"):
        fmap.transform(rng.random((5, 4)))
    with pytest.raises(ValueError, match="at most 1024 dimensions"):
        FourierFeatureMap(8, sequence="lattice").fit(np.ones((2, 1100)))
    with pytest.raises(RuntimeError, match="not fitted"):
        FourierFeatureMap(8).transform(np.ones((2, 2)))
    with pytest.raises(TypeError, match="complex"):
        fourier_features(np.ones((2, 2), dtype=complex), 8)
    with pytest.raises(ValueError, match="shape"):
        FourierFeatureMap(8, sequence=np.full((3, 2), 0.5)).fit(np.ones((2, 2)))
