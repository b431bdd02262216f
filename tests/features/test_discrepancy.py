"""Box discrepancy: closed forms against quadrature, the box identity, the gradient, the MC
expectation, and the learned sequences."""

import numpy as np
import pytest
import scipy.special as sc
from scipy import integrate
from scipy.stats import norm

from rnla.features import (
    box_discrepancy,
    box_discrepancy_squared,
    data_box,
    learn_sequence,
    qmc_points,
    spectral_frequencies,
)
from rnla.features.discrepancy import _h_and_slope


def sinc(b, z):
    """S_b(z) = sin(b z) / (pi z)."""
    return b / np.pi * np.sinc(b * z / np.pi)


def test_gaussian_h_and_A_oracle():
    """Spec oracle 4 (tau = 0.7, b = 3): the closed forms equal the quoted values and the
    quadrature of S_b(x - v) N(v; 0, tau^2) to 1e-10."""
    tau, b = 0.7, 3.0
    x = np.array([0.0, 0.3, -1.2])
    h, _, A = _h_and_slope(x, np.full(3, b), tau, "gaussian")
    np.testing.assert_allclose(h, [0.5495550500666745, 0.5099557233806729, 0.14008247813011032],
                               rtol=0, atol=1e-14)
    assert A[0] == pytest.approx(0.40179185678266105, abs=1e-15)
    for xi, hi in zip(x, h, strict=True):
        quad = integrate.quad(lambda v, xi=xi: sinc(b, xi - v) * norm.pdf(v, scale=tau),
                              -np.inf, np.inf, epsabs=1e-13, limit=200)[0]
        assert hi == pytest.approx(quad, abs=1e-10)
    quad_A = integrate.quad(lambda t: norm.pdf(t, scale=tau) * integrate.quad(
        lambda v: sinc(b, t - v) * norm.pdf(v, scale=tau), -np.inf, np.inf, epsabs=1e-13)[0],
        -np.inf, np.inf, epsabs=1e-12)[0]
    assert A[0] == pytest.approx(quad_A, abs=1e-9)


def test_stable_form_where_the_naive_form_overflows():
    """Spec oracle 6: the Faddeeva form agrees with the erf form where that is finite and
    stays finite at x = 40 (tau = 0.7, b = 3)."""
    tau, b = 0.7, 3.0
    x = np.array([0.0, 0.5, -2.0, 3.0])
    naive = (np.exp(-x**2 / (2 * tau**2)) * sc.erf((tau**2 * b - 1j * x) / (tau * np.sqrt(2))
                                                  ).real / (tau * np.sqrt(2 * np.pi)))
    h = _h_and_slope(x, np.full(4, b), tau, "gaussian")[0]
    np.testing.assert_allclose(h, naive, rtol=1e-12, atol=1e-15)
    far = _h_and_slope(np.array([40.0]), np.array([b]), tau, "gaussian")[0][0]
    assert np.isfinite(far) and far == pytest.approx(4.83e-4, rel=1e-2)


def test_cauchy_closed_forms():
    """Spec oracle 7 (gamma = 0.8, b = 2.5), against quadrature of the definitions
    h(x) = (1/pi) int_0^b cos(t x) phi(t) dt and A = (1/pi) int_0^b phi(t)^2 dt with the
    characteristic function phi(t) = exp(-gamma |t|) (the x-space convolution with the
    Cauchy density has an oscillating 1/v^3 tail that quad cannot integrate to 1e-8)."""
    gamma, b = 0.8, 2.5
    x = np.array([0.0, 0.7, -3.0])
    h, slope, A = _h_and_slope(x, np.full(3, b), gamma, "laplacian")
    assert A[0] == pytest.approx(0.19529989828, abs=1e-10)
    quad_A = integrate.quad(lambda t: np.exp(-2 * gamma * t), 0, b, epsabs=1e-14)[0] / np.pi
    assert A[0] == pytest.approx(quad_A, abs=1e-12)
    for xi, hi in zip(x, h, strict=True):
        quad = integrate.quad(lambda t, xi=xi: np.cos(t * xi) * np.exp(-gamma * t), 0, b,
                              epsabs=1e-14)[0] / np.pi
        assert hi == pytest.approx(quad, abs=1e-8)
    step = 1e-6
    fd = (_h_and_slope(x + step, np.full(3, b), gamma, "laplacian")[0]
          - _h_and_slope(x - step, np.full(3, b), gamma, "laplacian")[0]) / (2 * step)
    np.testing.assert_allclose(slope, fd, atol=1e-9)


