"""Numba kernels of the sketched least-squares iterations (CPU backend)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from rnla.backend.cpu._threads import sized

__all__ = ["normal_residual", "normal_residual_csr"]

_PARTIALS_BUDGET = 256 * 2**20  # bytes of per-chunk partial sums

_ROWS_PER_CHUNK = 4096  # rows per reduction chunk: chunks, not threads, fix the summation order


@njit(parallel=True, cache=True, fastmath={"contract", "reassoc"})
def _nr_dense(A, Xt, B, has_b, nchunk):
    n, d = A.shape
    m = Xt.shape[0]
    partial = np.zeros((nchunk, m, d))
    rr = np.zeros((nchunk, m))
    for t in prange(nchunk):
        lo = t * n // nchunk
        hi = (t + 1) * n // nchunk
        P = partial[t]
        for i in range(lo, hi):
            a = A[i]
            for c in range(m):
                x = Xt[c]
                s = 0.0
                for j in range(d):
                    s += a[j] * x[j]
                r = (B[i, c] - s) if has_b else -s
                rr[t, c] += r * r
                g = P[c]
                for j in range(d):
                    g[j] += r * a[j]
    return partial, rr


@njit(parallel=True, cache=True, fastmath={"contract", "reassoc"})
def _nr_csr(indptr, indices, data, d, Xt, B, has_b, nchunk):
    n = indptr.shape[0] - 1
    m = Xt.shape[0]
    partial = np.zeros((nchunk, m, d))
    rr = np.zeros((nchunk, m))
    for t in prange(nchunk):
        lo = t * n // nchunk
        hi = (t + 1) * n // nchunk
        P = partial[t]
        for i in range(lo, hi):
            for c in range(m):
                x = Xt[c]
                s = 0.0
                for p in range(indptr[i], indptr[i + 1]):
                    s += data[p] * x[indices[p]]
                r = (B[i, c] - s) if has_b else -s
                rr[t, c] += r * r
                g = P[c]
                for p in range(indptr[i], indptr[i + 1]):
                    g[indices[p]] += r * data[p]
    return partial, rr


@njit(cache=True)
def _sum_chunks(partial, rr):
    G = partial[0].copy()
    tot = rr[0].copy()
    for t in range(1, partial.shape[0]):
        G += partial[t]
        tot += rr[t]
    return G, tot


def _chunks(n: int, m: int, d: int) -> int:
    return max(1, min(256, n // _ROWS_PER_CHUNK, _PARTIALS_BUDGET // max(1, 8 * m * d)))


def _operands(X, B):
    m = X.shape[1]
    Xt = np.ascontiguousarray(X.T, dtype=np.float64)
    has_b = B is not None
    Bc = np.ascontiguousarray(B, dtype=np.float64) if has_b else np.zeros((1, m))
    return Xt, Bc, has_b


@sized(lambda A, X, B=None: A.nbytes)
def normal_residual(A: np.ndarray, X: np.ndarray, B: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """``G = A^T (B - A X)`` and the squared column norms of ``B - A X``, in one pass over A.

    ``A`` is a C-contiguous n x d array (float32 or float64), ``X`` is d x m and
    ``B`` n x m (float64); ``B=None`` means zero, which gives ``-A^T A X`` and the
    squared norms of ``A X``.  Each row of A is read once and used twice while it
    is in cache (``r_i = b_i - a_i x``, then ``g += r_i a_i``), accumulating in
    float64; the rows are cut into chunks that depend only on n, so the summation
    order, and hence the result, does not depend on the number of threads.
    Returns ``(G, rr)`` of shapes (d, m) and (m,).
    """
    n, d = A.shape
    Xt, Bc, has_b = _operands(X, B)
    G, rr = _sum_chunks(*_nr_dense(A, Xt, Bc, has_b, _chunks(n, X.shape[1], d)))
    return G.T, rr


@sized(lambda indptr, indices, data, *_, **__: data.nbytes + indices.nbytes)
def normal_residual_csr(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, d: int,
                        X: np.ndarray, B: np.ndarray | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
    """``normal_residual`` for an n x d CSR matrix given by its component arrays."""
    n = indptr.shape[0] - 1
    Xt, Bc, has_b = _operands(X, B)
    G, rr = _sum_chunks(*_nr_csr(indptr, indices, data, d, Xt, Bc, has_b,
                                 _chunks(n, X.shape[1], d)))
    return G.T, rr
