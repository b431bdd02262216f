"""CountSketch and sparse sign embeddings."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from rnla._random import SeedLike, draw_key
from rnla._validation import check_int
from rnla.backend import kernels
from rnla.sketch._base import SketchOperator

__all__ = ["SparseSign", "CountSketch"]


class SparseSign(SketchOperator):
    r"""Sparse sign embedding: each column of S has ``s`` nonzeros +-1/sqrt(s).

    For every column i, ``s`` distinct rows are chosen uniformly at random and
    given independent random signs scaled by :math:`1/\sqrt{s}`.  Hence every
    diagonal entry of :math:`S^T S` is exactly 1 and E[S^T S] = I.  Applying S
    costs O(s nnz(A)) and reads A once.

    Parameters
    ----------
    k : int
        Number of rows of the sketch (sketch size).
    n : int
        Number of rows of the matrices it applies to.
    s : int, optional
        Nonzeros per column, 1 <= s <= k; default ``min(8, k)``.  ``s = 1`` is
        CountSketch.
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness; the same int gives the same sketch.
    dtype : None, float32 or float64
        Force the output dtype (default: follow the input).

    Notes
    -----
    Embedding size: with s = O(log d / eps) a sketch of k = O(d log d / eps^2)
    rows is an eps-subspace embedding for a d-dimensional subspace with constant
    probability (OSNAP, Nelson and Nguyen 2013); in practice s = 8 and k = 2d-4d
    give eps about 0.5-0.7.  CountSketch (s = 1) needs k = O(d^2 / eps^2).

    References
    ----------
    .. [1] J. Nelson, H. L. Nguyen, "OSNAP: Faster numerical linear algebra
       algorithms via sparser subspace embeddings", FOCS 2013, arXiv:1211.1002.
    .. [2] K. L. Clarkson, D. P. Woodruff, "Low rank approximation and regression
       in input sparsity time", STOC 2013, arXiv:1207.6365.

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.sketch import SparseSign
    >>> A = np.random.default_rng(0).standard_normal((1000, 5))
    >>> S = SparseSign(40, 1000, s=4, rng=0)
    >>> (S @ A).shape
    (40, 5)
    """

    kind = "sparse_sign"
    mixes_every_entry = True

    def __init__(self, k: int, n: int, *, s: int | None = None, rng: SeedLike = None,
                 dtype=None):
        super().__init__(k, n, rng=rng, dtype=dtype)
        self.s = min(8, self.k) if s is None else check_int(s, "s", low=1, high=self.k)
        self._key = draw_key(self._rng)
        self._scale = 1.0 / math.sqrt(self.s)

    @property
    def _rows(self) -> np.ndarray:
        return self._host_params()[0]

    @property
    def _signs(self) -> np.ndarray:
        return self._host_params()[1]

    def _apply(self, A):
        cpu = kernels()
        if isinstance(A, np.ndarray):
            return cpu.sparse_sign_apply(A, self._rows, self._signs, self._scale, self.k)
        if A.format == "csr":
            out = cpu.sparse_sign_apply_csr(A.indptr, A.indices, A.data, A.shape[1], self._rows,
                                            self._signs, self._scale, self.k)
            if out is not None:
                return out
            A = A.tocsc()
        return cpu.sparse_sign_apply_csc(A.indptr, A.indices, A.data, self._rows, self._signs,
                                         self._scale, self.k)

    def _draw(self, K, xp, device) -> tuple:
        return K.sparse_sign_draw(self._key, self.n, self.k, self.s, xp=xp, device=device)

    def apply_rows(self, block: np.ndarray, r0: int, *inputs) -> np.ndarray:
        # The columns of S from ``r0`` on, drawn from their streams, applied to the block.
        cpu = kernels()
        rows, signs = cpu.sparse_sign_draw(self._key, block.shape[0], self.k, self.s, j0=r0)
        return cpu.sparse_sign_apply(np.ascontiguousarray(block), rows, signs, self._scale,
                                     self.k)

    def _apply_xp(self, A, xp, K, params):
        return K.sparse_sign_apply(A, *params, self._scale, self.k)

    def _apply_transpose_xp(self, Y, xp, K, params):
        return K.sparse_sign_apply_transpose(Y, *params, self._scale, self.n)

    def _apply_transpose(self, Y):
        return kernels().sparse_sign_apply_transpose(
            Y, self._rows, self._signs, self._scale, self.n
        )

    def to_sparse(self) -> sp.csr_array:
        """S as a scipy.sparse CSR array.

        Returns
        -------
        scipy.sparse.csr_array of shape (k, n)
            ``s`` nonzeros +-1/sqrt(s) per column.
        """
        cols = np.repeat(np.arange(self.n), self.s)
        vals = self._signs.ravel() * self._scale
        return sp.csr_array((vals, (self._rows.ravel(), cols)), shape=self.shape)

    def to_dense(self) -> np.ndarray:
        """The k x n matrix S as a dense array (for small n: tests, teaching).

        Returns
        -------
        ndarray of shape (k, n)
        """
        return self.to_sparse().toarray()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(k={self.k}, n={self.n}, s={self.s})"


class CountSketch(SparseSign):
    """CountSketch (Clarkson–Woodruff transform): one +-1 per column of S.

    The special case ``s = 1`` of :class:`SparseSign`: row ``h(i)`` of the sketch
    receives ``sign(i) * A[i]``.  One pass over A, O(nnz(A)).  Its subspace
    embedding size grows like d^2, so for preconditioning prefer
    :class:`SparseSign` or compose it with a Gaussian sketch.

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

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.sketch import CountSketch
    >>> S = CountSketch(3, 5, rng=0)
    >>> S.to_dense().shape
    (3, 5)
    """

    kind = "countsketch"

    def __init__(self, k: int, n: int, *, rng: SeedLike = None, dtype=None):
        super().__init__(k, n, s=1, rng=rng, dtype=dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(k={self.k}, n={self.n})"
