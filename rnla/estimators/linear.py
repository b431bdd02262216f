"""Linear regression and ridge regression solved by sketch-and-precondition."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from rnla.estimators._array_api import (
    array_api_namespace,
    array_device,
    float_dtypes,
    refuse_array_api,
)
from rnla.lstsq import METHODS, SOLVERS, default_sketch_size, ridge, ridge_path
from rnla.sketch import SKETCH_KINDS

__all__ = ["SketchedLinearRegression", "SketchedRidge", "SketchedRidgeCV",
           "SketchedRidgeClassifier"]


class _SketchedLinearModel(RegressorMixin, BaseEstimator):
    """Shared fit/predict: least squares with per-coefficient penalties ``_penalty``."""

    _parameter_constraints: dict = {
        "fit_intercept": ["boolean"],
        "method": [StrOptions(set(METHODS))],
        "sketch": [StrOptions(set(SKETCH_KINDS) | {"leverage"})],
        "sketch_size": [Interval(Integral, 1, None, closed="left"), None],
        "solver": [StrOptions(set(SOLVERS))],
        "tol": [Interval(Real, 0, None, closed="neither"), None],
        "max_iter": [Interval(Integral, 0, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def _penalty(self, n_features: int) -> float:
        raise NotImplementedError

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None
            Nonnegative weights: row i enters the loss as ``w_i (y_i - x_i^T b)^2``.

        Returns
        -------
        self : object
            The fitted estimator.

        Warns
        -----
        ConvergenceWarning
            If the iterative solver stopped before reaching ``tol``.
        """
        self._validate_params()
        xp = array_api_namespace(X, y)
        if xp is not None:
            return self._fit_namespace(X, y, sample_weight, xp)
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], y_numeric=True,
                             multi_output=True, dtype=[np.float64, np.float32])
        n, d = X.shape
        y = np.asarray(y, dtype=X.dtype)  # as scikit-learn's Ridge: coef_ in X's dtype
        penalty = self._penalty(d)
        if sample_weight is not None:
            w = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
            root = np.sqrt(w)
            X = sp.diags(root) @ X if sp.issparse(X) else X * root[:, None]
            y = y * (root if y.ndim == 1 else root[:, None])
        else:
            root = None
        # the intercept is the coefficient of a column of ones (of sqrt(w) when weighted),
        # left unpenalised; one code path for dense and sparse X
        if self.fit_intercept:
            ones = (np.ones(n, dtype=X.dtype) if root is None else root).reshape(-1, 1)
            X = sp.hstack([X, ones], format="csr") if sp.issparse(X) else np.hstack([X, ones])
        per_target = np.ndim(penalty) == 1                  # one alpha per target
        if per_target and (y.ndim != 2 or y.shape[1] != len(penalty)):
            raise ValueError(f"`alpha` has {len(penalty)} entries: one per target needs y "
                             f"of shape (n_samples, {len(penalty)}); got {y.shape}")
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        method = self.method
        if method != "direct" and (self.sketch_size or default_sketch_size(n, X.shape[1])) >= n:
            method = "auto"  # a sketch as large as X cannot pay: LAPACK solves it

        def solve(alpha, targets):
            weights = np.r_[np.full(d, alpha), 0.0] if self.fit_intercept else np.full(d, alpha)
            if getattr(self, "positive", False):
                return _nonnegative_ridge(X, targets, weights, self.fit_intercept, self.tol,
                                          self.max_iter)
            return ridge(X, targets, weights, method=method, sketch=self.sketch,
                         sketch_size=self.sketch_size, solver=self.solver, tol=self.tol,
                         maxiter=self.max_iter, rng=seed)

        if per_target:      # the same sketch (seed) for every target
            results = [solve(alpha, y[:, j]) for j, alpha in enumerate(penalty)]
            res = max(results, key=lambda r: (not r.converged, r.n_iter))
            self._record(res)
            coef = np.column_stack([np.asarray(r.x) for r in results])
        else:
            res = solve(penalty, y)
            self._record(res)
            coef = np.asarray(res.x)
        if self.fit_intercept:
            self.intercept_ = coef[-1]
            coef = coef[:-1]
        else:
            self.intercept_ = 0.0
        self.coef_ = coef.T
        return self

    def _fit_namespace(self, X, y, sample_weight, xp):
        """``fit`` for arrays of another namespace (scikit-learn's ``array_api_dispatch``):
        the intercept as an unpenalised column of ones, then :func:`rnla.ridge` on the device."""
        X, y = validate_data(self, X, y, y_numeric=True, multi_output=True,
                             dtype=float_dtypes(xp))
        n, d = X.shape
        y2 = xp.astype(y[:, None] if y.ndim == 1 else y, X.dtype)
        w = None if sample_weight is None else _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
        device = array_device(X)
        if w is not None:
            root = xp.sqrt(w)[:, None]
            X, y2 = X * root, y2 * root
        if getattr(self, "positive", False):
            raise ValueError("`positive=True` is supported for numpy and scipy.sparse input")
        alpha = self._penalty(d)
        if np.ndim(alpha) == 1:
            raise ValueError("`alpha` with one entry per target is supported for numpy and "
                             "scipy.sparse input; give one float for arrays of other "
                             "namespaces")
        penalty = np.full(d, alpha)
        if self.fit_intercept:  # as on numpy: an unpenalised column of ones (sqrt(w))
            ones = (xp.ones((n, 1), dtype=X.dtype, device=device) if w is None else root)
            X = xp.concat([X, ones], axis=1)
            penalty = np.r_[penalty, 0.0]
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        res = ridge(X, y2, xp.asarray(penalty, dtype=xp.float64, device=device),
                    method=self.method, sketch=self.sketch, sketch_size=self.sketch_size,
                    solver=self.solver, tol=self.tol, maxiter=self.max_iter, rng=seed)
        self._record(res)
        coef = res.x  # (d + 1) x targets with the intercept last
        if self.fit_intercept:
            self.intercept_, coef = coef[-1, :], coef[:-1, :]
        else:
            self.intercept_ = 0.0
        if y.ndim == 1:
            coef = coef[:, 0]
            if self.fit_intercept:
                self.intercept_ = self.intercept_[0]
        self.coef_ = coef.T if coef.ndim == 2 else coef
        return self

    def _record(self, res) -> None:
        self.n_iter_ = max(res.n_iter, 1)  # a direct solve counts as one
        self.converged_ = res.converged
        if not res.converged:
            warnings.warn(f"{type(self).__name__} did not converge: {res.message}",
                          ConvergenceWarning, stacklevel=3)
        self.solver_method_ = res.method

    def predict(self, X):
        """Predict ``X coef_^T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
            The predictions.
        """
        check_is_fitted(self)
        xp = array_api_namespace(X)
        if xp is not None:
            X = validate_data(self, X, reset=False, dtype=float_dtypes(xp))
            coef = self.coef_.T if self.coef_.ndim == 2 else self.coef_
            return X @ coef + self.intercept_
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                          dtype=[np.float64, np.float32])
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        tags.array_api_support = True
        return tags


