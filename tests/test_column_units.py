"""Rank decisions do not depend on the units of A's columns (design.md, "Dtypes").

Scaling column j of A by c_j > 0 leaves range(A), its leverage scores and the
least-squares fit unchanged (x_j scales by 1/c_j).  numpy judges rank relative to the
largest singular value, so a column in other units than the rest is taken for the whole
range of A; rnla equilibrates the columns by exact powers of two before every rank
decision.  The class of scalings tested: column norms from 1e-300 to 1e300, mixed, in
both orders, dense and sparse, on every engine.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import rnla

xps = pytest.importorskip("array_api_strict")
da = pytest.importorskip("dask.array")

N, D = 5000, 5
SCALES = {
    "huge first": [1e100, 1, 1, 1, 1],
    "one entry 1e300": None,  # entry (0, 0) set to 1e300
    "1e-300 .. 1e300": [1e-300, 1e-150, 1.0, 1e150, 1e300],
    "1e300 .. 1e-300": [1e300, 1e150, 1.0, 1e-150, 1e-300],
    "mixed": [3e-200, 7e250, 0.5, 1e-3, 2e120],
}
ENGINES = {
    "numpy": (lambda M: M, lambda v: np.asarray(v)),
    "csr": (sp.csr_array, lambda v: np.asarray(v)),
    "array_api_strict": (xps.asarray, np.from_dlpack),
    "dask": (lambda M: da.from_array(M, chunks=(1250, D)), lambda v: np.asarray(v)),
}


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(11)
    A = rng.standard_normal((N, D))
    b = A @ rng.standard_normal(D) + 0.1 * rng.standard_normal(N)
    return A, b


def _scaled(A, name):
    if SCALES[name] is None:
        M = A.copy()
        M[0, 0] = 1e300
        return M, None
    c = np.asarray(SCALES[name])
    return A * c, c


def _lift(M, engine):
    wrap, _ = ENGINES[engine]
    if engine == "dask" and sp.issparse(M):
        pytest.skip("Dask arrays of sparse chunks are refused by name")
    return wrap(M)


@pytest.mark.parametrize("engine", list(ENGINES))
@pytest.mark.parametrize("name", list(SCALES))
@pytest.mark.parametrize("method", ["exact", "approx"])
def test_leverage_scores_do_not_depend_on_column_units(problem, engine, name, method):
    A, _ = problem
    M, _ = _scaled(A, name)
    ref = rnla.leverage_scores(A if SCALES[name] is not None else M * [1e-300, 1, 1, 1, 1],
                               method, rng=4)
    h = rnla.leverage_scores(_lift(M, engine), method, rng=4)
    h = ENGINES[engine][1](h.compute() if engine == "dask" else h)
    assert h.sum() == pytest.approx(D, rel=1e-9 if method == "exact" else 0.3)
    np.testing.assert_allclose(h, ref, rtol=1e-7 if method == "exact" else 0.6, atol=1e-12)


@pytest.mark.parametrize("engine", ["numpy", "csr", "array_api_strict", "dask"])
@pytest.mark.parametrize("name", [n for n in SCALES if SCALES[n] is not None])
@pytest.mark.parametrize("method", ["direct", "precondition", "sketch_solve"])
def test_least_squares_fit_does_not_depend_on_column_units(problem, engine, name, method):
    A, b = problem
    if engine == "dask" and method == "direct":
        pytest.skip("method='direct' is refused by name on Dask")
    M, c = _scaled(A, name)
    ref = np.linalg.lstsq(A, b, rcond=None)[0]
    kw = dict(method=method, rng=2) if method == "direct" else \
        dict(method=method, sketch_size=40, rng=2)
    rhs = xps.asarray(b) if engine == "array_api_strict" else b
    res = rnla.lstsq(_lift(M, engine), rhs, **kw)
    x = ENGINES[engine][1](res.x) * c
    if method == "sketch_solve":  # a sketch-and-solve answer: within the embedding's factor
        unscaled = rnla.lstsq(A, b, **kw).x
        np.testing.assert_allclose(x, unscaled, rtol=1e-8)
    else:
        np.testing.assert_allclose(x, ref, rtol=1e-9)
        assert res.rank == D


@pytest.mark.parametrize("engine", ["numpy", "array_api_strict", "dask"])
def test_ridge_scales_with_its_penalty(problem, engine):
    """ridge with penalties alpha_j c_j^2 on A C is ridge with alpha on A: x scales."""
    A, b = problem
    c = np.array([3e-100, 7e120, 0.5, 1e-3, 2e60])  # alpha_j c_j^2 must be a float
    alpha = np.full(D, 50.0)
    ref = np.linalg.solve(A.T @ A + np.diag(alpha), A.T @ b)
    penalty = alpha * c**2
    res = rnla.ridge(_lift(A * c, engine), xps.asarray(b) if engine == "array_api_strict" else b,
                     ENGINES[engine][0](penalty) if engine == "array_api_strict" else penalty,
                     method="precondition", sketch_size=40, rng=1)
    np.testing.assert_allclose(ENGINES[engine][1](res.x) * c, ref, rtol=1e-9)


@pytest.mark.parametrize("dense", [True, False])
def test_a_dependent_column_in_other_units_is_still_dependent(problem, dense):
    """rank(A) = 4 whatever the units of the repeated column."""
    A, b = problem
    for factor in (1e-200, 1.0, 1e200):
        M = np.column_stack([A[:, :4], factor * A[:, 0]])
        M = M if dense else sp.csr_array(M)
        assert rnla.leverage_scores(M).sum() == pytest.approx(4.0, rel=1e-9)
        assert rnla.lstsq(M, b, method="direct").rank == 4
        res = rnla.lstsq(M, b, method="precondition", sketch_size=40, rng=0)
        assert res.rank == 4
        fit = (M @ res.x) if dense else M @ res.x
        np.testing.assert_allclose(fit, A[:, :4] @ np.linalg.lstsq(A[:, :4], b, rcond=None)[0],
                                   rtol=1e-9, atol=1e-9)


def test_float32_columns_in_other_units():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((3000, 4)).astype(np.float32)
    b = rng.standard_normal(3000).astype(np.float32)
    c = np.array([1e-30, 1e30, 1.0, 1e15], dtype=np.float32)
    h = rnla.leverage_scores(A * c)
    np.testing.assert_allclose(h, rnla.leverage_scores(A), rtol=1e-4, atol=1e-7)
    x = rnla.lstsq(A * c, b, method="precondition", sketch_size=32, rng=0).x
    assert x.dtype == np.float32
    ref = np.linalg.lstsq(A.astype(np.float64), b.astype(np.float64), rcond=None)[0]
    np.testing.assert_allclose(x.astype(np.float64) * c, ref, rtol=1e-4)
