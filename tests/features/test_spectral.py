"""Spectral densities: inverse CDFs (KS tests), the Matérn mixture, exact kernels."""

import numpy as np
import pytest
from scipy import stats

from rnla.features import (
    KERNELS,
    kernel_matrix,
    qmc_points,
    sequence_dimension,
    spectral_cdf,
    spectral_frequencies,
    spectral_pdf,
)

SIGMA = 1.7
DISTRIBUTIONS = {
    "gaussian": stats.norm(scale=1 / SIGMA),
    "laplacian": stats.cauchy(scale=1 / SIGMA),
    "cauchy": stats.laplace(scale=1 / SIGMA),
}


@pytest.mark.parametrize("kernel", DISTRIBUTIONS)
def test_inverse_cdf_ks(kernel):
    """Spec oracle 2: 2^14 scrambled Sobol' points mapped per coordinate pass a KS test."""
    t = qmc_points(2**14, 3, "sobol", rng=0)
    W = spectral_frequencies(t, 3, kernel, SIGMA)
    for j in range(3):
        assert stats.kstest(W[:, j], DISTRIBUTIONS[kernel].cdf).pvalue > 0.01


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("sequence", ["halton", "sobol", "lattice", "digital_net"])
def test_unscrambled_points_give_finite_frequencies(kernel, sequence):
    D = sequence_dimension(3, kernel)
    W = spectral_frequencies(qmc_points(64, D, sequence, scramble=False), 3, kernel, SIGMA)
    assert np.isfinite(W).all()


@pytest.mark.parametrize("kernel", DISTRIBUTIONS)
def test_cdf_and_pdf(kernel, rng):
    t = rng.random((50, 2))
    W = spectral_frequencies(t, 2, kernel, SIGMA)
    np.testing.assert_allclose(spectral_cdf(W, kernel, SIGMA), t, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(spectral_pdf(W, kernel, SIGMA), DISTRIBUTIONS[kernel].pdf(W),
                               rtol=1e-12)


@pytest.mark.parametrize("nu", [0.5, 1.5, 2.5])
def test_matern_mixture_characteristic_function(nu):
    """Spec oracle 3: E cos(u^T w) over the mapped points approaches the Matérn kernel."""
    d = 3
    W = spectral_frequencies(qmc_points(2**15, d + 1, "sobol", rng=1), d, "matern", SIGMA, nu)
    U = np.array([[0.3, 0.0, 0.0], [0.5, -0.4, 1.0], [1.5, 1.0, -2.0]])
    estimate = np.cos(U @ W.T).mean(axis=1)
    exact = kernel_matrix(U, np.zeros((1, d)), "matern", SIGMA, nu)[:, 0]
    np.testing.assert_allclose(estimate, exact, atol=0.01)


def test_kernels_match_references(rng):
    sk = pytest.importorskip("sklearn.metrics.pairwise")
    from sklearn.gaussian_process.kernels import Matern

    X, Y = rng.random((20, 4)), rng.random((10, 4))
    np.testing.assert_allclose(kernel_matrix(X, Y, "gaussian", SIGMA),
                               sk.rbf_kernel(X, Y, gamma=1 / (2 * SIGMA**2)), rtol=1e-12)
    np.testing.assert_allclose(kernel_matrix(X, Y, "laplacian", SIGMA),
                               sk.laplacian_kernel(X, Y, gamma=1 / SIGMA), rtol=1e-12)
    cauchy = np.prod(1 / (1 + ((X[:, None, :] - Y[None]) / SIGMA) ** 2), axis=2)
    np.testing.assert_allclose(kernel_matrix(X, Y, "cauchy", SIGMA), cauchy, rtol=1e-12)
    for nu in (0.5, 1.5, 2.5):
        np.testing.assert_allclose(kernel_matrix(X, Y, "matern", SIGMA, nu),
                                   Matern(length_scale=SIGMA, nu=nu)(X, Y), rtol=1e-10)
    np.testing.assert_allclose(np.diag(kernel_matrix(X, kernel="matern", nu=0.7)), 1.0)


@pytest.mark.parametrize("call, match", [
    (lambda: spectral_frequencies(np.full((4, 2), 0.5), 2, "poly"), "kernel"),
    (lambda: spectral_frequencies(np.full((4, 2), 0.5), 2, "gaussian", 0.0), "bandwidth"),
    (lambda: spectral_frequencies(np.full((4, 2), 0.5), 2, "matern"), r"\(s, 3\)"),
    (lambda: spectral_frequencies(np.full((4, 3), 0.5), 2, "matern", nu=-1.0), "nu"),
    (lambda: kernel_matrix(np.ones((2, 2)), np.ones((2, 3))), "columns"),
    (lambda: kernel_matrix(np.array([[np.nan, 1.0]])), "finite"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