@dataclass
class _BoundedSolve:
    """What ``_record`` reads of a solve with bounds (``positive=True``)."""

    x: np.ndarray
    n_iter: int
    converged: bool
    message: str
    method: str = "lsq_linear"


def _nonnegative_ridge(X, y, weights, intercept: bool, tol, max_iter):
    """``min ||y - X b||^2 + sum_j w_j b_j^2`` with b >= 0 (the intercept, last, free):
    scipy's trust-region reflective ``lsq_linear`` on the stacked system
    ``[X; diag(sqrt(w))]`` (no sketch: the bounds leave no preconditioner valid for
    every active set), one target at a time."""
    from scipy.optimize import lsq_linear

    d = X.shape[1]
    rows = np.flatnonzero(weights > 0)
    penalty = sp.csr_matrix((np.sqrt(weights[rows]), (np.arange(rows.size), rows)),
                            shape=(rows.size, d))
    stacked = sp.vstack([sp.csr_matrix(X), penalty], format="csr") if sp.issparse(X) \
        else np.vstack([X, penalty.toarray()])
    lower = np.zeros(d)
    if intercept:
        lower[-1] = -np.inf
    Y = y.reshape(len(y), -1)
    coefs, iters, ok = [], 0, True
    for j in range(Y.shape[1]):
        out = lsq_linear(stacked, np.r_[Y[:, j], np.zeros(rows.size)], bounds=(lower, np.inf),
                         method="trf", lsq_solver="lsmr" if sp.issparse(X) else "exact",
                         tol=1e-12 if tol is None else tol,
                         max_iter=max_iter)
        coefs.append(out.x)
        iters = max(iters, int(out.nit))
        ok = ok and out.status > 0
    x = coefs[0] if y.ndim == 1 else np.column_stack(coefs)
    return _BoundedSolve(x, iters, ok, "converged" if ok else "lsq_linear stopped at max_iter")