def test_one_dimensional_values():
    """Spec oracle 5, and the defining double integrals by brute-force quadrature."""
    assert box_discrepancy_squared([[0.0]], 1.0) == pytest.approx(0.011323985300, abs=1e-12)
    assert box_discrepancy_squared([[0.5]], 1.0) == pytest.approx(0.030914228057, abs=1e-12)
    W = np.array([[-0.5], [0.5]])
    assert box_discrepancy_squared(W, 2.0) == pytest.approx(0.053129768284, abs=1e-12)
    b = 2.0
    A = integrate.dblquad(lambda v, u: sinc(b, u - v) * norm.pdf(u) * norm.pdf(v),
                          -12, 12, -12, 12, epsabs=1e-12)[0]
    h = [integrate.quad(lambda v, w=w: sinc(b, w - v) * norm.pdf(v), -np.inf, np.inf,
                        epsabs=1e-13)[0] for w in W[:, 0]]
    G = sinc(b, W - W.T)
    brute = A - 2 / 2 * sum(h) + G.sum() / 4
    assert box_discrepancy_squared(W, b) == pytest.approx(brute, abs=1e-8)
    assert box_discrepancy(W, b) == pytest.approx(np.sqrt(brute), abs=1e-7)


@pytest.mark.parametrize("kernel", ["gaussian", "laplacian"])
def test_box_identity_two_dimensions(kernel, rng):
    """Spec oracle 8: the mean of |eps(u)|^2 over the box (tensor Gauss-Legendre, 200^2
    nodes) equals pi^d / prod(b) D^2, i.e. the normalised discrepancy, to 1e-10."""
    sigma, b = 1.3, np.array([1.5, 2.5])
    W = spectral_frequencies(rng.random((16, 2)), 2, kernel, sigma)
    # 100 nodes on each of [-1, 0] and [0, 1]: the Laplacian kernel's kink at 0 then lies
    # on a panel boundary and the rule keeps its spectral accuracy
    nodes, weights = np.polynomial.legendre.leggauss(100)
    nodes, weights = np.r_[(nodes - 1) / 2, (nodes + 1) / 2], np.r_[weights, weights] / 2
    u1, u2 = np.meshgrid(nodes * b[0], nodes * b[1], indexing="ij")
    U = np.stack([u1.ravel(), u2.ravel()], axis=1)
    weight = np.outer(weights, weights).ravel() / 4  # mean over [-1, 1]^2
    exact = (np.exp(-0.5 * (U**2).sum(1) / sigma**2) if kernel == "gaussian"
             else np.exp(-np.abs(U).sum(1) / sigma))
    eps = exact - np.exp(-1j * U @ W.T).mean(axis=1)
    mean_square = weight @ np.abs(eps) ** 2
    normalized = box_discrepancy_squared(W, b, sigma, kernel, normalized=True)
    assert normalized == pytest.approx(mean_square, abs=1e-10)
    assert box_discrepancy_squared(W, b, sigma, kernel) == pytest.approx(
        normalized * np.prod(b / np.pi), rel=1e-14)


