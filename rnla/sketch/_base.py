"""The sketch-operator contract shared by every kind."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from array_api_compat import device as array_device

from rnla._random import SeedLike, as_generator
from rnla._validation import (
    check_array,
    check_finite_result,
    check_int,
    check_linear_operator,
    check_namespace,
    check_operand,
    float_dtype,
    is_dask,
)
from rnla.backend import kernels, uses_cpu

__all__ = ["SketchOperator", "TransposedSketch"]

#: entries of one dense block of S^T when a sketch applies to a LinearOperator
_BLOCK_ENTRIES = 2**24


class SketchOperator:
    """A random linear map S: R^n -> R^k, applied from the left (``S @ A``).

    Every operator is scaled so that E[S^T S] = I_n, draws its randomness when
    it is built (so the same ``rng`` gives the same sketch), and applies to dense
    numpy arrays (any memory order), scipy.sparse matrices, vectors,
    ``scipy.sparse.linalg.LinearOperator`` objects and arrays of any Array-API
    library (CuPy, torch, ``array_api_strict``): the result stays in the
    operand's namespace and on its device, and its entries are drawn there from
    the same counter-based streams, so a seed gives the same sketch everywhere.  The
    result of ``S @ A`` keeps A's floating dtype (float32 or float64; integers become
    float64).  ``S.T`` is
    the transposed operator, itself applicable with ``@``.

    Subclasses implement ``_apply(A)`` for a validated 2-D operand (ndarray or
    CSR/CSC matrix), ``_apply_transpose(Y)`` for a dense k x m array, their
    namespace twins ``_apply_xp``/``_apply_transpose_xp`` on the parameters that
    ``_draw`` makes in a namespace, and ``to_dense()``.

    Parameters
    ----------
    k : int
        Number of rows of the sketch (sketch size).
    n : int
        Number of rows of the matrices it applies to.
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness; the same int gives the same sketch.
    dtype : None, float32 or float64
        Force the output dtype (default: follow the input).
    """

    #: name accepted by ``rnla.make_sketch``
    kind: str = ""
    #: every entry of A reaches S @ A with a nonzero coefficient, so NaN/inf in A
    #: is detected on the small result instead of by a separate pass over A
    _mixes_every_entry: bool = False

    def __init__(self, k: int, n: int, *, rng: SeedLike = None, dtype=None):
        self.n = check_int(n, "n", low=1)
        self.k = check_int(k, "k", low=1, high=self._max_k(self.n))
        self.dtype = None if dtype is None else float_dtype(dtype, "dtype")
        self.rng = rng
        self._rng = as_generator(rng, "rng")
        self._drawn: dict = {}

    @staticmethod
    def _max_k(n: int) -> int | None:
        """Largest sketch size allowed for n (None: no limit)."""
        return None

    @property
    def shape(self) -> tuple[int, int]:
        """``(k, n)``: the sketch maps R^n to R^k."""
        return (self.k, self.n)

    def _out_dtype(self, A) -> np.dtype:
        return self.dtype if self.dtype is not None else A.dtype

    @property
    def T(self) -> TransposedSketch:
        """The transpose ``S^T``: ``S.T @ Y`` maps R^k to R^n."""
        return TransposedSketch(self)

    def apply(self, A):
        """Return ``S @ A``.

        Parameters
        ----------
        A : array_like, scipy.sparse matrix, LinearOperator or Dask array of shape (n,) or (n, d)
            The operand.  A ``LinearOperator`` is sketched through ``A.rmatmat``
            (``S A = (A^T S^T)^T``, a block of rows of S at a time): k products with
            ``A^T`` in all, and A is never formed.  A Dask array (any chunking) is
            sketched chunk by chunk (``rnla.distributed``): the result is a lazy Dask
            array equal to the in-memory ``S @ A`` to rounding.

        Returns
        -------
        ndarray, scipy.sparse matrix or Dask array of shape (k,) or (k, d)
            Dense for dense and operator input; sampling sketches keep sparse input sparse.
        """
        if isinstance(A, spla.LinearOperator):
            _, dtype = check_linear_operator(A, self.n, "A")
            return _times_operator(self.apply_transpose, self.k, A,
                                   self.dtype if self.dtype is not None else dtype)
        if is_dask(A):
            from rnla.distributed import apply_dask

            return apply_dask(self, A)
        xp = check_namespace(A=A)
        if not uses_cpu(xp):
            return self._apply_namespace(A, xp, "A", self.n, self._apply_xp,
                                         check_result=self._mixes_every_entry)
        A2, was_vector = check_operand(A, self.n, check_finite=not self._mixes_every_entry)
        dtype = self._out_dtype(A2)
        if A2.dtype != dtype:
            A2 = A2.astype(dtype)
        if isinstance(A2, np.ndarray) and not (A2.flags.c_contiguous or A2.flags.f_contiguous):
            A2 = np.ascontiguousarray(A2)
        if self._mixes_every_entry:
            with np.errstate(all="ignore"):  # NaN/inf in A are reported just below
                out = self._apply(A2)
            check_finite_result(out, A2)
        else:
            out = self._apply(A2)
        if was_vector:
            return np.asarray(out.todense() if sp.issparse(out) else out).reshape(-1)
        return out

    __matmul__ = apply

    def apply_transpose(self, Y):
        """Return ``S.T @ Y`` for Y of shape (k,) or (k, m).

        Parameters
        ----------
        Y : array_like, scipy.sparse matrix or LinearOperator of shape (k,) or (k, m)
            The operand; a ``LinearOperator`` is formed first (m products with it:
            it has only k rows).

        Returns
        -------
        ndarray of shape (n,) or (n, m)
        """
        xp = check_namespace(Y=Y)
        if not uses_cpu(xp):
            return self._apply_namespace(Y, xp, "Y", self.k, self._apply_transpose_xp,
                                         check_result=False)
        if isinstance(Y, spla.LinearOperator):
            _, dtype = check_linear_operator(Y, self.k, "Y")
            Y = np.asarray(Y.matmat(np.eye(Y.shape[1], dtype=dtype)))
        Y2, was_vector = check_operand(Y, self.k, name="Y")
        if sp.issparse(Y2):
            Y2 = Y2.toarray()
        dtype = self._out_dtype(Y2)
        out = self._apply_transpose(np.ascontiguousarray(Y2, dtype=dtype))
        return out.reshape(-1) if was_vector else out

    def _apply_namespace(self, A, xp, name: str, rows: int, apply, check_result: bool):
        """Validate ``A`` in its own namespace and apply ``apply`` there (no host copy)."""
        A2 = check_array(A, xp, name, ndim=(1, 2), check_finite=not check_result)
        was_vector = A2.ndim == 1
        if was_vector:
            A2 = xp.reshape(A2, (-1, 1))
        if A2.shape[0] != rows:
            raise ValueError(f"`{name}` must have {rows} rows (the sketch's "
                             f"{'n' if name == 'A' else 'k'}); got shape {tuple(A2.shape)}")
        if self.dtype is not None:
            A2 = xp.astype(A2, getattr(xp, self.dtype.name))
        device = array_device(A2)
        key = (xp.__name__, str(device))
        if key not in self._drawn:
            self._drawn[key] = self._draw(kernels(xp), xp, device)
        out = apply(A2, xp, kernels(xp), self._drawn[key])
        if check_result and not bool(xp.all(xp.isfinite(out))):
            check_array(A2, xp, name)  # raises on NaN/inf in A
            warnings.warn(f"the result overflowed although `{name}` is finite",
                          RuntimeWarning, stacklevel=3)
        return xp.reshape(out, (-1,)) if was_vector else out

    def _draw(self, K, xp, device) -> tuple:
        """The operator's random parameters, drawn with kernel set K in namespace xp."""
        return ()

    def _host_params(self) -> tuple:
        """The parameters for numpy operands, drawn on first use: some kinds draw n-sized
        arrays, which a sketch applied only to chunked (Dask) data never needs whole."""
        if "host" not in self._drawn:
            self._drawn["host"] = self._draw(kernels(), np, None)
        return self._drawn["host"]

    def to_dense(self) -> np.ndarray:
        """The k x n matrix S as a dense numpy array (for small n: tests, teaching).

        Returns
        -------
        ndarray of shape (k, n)
        """
        raise NotImplementedError

    def as_linear_operator(self) -> spla.LinearOperator:
        """S as a ``scipy.sparse.linalg.LinearOperator`` (matvec S x, rmatvec S^T y).

        Returns
        -------
        scipy.sparse.linalg.LinearOperator of shape (k, n)
        """
        dtype = self.dtype if self.dtype is not None else np.float64
        return spla.LinearOperator(
            self.shape,
            matvec=self.apply,
            rmatvec=self.apply_transpose,
            matmat=self.apply,
            rmatmat=self.apply_transpose,
            dtype=dtype,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(k={self.k}, n={self.n})"


class TransposedSketch:
    """The transpose ``S^T`` of a sketch operator S: a map from R^k to R^n.

    ``S.T @ Y`` applies to what ``S.apply_transpose`` takes (dense or sparse arrays,
    vectors, LinearOperators); ``S.T.T`` is S again.

    Parameters
    ----------
    sketch : SketchOperator
        The operator S.

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.sketch import CountSketch
    >>> S = CountSketch(3, 5, rng=0)
    >>> bool(np.array_equal(S.T.to_dense(), S.to_dense().T)) and S.T.T is S
    True
    """

    def __init__(self, sketch: SketchOperator):
        self.sketch = sketch

    @property
    def shape(self) -> tuple[int, int]:
        """``(n, k)``."""
        return (self.sketch.n, self.sketch.k)

    @property
    def T(self) -> SketchOperator:
        """The sketch S itself."""
        return self.sketch

    def apply(self, Y):
        """Return ``S^T @ Y`` (``S.apply_transpose``).

        Parameters
        ----------
        Y : array_like, scipy.sparse matrix or LinearOperator of shape (k,) or (k, m)
            The operand.

        Returns
        -------
        ndarray of shape (n,) or (n, m)
        """
        return self.sketch.apply_transpose(Y)

    __matmul__ = apply

    def to_dense(self) -> np.ndarray:
        """The n x k matrix S^T as a dense array.

        Returns
        -------
        ndarray of shape (n, k)
        """
        return self.sketch.to_dense().T

    def as_linear_operator(self) -> spla.LinearOperator:
        """S^T as a ``scipy.sparse.linalg.LinearOperator``.

        Returns
        -------
        scipy.sparse.linalg.LinearOperator of shape (n, k)
        """
        return self.sketch.as_linear_operator().T

    def __repr__(self) -> str:
        return f"{self.sketch!r}.T"


def _times_operator(transpose_apply, rows: int, L: spla.LinearOperator, dtype) -> np.ndarray:
    """``M @ L`` for a matrix M of ``rows`` rows given by ``transpose_apply(Y) = M^T Y``.

    :math:`M L = (L^T M^T)^T`; a block of b rows of M is :math:`M^T E` (E: b
    columns of the identity) and its product with L is one ``L.rmatmat``, so M
    costs ``rows`` products with :math:`L^T` in all and L is never formed.
    """
    size, m = L.shape
    out = np.empty((rows, m), dtype=dtype)
    block = max(1, min(rows, _BLOCK_ENTRIES // size))
    for r0 in range(0, rows, block):
        r1 = min(rows, r0 + block)
        E = np.zeros((rows, r1 - r0), dtype=dtype)
        E[np.arange(r0, r1), np.arange(r1 - r0)] = 1.0
        out[r0:r1] = np.asarray(L.rmatmat(transpose_apply(E))).T
    if not np.isfinite(out).all():
        raise ValueError("`A` must be finite: the operator returned NaN or inf")
    return out
