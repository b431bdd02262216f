"""Orthogonal random features (ORF) and their structured form (SORF) against the exact kernel."""

import numpy as np
import pytest
import scipy.sparse as sp

import rnla
from rnla.features import FourierFeatureMap, kernel_matrix, qmc_points, spectral_frequencies
from rnla.features.orthogonal import StructuredOrthogonal, orthogonal_frequencies


def gram_error(Z, K):
    return np.linalg.norm(Z @ Z.T - K, 2) / np.linalg.norm(K, 2)


def test_orf_blocks_are_orthogonal_with_the_radial_law():
    rng = np.random.default_rng(0)
    d, s, sigma = 8, 20000, 2.0
    W = orthogonal_frequencies(s, d, bandwidth=sigma, rng=rng)
    U = W[:d] / np.linalg.norm(W[:d], axis=1)[:, None]
    np.testing.assert_allclose(U @ U.T, np.eye(d), atol=1e-12)
    # each row is N(0, sigma^-2 I): E ||w||^2 = d / sigma^2, Var = 2 d / sigma^4
    sq = np.linalg.norm(W, axis=1) ** 2
    assert abs(sq.mean() - d / sigma**2) < 4 * np.sqrt(2 * d / s) / sigma**2
    # and every coordinate has variance 1/sigma^2
    np.testing.assert_allclose(W.var(axis=0), 1 / sigma**2, rtol=4 * np.sqrt(2 / s))


@pytest.mark.parametrize("sequence", ["orf", "orf_qmc", "sorf"])
@pytest.mark.parametrize("kernel", ["gaussian", "matern"])
@pytest.mark.parametrize("d", [32, 20])
def test_kernel_estimate_is_unbiased(sequence, kernel, d):
    """Mean of z(x)^T z(y) over seeds within 4 standard errors of k(x, y).  ORF is
    exactly unbiased; SORF's bias, O(1/sqrt(d)), is below that error here; d = 20 is
    padded to 32 for SORF."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((2, d)) * np.sqrt(2 / d)
    k = kernel_matrix(X[:1], X[1:], kernel, bandwidth=1.0)[0, 0]
    values = []
    for seed in range(400):
        Z = rnla.fourier_features(X, 64, kernel, bandwidth=1.0, sequence=sequence, rng=seed)
        values.append(Z[0] @ Z[1])
    values = np.array(values)
    assert abs(values.mean() - k) < 4 * values.std() / np.sqrt(values.size)


def test_orf_beats_monte_carlo_and_shrinks_at_its_rate():
    """Gram error of ORF at most Monte Carlo's at every size (median of 5 seeds, Gaussian
    data, d = 16), and it falls like m^(-1/2) at least: 16x more features, >= 2x less."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((300, 16)) / 4
    K = kernel_matrix(X, bandwidth=1.0)
    medians = {}
    for sequence in ("mc", "orf"):
        for m in (128, 512, 2048):
            errors = [gram_error(rnla.fourier_features(X, m, bandwidth=1.0, sequence=sequence,
                                                       rng=seed), K) for seed in range(5)]
            medians[sequence, m] = np.median(errors)
    for m in (128, 512, 2048):
        assert medians["orf", m] <= medians["mc", m]
    assert medians["orf", 2048] <= medians["orf", 128] / 2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("d", [5, 16, 33])
def test_sorf_transform_equals_the_dense_product(dtype, d):
    rng = np.random.default_rng(3)
    X = (rng.standard_normal((50, d)) / 3).astype(dtype)
    fmap = FourierFeatureMap(200, bandwidth=1.5, sequence="sorf", rng=0).fit(X)
    W = fmap.frequencies_
    s = W.shape[0]
    Z = fmap.transform(X)
    assert Z.dtype == dtype and Z.shape == (50, 200)
    P = X.astype(np.float64) @ W.T
    tol = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(Z, np.hstack([np.cos(P), np.sin(P)]) / np.sqrt(s), atol=tol)
    Xs = sp.csr_matrix(np.where(rng.random(X.shape) < 0.3, X, 0))
    np.testing.assert_allclose(fmap.transform(Xs), fmap.transform(Xs.toarray()), atol=tol)


def test_sorf_directions_are_unit_rows_of_a_hadamard_product():
    so = StructuredOrthogonal(64, 64, "gaussian", 1.0, 1.5, np.random.default_rng(4))
    W = so.to_dense()
    U = W / so.radii[:, None]
    np.testing.assert_allclose(U @ U.T, np.eye(64), atol=1e-12)  # one full block: orthogonal


def test_sorf_matches_orf_error_for_larger_d():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((300, 64)) / 8
    K = kernel_matrix(X, bandwidth=1.0)
    errors = {seq: np.median([gram_error(rnla.fourier_features(X, 512, bandwidth=1.0,
                                                               sequence=seq, rng=seed), K)
                              for seed in range(7)]) for seq in ("orf", "sorf", "mc")}
    assert errors["sorf"] <= 1.2 * errors["orf"] and errors["sorf"] < errors["mc"]


def test_orthogonal_samplers_refuse_kernels_that_are_not_radial():
    for sequence in ("orf", "sorf"):
        with pytest.raises(ValueError, match=f"kernel \\(with sequence='{sequence}'\\)"):
            FourierFeatureMap(64, "laplacian", sequence=sequence)


def test_estimator_and_cos_phase_take_orthogonal_samplers():
    pytest.importorskip("sklearn")
    from rnla.estimators import QMCFourierFeatures

    X = np.random.default_rng(6).random((30, 4))
    for sequence in ("orf", "sorf"):
        Z = QMCFourierFeatures(n_components=63, sequence=sequence, random_state=0).fit_transform(X)
        assert Z.shape == (30, 63) and np.isfinite(Z).all()