@pytest.mark.parametrize("kernel", ["gaussian", "laplacian"])
def test_gradient_matches_central_differences(kernel, rng):
    """Spec oracle 9 (d = 2, s = 16, h = 1e-6), relative to the largest entry."""
    W, b = rng.standard_normal((16, 2)), np.array([1.5, 2.5])
    value, grad = box_discrepancy_squared(W, b, 1.3, kernel, gradient=True)
    assert value == box_discrepancy_squared(W, b, 1.3, kernel)
    fd = np.zeros_like(W)
    for index in np.ndindex(W.shape):
        up, down = W.copy(), W.copy()
        up[index] += 1e-6
        down[index] -= 1e-6
        fd[index] = (box_discrepancy_squared(up, b, 1.3, kernel)
                     - box_discrepancy_squared(down, b, 1.3, kernel)) / 2e-6
    assert np.abs(grad - fd).max() <= 1e-8 * np.abs(grad).max()


def test_pair_sum_matches_numpy(rng):
    """Spec oracle 13: the numba pair sum equals a numpy evaluation to 1e-12."""
    from rnla.backend import kernels

    W, b = rng.standard_normal((40, 3)), np.array([0.5, 2.0, 7.0])
    diff = W[:, None, :] - W[None, :, :]
    F = np.sinc(b * diff / np.pi)
    total, grad = kernels().sinc_box_sum(W, W, b, True)
    assert total == pytest.approx(F.prod(axis=2).sum(), rel=1e-12)
    x = b * diff
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(x == 0, 0.0, (x * np.cos(x) - np.sin(x)) / x**2) * b
    expected = np.stack([(slope[..., j] * np.prod(np.delete(F, j, axis=2), axis=2)).sum(1)
                         for j in range(3)], axis=1)
    np.testing.assert_allclose(grad, expected, rtol=1e-10, atol=1e-13)


def test_mc_expectation():
    """Spec oracle 10: mean of normalised D^2 over 4000 i.i.d. draws is within 3 standard
    errors of (1 - prod A_j pi/b_j)/s."""
    d, s, b = 3, 32, np.array([1.0, 2.0, 0.5])
    A = _h_and_slope(np.zeros(3), b, 1.0, "gaussian")[2] * np.pi / b
    expected = (1 - np.prod(A)) / s
    rng = np.random.default_rng(0)
    draws = [box_discrepancy_squared(rng.standard_normal((s, d)), b, normalized=True)
             for _ in range(4000)]
    assert abs(np.mean(draws) - expected) <= 3 * np.std(draws) / np.sqrt(len(draws))


def test_qmc_has_lower_discrepancy_than_mc():
    """Spec oracle 11: scrambled Halton and Sobol' have a lower mean D^2 than MC (s = 256,
    d = 4)."""
    b = np.full(4, 2.0)

    def mean_d2(sequence):
        return np.mean([box_discrepancy_squared(
            spectral_frequencies(qmc_points(256, 4, sequence, rng=s), 4), b)
            for s in range(20)])

    mc = mean_d2("mc")
    assert mean_d2("halton") < mc and mean_d2("sobol") < mc


def test_global_learning_is_monotone(rng):
    """Spec oracle 11: the optimiser never increases D^2; it lowers it from Halton."""
    res = learn_sequence(64, 3, np.array([2.0, 3.0, 1.0]), 0.8, rng=1, maxiter=30)
    start = spectral_frequencies(qmc_points(64, 3, "halton", rng=1), 3, "gaussian", 0.8)
    assert (np.abs(res.frequencies) <= np.abs(start).max(axis=0)).all()  # projected variant
    assert res.trace[0] == pytest.approx(res.initial)
    assert (np.diff(res.trace) <= 0).all()
    assert res.final <= res.trace[-1] * (1 + 1e-12) and res.final < 0.5 * res.initial
    np.testing.assert_allclose(spectral_frequencies(res.points, 3, "gaussian", 0.8),
                               res.frequencies, rtol=1e-9, atol=1e-12)
    assert res.final == pytest.approx(box_discrepancy_squared(
        res.frequencies, [2.0, 3.0, 1.0], 0.8, normalized=True), rel=1e-12)


