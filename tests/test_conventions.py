"""One set of conventions (docs/conventions.md): rng, maxiter, Status, matrix-free input,
callbacks, logging, the command line."""

import logging
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator

import rnla
from rnla import Status
from rnla._validation import column_maxabs, column_powers_of_two
from rnla.features import learn_sequence, median_bandwidth, qmc_points
from rnla.lp import solve_covering, solve_packing, solve_positive_lp

#: float64 only in the smoke subset (CI runs it against the lowest versions, where
#: every kernel signature compiles afresh)
SMOKE64 = [pytest.param(np.float64, marks=pytest.mark.smoke), np.float32]

A_SMALL = np.random.default_rng(0).standard_normal((400, 6))
B_SMALL = np.random.default_rng(1).standard_normal(400)
P_SMALL = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
X_SMALL = np.random.default_rng(2).random((50, 3))

#: every public random routine, called with a given randomness keyword
RANDOM_ROUTINES = {
    "make_sketch": lambda **r: rnla.make_sketch("srht", 8, 400, **r) @ A_SMALL,
    "sketch": lambda **r: rnla.sketch(A_SMALL, 20, **r),
    "GaussianSketch": lambda **r: rnla.GaussianSketch(8, 400, **r) @ A_SMALL,
    "SparseSign": lambda **r: rnla.SparseSign(8, 400, **r) @ A_SMALL,
    "CountSketch": lambda **r: rnla.CountSketch(8, 400, **r) @ A_SMALL,
    "UniformSampling": lambda **r: rnla.UniformSampling(8, 400, **r) @ A_SMALL,
    "LeverageSampling.from_matrix": lambda **r: rnla.LeverageSampling.from_matrix(
        A_SMALL, 30, **r) @ A_SMALL,
    "leverage_scores": lambda **r: rnla.leverage_scores(A_SMALL, "approx", **r),
    "lstsq": lambda **r: rnla.lstsq(A_SMALL, B_SMALL, method="precondition", **r).x,
    "ridge": lambda **r: rnla.ridge(A_SMALL, B_SMALL, 1.0, method="precondition", **r).x,
    "fourier_features": lambda **r: rnla.fourier_features(X_SMALL, 16, **r),
    "FourierFeatureMap": lambda **r: rnla.FourierFeatureMap(16, **r).fit(X_SMALL).frequencies_,
    "median_bandwidth": lambda **r: median_bandwidth(X_SMALL, 20, **r),
    "qmc_points": lambda **r: qmc_points(16, 3, "sobol", **r),
    "learn_sequence": lambda **r: learn_sequence(8, 2, np.ones(2), maxiter=3,
                                                 **r).frequencies,
    "solve_packing": lambda **r: solve_packing(P_SMALL, **r).x,
    "solve_covering": lambda **r: solve_covering(P_SMALL, **r).x,
    "solve_positive_lp": lambda **r: solve_positive_lp([1.0, 2.0, 1.0], P_SMALL,
                                                       [1.0, 1.0, 2.0], **r).x,
}


@pytest.mark.smoke
@pytest.mark.parametrize("name", sorted(RANDOM_ROUTINES))
def test_rng_accepts_spec7_values_and_no_seed_spelling(name):
    call = RANDOM_ROUTINES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reference = call(rng=5)
        np.testing.assert_array_equal(call(rng=5), reference)
        np.testing.assert_array_equal(call(rng=np.random.SeedSequence(5)),
                                      call(rng=np.random.SeedSequence(5)))
        call(rng=np.random.default_rng(5))
        call(rng=np.random.RandomState(5))
        call(rng=None)
    with pytest.raises(TypeError, match="seed"):
        call(seed=5)
    with pytest.raises(TypeError, match="`rng` must be"):
        call(rng="five")


