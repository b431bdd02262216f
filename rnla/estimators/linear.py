"""Linear regression and ridge regression solved by sketch-and-precondition."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from rnla.estimators._array_api import array_api_namespace, array_device, float_dtypes
from rnla.lstsq import METHODS, SOLVERS, default_sketch_size, ridge
from rnla.sketch import SKETCH_KINDS

__all__ = ["SketchedLinearRegression", "SketchedRidge"]


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
            penalty = np.r_[np.full(d, penalty), 0.0]
        else:
            penalty = np.full(d, penalty)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        method = self.method
        if method != "direct" and (self.sketch_size or default_sketch_size(n, X.shape[1])) >= n:
            method = "auto"  # a sketch as large as X cannot pay: LAPACK solves it
        res = ridge(X, y, penalty, method=method, sketch=self.sketch,
                    sketch_size=self.sketch_size, solver=self.solver, tol=self.tol,
                    maxiter=self.max_iter, rng=seed)
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
        penalty = np.full(d, self._penalty(d))
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
    alpha : float, default=1.0
        Penalty, >= 0.
    fit_intercept, method, sketch, sketch_size, solver, tol, max_iter, random_state
        As in :class:`SketchedLinearRegression`.

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
                 max_iter: int | None = None, random_state=None):
        self.alpha = alpha
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
        "alpha": [Interval(Real, 0, None, closed="left")],
    }

    def _penalty(self, n_features: int) -> float:
        if isinstance(self.alpha, bool) or not np.isscalar(self.alpha) or not (
                np.isfinite(self.alpha) and self.alpha >= 0):
            raise ValueError(f"`alpha` must be a float >= 0; got {self.alpha!r}")
        return float(self.alpha)