class SketchedLinearRegression(_SketchedLinearModel):
    """Ordinary least squares solved by a sketched solver (:func:`rnla.lstsq`).

    A drop-in for ``sklearn.linear_model.LinearRegression`` on tall data: it
    returns the same coefficients (to the solver's tolerance) several times faster
    when n_samples is much larger than n_features.

    Parameters
    ----------
    fit_intercept : bool, default=True
        Fit an (unpenalised) intercept.
    method : {"auto", "direct", "precondition", "sketch_solve", "ihs"}, default="auto"
        See :func:`rnla.lstsq`; ``"sketch_solve"`` is fast but approximate.
    sketch : str, default="sparse_sign"
        Sketch kind.
    sketch_size : int, default=None
        Rows of the sketch (default ``rnla.lstsq.default_sketch_size``).
    solver : {"cg", "lsqr", "lsmr"}, default="cg"
        Iterative method for ``method="precondition"``.
    tol : float, default=None
        Tolerance on the estimated backward error (default ``4 eps``; see
        :func:`rnla.lstsq`).
    max_iter : int, default=None
        Iteration limit (default from the sketch size and ``tol``).
    random_state : int, RandomState instance or None, default=None
        Seed of the sketch.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : int
        Iterations of the solver (1 when LAPACK solved the problem directly).
    converged_ : bool
        Whether the solver met ``tol`` (True after a direct solve).
    solver_method_ : str
        The path that ran (``"direct"`` or a sketched method), as ``LstsqResult.method``.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.estimators import SketchedLinearRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((10000, 20)); y = X @ np.arange(20.0) + 3.0
    >>> model = SketchedLinearRegression(random_state=0).fit(X, y)
    >>> round(float(model.intercept_), 8), np.allclose(model.coef_, np.arange(20.0))
    (3.0, True)
    """

    def __init__(self, *, fit_intercept: bool = True, method: str = "auto",
                 sketch: str = "sparse_sign", sketch_size: int | None = None,
                 solver: str = "cg", tol: float | None = None, max_iter: int | None = None,
                 random_state=None):
        self.fit_intercept = fit_intercept
        self.method = method
        self.sketch = sketch
        self.sketch_size = sketch_size
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def _penalty(self, n_features: int) -> float:
        return 0.0