@pytest.mark.smoke
def test_lp_maxiter_is_spelled_as_scipy_does():
    res = solve_packing(P_SMALL, 0.001, method="dbscd", rng=0, maxiter=10)
    assert res.status == Status.MAXITER == "maxiter" and not res.converged
    with pytest.raises(TypeError, match="max_iter"):
        solve_packing(P_SMALL, 0.001, method="dbscd", rng=0, max_iter=10)
    done = solve_packing(P_SMALL, 0.01, rng=0)
    assert isinstance(done.status, Status) and done.status == "certified" and done.converged
    assert done.method == "pdhg"


@pytest.mark.smoke
def test_one_status_enum_for_every_result():
    lp = solve_packing(P_SMALL, 0.01, rng=0)
    ls = rnla.lstsq(A_SMALL, B_SMALL, rng=0)
    assert type(lp.status) is type(ls.status) is Status
    assert {s.value for s in Status} == {"converged", "maxiter", "time_limit", "stalled",
                                         "sketch_failed", "certified", "callback"}
    for res in (lp, ls):
        assert isinstance(res.converged, bool) and res.method and res.message
        with pytest.raises(AttributeError):
            res.converged = False  # a property, derived from the status


# ---- matrix-free input -------------------------------------------------------------

def _operator(A, count=None):
    """A LinearOperator with only matvec/rmatvec (scipy loops them for blocks)."""
    def matvec(x):
        if count is not None:
            count["matvec"] += 1
        return A @ x

    def rmatvec(y):
        if count is not None:
            count["rmatvec"] += 1
        return A.T @ y

    return LinearOperator(A.shape, matvec=matvec, rmatvec=rmatvec, dtype=A.dtype)


@pytest.mark.parametrize("kind", ["gaussian", "srht", "countsketch", "sparse_sign", "uniform",
                                  "leverage"])
@pytest.mark.parametrize("dtype", SMOKE64)
def test_every_sketch_applies_to_a_linear_operator(kind, dtype):
    A = np.random.default_rng(3).standard_normal((3000, 7)).astype(dtype)
    options = {"probabilities": np.full(3000, 1 / 3000)} if kind == "leverage" else {}
    S = rnla.make_sketch(kind, 50, 3000, rng=0, **options)
    count = {"matvec": 0, "rmatvec": 0}
    SL = S @ _operator(A, count)
    assert SL.dtype == dtype and SL.shape == (50, 7)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(SL, S @ A, rtol=tol, atol=tol * np.abs(S @ A).max())
    assert count == {"matvec": 0, "rmatvec": 50}  # k products with A^T, none with A


@pytest.mark.parametrize("kind", ["gaussian", "srht", "countsketch", "sparse_sign", "uniform"])
def test_transpose_is_an_operator(kind):
    S = rnla.make_sketch(kind, 16, 100, rng=1)
    D = S.to_dense()
    Y = np.random.default_rng(4).standard_normal((16, 3))
    assert S.T.shape == (100, 16) and S.T.T is S
    np.testing.assert_allclose(S.T @ Y, D.T @ Y, atol=1e-12)
    np.testing.assert_allclose(S.T @ Y[:, 0], D.T @ Y[:, 0], atol=1e-12)
    np.testing.assert_allclose(S.T @ sp.csr_matrix(Y), D.T @ Y, atol=1e-12)
    np.testing.assert_allclose(S.T @ aslinearoperator(Y), D.T @ Y, atol=1e-12)
    np.testing.assert_array_equal(S.T.to_dense(), D.T)
    np.testing.assert_allclose(S.T.as_linear_operator() @ Y, D.T @ Y, atol=1e-12)
    np.testing.assert_allclose(S.T.as_linear_operator().T @ np.eye(100), D, atol=1e-12)