# ---- randomised QMC replicates ---------------------------------------------------------

@pytest.mark.parametrize("sequence", ["sobol", "lattice", "halton", "digital_net", "mc", "orf"])
def test_replicate_standard_error_covers_the_actual_error(sequence):
    """With R = 8 unbiased replicates, |k_hat - k| <= 2 SE for about 91% of pairs
    (Student t with 7 degrees of freedom); at least 85% over 19900 pairs."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((200, 8)) / 3
    K = kernel_matrix(X, bandwidth=1.0)
    fmap = FourierFeatureMap(1024, bandwidth=1.0, sequence=sequence, n_replicates=8,
                             rng=1).fit(X)
    Z = fmap.transform(X)
    se = fmap.kernel_standard_error(X)
    i, j = np.triu_indices(200, 1)
    coverage = np.mean(np.abs(Z @ Z.T - K)[i, j] <= 2 * se[i, j])
    assert coverage >= 0.85
    # the replicates' mean is the features' estimate: one replicate of 1024 equals R = 1
    assert se.shape == (200, 200) and (se >= 0).all()


def test_replicates_are_independent_randomisations_of_one_set():
    X = np.random.default_rng(8).random((5, 3))
    fmap = FourierFeatureMap(64, bandwidth=1.0, sequence="sobol", n_replicates=4,
                             rng=0).fit(X)
    W = fmap.frequencies_.reshape(4, 8, 3)
    assert not np.allclose(W[0], W[1])
    Y = np.random.default_rng(9).random((4, 3))
    assert fmap.kernel_standard_error(X, Y).shape == (5, 4)


def test_bad_replicate_parameters_are_refused():
    with pytest.raises(ValueError, match="n_replicates"):
        FourierFeatureMap(64, n_replicates=0)
    with pytest.raises(ValueError, match="must divide"):
        FourierFeatureMap(64, n_replicates=5)
    with pytest.raises(ValueError, match="randomised point sets"):
        FourierFeatureMap(64, sequence="learned", n_replicates=2)
    with pytest.raises(ValueError, match="scramble=True"):
        FourierFeatureMap(64, sequence="sobol", scramble=False, n_replicates=2)
    X = np.random.default_rng(10).random((5, 3))
    with pytest.raises(ValueError, match="n_replicates >= 2"):
        FourierFeatureMap(64, bandwidth=1.0).fit(X).kernel_standard_error(X)


def test_learned_set_never_worse_than_its_start_on_the_data():
    """On standardised diabetes the box is far larger than the differences of the rows:
    minimising the box discrepancy hurts, so the start set is kept, with a warning."""
    load_diabetes = pytest.importorskip("sklearn.datasets").load_diabetes
    X = load_diabetes().data[:300]
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    sigma = np.sqrt(X.shape[1] / 2)
    with pytest.warns(UserWarning, match="starting set is kept"):
        learned = FourierFeatureMap(128, bandwidth=sigma, sequence="learned", rng=0).fit(X)
    start = FourierFeatureMap(128, bandwidth=sigma, sequence="halton", rng=0).fit(X)
    K = kernel_matrix(X, bandwidth=sigma)
    assert gram_error(learned.transform(X), K) <= gram_error(start.transform(X), K) * 1.0001


@pytest.mark.parametrize("kernel", ["gaussian", "matern"])
def test_qmc_radii_have_the_radial_law_and_are_stratified(kernel):
    """Sorted QMC radii sit at the radial law's quantiles of a stratified sample: their
    Kolmogorov distance to the law is below 2/s (i.i.d. radii: about 1/sqrt(s))."""
    from scipy import stats

    from rnla.features.orthogonal import _qmc_radii

    s, d, sigma, nu = 1024, 6, 1.5, 2.5
    r = np.sort(_qmc_radii(s, d, kernel, sigma, nu, np.random.default_rng(11)))
    if kernel == "gaussian":
        cdf = stats.chi2.cdf((r * sigma) ** 2, d)
    else:
        cdf = stats.f.cdf((r * sigma) ** 2 / d, d, 2 * nu)
    assert np.max(np.abs(cdf - (np.arange(s) + 0.5) / s)) < 2 / s
    # and the law matches the kernel's own sampler (mean of ||w||^2 within 4 SE)
    W = spectral_frequencies(qmc_points(20000, d + (kernel == "matern"), "mc", False,
                                        np.random.default_rng(12)), d, kernel, sigma, nu)
    sq = np.sum(W**2, axis=1)
    if kernel == "gaussian":
        assert abs(np.mean(r**2) - sq.mean()) < 4 * sq.std() / np.sqrt(s)


def test_auto_is_orf_qmc_for_radial_kernels_in_12_or_more_dimensions():
    rng = np.random.default_rng(13)
    wide, narrow = rng.random((20, 12)), rng.random((20, 11))
    assert FourierFeatureMap(64).fit(wide).sequence_ == "orf_qmc"
    assert FourierFeatureMap(64, "matern").fit(wide).sequence_ == "orf_qmc"
    assert FourierFeatureMap(64).fit(narrow).sequence_ == "sobol"
    assert FourierFeatureMap(64, "laplacian").fit(wide).sequence_ == "sobol"
    assert FourierFeatureMap(64, "cauchy").fit(wide).sequence_ == "sobol"
    assert FourierFeatureMap(64, sequence=rng.random((32, 12))).fit(wide).sequence_ is None
    with pytest.raises(ValueError, match="scramble=True"):
        FourierFeatureMap(64, scramble=False, n_replicates=2)