class SketchedRidge(_SketchedLinearModel):
    """Ridge regression solved by a sketched solver (:func:`rnla.ridge`).

    Minimises ``||y - X b - c||^2 + alpha ||b||^2`` (the intercept c unpenalised),
    as ``sklearn.linear_model.Ridge`` does.

    Parameters
    ----------
    alpha : float or array-like of shape (n_targets,), default=1.0
        Penalty, >= 0; one per target as ``Ridge`` (each target then has its own
        solve, all with the same sketch).
    fit_intercept, method, sketch, sketch_size, solver, tol, max_iter, random_state
        As in :class:`SketchedLinearRegression`.
    positive : bool, default=False
        Constrain the coefficients (not the intercept) to be nonnegative, as ``Ridge``:
        solved by scipy's trust-region reflective ``lsq_linear`` on the stacked
        system, without a sketch (``solver_method_ == "lsq_linear"``; ``tol`` is its
        tolerance, default 1e-12).

    Attributes
    ----------
    coef_, intercept_, n_iter_, converged_, n_features_in_
        As in :class:`SketchedLinearRegression`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from rnla.estimators import SketchedRidge
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((10000, 20)); y = rng.standard_normal(10000)
    >>> a = SketchedRidge(alpha=100.0, random_state=0).fit(X, y).coef_
    >>> bool(np.allclose(a, Ridge(alpha=100.0).fit(X, y).coef_, rtol=1e-8, atol=1e-12))
    True
    """

    def __init__(self, alpha: float = 1.0, *, fit_intercept: bool = True,
                 method: str = "auto", sketch: str = "sparse_sign",
                 sketch_size: int | None = None, solver: str = "cg", tol: float | None = None,
                 max_iter: int | None = None, positive: bool = False, random_state=None):
        self.alpha = alpha
        self.positive = positive
        self.fit_intercept = fit_intercept
        self.method = method
        self.sketch = sketch
        self.sketch_size = sketch_size
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    _parameter_constraints: dict = {
        **_SketchedLinearModel._parameter_constraints,
        "alpha": [Interval(Real, 0, None, closed="left"), "array-like"],
        "positive": ["boolean"],
    }

    def _penalty(self, n_features: int) -> float | np.ndarray:
        alpha = self.alpha
        if not np.isscalar(alpha) and not isinstance(alpha, bool):
            alpha = np.asarray(alpha)
            if alpha.ndim == 1 and alpha.size and alpha.dtype.kind in "fiu" and \
                    np.all(np.isfinite(alpha)) and np.all(alpha >= 0):
                return alpha.astype(np.float64)
        elif not isinstance(alpha, bool) and np.isfinite(alpha) and alpha >= 0:
            return float(alpha)
        raise ValueError(f"`alpha` must be a float >= 0 or one per target; got {self.alpha!r}")