@pytest.mark.parametrize("solver", ["cg", "lsqr", "lsmr"])
@pytest.mark.parametrize("dtype", SMOKE64)
def test_lstsq_and_ridge_on_a_linear_operator_match_the_matrix(solver, dtype):
    rng = np.random.default_rng(5)
    scales = np.logspace(0, 6, 50)
    A = (rng.standard_normal((4000, 50)) * scales).astype(dtype)
    b = rng.standard_normal(4000)
    L = _operator(A)
    eps = np.finfo(dtype).eps
    for fit in (lambda M: rnla.lstsq(M, b, solver=solver, rng=0, method="precondition"),
                lambda M: rnla.ridge(M, b, 2.0, solver=solver, rng=0, method="precondition")):
        ours, ref = fit(L), fit(A)
        assert ours.converged and ours.method == "precondition" and ours.x.dtype == dtype
        tol = 1e-4 if dtype == np.float32 else 1e-10
        np.testing.assert_allclose(ours.x, ref.x, rtol=tol, atol=tol * np.abs(ref.x).max())
    # "auto" runs plain LSQR for as many iterations as the sketched solve would take, and
    # sketches only if that did not reach tol: ill-conditioned A is sketched, a well-conditioned
    # one is not; a tiny operator, where no sketch fits, is formed and solved directly
    hard = rnla.lstsq(L, b, rng=0)
    assert hard.method == "precondition" and hard.converged
    unscaled = A / scales.astype(dtype)
    easy = rnla.lstsq(_operator(unscaled), b, rng=0)
    assert easy.method == "lsqr" and easy.converged and easy.backward_error <= 4 * eps
    ref = np.linalg.lstsq(unscaled.astype(np.float64), b, rcond=None)[0]
    assert np.linalg.norm(easy.x - ref) <= 100 * eps * np.linalg.norm(ref)
    small = rnla.lstsq(_operator(A[:20]), b[:20])
    assert small.method == "direct"
    # wide: of the interpolants, the least-norm one in the equilibrated columns' units
    A20 = A[:20].astype(np.float64)
    D = column_powers_of_two(column_maxabs(A20))
    np.testing.assert_allclose(small.x, D * np.linalg.lstsq(A20 * D, b[:20], rcond=None)[0],
                               rtol=1e-3)


@pytest.mark.smoke
def test_linear_operator_input_is_checked():
    with pytest.raises(ValueError, match="sketch='leverage' needs the rows of A"):
        rnla.lstsq(aslinearoperator(A_SMALL), B_SMALL, sketch="leverage")
    with pytest.raises(ValueError, match="must have 400 rows"):
        rnla.make_sketch("gaussian", 5, 400) @ aslinearoperator(A_SMALL[:300])
    nan = LinearOperator((400, 6), matvec=lambda x: np.full(400, np.nan),
                         rmatvec=lambda y: np.full(6, np.nan), dtype=np.float64)
    with pytest.raises(ValueError, match="finite"):
        rnla.make_sketch("gaussian", 20, 400, rng=0) @ nan
    with pytest.raises(TypeError, match="complex"):
        rnla.lstsq(aslinearoperator(A_SMALL.astype(complex)), B_SMALL)


# ---- callback and logging ----------------------------------------------------------

@pytest.mark.smoke
def test_callback_sees_progress_and_can_stop():
    rng = np.random.default_rng(6)
    # rotated, so that column scaling cannot make it well conditioned: several steps
    A = (rng.standard_normal((20000, 30)) * np.logspace(0, 6, 30)) @ np.linalg.qr(
        rng.standard_normal((30, 30)))[0]
    b = rng.standard_normal(20000)
    seen = []
    res = rnla.lstsq(A, b, method="precondition", rng=0,
                     callback=lambda p: seen.append(p) or False)
    assert res.converged and len(seen) >= 2
    assert seen[-1].n_iter == res.n_iter and seen[-1].x.shape == (30,)
    assert seen[-1].backward_error <= 4 * np.finfo(float).eps < seen[0].elapsed + 1
    stop = rnla.lstsq(A, b, method="precondition", rng=0, callback=lambda p: True)
    assert stop.status == "callback" and not stop.converged and "callback" in stop.message
    np.testing.assert_array_equal(stop.x, seen[0].x)
    fresh = rnla.lstsq(A, b, method="ihs", refresh=True, rng=0,
                       callback=lambda p: p.n_iter >= 3)
    assert fresh.status == "callback" and fresh.n_iter == 3
    ridge = rnla.ridge(A, b, 1.0, method="precondition", rng=0, callback=lambda p: True)
    assert ridge.status == "callback"
    with pytest.raises(TypeError, match="`callback` must be callable"):
        rnla.lstsq(A, b, callback=3)


