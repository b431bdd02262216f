"""rnla's scikit-learn estimators: the estimator contract and agreement with sklearn."""

import numpy as np
import pytest
import scipy.sparse as sp

pytest.importorskip("sklearn")
from sklearn.linear_model import LinearRegression, Ridge  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from rnla.estimators import (  # noqa: E402
    SketchedLinearRegression,
    SketchedRidge,
    SketchedRidgeClassifier,
    SketchedRidgeCV,
)


@parametrize_with_checks([SketchedLinearRegression(random_state=0),
                          SketchedRidge(random_state=0),
                          SketchedRidgeCV(random_state=0),
                          SketchedRidgeClassifier(random_state=0)])
def test_sklearn_contract(estimator, check):
    check(estimator)


def data(rng, n=5000, d=30, m=None, scale=True):
    X = rng.standard_normal((n, d))
    if scale:
        X *= np.logspace(-3, 2, d)
    y = X @ rng.standard_normal((d,) if m is None else (d, m)) + 0.5 + rng.standard_normal(
        n if m is None else (n, m))
    return X, y


def assert_same_predictions(a, b, X):
    pa, pb = a.predict(X), b.predict(X)
    assert np.abs(pa - pb).max() <= 1e-8 * np.abs(pb).max()


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("m", [None, 3])
def test_matches_linear_regression(fit_intercept, sparse, m, rng):
    X, y = data(rng, m=m)
    if sparse:
        X = sp.csr_matrix(np.where(np.abs(X) > np.abs(X).mean(0), X, 0.0))
    ours = SketchedLinearRegression(fit_intercept=fit_intercept, random_state=0).fit(X, y)
    # (sklearn solves sparse problems by LSQR to tol=1e-6: the dense fit is the reference)
    ref = LinearRegression(fit_intercept=fit_intercept).fit(X.toarray() if sparse else X, y)
    assert ours.coef_.shape == ref.coef_.shape
    assert np.shape(ours.intercept_) == np.shape(ref.intercept_)
    assert ours.converged_ and (ours.n_iter_ > 0 or ours.solver_method_ == "direct")
    assert_same_predictions(ours, ref, X)


@pytest.mark.parametrize("alpha", [1e-2, 1.0, 1e3])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_ridge(alpha, weighted, rng):
    X, y = data(rng)
    w = rng.uniform(0, 3, X.shape[0]) if weighted else None
    ours = SketchedRidge(alpha=alpha, random_state=0).fit(X, y, sample_weight=w)
    ref = Ridge(alpha=alpha, solver="cholesky").fit(X, y, sample_weight=w)
    assert_same_predictions(ours, ref, X)


def test_sample_weights_match_linear_regression(rng):
    X, y = data(rng)
    w = rng.uniform(0, 3, X.shape[0])
    ours = SketchedLinearRegression(random_state=0).fit(X, y, sample_weight=w)
    ref = LinearRegression().fit(X, y, sample_weight=w)
    assert_same_predictions(ours, ref, X)


def test_float32_is_kept(rng):
    X, y = data(rng, scale=False)
    model = SketchedLinearRegression(random_state=0).fit(X.astype(np.float32), y)
    assert model.coef_.dtype == np.float32


def test_pipeline_and_grid_search(rng):
    X, y = data(rng, n=3000, d=10)
    pipe = make_pipeline(StandardScaler(), SketchedRidge(random_state=0))
    search = GridSearchCV(pipe, {"sketchedridge__alpha": [0.1, 10.0, 1000.0],
                                 "sketchedridge__sketch": ["srht", "sparse_sign"]}, cv=3)
    search.fit(X, y)
    ref = GridSearchCV(make_pipeline(StandardScaler(), Ridge()),
                       {"ridge__alpha": [0.1, 10.0, 1000.0]}, cv=3).fit(X, y)
    assert search.best_params_["sketchedridge__alpha"] == ref.best_params_["ridge__alpha"]
    assert search.best_score_ == pytest.approx(ref.best_score_, rel=1e-8)


def test_bad_parameters_raise_at_fit(rng):
    X, y = data(rng, n=200, d=5)
    with pytest.raises(ValueError, match="alpha"):
        SketchedRidge(alpha=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="method"):
        SketchedLinearRegression(method="qr").fit(X, y)
    with pytest.raises(ValueError, match="sketch"):
        SketchedLinearRegression(sketch="dct").fit(X, y)


def test_ridge_parity_alpha_per_target_and_positive(rng):
    from sklearn.linear_model import Ridge

    X = rng.standard_normal((4000, 12))
    Y = X @ rng.standard_normal((12, 3)) + rng.standard_normal((4000, 3))
    alphas = [0.1, 100.0, 1e4]
    ours = SketchedRidge(alpha=alphas, random_state=0).fit(X, Y)
    theirs = Ridge(alpha=alphas).fit(X, Y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-8, atol=1e-12)
    with pytest.raises(ValueError, match="one per target"):
        SketchedRidge(alpha=[1.0, 2.0]).fit(X, Y)
    for M in (X, sp.csr_matrix(X)):
        pos = SketchedRidge(alpha=10.0, positive=True, random_state=0).fit(M, Y[:, 0])
        assert pos.solver_method_ == "lsq_linear" and np.all(pos.coef_ >= 0)
        # KKT of min ||y - Xb - c||^2 + alpha ||b||^2, b >= 0: gradient g >= 0, g b = 0
        r = Y[:, 0] - X @ pos.coef_ - pos.intercept_
        g = -2 * X.T @ r + 2 * 10.0 * pos.coef_
        scale = 2 * np.linalg.norm(X, 2) * np.linalg.norm(Y[:, 0])
        assert np.all(g >= -1e-8 * scale) and np.all(np.abs(g * pos.coef_) <= 1e-8 * scale)
        assert abs(r.sum()) <= 1e-8 * scale                  # the free intercept


def test_classifier_matches_ridge_classifier(rng):
    from sklearn.linear_model import RidgeClassifier

    X = rng.standard_normal((4000, 8))
    for y in (np.where(X[:, 0] > 0, "yes", "no"), np.digitize(X[:, 0] + X[:, 1], [-1, 0, 1])):
        ours = SketchedRidgeClassifier(alpha=3.0, random_state=0).fit(X, y)
        theirs = RidgeClassifier(alpha=3.0).fit(X, y)
        np.testing.assert_array_equal(ours.classes_, theirs.classes_)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X),
                                   rtol=1e-8, atol=1e-10)
        np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