class SketchedRidgeCV(RegressorMixin, BaseEstimator):
    """Ridge regression with the penalty chosen by generalised cross-validation, for a
    whole path of penalties from one sketch (:func:`rnla.ridge_path`).

    ``RidgeCV`` computes an SVD of X (:math:`O(nd^2)`), and a grid search over
    ``SketchedRidge`` sketches once per penalty and fold; this sketches X once, takes
    the singular values and a preconditioner valid for every penalty from the sketch,
    and solves all penalties together by preconditioned conjugate gradients (a few
    dozen block passes over X).  The GCV score uses the exact residuals and the
    sketch's degrees of freedom (docs/lstsq.md).

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,), default=(0.1, 1.0, 10.0)
        Penalties, > 0.
    fit_intercept : bool, default=True
        An unpenalised intercept (X and y centred implicitly; sparse X stays sparse).
    sketch : str, default="sparse_sign"
    sketch_size : int, default=None
        Rows of the sketch (default ``rnla.lstsq.default_sketch_size``).
    tol : float, default=1e-8
        Relative residual of the normal equations for every penalty.
    max_iter : int, default=None
        Conjugate-gradient iterations (default 200).
    random_state : int, RandomState instance or None

    Attributes
    ----------
    alpha_ : float
        The penalty of the smallest GCV score.
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    best_score_ : float
        Minus the smallest GCV score (an estimate of minus the mean squared
        prediction error; larger is better, as ``RidgeCV.best_score_``).
    gcv_values_ : ndarray of shape (n_alphas,)
    n_iter_ : int
    converged_ : bool
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import RidgeCV
    >>> from rnla.estimators import SketchedRidgeCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((5000, 20))
    >>> y = X @ rng.standard_normal(20) + rng.standard_normal(5000)
    >>> alphas = np.logspace(-2, 4, 10)
    >>> ours = SketchedRidgeCV(alphas=alphas, random_state=0).fit(X, y)
    >>> bool(ours.alpha_ == RidgeCV(alphas=alphas).fit(X, y).alpha_)
    True
    """

    _parameter_constraints: dict = {
        "alphas": ["array-like", Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "sketch": [StrOptions(set(SKETCH_KINDS))],
        "sketch_size": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 0, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, alphas=(0.1, 1.0, 10.0), *, fit_intercept: bool = True,
                 sketch: str = "sparse_sign", sketch_size: int | None = None,
                 tol: float = 1e-8, max_iter: int | None = None, random_state=None):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.sketch = sketch
        self.sketch_size = sketch_size
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y):
        """Solve for every penalty and keep the one of the smallest GCV score.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self : object

        Warns
        -----
        ConvergenceWarning
            If some penalty did not reach ``tol`` within ``max_iter``.
        """
        self._validate_params()
        refuse_array_api(self, X)
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], y_numeric=True,
                             multi_output=True, dtype=[np.float64, np.float32])
        alphas = np.atleast_1d(np.asarray(self.alphas, dtype=np.float64))
        if alphas.ndim != 1 or np.any(alphas <= 0) or not np.all(np.isfinite(alphas)):
            raise ValueError(f"`alphas` must be positive finite floats; got {self.alphas!r}")
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        res = ridge_path(X, y, alphas, center=self.fit_intercept, sketch=self.sketch,
                         sketch_size=self.sketch_size, tol=self.tol,
                         maxiter=200 if self.max_iter is None else self.max_iter, rng=seed)
        if not res.converged:
            warnings.warn(f"SketchedRidgeCV did not converge: {res.message}",
                          ConvergenceWarning, stacklevel=2)
        best = res.best
        self.alpha_ = float(alphas[best])
        coef = res.x[best]
        self.coef_ = (coef.T if coef.ndim == 2 else coef).astype(X.dtype, copy=False)
        intercept = res.intercept[best]
        self.intercept_ = float(intercept) if np.ndim(intercept) == 0 else intercept
        self.best_score_ = -float(res.gcv[best])
        self.gcv_values_ = res.gcv
        self.n_iter_ = res.n_iter
        self.converged_ = res.converged
        return self

    def predict(self, X):
        """Predict ``X coef_^T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self)
        refuse_array_api(self, X)
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                          dtype=[np.float64, np.float32])
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        return tags


class SketchedRidgeClassifier(ClassifierMixin, SketchedRidge):
    """Classifier by ridge regression on targets in {-1, 1} (one column per class beyond
    two), solved by a sketched solver: a drop-in for ``RidgeClassifier``.

    Parameters
    ----------
    alpha : float or array-like of shape (n_classes,), default=1.0
        Penalty, >= 0 (one per class column as ``RidgeClassifier``).
    fit_intercept, method, sketch, sketch_size, solver, tol, max_iter, positive, random_state
        As in :class:`SketchedRidge`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (n_features,) or (n_classes, n_features)
        As ``RidgeClassifier``: one row for two classes (``classes_[1]`` positive).
    intercept_ : float or ndarray of shape (n_classes,)
    n_iter_, converged_, solver_method_, n_features_in_
        As in :class:`SketchedRidge`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import RidgeClassifier
    >>> from rnla.estimators import SketchedRidgeClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((4000, 10)); y = np.digitize(X[:, 0] + X[:, 1], [-1, 1])
    >>> ours = SketchedRidgeClassifier(random_state=0).fit(X, y)
    >>> bool(np.all(ours.predict(X) == RidgeClassifier().fit(X, y).predict(X)))
    True
    """

    def fit(self, X, y, sample_weight=None):
        """Fit ridge regression to the {-1, 1} class indicators.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        self._validate_params()
        refuse_array_api(self, X)
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"],
                             dtype=[np.float64, np.float32])
        check_classification_targets(y)
        binarizer = LabelBinarizer(pos_label=1, neg_label=-1)
        Y = binarizer.fit_transform(y).astype(X.dtype)
        super().fit(X, Y if Y.shape[1] > 1 else Y[:, 0], sample_weight=sample_weight)
        self.classes_ = binarizer.classes_
        return self

    def decision_function(self, X):
        """Scores ``X coef_^T + intercept_``: one column per class (one for two classes,
        positive for ``classes_[1]``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        scores = SketchedRidge.predict(self, X)
        return scores[:, 0] if scores.ndim == 2 and scores.shape[1] == 1 else scores

    def predict(self, X):
        """Class labels: the class of the largest score.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = False
        tags.array_api_support = False
        return tags
