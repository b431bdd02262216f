"""Reliability items that cut across modules: lazy subpackages, fitted dtypes, pickling,
thread-count reproducibility of the least-squares solvers."""

import pickle
import subprocess
import sys

import numba
import numpy as np
import pytest

import rnla


def test_subpackages_reachable_after_import_rnla_without_import_cost():
    code = ("import sys, rnla; assert 'rnla.lp' not in sys.modules; "
            "assert 'rnla.efficiency' not in sys.modules; "
            "rnla.lp.solve_packing; rnla.efficiency; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        rnla.nope  # noqa: B018


def test_fourier_features_frequencies_keep_float32():
    pytest.importorskip("sklearn")
    from rnla.estimators import QMCFourierFeatures

    X = np.random.default_rng(0).random((50, 4)).astype(np.float32)
    model = QMCFourierFeatures(n_components=16, random_state=0).fit(X)
    assert model.frequencies_.dtype == np.float32
    assert model.transform(X).dtype == np.float32


@pytest.mark.parametrize("kind", ["gaussian", "srht", "countsketch", "sparse_sign", "uniform"])
def test_operators_survive_pickling(kind):
    S = rnla.make_sketch(kind, 16, 100, rng=3)
    T = pickle.loads(pickle.dumps(S))
    np.testing.assert_array_equal(S.to_dense(), T.to_dense())
    A = np.random.default_rng(0).standard_normal((100, 5))
    np.testing.assert_array_equal(S @ A, T @ A)


def test_leverage_sampling_survives_pickling():
    A = np.random.default_rng(0).standard_normal((200, 5))
    S = rnla.LeverageSampling.from_matrix(A, 40, rng=1)
    T = pickle.loads(pickle.dumps(S))
    np.testing.assert_array_equal(S @ A, T @ A)


@pytest.mark.parametrize("method,solver", [("precondition", "cg"), ("precondition", "lsqr"),
                                           ("ihs", "cg"), ("direct", "cg")])
def test_lstsq_bitwise_whatever_the_thread_count(method, solver):
    """The numba kernels of the sketched path (fused passes, sparse sign) fix their
    partition of the rows independently of the thread count (design.md)."""
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 numba threads")
    rng = np.random.default_rng(1)
    A = rng.standard_normal((20000, 40)) * np.logspace(0, -4, 40)
    b = rng.standard_normal(20000)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = rnla.lstsq(A, b, method=method, solver=solver, rng=0)
        ridge1 = rnla.ridge(A, b, 0.5, method=method, solver=solver, rng=0)
        numba.set_num_threads(2)
        two = rnla.lstsq(A, b, method=method, solver=solver, rng=0)
        ridge2 = rnla.ridge(A, b, 0.5, method=method, solver=solver, rng=0)
    finally:
        numba.set_num_threads(old)
    np.testing.assert_array_equal(one.x, two.x)
    np.testing.assert_array_equal(ridge1.x, ridge2.x)


def _at_threads(n_threads, fn):
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(n_threads)
        return fn()
    finally:
        numba.set_num_threads(old)


def _layout(A, layout):
    if layout == "F":
        return np.asfortranarray(A)
    if layout == "csr":
        import scipy.sparse as sp

        return sp.random(A.shape[0], A.shape[1], density=0.2, format="csr", random_state=1)
    return np.ascontiguousarray(A)


@pytest.mark.parametrize("layout", ["C", "F", "csr"])
@pytest.mark.parametrize("kind", ["gaussian", "srht", "countsketch", "sparse_sign", "uniform",
                                  "leverage"])
def test_sketches_bitwise_whatever_the_thread_count(kind, layout):
    """design.md: sketch entries and S @ A are bitwise the same for 1 and 2 threads."""
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 numba threads")
    A = _layout(np.random.default_rng(2).standard_normal((5000, 24)), layout)

    def run():
        if kind == "leverage":
            S = rnla.LeverageSampling.from_matrix(A, 200, method="approx", rng=3)
        else:
            S = rnla.make_sketch(kind, 200, 5000, rng=3)
        out = S @ A
        return out.toarray() if hasattr(out, "toarray") else out

    np.testing.assert_array_equal(_at_threads(1, run), _at_threads(2, run))


@pytest.mark.parametrize("method", ["exact", "approx"])
def test_leverage_scores_and_features_bitwise_whatever_the_thread_count(method):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 numba threads")
    A = np.random.default_rng(4).standard_normal((6000, 20))

    def run():
        return (rnla.leverage_scores(A, method, rng=0),
                rnla.fourier_features(A[:500, :5], 64, rng=0))

    one, two = _at_threads(1, run), _at_threads(2, run)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)
