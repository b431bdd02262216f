"""Random projection of the features by an rnla sketch (a scikit-learn transformer)."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import DataDimensionalityWarning
from sklearn.random_projection import johnson_lindenstrauss_min_dim
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from rnla.estimators._array_api import array_api_namespace, array_device, float_dtypes
from rnla.sketch import make_sketch

__all__ = ["SketchProjection"]

#: kinds that reduce features; the sparse ones keep sparse input sparse
KINDS = ("countsketch", "sparse_sign", "srht", "gaussian")
_SPARSE_KINDS = ("countsketch", "sparse_sign")


class SketchProjection(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""Reduce the features of X (n x d) to k by a sketch S: ``X -> X S^T``.

    A drop-in for scikit-learn's ``GaussianRandomProjection`` and
    ``SparseRandomProjection``: the same parameters (``n_components``, ``eps``,
    ``dense_output``, ``random_state``) and the same guarantee, with any rnla
    sketch kind as the projection and no stored k x d matrix: the operator keeps
    its hash and signs (CountSketch, sparse sign), or redraws its entries from a
    counter-based stream (Gaussian), or applies a fast Hadamard transform (SRHT).
    Every kind has E[S^T S] = I, so squared distances are preserved in
    expectation: :math:`E \|S (x - y)\|^2 = \|x - y\|^2`.

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Output dimension k.  ``"auto"`` takes the Johnson--Lindenstrauss bound
        :math:`k \ge 4 \ln n / (\epsilon^2/2 - \epsilon^3/3)` for the number n
        of samples seen by ``fit`` (``sklearn.random_projection.johnson_lindenstrauss_min_dim``).
    kind : {"countsketch", "sparse_sign", "srht", "gaussian"}, default="countsketch"
        The sketch.  CountSketch (one +-1 per feature) costs one pass over X,
        nnz(X) operations; sparse sign costs 8 times more, with a tighter
        distortion tail; the SRHT and Gaussian sketches are dense.
    eps : float in (0, 1), default=0.1
        Distortion of the Johnson--Lindenstrauss bound when ``n_components="auto"``.
    dense_output : bool, default=False
        Return a dense array for sparse input (CountSketch and sparse sign keep
        sparse input sparse otherwise; the other kinds always return dense).  The
        sparse result of sparse sign has up to 8 nonzeros per input nonzero, often
        most of the n x k entries: ``dense_output=True`` is then faster (measured 3x
        on a 10^5 x 10^5 matrix with 100 nonzeros per row, k = 1000).
    random_state : int, RandomState instance or None, default=None
        Randomness of the sketch.

    Attributes
    ----------
    n_components_ : int
        The output dimension k.
    sketch_ : rnla.sketch.SketchOperator
        The operator S, of shape (k, ``n_features_in_``).
    n_features_in_ : int
        Number of input features.

    See Also
    --------
    sklearn.random_projection.SparseRandomProjection, rnla.make_sketch

    Notes
    -----
    For a fixed pair x, y a CountSketch of k rows gives
    :math:`\mathrm{Var}\,\|S z\|^2 = \frac{2}{k} (\|z\|^4 - \|z\|_4^4)` with z = x - y,
    no more than a Gaussian projection's :math:`\frac{2}{k}\|z\|^4`; its tail is
    heavier for z concentrated on few coordinates, which the sparse sign embedding
    (s = 8 per column) corrects (Kane and Nelson 2014).

    References
    ----------
    .. [1] D. Achlioptas, "Database-friendly random projections: Johnson-Lindenstrauss
       with binary coins", J. Comput. Syst. Sci. 66(4), 2003.
    .. [2] D. M. Kane, J. Nelson, "Sparser Johnson-Lindenstrauss transforms",
       J. ACM 61(1), 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.estimators import SketchProjection
    >>> X = np.random.default_rng(0).standard_normal((100, 5000))
    >>> proj = SketchProjection(n_components=1000, random_state=0).fit(X)
    >>> Y = proj.transform(X)
    >>> Y.shape
    (100, 1000)
    >>> ratio = np.linalg.norm(Y[0] - Y[1]) / np.linalg.norm(X[0] - X[1])
    >>> bool(abs(ratio - 1) < 0.15)
    True
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "kind": [StrOptions(set(KINDS))],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "dense_output": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, n_components: int | str = "auto", *, kind: str = "countsketch",
                 eps: float = 0.1, dense_output: bool = False, random_state=None):
        self.n_components = n_components
        self.kind = kind
        self.eps = eps
        self.dense_output = dense_output
        self.random_state = random_state

    def fit(self, X, y=None):
        """Draw the sketch for the features of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; only its shape is used.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._validate_params()
        xp = array_api_namespace(X)
        X = validate_data(self, X, accept_sparse=xp is None and ["csr", "csc"],
                          dtype=float_dtypes(xp))
        n, d = X.shape
        if self.n_components == "auto":
            k = int(johnson_lindenstrauss_min_dim(n, eps=self.eps))
            if k > d:
                raise ValueError(
                    f"eps={self.eps} and n_samples={n} lead to a target dimension of {k}, "
                    f"which is larger than the original space with n_features={d}")
        else:
            k = self.n_components
            if k > d:
                warnings.warn(f"The number of components is higher than the number of "
                              f"features: n_features < n_components ({d} < {k}). The "
                              f"dimensionality of the problem will not be reduced.",
                              DataDimensionalityWarning, stacklevel=2)
        if self.kind == "srht" and k > 2 ** int(np.ceil(np.log2(d))):
            raise ValueError(f"`n_components` must be at most {2 ** int(np.ceil(np.log2(d)))} "
                             f"(n_features padded to a power of two) for kind='srht'; got {k}")
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        self.sketch_ = make_sketch(self.kind, k, d, rng=seed)
        self.n_components_ = k
        self._n_features_out = k
        return self

    def transform(self, X):
        """Project ``X``: ``X S^T``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.

        Returns
        -------
        {ndarray, sparse matrix} of shape (n_samples, k)
            In X's dtype; sparse for sparse X with CountSketch or sparse sign
            unless ``dense_output=True``.
        """
        check_is_fitted(self)
        xp = array_api_namespace(X)
        if xp is not None:  # in X's namespace and on its device
            X = validate_data(self, X, reset=False, dtype=float_dtypes(xp))
            return (self.sketch_ @ X.T).T
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                          dtype=[np.float64, np.float32])
        S = self.sketch_
        if sp.issparse(X) and self.kind in _SPARSE_KINDS and not self.dense_output:
            return sp.csr_matrix(X @ S.to_sparse().T.astype(X.dtype))
        Y = S @ X.T
        Y = Y.toarray() if sp.issparse(Y) else Y
        return np.ascontiguousarray(Y.T, dtype=X.dtype)

    def inverse_transform(self, X):
        r"""Map projected data back: ``X (S S^T)^+ S``, i.e. ``X`` times the
        transposed pseudo-inverse of ``S^T``.

        Costs forming the k x k matrix S S^T (k products with S^T and S) and its
        eigendecomposition, per call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, k)
            Projected data.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The least-norm preimages.
        """
        check_is_fitted(self)
        xp = array_api_namespace(X)
        X = check_array(X, accept_sparse=xp is None and ["csr", "csc"], dtype=float_dtypes(xp))
        if X.shape[1] != self.n_components_:
            raise ValueError(f"`X` must have shape (n_samples, {self.n_components_}); got "
                             f"{X.shape}")
        S = self.sketch_
        gram = S @ S.T.as_linear_operator()  # S S^T (k x k, on the host), a block at a time
        if xp is not None:  # the k x k pseudo-inverse moves to X's device
            pinv = xp.asarray(sla.pinvh(gram), dtype=X.dtype, device=array_device(X))
            return (S.T @ (X @ pinv).T).T
        dtype = X.dtype
        X = X.toarray() if sp.issparse(X) else X
        Z = np.asarray(X, dtype=np.float64) @ sla.pinvh(gram)
        return np.ascontiguousarray((S.T @ Z.T).T, dtype=dtype)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.array_api_support = True
        return tags
