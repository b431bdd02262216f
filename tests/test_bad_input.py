"""Entry point x bad input: every invalid input gets a ValueError or TypeError naming the
argument; valid but awkward input (huge entries, read-only, strided, Fortran-order,
integer and bool dtypes, scipy.sparse) gets the right answer; no input is ever modified.

One table, ``CASES``, drives the tests and docs/reliability.md, which
``python -m tests.test_bad_input`` writes by running every case.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import rnla
from rnla.features import FourierFeatureMap, box_discrepancy, learn_sequence
from rnla.lp import solve_covering, solve_packing
from rnla.sketch import embedding_size

RNG = np.random.default_rng(0)
A_GOOD = RNG.standard_normal((300, 6))
B_GOOD = RNG.standard_normal(300)
P_GOOD = RNG.random((20, 30))  # a positive LP
X_GOOD = RNG.random((30, 3))
W_GOOD = RNG.standard_normal((8, 3))


def _with(base, i, j, value):
    A = np.array(base, dtype=float)
    A[i, j] = value
    return A


#: bad matrices every matrix-taking entry point must refuse: (input, exception, message)
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


def _rhs(A):
    return B_GOOD[: np.shape(A)[0]] if np.ndim(A) >= 1 else B_GOOD


MATRIX_ENTRY_POINTS = {
    "lstsq(A, b)": lambda A: rnla.lstsq(A, _rhs(A), rng=0),
    "ridge(A, b, 1.0)": lambda A: rnla.ridge(A, _rhs(A), 1.0, rng=0),
    "sparse_sign S @ A": lambda A: rnla.make_sketch("sparse_sign", 20, 300, rng=0) @ A,
    "srht S @ A": lambda A: rnla.make_sketch("srht", 20, 300, rng=0) @ A,
    "gaussian S @ A": lambda A: rnla.make_sketch("gaussian", 20, 300, rng=0) @ A,
    "leverage_scores(A)": lambda A: rnla.leverage_scores(A),
    "fourier_features(X, 8)": lambda A: rnla.fourier_features(A, 8, rng=0),
    "FourierFeatureMap.fit(X)": lambda A: FourierFeatureMap(8, rng=0).fit(A),
    "box_discrepancy(W, b)": lambda A: box_discrepancy(A, 1.0),
    "lowrank.svd(A, 3)": lambda A: rnla.lowrank.svd(A, 3, rng=0),
    "lowrank.interpolative(A, 3)": lambda A: rnla.lowrank.interpolative(A, 3, rng=0),
    "lowrank.single_pass_svd(A, 3)": lambda A: rnla.lowrank.single_pass_svd(A, 3, rng=0),
}

#: a sketch applies to a vector and W with 0-d is not a matrix: these pairs are valid
#: or belong to another argument
_NOT_BAD = {("1-D", "sparse_sign S @ A"), ("1-D", "srht S @ A"), ("1-D", "gaussian S @ A")}


def _case(entry, label, call, exc, match):
    return pytest.param(entry, label, call, exc, match, id=f"{entry} | {label}")


CASES = [
    _case(entry, label, lambda f=f, A=A: f(A), exc, match)
    for entry, f in MATRIX_ENTRY_POINTS.items()
    for label, (A, exc, match) in BAD_MATRICES.items()
    if (label, entry) not in _NOT_BAD
]

_ARGS = [
    # lstsq / ridge arguments
    ("lstsq(A, b)", "b of the wrong length", lambda: rnla.lstsq(A_GOOD, np.ones(299)),
     ValueError, "`b` must have 300 rows"),
    ("lstsq(A, b)", "b 0-d", lambda: rnla.lstsq(A_GOOD, np.float64(1.0)), ValueError,
     "`b` must be 1-D or 2-D"),
    ("lstsq(A, b)", "b 3-D", lambda: rnla.lstsq(A_GOOD, np.ones((300, 1, 1))), ValueError,
     "`b` must be 1-D or 2-D"),
    ("lstsq(A, b)", "b with NaN", lambda: rnla.lstsq(A_GOOD, np.full(300, np.nan)),
     ValueError, "`b` must contain only finite"),
    ("lstsq(A, b)", "sketch_size 0",
     lambda: rnla.lstsq(A_GOOD, B_GOOD, method="precondition", sketch_size=0), ValueError,
     "`sketch_size`"),
    ("lstsq(A, b)", "sketch_size -3",
     lambda: rnla.lstsq(A_GOOD, B_GOOD, method="precondition", sketch_size=-3), ValueError,
     "`sketch_size`"),
    ("lstsq(A, b)", "sketch_size 2.5",
     lambda: rnla.lstsq(A_GOOD, B_GOOD, method="precondition", sketch_size=2.5), TypeError,
     "`sketch_size`"),
    ("lstsq(A, b)", "sketch_size below d",
     lambda: rnla.lstsq(A_GOOD, B_GOOD, method="precondition", sketch_size=4), ValueError,
     "`sketch_size` must be at least d"),
    ("lstsq(A, b)", "sketch_size >= n (sketched method forced)",
     lambda: rnla.lstsq(A_GOOD, B_GOOD, method="precondition", sketch_size=400), ValueError,
     "`sketch_size` must be less than n"),
    ("lstsq(A, b)", "square A, sketched method forced",
     lambda: rnla.lstsq(A_GOOD[:6], B_GOOD[:6], method="precondition"), ValueError,
     "method='direct'"),
    ("lstsq(A, b)", "rng of the wrong type", lambda: rnla.lstsq(A_GOOD, B_GOOD, rng="x"),
     TypeError, "`rng`"),
    ("lstsq(A, b)", "rng negative", lambda: rnla.lstsq(A_GOOD, B_GOOD, rng=-1), ValueError,
     "`rng`"),
    ("lstsq(A, b)", "tol NaN", lambda: rnla.lstsq(A_GOOD, B_GOOD, tol=float("nan")),
     ValueError, "`tol`"),
    ("lstsq(A, b)", "tol 0", lambda: rnla.lstsq(A_GOOD, B_GOOD, tol=0.0), ValueError, "`tol`"),
    ("lstsq(A, b)", "maxiter -1", lambda: rnla.lstsq(A_GOOD, B_GOOD, maxiter=-1), ValueError,
     "`maxiter`"),
    ("lstsq(A, b)", "refresh not a bool", lambda: rnla.lstsq(A_GOOD, B_GOOD, refresh="yes"),
     TypeError, "`refresh`"),
    ("lstsq(A, b)", "unknown method", lambda: rnla.lstsq(A_GOOD, B_GOOD, method="qr"),
     ValueError, "`method`"),
    ("lstsq(A, b)", "x0 of the wrong length",
     lambda: rnla.lstsq(A_GOOD, B_GOOD, method="precondition", x0=np.ones(4)), ValueError,
     "`x0`"),
    ("ridge(A, b, 1.0)", "alpha negative", lambda: rnla.ridge(A_GOOD, B_GOOD, -1.0),
     ValueError, "`alpha`"),
    ("ridge(A, b, 1.0)", "alpha NaN", lambda: rnla.ridge(A_GOOD, B_GOOD, float("nan")),
     ValueError, "`alpha`"),
    ("ridge(A, b, 1.0)", "alpha of the wrong length",
     lambda: rnla.ridge(A_GOOD, B_GOOD, np.ones(3)), ValueError, "`alpha`"),
    ("ridge(A, b, 1.0)", "alpha complex",
     lambda: rnla.ridge(A_GOOD, B_GOOD, np.ones(6, dtype=complex)), TypeError, "`alpha`"),
    # sketch operators
    ("make_sketch(kind, k, n)", "k = 0", lambda: rnla.make_sketch("gaussian", 0, 10),
     ValueError, "`k`"),
    ("make_sketch(kind, k, n)", "k > n for sampling", lambda: rnla.make_sketch("uniform", 20, 10),
     ValueError, "`k`"),
    ("make_sketch(kind, k, n)", "k not an int", lambda: rnla.make_sketch("gaussian", 2.5, 10),
     TypeError, "`k`"),
    ("make_sketch(kind, k, n)", "n = 0", lambda: rnla.make_sketch("gaussian", 1, 0),
     ValueError, "`n`"),
    ("make_sketch(kind, k, n)", "unknown kind", lambda: rnla.make_sketch("fourier", 2, 10),
     ValueError, "`kind`"),
    ("make_sketch(kind, k, n)", "rng of the wrong type",
     lambda: rnla.make_sketch("gaussian", 2, 10, rng="a"), TypeError, "`rng`"),
    ("sparse_sign S @ A", "A with the wrong number of rows",
     lambda: rnla.make_sketch("sparse_sign", 2, 10, rng=0) @ np.ones((9, 2)), ValueError,
     "10 rows"),
    ("sparse_sign S @ A", "vector of the wrong length",
     lambda: rnla.make_sketch("sparse_sign", 2, 10, rng=0) @ np.ones(9), ValueError,
     "length 10"),
    ("leverage_scores(A)", "unknown method", lambda: rnla.leverage_scores(A_GOOD, "fast"),
     ValueError, "`method`"),
    ("embedding_size(kind, d)", "d = 0", lambda: embedding_size("gaussian", 0), ValueError,
     "`d`"),
    ("embedding_size(kind, d)", "d not an int", lambda: embedding_size("gaussian", 2.5),
     TypeError, "`d`"),
    ("embedding_size(kind, d)", "eps outside (0, 1)",
     lambda: embedding_size("gaussian", 5, 2.0), ValueError, "`eps`"),
    ("embedding_size(kind, d)", "delta = 0",
     lambda: embedding_size("gaussian", 5, delta=0.0), ValueError, "`delta`"),
    ("embedding_size(kind, d)", "unknown kind", lambda: embedding_size("fourier", 5),
     ValueError, "`kind`"),
    # feature maps
    ("FourierFeatureMap.fit(X)", "n_features = 0",
     lambda: FourierFeatureMap(0, rng=0).fit(X_GOOD), ValueError, "`n_features`"),
    ("FourierFeatureMap.fit(X)", "n_features not an int",
     lambda: FourierFeatureMap(2.5, rng=0).fit(X_GOOD), TypeError, "`n_features`"),
    ("FourierFeatureMap.fit(X)", "bandwidth negative",
     lambda: FourierFeatureMap(8, bandwidth=-1.0, rng=0).fit(X_GOOD), ValueError,
     "`bandwidth`"),
    ("FourierFeatureMap.fit(X)", "bandwidth NaN",
     lambda: FourierFeatureMap(8, bandwidth=float("nan"), rng=0).fit(X_GOOD), ValueError,
     "`bandwidth`"),
    ("FourierFeatureMap.transform(X)", "X with other columns than at fit",
     lambda: FourierFeatureMap(8, rng=0).fit(X_GOOD).transform(X_GOOD[:, :2]), ValueError,
     "columns"),
    ("FourierFeatureMap.transform(X)", "X with NaN",
     lambda: FourierFeatureMap(8, rng=0).fit(X_GOOD).transform(np.full((2, 3), np.nan)),
     ValueError, "finite"),
    ("box_discrepancy(W, b)", "b of the wrong length",
     lambda: box_discrepancy(W_GOOD, np.ones(2)), ValueError, "`b`"),
    ("box_discrepancy(W, b)", "b negative", lambda: box_discrepancy(W_GOOD, -np.ones(3)),
     ValueError, "`b`"),
    ("box_discrepancy(W, b)", "b zero", lambda: box_discrepancy(W_GOOD, np.zeros(3)),
     ValueError, "`b`"),
    ("box_discrepancy(W, b)", "bandwidth 0",
     lambda: box_discrepancy(W_GOOD, 1.0, bandwidth=0.0), ValueError, "`bandwidth`"),
    ("box_discrepancy(W, b)", "unknown kernel", lambda: box_discrepancy(W_GOOD, 1.0, kernel="x"),
     ValueError, "`kernel`"),
    ("learn_sequence(n, d, b)", "n = 0", lambda: learn_sequence(0, 3, 1.0), ValueError, "`n`"),
    ("learn_sequence(n, d, b)", "d = 0", lambda: learn_sequence(5, 0, 1.0), ValueError, "`d`"),
    ("learn_sequence(n, d, b)", "b with NaN",
     lambda: learn_sequence(5, 3, np.array([1.0, np.nan, 1.0])), ValueError, "`b`"),
    ("learn_sequence(n, d, b)", "maxiter -1", lambda: learn_sequence(5, 3, 1.0, maxiter=-1),
     ValueError, "`maxiter`"),
    # positive LPs
    ("solve_packing(A)", "negative entries", lambda: solve_packing(-P_GOOD), ValueError,
     "nonnegative"),
    ("solve_packing(A)", "NaN", lambda: solve_packing(_with(P_GOOD, 0, 0, np.nan)),
     ValueError, "finite"),
    ("solve_packing(A)", "an all-zero column", lambda: solve_packing(_with(P_GOOD, slice(None),
                                                                           0, 0.0)),
     ValueError, "zero"),
    ("solve_packing(A)", "eps outside its range", lambda: solve_packing(P_GOOD, eps=2.0),
     ValueError, "`eps`"),
    ("solve_packing(A)", "time_limit inf",
     lambda: solve_packing(P_GOOD, time_limit=float("inf")), ValueError, "`time_limit`"),
    ("solve_packing(A)", "time_limit 0", lambda: solve_packing(P_GOOD, time_limit=0.0),
     ValueError, "`time_limit`"),
    ("solve_covering(A)", "an all-zero column (a constraint no y can meet)",
     lambda: solve_covering(_with(P_GOOD, slice(None), 0, 0.0)), ValueError, "zero"),
    ("solve_covering(A)", "negative entries", lambda: solve_covering(-P_GOOD), ValueError,
     "nonnegative"),
]
CASES += [_case(*row) for row in _ARGS]


@pytest.mark.parametrize("entry,label,call,exc,match", CASES)
def test_bad_input_is_refused(entry, label, call, exc, match):
    with pytest.raises((ValueError, TypeError), match=match) as info:
        call()
    assert isinstance(info.value, exc), (entry, label, info.value)


def _readonly(a):
    a = a.copy()
    a.flags.writeable = False
    return a


AWKWARD = {
    "entries near 1e300": lambda: (A_GOOD * 1e300, B_GOOD * 1e300),
    "entries near 1e-300": lambda: (A_GOOD * 1e-300, B_GOOD * 1e-300),
    "Fortran order": lambda: (np.asfortranarray(A_GOOD), B_GOOD),
    "strided view": lambda: (np.repeat(A_GOOD, 2, axis=1)[:, ::2], B_GOOD),
    "read-only": lambda: (_readonly(A_GOOD), _readonly(B_GOOD)),
    "int64": lambda: (np.round(A_GOOD * 10).astype(np.int64), np.round(B_GOOD * 10)),
    "bool": lambda: (A_GOOD > 0, B_GOOD),
    "float32": lambda: (A_GOOD.astype(np.float32), B_GOOD.astype(np.float32)),
    "scipy.sparse CSR": lambda: (sp.csr_matrix(A_GOOD), B_GOOD),
    "scipy.sparse COO": lambda: (sp.coo_matrix(A_GOOD), B_GOOD),
}


def _safe_norm(r):
    top = np.abs(r).max()
    return top * np.linalg.norm(r / top)  # no overflow at 1e300


def _awkward_lstsq(case, method):
    A, b = AWKWARD[case]()
    A0, b0 = A.copy(), b.copy()
    Ad = A.toarray() if sp.issparse(A) else np.asarray(A, dtype=float)
    bd = np.asarray(b, dtype=float)
    x_ref = np.linalg.lstsq(Ad, bd, rcond=None)[0]
    res = rnla.lstsq(A, b, method=method, sketch_size=60, rng=0)
    unchanged = ((A != A0).nnz == 0 if sp.issparse(A) else np.array_equal(A, A0)) \
        and np.array_equal(b, b0)
    single = np.dtype(A.dtype) == np.float32
    rtol = 10 * float(np.finfo(np.float32).eps) if single else 1e-11
    return res, x_ref, _safe_norm(bd - Ad @ x_ref), unchanged, rtol


@pytest.mark.parametrize("case", list(AWKWARD))
@pytest.mark.parametrize("method", ["auto", "precondition"])
def test_awkward_input_gets_the_right_answer(case, method):
    res, x_ref, r_ref, unchanged, rtol = _awkward_lstsq(case, method)
    assert res.converged, res.message
    assert np.linalg.norm(res.x - x_ref) <= rtol * np.linalg.norm(x_ref)
    assert res.residual_norm == pytest.approx(r_ref, rel=max(rtol, 1e-10))
    assert unchanged


@given(n=st.integers(1, 80), d=st.integers(1, 8),
       dtype=st.sampled_from(["float64", "float32", "int64", "bool"]),
       order=st.sampled_from(["C", "F"]), seed=st.integers(0, 2**20),
       kind=st.sampled_from(["gaussian", "srht", "sparse_sign", "countsketch"]))
def test_any_shape_dtype_and_order(n, d, dtype, order, seed, kind):
    """Hypothesis over shapes, dtypes and memory orders: S @ A equals the dense S times A,
    lstsq matches numpy, the output dtype follows the input, and nothing is modified."""
    rng = np.random.default_rng(seed)
    A = np.asarray(rng.standard_normal((n, d)) * 3, order=order).astype(dtype, order=order)
    work = np.float32 if dtype == "float32" else np.float64
    b = rng.standard_normal(n).astype(work)  # b in A's working dtype: no promotion warning
    A0, b0 = A.copy(order="K"), b.copy()
    S = rnla.make_sketch(kind, min(n, 5), n, rng=seed)
    SA = S @ A
    assert SA.dtype == work
    np.testing.assert_allclose(SA, S.to_dense().astype(np.float64) @ A.astype(np.float64),
                               rtol=1e-4 if work == np.float32 else 1e-10,
                               atol=1e-4 if work == np.float32 else 1e-10)
    res = rnla.lstsq(A, b, rng=seed)
    assert res.x.dtype == work and res.converged
    Ad = A.astype(np.float64)
    r_ref = np.linalg.norm(b - Ad @ np.linalg.lstsq(Ad, b, rcond=None)[0])
    assert res.residual_norm <= r_ref * (1 + 1e-6) + 1e-10 * np.linalg.norm(b)
    np.testing.assert_array_equal(A, A0)
    np.testing.assert_array_equal(b, b0)


@pytest.mark.parametrize("method", ["exact", "approx"])
@pytest.mark.parametrize("scale", [1e300, 1e307, 1e-300])
def test_leverage_scores_near_overflow(method, scale):
    """LAPACK gets the right answer at entries near 1e307 (numpy.linalg.lstsq does);
    so must leverage_scores, which do not depend on the scale of A."""
    A = np.random.default_rng(0).standard_normal((5000, 20))
    h_ref = rnla.leverage_scores(A, method, rng=0)
    np.testing.assert_allclose(rnla.leverage_scores(A * scale, method, rng=0), h_ref,
                               rtol=1e-10)
    # subnormal entries (about 1e-310) carry fewer bits, but never overflow the scaling
    assert np.all(np.isfinite(rnla.leverage_scores(A * 1e-310, method, rng=0)))


def test_matrix_market_reader_refuses_bad_files(tmp_path, capsys):
    from rnla.__main__ import main

    path = tmp_path / "neg.mtx"
    scipy.io.mmwrite(str(path), sp.coo_matrix(-P_GOOD))
    with pytest.raises(SystemExit) as info:
        main(["lp", "packing", str(path)])
    assert info.value.code == 2 and "is negative" in capsys.readouterr().err
    # positions as the file numbers them (from 1); the Python API keeps 0-based indices
    one = tmp_path / "one.mtx"
    one.write_text("%%MatrixMarket matrix coordinate real general\n3 3 3\n"
                   "1 1 1.0\n2 2 -1.0\n3 3 1.0\n")
    with pytest.raises(SystemExit):
        main(["lp", "packing", str(one)])
    assert "entry (2, 2) of the file" in capsys.readouterr().err
    empty = tmp_path / "empty_column.mtx"
    empty.write_text("%%MatrixMarket matrix coordinate real general\n3 3 2\n"
                     "1 1 1.0\n3 3 1.0\n")
    with pytest.raises(SystemExit):
        main(["lp", "covering", str(empty)])
    assert "column 2 of the file" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"at row 1, column 1"):
        solve_packing(np.diag([1.0, -1.0, 1.0]))
    bad = tmp_path / "garbage.mtx"
    bad.write_text("not a matrix market file\n")
    with pytest.raises(SystemExit):
        main(["lp", "packing", str(bad)])
    assert "Matrix Market" in capsys.readouterr().err


FOREIGN = {
    "Dask array": lambda a: pytest.importorskip("dask.array").from_array(a, chunks=50),
    "array_api_strict array": lambda a: pytest.importorskip("array_api_strict").asarray(a),
}

FOREIGN_ENTRY_POINTS = {
    "lstsq(A, b)": lambda wrap: rnla.lstsq(wrap(A_GOOD), B_GOOD),
    "lstsq(A, b) with foreign b": lambda wrap: rnla.lstsq(A_GOOD, wrap(B_GOOD)),
    "ridge(A, b, alpha) with foreign alpha": lambda wrap: rnla.ridge(A_GOOD, B_GOOD,
                                                                    wrap(np.ones(6))),
    "S @ A": lambda wrap: rnla.make_sketch("sparse_sign", 20, 300, rng=0) @ wrap(A_GOOD),
    "S @ v": lambda wrap: rnla.make_sketch("gaussian", 20, 300, rng=0) @ wrap(B_GOOD),
    "leverage_scores(A)": lambda wrap: rnla.leverage_scores(wrap(A_GOOD)),
    "fourier_features(X, 8)": lambda wrap: rnla.fourier_features(wrap(X_GOOD), 8),
    "box_discrepancy(W, b)": lambda wrap: box_discrepancy(W_GOOD, wrap(np.ones(3))),
    "solve_packing(A)": lambda wrap: solve_packing(wrap(P_GOOD)),
    "lowrank.svd(A, 3)": lambda wrap: rnla.lowrank.svd(wrap(A_GOOD), 3),
}
#: what an Array-API array gets at each entry point (the others compute in its namespace:
#: tests/test_namespaces.py)
ARRAY_API_REFUSALS = {
    "lstsq(A, b) with foreign b": "one array library",
    "ridge(A, b, alpha) with foreign alpha": "one array library",
    "box_discrepancy(W, b)": "one array library",
    "solve_packing(A)": "does not convert",
}


#: entry points that take a Dask array and return a lazy Dask array (rnla.distributed);
#: lstsq/ridge on a Dask A compute by design (tests/backend/test_dask.py)
DASK_LAZY = ("S @ A", "S @ v", "leverage_scores(A)", "fourier_features(X, 8)")


#: entry points that compute on a Dask A by design: lstsq and ridge (tests/backend/test_dask.py),
#: the low-rank SVD (V and s are small results; tests/lowrank)
DASK_COMPUTES = ("lstsq(A, b)", "lowrank.svd(A, 3)")


@pytest.mark.parametrize("entry", [e for e in FOREIGN_ENTRY_POINTS if e not in DASK_COMPUTES])
def test_dask_arrays_are_refused_or_kept_lazy_never_computed(entry):
    """A Dask array is refused by name where rnla does not take one, and gives a lazy
    Dask array where it does: never computed behind the caller's back."""
    import dask

    def forbid(*args, **kwargs):
        raise AssertionError("rnla computed a Dask graph")

    with dask.config.set(scheduler=forbid):
        if entry in DASK_LAZY:
            out = FOREIGN_ENTRY_POINTS[entry](FOREIGN["Dask array"])
            assert type(out).__module__.startswith("dask")
        else:
            with pytest.raises(TypeError, match="Dask array"):
                FOREIGN_ENTRY_POINTS[entry](FOREIGN["Dask array"])


