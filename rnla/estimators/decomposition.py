"""Randomized truncated SVD and PCA (scikit-learn transformers over ``rnla.lowrank.svd``)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from rnla.estimators._array_api import array_api_namespace, float_dtypes, refuse_array_api
from rnla.lowrank import SinglePassSketch, svd
from rnla.lowrank.singular import METHODS

__all__ = ["RandomizedSVD", "RandomizedPCA"]


def _rank(estimator, shape) -> int:
    m, d = shape
    k = min(m, d) if estimator.n_components is None else estimator.n_components
    if k > min(m, d):
        raise ValueError(f"n_components={k} must be at most min(n_samples, n_features); got "
                         f"n_samples = {m}, n_features = {d}")
    return k


def _column_variances(X, xp, ddof: int = 0):
    """Per-column variances of X (dense or scipy.sparse) in X's namespace (xp None:
    numpy)."""
    m = X.shape[0]
    if sp.issparse(X):
        mean = np.asarray(X.mean(axis=0)).ravel()
        squares = np.asarray(X.multiply(X).mean(axis=0)).ravel()
        return (squares - mean ** 2) * m / max(m - ddof, 1)
    if xp is None:
        return np.var(X, axis=0, ddof=ddof)
    return xp.var(X, axis=0, correction=ddof)


def _total(v, xp) -> float:
    return float(np.sum(v) if xp is None else xp.sum(v))


class _RandomizedDecomposition(ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                               BaseEstimator):
    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "n_iter": [Interval(Integral, 0, None, closed="left"), None],
        "tol": [Interval(Real, 0, 1, closed="neither"), None],
        "method": [StrOptions(set(METHODS) - {"adaptive"})],
        "n_oversamples": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
    }
    _center = False

    def _decompose(self, X):
        self._validate_params()
        xp = array_api_namespace(X)
        X = validate_data(self, X, accept_sparse=xp is None and ["csr", "csc"],
                          dtype=float_dtypes(xp))
        k = _rank(self, X.shape)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        res = svd(X, None if self.tol is not None and self.n_components is None else k,
                  tol=self.tol, method=self.method, oversample=self.n_oversamples,
                  maxiter=self.n_iter, center=self._center, estimate_error=False, rng=seed)
        self.components_ = res.Vt
        self.singular_values_ = res.s
        self.n_components_ = int(res.s.shape[0])
        self._n_features_out = self.n_components_
        self.n_passes_ = res.n_passes
        return X, xp, res

    def _project(self, X):
        """``(X V, xp)`` for X checked against the fit (dense out, in X's namespace)."""
        check_is_fitted(self)
        xp = array_api_namespace(X)
        X = validate_data(self, X, accept_sparse=xp is None and ["csr", "csc"],
                          dtype=float_dtypes(xp), reset=False)
        Z = X @ self.components_.T
        return (Z if xp is not None else np.asarray(Z)), xp

    def _more_tags(self):  # scikit-learn < 1.6
        return {"preserves_dtype": [np.float64, np.float32], "array_api_support": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = True
        tags.array_api_support = True
        return tags


class RandomizedSVD(_RandomizedDecomposition):
    r"""Truncated SVD of X by randomized block Krylov iteration: a drop-in for
    scikit-learn's ``TruncatedSVD``.

    ``X ~ U diag(s) V^T`` with k = ``n_components``; ``transform(X) = X V`` (no
    centering: latent semantic analysis of sparse term counts).  The SVD is
    :func:`rnla.lowrank.svd`: at scikit-learn's accuracy it needs fewer passes over X
    (docs/lowrank.md, ``python -m bench.lowrank``).

    Parameters
    ----------
    n_components : int, default=2
        The rank k.  With ``tol`` and ``n_components=None`` the rank is found.
    n_iter : int, optional
        Krylov depth (or power steps for ``method="subspace"``); default
        :func:`rnla.lowrank.svd`'s.
    tol : float in (0, 1), optional
        Find the smallest rank with :math:`\|X - U_r S_r V_r^T\|_2 \le
        \mathrm{tol}\,\|X\|_2` (``n_components`` caps it).
    method : {"auto", "krylov", "subspace"}, default="auto"
    n_oversamples : int, default=10
    random_state : int, RandomState instance or None, default=None

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Right singular vectors V^T.
    singular_values_ : ndarray of shape (n_components,)
    explained_variance_ : ndarray of shape (n_components,)
        Variance of each column of ``transform(X)``.
    explained_variance_ratio_ : ndarray of shape (n_components,)
        Its share of the total variance of X.
    n_components_ : int
    n_passes_ : int
        Reads of X the fit made.
    n_samples_seen_ : int
        Rows folded in by ``partial_fit``.
    sketch_ : rnla.lowrank.SinglePassSketch
        The sketches ``partial_fit`` fills.

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.estimators import RandomizedSVD
    >>> X = np.random.default_rng(0).standard_normal((200, 30))
    >>> Z = RandomizedSVD(n_components=5, random_state=0).fit_transform(X)
    >>> Z.shape
    (200, 5)
    """

    def __init__(self, n_components: int | None = 2, *, n_iter: int | None = None,
                 tol: float | None = None, method: str = "auto", n_oversamples: int = 10,
                 random_state=None):
        self.n_components = n_components
        self.n_iter = n_iter
        self.tol = tol
        self.method = method
        self.n_oversamples = n_oversamples
        self.random_state = random_state

    def fit(self, X, y=None):
        """Fit the SVD of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self
        """
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit and return ``X V = U diag(s)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
        """
        if hasattr(self, "sketch_"):  # fit starts afresh after partial_fit
            del self.sketch_
        X, xp, res = self._decompose(X)
        Z = res.U * res.s[None, :]
        variances = _column_variances(Z, xp)
        total = _total(_column_variances(X, xp), xp)
        self.explained_variance_ = variances
        self.explained_variance_ratio_ = variances / total if total > 0 else variances * 0
        return Z

    def partial_fit(self, X, y=None):
        r"""Fold in a batch of rows: the SVD of all rows seen so far from one read of
        each (:class:`rnla.lowrank.SinglePassSketch`), without storing them.

        ``n_iter``, ``tol`` and ``method`` do not apply (one pass admits no power
        steps); ``explained_variance_`` is :math:`s_i^2 / n - (\mu^T v_i)^2` from the
        running column means, as accurate as the singular values on centered data (a
        large mean makes it a difference of large numbers).  ``fit`` starts afresh.
        numpy and scipy.sparse input only.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self
        """
        first = not hasattr(self, "sketch_")
        if first:
            self._validate_params()
        refuse_array_api(self, X)
        X = validate_data(self, X, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32], reset=first)
        if first:
            k = _rank(self, (max(X.shape[0], X.shape[1]), X.shape[1]))
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            self.sketch_ = SinglePassSketch(X.shape[1], k, dtype=X.dtype, rng=seed)
            self.n_samples_seen_ = 0
            self._sums = np.zeros((2, X.shape[1]))
        self.sketch_.add(X)
        self.n_samples_seen_ += X.shape[0]
        self._sums += [np.asarray(X.sum(axis=0)).ravel(),
                       np.asarray((X.multiply(X) if sp.issparse(X) else X * X)
                                  .sum(axis=0)).ravel()]
        s, Vt, _ = self.sketch_.svd()
        self.components_, self.singular_values_ = Vt, s
        self.n_components_ = self._n_features_out = int(s.shape[0])
        self.n_passes_ = 1
        count = self.n_samples_seen_
        mean = self._sums[0] / count
        total = float(np.sum(self._sums[1] / count - mean ** 2))
        variances = np.clip(s.astype(np.float64) ** 2 / count - (Vt @ mean) ** 2, 0.0, total)
        self.explained_variance_ = variances.astype(X.dtype)
        self.explained_variance_ratio_ = (variances / total if total > 0 else
                                          variances * 0).astype(X.dtype)
        return self

    def transform(self, X):
        """``X V``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_components)
        """
        return self._project(X)[0]

    def inverse_transform(self, X):
        """``Z V^T``, back to the feature space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        return X @ self.components_


class RandomizedPCA(_RandomizedDecomposition):
    r"""PCA by randomized block Krylov iteration, centering sparse data implicitly: as
    scikit-learn's ``PCA(svd_solver="randomized")``, and for sparse X too.

    The principal axes are the right singular vectors of :math:`X - 1\mu^T`, computed
    by :func:`rnla.lowrank.svd` with ``center=True``: the centered matrix is applied,
    never formed, so sparse X stays sparse.

    Parameters
    ----------
    n_components : int or None, default=None
        Components kept (None: min(n_samples, n_features)).
    whiten : bool, default=False
        Scale ``transform``'s output to unit variance per component.
    n_iter : int, optional
        Krylov depth (or power steps for ``method="subspace"``).
    tol : float in (0, 1), optional
        Find the rank: :math:`\|X_c - U_r S_r V_r^T\|_2 \le \mathrm{tol}\,\|X_c\|_2`.
    method : {"auto", "krylov", "subspace"}, default="auto"
    n_oversamples : int, default=10
    random_state : int, RandomState instance or None, default=None

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
    explained_variance_ : ndarray of shape (n_components,)
        :math:`s_i^2 / (n - 1)`.
    explained_variance_ratio_ : ndarray of shape (n_components,)
    singular_values_ : ndarray of shape (n_components,)
    mean_ : ndarray of shape (n_features,)
    noise_variance_ : float
        The mean of the remaining eigenvalues of the covariance.
    n_components_ : int
    n_samples_ : int
    n_passes_ : int

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from rnla.estimators import RandomizedPCA
    >>> X = sp.random_array((500, 40), density=0.1, random_state=0, format="csr")
    >>> pca = RandomizedPCA(n_components=3, random_state=0).fit(X)
    >>> pca.transform(X).shape
    (500, 3)
    """

    _center = True

    def __init__(self, n_components: int | None = None, *, whiten: bool = False,
                 n_iter: int | None = None, tol: float | None = None, method: str = "auto",
                 n_oversamples: int = 10, random_state=None):
        self.n_components = n_components
        self.whiten = whiten
        self.n_iter = n_iter
        self.tol = tol
        self.method = method
        self.n_oversamples = n_oversamples
        self.random_state = random_state

    _parameter_constraints = {**_RandomizedDecomposition._parameter_constraints,
                              "whiten": ["boolean"]}

    def fit(self, X, y=None):
        """Fit the principal axes of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self
        """
        X, xp, res = self._decompose(X)
        m = X.shape[0]
        self.mean_ = res.mean
        self.n_samples_ = m
        self.explained_variance_ = res.s ** 2 / max(m - 1, 1)
        total = _total(_column_variances(X, xp, ddof=1), xp)
        explained = _total(self.explained_variance_, xp)
        self.explained_variance_ratio_ = self.explained_variance_ / total if total > 0 \
            else self.explained_variance_ * 0
        rest = min(X.shape) - self.n_components_
        self.noise_variance_ = max(total - explained, 0.0) / rest if rest > 0 else 0.0
        return self

    def transform(self, X):
        """``(X - mean_) V``, divided by the component deviations with ``whiten``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_components)
        """
        Z, xp = self._project(X)
        Z = Z - (self.mean_ @ self.components_.T)[None, :]
        if self.whiten:
            ns = np if xp is None else xp
            scale = ns.sqrt(self.explained_variance_)
            Z = Z / ns.where(scale > 0, scale, ns.ones_like(scale))[None, :]
        return Z

    def inverse_transform(self, X):
        """``Z V^T + mean_`` (undoing ``whiten``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        if self.whiten:
            xp = array_api_namespace(X)
            X = X * (np if xp is None else xp).sqrt(self.explained_variance_)[None, :]
        return X @ self.components_ + self.mean_[None, :]
