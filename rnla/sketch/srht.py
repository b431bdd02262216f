"""Subsampled randomized Hadamard transform."""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from array_api_compat import array_namespace
from array_api_compat import device as array_device

from rnla._random import SeedLike, draw_key
from rnla._validation import check_int
from rnla.backend import kernels
from rnla.sketch._base import SketchOperator
from rnla.sketch._draw import random_signs, sample_rows

__all__ = ["SRHT", "BlockSRHT"]


def _next_pow2(n: int) -> int:
    return 1 << (n - 1).bit_length()


def _fwht_blocks(buf, b: int, K, xp):
    """``H_b`` applied to each block of b rows of ``buf`` (one transform when b covers it)."""
    if b >= buf.shape[0]:
        return K.fwht(buf)
    return xp.concat([K.fwht(buf[r0:r0 + b, :]) for r0 in range(0, buf.shape[0], b)], axis=0)


def _apply_xp(A, xp, K, params, n_padded: int, b: int):
    """``S @ A`` in namespace xp for the (block) SRHT with parameters (signs, rows,
    weights): sign the rows, pad to ``n_padded`` rows, mix each block of b, gather."""
    signs, rows, weights = params
    n, d = A.shape
    buf = A * xp.astype(signs, A.dtype)[:, None]
    if n_padded > n:
        buf = xp.concat([buf, xp.zeros((n_padded - n, d), dtype=A.dtype,
                                       device=array_device(A))], axis=0)
    return K.gather_rows(_fwht_blocks(buf, b, K, xp), rows, weights)


def _apply_transpose_xp(Y, xp, K, params, n_padded: int, b: int, n: int):
    """``S.T @ Y`` in namespace xp: scatter, mix each block of b, drop the padding, sign."""
    signs, rows, weights = params
    buf = _fwht_blocks(K.scatter_rows(Y, rows, weights, n_padded), b, K, xp)
    return buf[:n, :] * xp.astype(signs, Y.dtype)[:, None]


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
    mixes_every_entry = True

    def __init__(self, k: int, n: int, *, replace: bool = False, rng: SeedLike = None,
                 dtype=None, block_bytes: int = 256 * 2**20):
        self.replace = bool(replace)
        super().__init__(k, n, rng=rng, dtype=dtype)
        self.block_bytes = check_int(block_bytes, "block_bytes", low=1)
        self.n_padded = _next_pow2(self.n)
        self._keys = (draw_key(self._rng), draw_key(self._rng))

    @property
    def _signs(self) -> np.ndarray:
        return self._host_params()[0]

    @property
    def _rows(self) -> np.ndarray:
        return self._host_params()[1]

    @property
    def _weights(self) -> np.ndarray:
        return self._host_params()[2]

    def _draw(self, K, xp, device) -> tuple:
        """Signs (n), sorted sampled rows (k) and weights (k) from the streams."""
        signs = random_signs(K, self._keys[0], self.n, xp, device)
        rows = sample_rows(K, self._keys[1], self.n_padded, self.k, self.replace, xp, device)
        x = array_namespace(rows)
        return signs, rows, x.full(self.k, 1.0 / math.sqrt(self.k), dtype=x.float64,
                                   device=device)

    def _apply_xp(self, A, xp, K, params):
        return _apply_xp(A, xp, K, params, self.n_padded, self.n_padded)

    def _apply_transpose_xp(self, Y, xp, K, params):
        return _apply_transpose_xp(Y, xp, K, params, self.n_padded, self.n_padded, self.n)

    def _max_k(self, n: int) -> int | None:
        return None if self.replace else _next_pow2(n)

    def chunk_rows(self, chunks: tuple[int, ...]) -> tuple[int, ...]:
        # Refused unless A is one chunk: one Hadamard transform mixes all n rows.
        if len(chunks) > 1:
            raise TypeError("SRHT mixes all n rows at once and cannot apply to a Dask array "
                            "chunk by chunk; use rnla.sketch.BlockSRHT (an SRHT per block of "
                            "rows) or another kind")
        return chunks

    def apply_rows(self, block: np.ndarray, r0: int, *inputs) -> np.ndarray:
        # All of ``S @ A`` (the one chunk that ``chunk_rows`` allows).
        return self._apply(block)

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