@pytest.mark.parametrize("entry", list(ARRAY_API_REFUSALS))
def test_array_api_arrays_are_not_mixed_or_converted(entry):
    """Namespace in, namespace out: a mix of namespaces, or an Array-API array given to a
    host-only solver, is refused by name, never converted."""
    with pytest.raises(TypeError, match=ARRAY_API_REFUSALS[entry]):
        FOREIGN_ENTRY_POINTS[entry](FOREIGN["array_api_strict array"])


def write_reliability_page(path: Path) -> tuple[int, int]:
    """Run every case and write the Markdown table; return (refused, right answers)."""
    lines = ["# Reliability: what every bad input gets", "",
             "Generated by `python -m tests.test_bad_input` from the cases of "
             "`tests/test_bad_input.py`, which CI runs as tests.  Invalid input gets a "
             "`ValueError` or `TypeError` that names the argument; valid but awkward input "
             "gets the right answer (to 1e-11 relative in x, float32 to 10 eps of float32) "
             "and is never modified.  The scikit-learn estimators are held to the same "
             "rules by scikit-learn's own estimator checks "
             "(`parametrize_with_checks` in `tests/estimators/`).", "",
             "## Invalid input", "", "| entry point | input | gets |", "|---|---|---|"]
    refused = 0
    for param in CASES:
        entry, label, call, _, _ = param.values
        try:
            call()
            outcome = "**no error**"
        except (ValueError, TypeError) as err:
            refused += 1
            message = str(err).replace("|", "\\|").splitlines()[0]
            outcome = f"`{type(err).__name__}`: {message}"
        lines.append(f"| `{entry}` | {label} | {outcome} |")
    lines += ["", "## Arrays of other libraries", "",
              "A Dask array is computed chunk by chunk where rnla takes one "
              "([Larger than memory](distributed.md)): sketches, leverage scores and feature "
              "maps come back lazy, `lstsq`/`ridge` compute their passes; elsewhere it is "
              "refused and never computed.  An Array-API array (CuPy, torch, "
              "`array_api_strict`) is computed in its own namespace by every entry point "
              "below except the host-only LP solvers; mixing it with numpy arrays is "
              "refused.", "",
              "| entry point | input | gets |", "|---|---|---|"]
    foreign_cases = [("Dask array", entry) for entry in FOREIGN_ENTRY_POINTS]
    foreign_cases += [("array_api_strict array", entry) for entry in ARRAY_API_REFUSALS]
    accepted = 0
    for kind, entry in foreign_cases:
        try:
            out = FOREIGN_ENTRY_POINTS[entry](FOREIGN[kind])
            accepted += 1
            outcome = ("a lazy Dask array (nothing computed)"
                       if type(out).__module__.startswith("dask")
                       else f"solved chunk by chunk: `{type(out).__name__}`, "
                            f"status {str(out.status)!r}")
        except TypeError as err:
            refused += 1
            outcome = f"`TypeError`: {str(err).splitlines()[0]}"
        lines.append(f"| `{entry}` | {kind} | {outcome} |")
    total = len(CASES) + len(foreign_cases) - accepted
    lines += ["", "## Valid but awkward input to `lstsq`", "",
              "| input | method | path that ran | x correct | input unchanged |",
              "|---|---|---|---|---|"]
    right = 0
    for case in AWKWARD:
        for method in ["auto", "precondition"]:
            res, x_ref, _, unchanged, rtol = _awkward_lstsq(case, method)
            ok = bool(res.converged and np.linalg.norm(res.x - x_ref)
                      <= rtol * np.linalg.norm(x_ref))
            right += ok and unchanged
            lines.append(f"| {case} | `{method}` | `{res.method}` | {'yes' if ok else 'NO'} | "
                         f"{'yes' if unchanged else 'NO'} |")
    lines += ["", f"{refused} of {total} invalid inputs refused; {right} of "
              f"{2 * len(AWKWARD)} awkward inputs answered right and left unchanged.", ""]
    path.write_text("\n".join(lines))
    return refused, right


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/reliability.md")
    print(write_reliability_page(out))