def test_greedy_learning_is_extensible_and_lowers_discrepancy():
    b = np.array([2.0, 3.0])
    short = learn_sequence(24, 2, b, 1.0, method="greedy", kernel="laplacian", scramble=False)
    long = learn_sequence(48, 2, b, 1.0, method="greedy", kernel="laplacian", scramble=False)
    np.testing.assert_array_equal(long.frequencies[:24], short.frequencies)
    assert long.final < long.initial
    assert long.trace[23] == pytest.approx(short.final, rel=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: box_discrepancy_squared([[0.0, 1.0]], [1.0]), "length 2"),
    (lambda: box_discrepancy_squared([[0.0]], -1.0), "positive"),
    (lambda: box_discrepancy_squared([[0.0]], 1.0, kernel="cauchy"), "kernel"),
    (lambda: box_discrepancy_squared([[np.nan]], 1.0), "finite"),
    (lambda: box_discrepancy_squared([[0.0]], 1.0, bandwidth=0.0), "bandwidth"),
    (lambda: learn_sequence(8, 2, 1.0, method="newton"), "method"),
    (lambda: learn_sequence(8, 2, 1.0, init=np.zeros((4, 2))), "shape"),
    (lambda: learn_sequence(8, 2, 1.0, kernel="matern"), "kernel"),
    (lambda: data_box(np.ones((3, 2)), method="iqr"), "method"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_data_box(rng):
    X = rng.standard_normal((500, 3))
    np.testing.assert_allclose(data_box(X), X.max(0) - X.min(0))
    q = data_box(X, "quantile", 0.99, rng=0)
    assert (q < data_box(X)).all() and (q > 0).all()


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("kernel", ["gaussian", "laplacian"])
@pytest.mark.parametrize("b", [1e-12, 1e-6, 0.05, 0.9])
def test_narrow_boxes_keep_their_digits(kernel, b):
    """h_j <= b_j/pi: for a narrow box (a constant column of data gives b_j ~ 0) h_j/b_j
    must stay exact to rounding; the closed forms alone lose up to all of its digits."""
    scale = 0.7
    x = np.array([0.0, 0.3, -2.0, 5.0, 25.0])
    h, slope, _ = _h_and_slope(x, np.full(x.size, b), scale, kernel)
    phi = ((lambda t: np.exp(-0.5 * (scale * t) ** 2)) if kernel == "gaussian"
           else (lambda t: np.exp(-scale * t)))
    for xi, hi, si in zip(x, h, slope, strict=True):
        ref = integrate.quad(lambda t, xi=xi: np.cos(t * xi) * phi(t), 0, b,
                             epsabs=0, epsrel=1e-13)[0] / np.pi
        ref_slope = -integrate.quad(lambda t, xi=xi: t * np.sin(t * xi) * phi(t), 0, b,
                                    epsabs=0, epsrel=1e-13)[0] / np.pi
        assert abs(hi - ref) <= 1e-13 * b / np.pi
        assert abs(si - ref_slope) <= 1e-13 * b / np.pi * max(1.0, b)


def test_constant_column_drops_out(rng):
    """A constant column of data (b_j ~ 0) contributes factors 1 + O(b_j^2): the normalised
    discrepancy equals that of the other columns, and stays positive."""
    X = np.hstack([rng.random((200, 3)), np.zeros((200, 1))])
    box = data_box(X)
    for s in (64, 512):
        W = spectral_frequencies(qmc_points(s, 4, "sobol", rng=0), 4, "gaussian", 0.5)
        value = box_discrepancy_squared(W, box, 0.5, normalized=True)
        assert value > 0
        assert value == pytest.approx(
            box_discrepancy_squared(W[:, :3], box[:3], 0.5, normalized=True), rel=1e-10)