@pytest.mark.smoke
def test_solver_diagnostics_go_to_the_rnla_logger(caplog):
    rng = np.random.default_rng(7)
    A = rng.standard_normal((20000, 30))
    b = rng.standard_normal(20000)
    with caplog.at_level(logging.DEBUG, logger="rnla"):
        rnla.lstsq(A, b, method="precondition", rng=0)
        solve_packing(P_SMALL, 0.01, rng=0)
    names = {r.name for r in caplog.records}
    assert names and all(n.startswith("rnla") for n in names)
    text = caplog.text
    assert "method 'precondition'" in text and "backward error" in text and "gap" in text
    caplog.clear()
    rnla.lstsq(A, b, method="precondition", rng=0)  # silent at the default level
    assert not caplog.records


# ---- estimators ----------------------------------------------------------------------

def test_estimators_warn_when_the_solver_did_not_converge():
    pytest.importorskip("sklearn")
    from sklearn.exceptions import ConvergenceWarning

    from rnla.estimators import SketchedLinearRegression

    rng = np.random.default_rng(8)
    X = rng.standard_normal((20000, 40)) * np.logspace(0, 8, 40)
    y = rng.standard_normal(20000)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        model = SketchedLinearRegression(method="precondition", max_iter=1,
                                         random_state=0).fit(X, y)
    assert not model.converged_
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        SketchedLinearRegression(method="precondition", random_state=0).fit(X, y)


def test_kernel_ridge_sample_weight_equals_repeated_rows():
    pytest.importorskip("sklearn")
    from rnla.estimators import QMCKernelRidge

    rng = np.random.default_rng(9)
    X = rng.uniform(-2, 2, (300, 2))
    y = np.sin(X).sum(1)
    w = rng.integers(0, 3, 300)
    model = QMCKernelRidge(alpha=1e-2, n_components=64, random_state=0)
    weighted = model.fit(X, y, sample_weight=w).predict(X)
    repeated = QMCKernelRidge(alpha=1e-2, n_components=64, random_state=0).fit(
        np.repeat(X, w, 0), np.repeat(y, w))
    np.testing.assert_allclose(weighted, repeated.predict(X), rtol=1e-8, atol=1e-10)


# ---- command line --------------------------------------------------------------------

@pytest.mark.smoke
def test_cli_version_and_plain_help(capsys):
    from rnla.__main__ import main

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.strip() == f"rnla {rnla.__version__}"
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "rnla lp packing|covering" in out and "``" not in out and ":math:" not in out


def test_estimators_without_scikit_learn_say_what_to_install():
    import subprocess
    import sys

    code = ("import sys; sys.modules['sklearn'] = None\n"
            "try:\n    from rnla.estimators import SketchedRidge\n"
            "except ImportError as err:\n    print(err)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert "pip install 'rnla[sklearn]'" in out.stdout, out.stderr


def test_package_metadata_ships_the_licence():
    from importlib.metadata import metadata

    meta = metadata("rnla")
    assert meta["License-Expression"] == "BSD-3-Clause"
    assert any("LICENSE" in f for f in meta.get_all("License-File") or [])


def test_result_reprs_fit_on_a_screen():
    """Key figures and a few entries of the arrays, whatever their size (as scipy's
    OptimizeResult)."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((5000, 300))
    results = [rnla.lstsq(A, rng.standard_normal(5000), method="precondition", rng=0),
               rnla.lowrank.svd(A, 50, rng=0),
               rnla.lowrank.kernel_ridge(A[:300, :3], A[:300, 0], 1.0, rng=0),
               solve_packing(np.abs(A[:200, :100]), 0.1)]
    for res in results:
        text = repr(res)
        assert len(text) < 400 and "\n" not in text, text
        assert f"status='{res.status}'" in text and f"method='{res.method}'" in text
        assert "shape" in text and "..." in text
