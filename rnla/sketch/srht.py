"""Subsampled randomized Hadamard transform."""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from array_api_compat import array_namespace
from array_api_compat import device as array_device

from rnla._deprecate import renamed_parameters
from rnla._random import SeedLike, draw_key
from rnla._validation import check_int
from rnla.backend import kernels
from rnla.sketch._base import SketchOperator
from rnla.sketch._draw import random_signs, sample_rows

__all__ = ["SRHT"]


def _next_pow2(n: int) -> int:
    return 1 << (n - 1).bit_length()


class SRHT(SketchOperator):
    r"""Subsampled randomized Hadamard transform :math:`S = \sqrt{n'/k}\, P H D`.

    D is a diagonal of random signs, H the orthonormal Walsh–Hadamard matrix of
    order :math:`n' = 2^{\lceil \log_2 n \rceil}` (A is implicitly padded with
    zero rows), and P picks k of the n' rows uniformly, without replacement by
    default.  Every diagonal entry of S^T S equals 1 for every draw, and
    E[S^T S] = I; with k = n' = n and no replacement S is orthogonal.

    Parameters
    ----------
    k : int
        Sketch size, 1 <= k <= n' (without replacement).
    n : int
        Number of rows of the matrices it applies to.
    replace : bool, default=False
        Sample the k rows with replacement.
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness; the same int gives the same sketch.
    dtype : None, float32 or float64
        Force the output dtype (default: follow the input).
    block_bytes : int, default=256 MiB
        Memory budget of the padded work buffer; wider A is processed in column
        chunks (columns are transformed independently).

    Notes
    -----
    Cost O(n' d log n') for dense A (one in-place FWHT, then a row gather).
    A k = O(eps^-2 (sqrt(d) + sqrt(log n))^2 log d) sketch is an eps-subspace
    embedding (Tropp 2011); in practice k = 2d-4d.

    References
    ----------
    .. [1] J. A. Tropp, "Improved analysis of the subsampled randomized Hadamard
       transform", Adv. Adapt. Data Anal. 3 (2011), arXiv:1011.1595.
    .. [2] H. Avron, P. Maymounkov, S. Toledo, "Blendenpik: Supercharging
       LAPACK's least-squares solver", SIAM J. Sci. Comput. 32 (2010).

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.sketch import SRHT
    >>> S = SRHT(8, 8, rng=0)          # k = n = n': an orthogonal matrix
    >>> bool(np.allclose(S.to_dense().T @ S.to_dense(), np.eye(8)))
    True
    """

    kind = "srht"
    _mixes_every_entry = True

    @renamed_parameters(seed="rng")
    def __init__(self, k: int, n: int, *, replace: bool = False, rng: SeedLike = None,
                 dtype=None, block_bytes: int = 256 * 2**20):
        self.replace = bool(replace)
        super().__init__(k, n, rng=rng, dtype=dtype)
        self.block_bytes = check_int(block_bytes, "block_bytes", low=1)
        self.n_padded = _next_pow2(self.n)
        self._keys = (draw_key(self._rng), draw_key(self._rng))
        self._signs, self._rows, self._weights = self._draw(kernels(), np, None)

    def _draw(self, K, xp, device) -> tuple:
        """Signs (n), sorted sampled rows (k) and weights (k) from the streams."""
        signs = random_signs(K, self._keys[0], self.n, xp, device)
        rows = sample_rows(K, self._keys[1], self.n_padded, self.k, self.replace, xp, device)
        x = array_namespace(rows)
        return signs, rows, x.full(self.k, 1.0 / math.sqrt(self.k), dtype=x.float64,
                                   device=device)

    def _apply_xp(self, A, xp, K, params):
        signs, rows, weights = params
        n, d = A.shape
        buf = A * xp.astype(signs, A.dtype)[:, None]
        if self.n_padded > n:
            buf = xp.concat([buf, xp.zeros((self.n_padded - n, d), dtype=A.dtype,
                                           device=array_device(A))], axis=0)
        return K.gather_rows(K.fwht(buf), rows, weights)

    def _apply_transpose_xp(self, Y, xp, K, params):
        signs, rows, weights = params
        buf = K.fwht(K.scatter_rows(Y, rows, weights, self.n_padded))
        return buf[:self.n, :] * xp.astype(signs, Y.dtype)[:, None]

    def _max_k(self, n: int) -> int | None:
        return None if self.replace else _next_pow2(n)

    def _chunks(self, d: int, itemsize: int):
        width = max(1, self.block_bytes // (self.n_padded * itemsize))
        for c0 in range(0, d, width):
            yield c0, min(d, c0 + width)

    def _apply(self, A):
        cpu = kernels()
        n, d = A.shape
        order = "F" if isinstance(A, np.ndarray) and not A.flags.c_contiguous else "C"
        if sp.issparse(A) and A.format != "csc":
            A = A.tocsc()
        out = np.empty((self.k, d), dtype=A.dtype, order=order)
        signs = self._signs.astype(A.dtype)[:, None]
        for c0, c1 in self._chunks(d, A.dtype.itemsize):
            buf = np.zeros((self.n_padded, c1 - c0), dtype=A.dtype, order=order)
            if sp.issparse(A):
                A[:, c0:c1].toarray(out=buf[:n])
                buf[:n] *= signs
            else:
                np.multiply(A[:, c0:c1], signs, out=buf[:n])
            cpu.fwht(buf)
            out[:, c0:c1] = cpu.gather_rows(buf, self._rows, self._weights)
        return out

    def _apply_transpose(self, Y):
        cpu = kernels()
        buf = cpu.scatter_rows(Y, self._rows, self._weights, self.n_padded)
        cpu.fwht(buf)
        return buf[: self.n] * self._signs.astype(Y.dtype)[:, None]

    def to_dense(self) -> np.ndarray:
        """The k x n matrix S as a dense array (for small n: tests, teaching).

        Returns
        -------
        ndarray of shape (k, n)
        """
        dtype = np.dtype(self.dtype if self.dtype is not None else np.float64)
        H = scipy.linalg.hadamard(self.n_padded, dtype=dtype)
        return H[self._rows][:, : self.n] * self._signs * dtype.type(1 / math.sqrt(self.k))

    def __repr__(self) -> str:
        return f"SRHT(k={self.k}, n={self.n}, replace={self.replace})"
