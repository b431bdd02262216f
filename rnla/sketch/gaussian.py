"""Gaussian projection, drawn in blocks so the whole k x n matrix never exists."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from array_api_compat import device as array_device

from rnla._random import SeedLike, draw_key
from rnla._validation import check_int
from rnla.backend import kernels
from rnla.sketch._base import SketchOperator

__all__ = ["GaussianSketch"]


class GaussianSketch(SketchOperator):
    r"""Gaussian projection :math:`S = G/\sqrt{k}` with :math:`G_{ij}` iid N(0, 1).

    E[S^T S] = I.  S is never stored: ``S @ A`` streams over row blocks J of A,
    drawing the matching column block S[:, J] (in parallel, by a counter-based
    ziggurat sampler) and accumulating S[:, J] @ A[J].  Peak extra memory is
    O(k d + k B) with B = ``block_bytes / (8 k)`` columns per block.  Column j of
    G depends only on the key drawn from ``rng`` and j, so the sketch is the same for any blocking
    and any number of threads.

    Parameters
    ----------
    k : int
        Sketch size (rows of S).
    n : int
        Number of rows of the matrices it applies to.
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness; the same int gives the same sketch.
    dtype : None, float32 or float64
        Force the output dtype (default: follow the input).
    block_bytes : int, default=32 MiB
        Memory budget of one drawn block of S.

    Notes
    -----
    For an orthonormal U (n x d) the singular values of S U lie in
    :math:`1 \pm (\sqrt{d/k} + t/\sqrt{k})` with probability at least
    :math:`1 - 2 e^{-t^2/2}` (Davidson–Szarek), so k = 4d gives an
    eps ~ 0.5 embedding.  Cost of S @ A: O(k n d) flops (one GEMM) plus k n draws.

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.sketch import GaussianSketch
    >>> A = np.random.default_rng(0).standard_normal((2000, 10))
    >>> SA = GaussianSketch(40, 2000, rng=1) @ A
    >>> SA.shape
    (40, 10)
    """

    kind = "gaussian"
    mixes_every_entry = True

    def __init__(self, k: int, n: int, *, rng: SeedLike = None, dtype=None,
                 block_bytes: int = 32 * 2**20):
        super().__init__(k, n, rng=rng, dtype=dtype)
        self.block_bytes = check_int(block_bytes, "block_bytes", low=1)
        self._key = draw_key(self._rng)

    def _block(self) -> int:
        return max(1, min(self.n, self.block_bytes // (8 * self.k)))

    def _columns(self, j0: int, j1: int, dtype) -> np.ndarray:
        """Columns j0..j1-1 of G, as a (j1-j0) x k C-order array."""
        return kernels().gaussian_block(self._key, j0, j1 - j0, self.k, dtype)

    def _apply_xp(self, A, xp, K, params):
        out = xp.zeros((self.k, A.shape[1]), dtype=A.dtype, device=array_device(A))
        step = self._block()
        for j0 in range(0, self.n, step):
            j1 = min(self.n, j0 + step)
            Gt = K.gaussian_block(self._key, j0, j1 - j0, self.k, A.dtype, xp=xp,
                                  device=array_device(A))
            out = out + Gt.T @ A[j0:j1, :]
        return out * (1.0 / math.sqrt(self.k))

    def _apply_transpose_xp(self, Y, xp, K, params):
        step = self._block()
        blocks = [K.gaussian_block(self._key, j0, min(self.n, j0 + step) - j0, self.k, Y.dtype,
                                   xp=xp, device=array_device(Y)) @ Y
                  for j0 in range(0, self.n, step)]
        return xp.concat(blocks, axis=0) * (1.0 / math.sqrt(self.k))

    def _apply(self, A):
        if sp.issparse(A) and A.format != "csr":
            A = A.tocsr()
        out = np.zeros((self.k, A.shape[1]), dtype=A.dtype)
        step = self._block()
        for j0 in range(0, self.n, step):
            j1 = min(self.n, j0 + step)
            Gt = self._columns(j0, j1, A.dtype)
            if sp.issparse(A):
                out += (A[j0:j1].T @ Gt).T
            else:
                out += Gt.T @ A[j0:j1]
        out *= out.dtype.type(1.0 / math.sqrt(self.k))
        return out

    def apply_rows(self, block: np.ndarray, r0: int, *inputs) -> np.ndarray:
        # ``G[:, rows] @ block / sqrt(k)``, the columns of G drawn ``block_bytes`` at a time as in
        # memory.
        out = np.zeros((self.k, block.shape[1]), dtype=block.dtype)
        step = self._block()
        for j0 in range(0, block.shape[0], step):
            j1 = min(block.shape[0], j0 + step)
            out += self._columns(r0 + j0, r0 + j1, block.dtype).T @ block[j0:j1]
        return out * block.dtype.type(1.0 / math.sqrt(self.k))

    def _apply_transpose(self, Y):
        out = np.empty((self.n, Y.shape[1]), dtype=Y.dtype)
        step = self._block()
        for j0 in range(0, self.n, step):
            j1 = min(self.n, j0 + step)
            np.matmul(self._columns(j0, j1, Y.dtype), Y, out=out[j0:j1])
        out *= out.dtype.type(1.0 / math.sqrt(self.k))
        return out

    def to_dense(self) -> np.ndarray:
        """The k x n matrix S as a dense array (for small n: tests, teaching).

        Returns
        -------
        ndarray of shape (k, n)
        """
        dtype = self.dtype if self.dtype is not None else np.float64
        return self._columns(0, self.n, dtype).T / math.sqrt(self.k)
