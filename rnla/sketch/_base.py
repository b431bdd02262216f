"""The sketch-operator contract shared by every kind."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from rnla._random import SeedLike, as_generator
from rnla._validation import check_finite_result, check_int, check_operand, float_dtype

__all__ = ["SketchOperator"]


class SketchOperator:
    """A random linear map S: R^n -> R^k, applied from the left (``S @ A``).

    Every operator is scaled so that E[S^T S] = I_n, draws its randomness when
    it is built (so the same seed gives the same sketch), and applies to dense
    numpy arrays (any memory order), scipy.sparse matrices and vectors.  The
    result of ``S @ A`` keeps A's floating dtype (float32 or float64; integers
    become float64).

    Subclasses implement ``_apply(A)`` for a validated 2-D operand (ndarray or
    CSR/CSC matrix), ``_apply_transpose(Y)`` for a dense k x m array and
    ``to_dense()``.
    """

    #: name accepted by ``rnla.make_sketch``
    kind: str = ""
    #: every entry of A reaches S @ A with a nonzero coefficient, so NaN/inf in A
    #: is detected on the small result instead of by a separate pass over A
    _mixes_every_entry: bool = False

    def __init__(self, k: int, n: int, *, seed: SeedLike = None, dtype=None):
        self.n = check_int(n, "n", low=1)
        self.k = check_int(k, "k", low=1, high=self._max_k(self.n))
        self.dtype = None if dtype is None else float_dtype(dtype, "dtype")
        self.seed = seed
        self._rng = as_generator(seed)

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

    def apply(self, A):
        """Return ``S @ A`` for A of shape (n,) or (n, d), dense or scipy.sparse."""
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
        """Return ``S.T @ Y`` for Y of shape (k,) or (k, m), dense."""
        Y2, was_vector = check_operand(Y, self.k, name="Y")
        if sp.issparse(Y2):
            Y2 = Y2.toarray()
        dtype = self._out_dtype(Y2)
        out = self._apply_transpose(np.ascontiguousarray(Y2, dtype=dtype))
        return out.reshape(-1) if was_vector else out

    def to_dense(self) -> np.ndarray:
        """The k x n matrix S as a dense array (for small n: tests, teaching)."""
        raise NotImplementedError

    def as_linear_operator(self) -> spla.LinearOperator:
        """S as a ``scipy.sparse.linalg.LinearOperator`` (matvec S x, rmatvec S^T y)."""
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

    # subclasses -------------------------------------------------------------
    def _apply(self, A):  # pragma: no cover - abstract
        raise NotImplementedError

    def _apply_transpose(self, Y):  # pragma: no cover - abstract
        raise NotImplementedError