class BlockSRHT(SketchOperator):
    r"""Block SRHT: an independent Hadamard mix per block of rows, then one global sample.

    The rows of A are cut into :math:`m = \lceil n/b \rceil` blocks of b rows (b a
    power of two; the last block is padded with zero rows), and

    .. math:: S = \sqrt{m/k}\; P\, \mathrm{diag}(H_b D_1, \dots, H_b D_m),

    with :math:`D_i` diagonals of random signs, :math:`H_b` the Walsh–Hadamard
    matrix of order b (entries +-1) and P a uniform sample of k of the
    :math:`n' = m b` mixed rows (without replacement by default); E[S^T S] = I.  With
    one block (:math:`b \ge n`) it is the :class:`SRHT`.

    Each block is mixed on its own, so S applies block by block: a chunked (Dask)
    array whose row chunks hold whole blocks is sketched chunk by chunk, and the
    result does not depend on the chunking.

    Parameters
    ----------
    k : int
        Sketch size, 1 <= k <= n' (without replacement).
    n : int
        Number of rows of the matrices it applies to.
    block_rows : int, default=65536
        Rows per block b (a power of two; capped at the next power of two of n).
    replace : bool, default=False
        Sample the k rows with replacement.
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness; the same int gives the same sketch.
    dtype : None, float32 or float64
        Force the output dtype (default: follow the input).

    Notes
    -----
    The mixing flattens the leverage scores only within each block: after it, a row
    of block i has leverage about :math:`L_i / b` with :math:`L_i` the block's total
    leverage, where the SRHT gives every row about d/n.  Uniform sampling of the
    mixed rows then needs :math:`k = O(m \max_i L_i \log d / \epsilon^2)` for an
    eps-embedding: the SRHT's :math:`O(d \log d/\epsilon^2)` when the leverage is
    spread evenly over the blocks (:math:`L_i \approx d/m`), up to m times more when
    one block holds it all.  Cost O(n' d log b).

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.sketch import BlockSRHT
    >>> S = BlockSRHT(6, 8, block_rows=4, rng=0)
    >>> S.n_blocks, S.to_dense().shape
    (2, (6, 8))
    """

    kind = "block_srht"
    #: False: a block with no sampled row is not transformed, so A is scanned first
    mixes_every_entry = False

    def __init__(self, k: int, n: int, *, block_rows: int = 2**16, replace: bool = False,
                 rng: SeedLike = None, dtype=None):
        self.replace = bool(replace)
        b = check_int(block_rows, "block_rows", low=1)
        if b & (b - 1):
            raise ValueError(f"`block_rows` must be a power of two; got {b}")
        self.block_rows = min(b, _next_pow2(check_int(n, "n", low=1)))
        self.n_blocks = -(-n // self.block_rows)
        self.n_padded = self.n_blocks * self.block_rows
        super().__init__(k, n, rng=rng, dtype=dtype)
        self._keys = (draw_key(self._rng), draw_key(self._rng))
        # the k-sized sample is drawn now; the n signs on first use (or per chunk)
        self._rows = sample_rows(kernels(), self._keys[1], self.n_padded, self.k,
                                 self.replace, np)
        self._weights = np.full(self.k, math.sqrt(self.n_blocks / self.k))

    def _max_k(self, n: int) -> int | None:
        return None if self.replace else self.n_padded

    def _draw(self, K, xp, device) -> tuple:
        """Signs (n), sorted sampled rows of the n' mixed rows (k) and weights (k)."""
        signs = random_signs(K, self._keys[0], self.n, xp, device)
        if xp is np:
            return signs, self._rows, self._weights
        return signs, xp.asarray(self._rows, device=device), xp.asarray(self._weights,
                                                                      device=device)

    def chunk_rows(self, chunks: tuple[int, ...]) -> tuple[int, ...]:
        # Chunks that hold whole blocks of ``block_rows`` rows (A's when they do).
        b = self.block_rows
        if all(c % b == 0 for c in chunks[:-1]):
            return chunks
        size = max(b, int(np.median(chunks)) // b * b)
        n = sum(chunks)
        return (size,) * (n // size) + ((n % size,) if n % size else ())

    def apply_rows(self, block: np.ndarray, r0: int, *inputs) -> np.ndarray:
        # The rows sampled from the blocks the chunk holds (``r0`` is a block boundary), their signs
        # drawn from the key's streams at those global rows.
        signs = 1.0 - 2.0 * (kernels().uniforms(self._keys[0], r0, block.shape[0]) < 0.5)
        return mix_and_sample(block, r0, signs, self.block_rows, self._rows, self._weights)

    def _apply(self, A):
        signs, rows, weights = self._host_params()
        return mix_and_sample(A, 0, signs, self.block_rows, rows, weights)

    def _apply_transpose(self, Y):
        cpu = kernels()
        signs, rows, weights = self._host_params()
        b = self.block_rows
        buf = cpu.scatter_rows(Y, rows, weights, self.n_padded)
        for r0 in range(0, self.n_padded, b):
            cpu.fwht(buf[r0:r0 + b])
        return buf[: self.n] * signs.astype(Y.dtype)[:, None]

    def _apply_xp(self, A, xp, K, params):
        return _apply_xp(A, xp, K, params, self.n_padded, self.block_rows)

    def _apply_transpose_xp(self, Y, xp, K, params):
        return _apply_transpose_xp(Y, xp, K, params, self.n_padded, self.block_rows, self.n)

    def to_dense(self) -> np.ndarray:
        """The k x n matrix S as a dense array (for small n: tests, teaching).

        Returns
        -------
        ndarray of shape (k, n)
        """
        dtype = np.dtype(self.dtype if self.dtype is not None else np.float64)
        signs, rows, weights = self._host_params()
        H = scipy.linalg.block_diag(*[scipy.linalg.hadamard(self.block_rows, dtype=dtype)]
                                    * self.n_blocks)
        return (H[rows][:, : self.n] * signs * weights[:, None]).astype(dtype)

    def __repr__(self) -> str:
        return (f"BlockSRHT(k={self.k}, n={self.n}, block_rows={self.block_rows}, "
                f"replace={self.replace})")


def mix_and_sample(A, r0: int, signs, b: int, rows: np.ndarray, weights: np.ndarray
                   ) -> np.ndarray:
    """The part of a block SRHT's ``S @ A`` that the rows of A from ``r0`` on (a dense or sparse
    block starting at a block boundary, ``r0 % b == 0``) contribute: k x d, zero in the
    rows sampled from other blocks.  ``signs`` holds the signs of the block's rows."""
    cpu = kernels()
    rows_in, d = A.shape
    dtype = A.dtype
    out = np.zeros((rows.shape[0], d), dtype=dtype)
    for j0 in range(0, rows_in, b):
        j1 = min(rows_in, j0 + b)
        lo, hi = np.searchsorted(rows, [r0 + j0, r0 + j0 + b])
        if lo == hi:
            continue  # no sampled row comes from this block: skip its transform
        buf = np.zeros((b, d), dtype=dtype)
        part = A[j0:j1]
        buf[: j1 - j0] = (part.toarray() if sp.issparse(part) else part) * \
            signs[j0:j1].astype(dtype)[:, None]
        cpu.fwht(buf)
        out[lo:hi] = buf[rows[lo:hi] - (r0 + j0)] * weights[lo:hi, None].astype(dtype)
    return out
