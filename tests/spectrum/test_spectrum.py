"""rnla.spectrum against exact references: numpy's trace, diagonal, slogdet, eigvalsh
and norms, on float64 and float32, dense, sparse and matrix-free operators."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from hypothesis import given, settings
from hypothesis import strategies as st

import rnla
from rnla.spectrum import MatrixFreeOperator

TRACE_METHODS = ["xtrace", "xnystrace", "hutch++", "hutchinson"]


def psd(n, decay, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    w = np.arange(1, n + 1.0) ** -decay
    return ((Q * w) @ Q.T).astype(dtype), w


class Counting:
    """A matrix-free operator that counts the columns it is given."""

    def __init__(self, A):
        self.A, self.columns, self.calls = A, 0, 0

    def __call__(self, X):
        self.columns += X.shape[1]
        self.calls += 1
        return self.A @ X


@pytest.mark.parametrize("method", TRACE_METHODS)
def test_trace_is_unbiased_within_its_standard_error(method):
    A, w = psd(300, 1.0)
    estimates = [rnla.spectrum.trace(A, matvecs=40, method=method, rng=s) for s in range(40)]
    mean = np.mean([r.estimate for r in estimates])
    spread = np.std([r.estimate for r in estimates]) / math.sqrt(len(estimates))
    assert abs(mean - w.sum()) < 4 * spread          # unbiased: within 4 SE of the mean
    reported = np.median([r.standard_error for r in estimates])
    assert 0.3 < reported / np.std([r.estimate for r in estimates]) < 3


def test_xtrace_beats_hutchinson_on_a_decaying_spectrum():
    A, w = psd(500, 2.0)
    def err(method):
        return np.median([abs(rnla.spectrum.trace(A, matvecs=60, method=method,
                                                  rng=s).estimate - w.sum())
                          for s in range(10)])
    assert err("xtrace") < err("hutchinson") / 10
    assert err("xnystrace") < err("hutchinson") / 10


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("form", ["dense", "sparse", "linear_operator", "matrix_free"])
def test_trace_and_diagonal_on_every_input_form(dtype, form):
    A, _ = psd(120, 2.0, dtype=dtype)
    A[np.abs(A) < 1e-4] = 0
    exact_trace, exact_diag = np.trace(A.astype(float)), np.diag(A).astype(float)
    operand = {"dense": A, "sparse": sp.csr_matrix(A),
               "linear_operator": spla.aslinearoperator(A),
               "matrix_free": MatrixFreeOperator(lambda X: A @ X, A.shape, like=A[:0, 0],
                                                 symmetric=True)}[form]
    res = rnla.spectrum.trace(operand, matvecs=60, rng=0)
    tol = 1e-4 if dtype == np.float32 else 1e-6
    assert abs(res.estimate - exact_trace) <= max(res.error_estimate, 0) + tol * exact_trace
    d = rnla.spectrum.diagonal(operand, matvecs=60, rng=0)
    assert d.estimate.dtype == dtype
    assert np.linalg.norm(d.estimate - exact_diag) < 0.05 * np.linalg.norm(exact_diag)


def test_exact_when_the_budget_covers_n_and_on_a_low_rank_matrix():
    A, w = psd(50, 1.0)
    res = rnla.spectrum.trace(A, matvecs=50, rng=0)
    assert res.method == "exact" and res.n_matvecs == 50
    assert res.estimate == pytest.approx(np.trace(A), rel=1e-13)
    G = np.random.default_rng(1).standard_normal((200, 5))
    L = G @ G.T                                     # rank 5 < the 10 probes
    for method in ("xtrace", "xnystrace", "hutch++"):
        res = rnla.spectrum.trace(L, matvecs=30, method=method, rng=0)
        assert res.estimate == pytest.approx(np.trace(L), rel=1e-8), method
    d = rnla.spectrum.diagonal(L, matvecs=30, rng=0)
    np.testing.assert_allclose(d.estimate, np.diag(L), rtol=1e-8)


def test_hutchinson_diagonal_is_exact_on_a_diagonal_matrix():
    d = np.linspace(1, 2, 80)
    res = rnla.spectrum.diagonal(np.diag(d), matvecs=4, method="hutchinson", rng=0)
    np.testing.assert_allclose(res.estimate, d, rtol=1e-14)


def test_the_operator_is_called_as_often_as_the_result_says():
    A, _ = psd(200, 1.0)
    for call in (lambda op: rnla.spectrum.trace(op, matvecs=41, rng=0),
                 lambda op: rnla.spectrum.diagonal(op, matvecs=40, rng=0),
                 lambda op: rnla.spectrum.logdet(op, shift=0.1, matvecs=200, rng=0),
                 lambda op: rnla.spectrum.spectral_density(op, n_probes=3, rng=0),
                 lambda op: rnla.spectrum.norm_estimate(op, rng=0)):
        counter = Counting(A)
        res = call(MatrixFreeOperator(counter, A.shape, symmetric=True))
        assert counter.columns == res.n_matvecs
        assert counter.calls == res.n_passes


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logdet_and_trace_inverse_against_numpy(dtype):
    A, w = psd(400, 2.0, dtype=dtype)
    mu = 1e-3
    exact = np.log(w + mu).sum()
    res = rnla.spectrum.logdet(A, shift=mu, matvecs=600, rng=0)
    assert abs(res.estimate - exact) < max(3 * res.error_estimate, 1e-4 * abs(exact))
    plain = rnla.spectrum.logdet(A, shift=mu, matvecs=600, deflation=0, rng=0)
    assert plain.method == "slq" and res.method == "deflated_slq"
    assert res.standard_error < plain.standard_error / 3
    inv = rnla.spectrum.trace_inverse(A + np.eye(400, dtype=dtype), matvecs=600, rng=0)
    assert inv.estimate == pytest.approx((1 / (w + 1)).sum(), rel=1e-3)


def test_trace_function_of_the_identity_function_is_the_trace():
    A, w = psd(300, 1.0)
    res = rnla.spectrum.trace_function(A, lambda t: t, matvecs=300, lanczos_steps=10,
                                       deflation=0, rng=0)
    hutch = rnla.spectrum.trace(A, matvecs=30, method="hutchinson", rng=0)
    # same sign probes, and the quadrature is exact for degree 1
    assert res.estimate == pytest.approx(hutch.estimate, rel=1e-10)


def test_spectral_density_moments_and_shape():
    A, w = psd(300, 0.5)
    rho = rnla.spectrum.spectral_density(A, n_probes=10, lanczos_steps=30, rng=0)
    moments, errors = rho.moments([0, 1, 2, 3, 4])
    exact = [(w ** p).mean() for p in range(5)]
    assert moments[0] == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.abs(moments[1:] - exact[1:]) < 4 * errors[1:])
    assert rho.weights.sum() == pytest.approx(1.0, rel=1e-12)
    assert (rho.density * np.gradient(rho.grid)).sum() == pytest.approx(1.0, abs=0.02)
    kpm = rnla.spectrum.spectral_density(A, method="kpm", rng=0)
    assert (kpm.density * np.gradient(kpm.grid)).sum() == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ValueError, match="SLQ measure"):
        kpm.moments()


def test_spectral_density_plot():
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    A, _ = psd(100, 1.0)
    ax = rnla.spectrum.spectral_density(A, rng=0).plot()
    assert ax.get_xlabel() == "eigenvalue"


@pytest.mark.parametrize("form", ["dense", "sparse"])
def test_norm_and_condition_number(form):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((150, 150)) + 15 * np.eye(150)
    M = sp.csr_matrix(A) if form == "sparse" else A
    res = rnla.spectrum.norm_estimate(M, cond=True, rng=0)
    assert res.estimate == pytest.approx(np.linalg.norm(A, 2), rel=1e-6)
    assert res.estimate <= np.linalg.norm(A, 2) * (1 + 1e-12)
    assert res.condition_estimate == pytest.approx(np.linalg.cond(A), rel=1e-5)
    assert abs(res.estimate - np.linalg.norm(A, 2)) <= res.error_estimate + 1e-9


def test_bad_input_is_refused_by_name():
    A, _ = psd(60, 1.0)
    with pytest.raises(ValueError, match="square"):
        rnla.spectrum.trace(np.ones((5, 4)), matvecs=4)
    with pytest.raises(ValueError, match="at least 4"):
        rnla.spectrum.trace(A, matvecs=3, method="xtrace")
    with pytest.raises(ValueError, match="`matvecs` must be at least"):
        rnla.spectrum.logdet(A, matvecs=20, rng=0)
    N = np.triu(A) + 1.0
    with pytest.raises(ValueError, match="symmetric"):
        rnla.spectrum.trace(N, matvecs=20, method="xnystrace", rng=0)
    with pytest.raises(ValueError, match="symmetric"):
        rnla.spectrum.spectral_density(N, rng=0)
    with pytest.raises(ValueError, match="positive semidefinite"):
        rnla.spectrum.trace(-A, matvecs=20, method="xnystrace", rng=0)
    with pytest.raises(ValueError, match="positive definite"):
        rnla.spectrum.logdet(A - 0.5 * np.eye(60), matvecs=200, rng=0)
    nan = MatrixFreeOperator(lambda X: X * np.nan, (60, 60), symmetric=True)
    with pytest.raises(ValueError, match="NaN"):
        rnla.spectrum.trace(nan, matvecs=10, rng=0)
    with pytest.raises(TypeError, match="real"):
        rnla.spectrum.trace(A.astype(complex), matvecs=10)
    with pytest.raises(TypeError, match="MatrixFreeOperator"):
        rnla.spectrum.trace(lambda X: X, matvecs=10)
    with pytest.raises(ValueError, match="method"):
        rnla.spectrum.trace(A, matvecs=10, method="hutch")
    with pytest.raises(TypeError, match="cond=True"):
        rnla.spectrum.norm_estimate(spla.aslinearoperator(A), cond=True)


def test_a_callable_with_shape_and_dtype_is_an_operator():
    A, w = psd(80, 1.0)

    class Hessian:
        shape, dtype = A.shape, np.float64

        def __call__(self, X):
            return A @ X

    res = rnla.spectrum.trace(Hessian(), matvecs=80, rng=0)
    assert res.estimate == pytest.approx(w.sum(), rel=1e-12)


def test_inputs_are_not_modified_and_seeds_reproduce():
    A, _ = psd(100, 1.0)
    before = A.copy()
    a = rnla.spectrum.trace(A, matvecs=30, rng=5).estimate
    b = rnla.spectrum.trace(A, matvecs=30, rng=5).estimate
    assert a == b
    np.testing.assert_array_equal(A, before)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(4, 40), m=st.integers(4, 60), seed=st.integers(0, 2 ** 16),
       method=st.sampled_from(TRACE_METHODS))
def test_trace_is_finite_and_exact_beyond_n(n, m, seed, method):
    A, w = psd(n, 1.0, seed=seed % 7)
    res = rnla.spectrum.trace(A, matvecs=m, method=method, rng=seed)
    assert math.isfinite(res.estimate) and res.error_estimate >= 0
    assert res.n_matvecs <= m
    if m >= n:
        assert res.estimate == pytest.approx(w.sum(), rel=1e-12)


def test_array_api_namespace_is_kept():
    xp = pytest.importorskip("array_api_strict")
    A, w = psd(100, 2.0)
    res = rnla.spectrum.trace(xp.asarray(A), matvecs=40, rng=0)
    host = rnla.spectrum.trace(A, matvecs=40, rng=0)
    assert res.estimate == pytest.approx(host.estimate, rel=1e-10)
    d = rnla.spectrum.diagonal(xp.asarray(A), matvecs=40, rng=0)
    assert type(d.estimate).__module__.startswith("array_api_strict")
    ld = rnla.spectrum.logdet(xp.asarray(A), shift=1e-2, matvecs=300, rng=0)
    assert ld.estimate == pytest.approx(
        rnla.spectrum.logdet(A, shift=1e-2, matvecs=300, rng=0).estimate, rel=1e-8)


def test_torch_hessian_vector_product_plugs_in():
    torch = pytest.importorskip("torch")
    A, w = psd(50, 1.0)
    At = torch.asarray(A)
    op = MatrixFreeOperator(lambda X: At @ X, A.shape, like=At, symmetric=True)
    res = rnla.spectrum.trace(op, matvecs=50, rng=0)
    assert res.estimate == pytest.approx(w.sum(), rel=1e-12)


@pytest.mark.dask
def test_dask_trace_and_refusals():
    da = pytest.importorskip("dask.array")
    A, w = psd(120, 2.0)
    D = da.from_array(A, chunks=(40, 120))
    res = rnla.spectrum.trace(D, matvecs=40, rng=0)
    assert res.estimate == pytest.approx(rnla.spectrum.trace(A, matvecs=40, rng=0).estimate,
                                         rel=1e-10)
    with pytest.raises(TypeError, match="Dask"):
        rnla.spectrum.logdet(D, matvecs=300)


@pytest.mark.parametrize("block_size", [1, 2, 7])
def test_eigh_block_sizes_match_numpy(block_size):
    A, w = psd(300, 1.0)
    res = rnla.lowrank.eigh(A, 5, tol=1e-10, block_size=block_size, maxiter=400, rng=0)
    assert res.converged
    np.testing.assert_allclose(res.eigenvalues, np.sort(w)[::-1][:5], rtol=1e-9)
    assert np.all(res.residual_norms <= 1e-10 * w.max() * (1 + 1e-6))
    with pytest.raises(ValueError, match="raise maxiter"):
        rnla.lowrank.eigh(A, 5, block_size=1, maxiter=2)


def test_eigh_takes_a_matrix_free_operator_and_refuses_a_non_symmetric_block():
    A, w = psd(200, 1.0)
    op = MatrixFreeOperator(lambda X: A @ X, A.shape, symmetric=True)
    res = rnla.lowrank.eigh(op, 3, tol=1e-8, rng=0)
    np.testing.assert_allclose(res.eigenvalues, np.sort(w)[::-1][:3], rtol=1e-7)
    with pytest.raises(ValueError, match="symmetric"):
        rnla.lowrank.eigh(np.triu(A) + 1.0, 3, rng=0)


def test_auto_uses_xnystrace_for_a_declared_psd_matrix():
    A, w = psd(300, 2.0)
    res = rnla.spectrum.trace(A, matvecs=40, psd=True, rng=0)
    assert res.method == "xnystrace"
    assert rnla.spectrum.trace(A, matvecs=40, rng=0).method == "xtrace"
