"""Entry point x bad input: every invalid input gets a ValueError or TypeError naming the
argument; valid but awkward input (huge entries, read-only, strided, Fortran-order,
integer and bool dtypes) gets the right answer; no input is ever modified.

The table of what each entry point gets is docs/reliability.md, written by
``python -m tests.test_bad_input``.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import rnla
from rnla.lp import solve_packing

RNG = np.random.default_rng(0)
A_GOOD = RNG.standard_normal((300, 6))
B_GOOD = RNG.standard_normal(300)
P_GOOD = RNG.random((20, 30))  # a positive LP


def _with(base, i, j, value):
    A = np.array(base, dtype=float)
    A[i, j] = value
    return A


BAD_MATRICES = {
    "NaN": (_with(A_GOOD, 3, 2, np.nan), ValueError, "finite"),
    "+inf": (_with(A_GOOD, 3, 2, np.inf), ValueError, "finite"),
    "-inf": (_with(A_GOOD, 3, 2, -np.inf), ValueError, "finite"),
    "0 rows": (np.ones((0, 6)), ValueError, "non-empty|rows"),
    "0 columns": (np.ones((300, 0)), ValueError, "non-empty|columns"),
    "0-d": (np.float64(1.0), ValueError, "2-D"),
    "1-D": (np.ones(300), ValueError, "2-D"),
    "3-D": (np.ones((300, 6, 2)), ValueError, "2-D"),
    "complex": (A_GOOD.astype(complex), TypeError, "complex|real"),
    "object": (A_GOOD.astype(object), TypeError, "dtype|numeric"),
    "str": ("A", TypeError, "array"),
}

ENTRY_POINTS = {
    "lstsq": lambda A: rnla.lstsq(A, B_GOOD[: np.shape(A)[0]] if np.ndim(A) >= 1 else B_GOOD,
                                  rng=0),
    "ridge": lambda A: rnla.ridge(A, B_GOOD[: np.shape(A)[0]] if np.ndim(A) >= 1 else B_GOOD,
                                  1.0, rng=0),
    "make_sketch @": lambda A: rnla.make_sketch("sparse_sign", 20, 300, seed=0) @ A,
    "srht @": lambda A: rnla.make_sketch("srht", 20, 300, seed=0) @ A,
    "leverage_scores": lambda A: rnla.leverage_scores(A),
    "fourier_features": lambda A: rnla.fourier_features(A, 8, seed=0),
}


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("case", list(BAD_MATRICES))
def test_bad_matrix_is_refused(entry, case):
    if case == "1-D" and entry.endswith("@"):
        pytest.skip("a sketch applies to a vector: 1-D is valid there")
    A, exc, match = BAD_MATRICES[case]
    with pytest.raises((ValueError, TypeError), match=match) as info:
        ENTRY_POINTS[entry](A)
    assert isinstance(info.value, exc)
    assert "`" in str(info.value) or "must" in str(info.value)


def test_bad_positive_lp_inputs():
    with pytest.raises(ValueError, match="non-negative|nonnegative|negative"):
        solve_packing(-P_GOOD)
    with pytest.raises(ValueError, match="finite"):
        solve_packing(_with(P_GOOD, 0, 0, np.nan))
    with pytest.raises(ValueError, match="eps"):
        solve_packing(P_GOOD, eps=2.0)
    with pytest.raises(ValueError, match="time_limit"):
        solve_packing(P_GOOD, time_limit=float("inf"))


BAD_LSTSQ_ARGS = {
    "b wrong length": (dict(b=np.ones(299)), ValueError, "`b` must have 300 rows"),
    "b 0-d": (dict(b=np.float64(1.0)), ValueError, "`b` must be 1-D or 2-D"),
    "b 3-D": (dict(b=np.ones((300, 1, 1))), ValueError, "`b` must be 1-D or 2-D"),
    "b NaN": (dict(b=np.full(300, np.nan)), ValueError, "`b` must contain only finite"),
    "sketch_size 0": (dict(sketch_size=0, method="precondition"), ValueError, "`sketch_size`"),
    "sketch_size -3": (dict(sketch_size=-3, method="precondition"), ValueError, "`sketch_size`"),
    "sketch_size 2.5": (dict(sketch_size=2.5, method="precondition"), TypeError, "`sketch_size`"),
    "sketch_size > n": (dict(sketch_size=400, method="precondition"), ValueError,
                        "`sketch_size` must be less than n"),
    "rng str": (dict(rng="x"), TypeError, "`rng`"),
    "rng negative": (dict(rng=-1), ValueError, "`rng`"),
    "tol nan": (dict(tol=float("nan")), ValueError, "`tol`"),
    "maxiter -1": (dict(maxiter=-1), ValueError, "`maxiter`"),
    "refresh str": (dict(refresh="yes"), TypeError, "`refresh`"),
}


@pytest.mark.parametrize("case", list(BAD_LSTSQ_ARGS))
def test_bad_lstsq_arguments(case):
    kw, exc, match = BAD_LSTSQ_ARGS[case]
    kw = dict(kw)
    b = kw.pop("b", B_GOOD)
    with pytest.raises(exc, match=match):
        rnla.lstsq(A_GOOD, b, **kw)


AWKWARD = {
    "huge entries": lambda: (A_GOOD * 1e300, B_GOOD * 1e300),
    "tiny entries": lambda: (A_GOOD * 1e-300, B_GOOD * 1e-300),
    "fortran": lambda: (np.asfortranarray(A_GOOD), B_GOOD),
    "strided": lambda: (np.repeat(A_GOOD, 2, axis=1)[:, ::2], B_GOOD),
    "read-only": lambda: (_readonly(A_GOOD), _readonly(B_GOOD)),
    "integer": lambda: (np.round(A_GOOD * 10).astype(np.int64), np.round(B_GOOD * 10)),
    "bool": lambda: (A_GOOD > 0, B_GOOD),
    "csr": lambda: (sp.csr_matrix(A_GOOD), B_GOOD),
}


def _readonly(a):
    a = a.copy()
    a.flags.writeable = False
    return a


@pytest.mark.parametrize("case", list(AWKWARD))
@pytest.mark.parametrize("method", ["auto", "precondition"])
def test_awkward_input_gets_the_right_answer(case, method):
    A, b = AWKWARD[case]()
    A0 = A.copy()
    b0 = b.copy()
    Ad = A.toarray() if sp.issparse(A) else np.asarray(A, dtype=float)
    x_ref = np.linalg.lstsq(Ad, b, rcond=None)[0]
    res = rnla.lstsq(A, b, method=method, sketch_size=60, rng=0)
    assert res.converged, res.message
    assert np.linalg.norm(res.x - x_ref) <= 1e-12 * np.linalg.norm(x_ref) * 10
    r = b - Ad @ x_ref
    r_ref = np.abs(r).max() * np.linalg.norm(r / np.abs(r).max())  # no overflow at 1e300
    assert res.residual_norm == pytest.approx(r_ref, rel=1e-10)
    if sp.issparse(A):
        assert (A != A0).nnz == 0
    else:
        np.testing.assert_array_equal(A, A0)
    np.testing.assert_array_equal(b, b0)


def test_leverage_scores_near_overflow():
    """LAPACK gets the right answer at entries near 1e300; so must leverage_scores."""
    h_ref = rnla.leverage_scores(A_GOOD)
    np.testing.assert_allclose(rnla.leverage_scores(A_GOOD * 1e300), h_ref, rtol=1e-10)


def test_dask_arrays_are_refused_until_supported():
    da = pytest.importorskip("dask.array")
    A = da.from_array(A_GOOD, chunks=(100, 6))
    with pytest.raises(TypeError, match="[Dd]ask"):
        rnla.lstsq(A, B_GOOD)
