"""Numba kernels of the sketched least-squares iterations (CPU backend)."""

from __future__ import annotations

import contextlib

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numba import njit, prange

from rnla._threads import one_blas_thread
from rnla.backend.cpu._threads import sized

__all__ = ["normal_residual", "normal_residual_csr", "normal_residual_for", "min_norm_solve",
           "column_maxabs"]

_PARTIALS_BUDGET = 256 * 2**20  # bytes of per-chunk partial sums

_ROWS_PER_CHUNK = 4096  # rows per reduction chunk: chunks, not threads, fix the summation order


@njit(parallel=True, cache=True, fastmath={"contract", "reassoc"})
def _nr_dense(A, Xt, B, has_b, nchunk):
    """Rows four at a time: the four residuals, then one sweep ``g += sum_q r_q a_q``, so
    the partial gradient is loaded and stored once per four rows (measured 1.4x faster
    on 2^18 x 512, at the bandwidth of BLAS's gemv)."""
    n, d = A.shape
    m = Xt.shape[0]
    partial = np.zeros((nchunk, m, d))
    rr = np.zeros((nchunk, m))
    for t in prange(nchunk):
        lo = t * n // nchunk
        hi = (t + 1) * n // nchunk
        P = partial[t]
        i = lo
        while i + 4 <= hi:
            a0, a1, a2, a3 = A[i], A[i + 1], A[i + 2], A[i + 3]
            for c in range(m):
                x = Xt[c]
                s0 = s1 = s2 = s3 = 0.0
                for j in range(d):
                    s0 += a0[j] * x[j]
                    s1 += a1[j] * x[j]
                    s2 += a2[j] * x[j]
                    s3 += a3[j] * x[j]
                if has_b:
                    s0, s1 = s0 - B[i, c], s1 - B[i + 1, c]
                    s2, s3 = s2 - B[i + 2, c], s3 - B[i + 3, c]
                rr[t, c] += s0 * s0 + s1 * s1 + s2 * s2 + s3 * s3
                g = P[c]
                for j in range(d):  # r_q = -s_q
                    g[j] -= s0 * a0[j] + s1 * a1[j] + s2 * a2[j] + s3 * a3[j]
            i += 4
        for k in range(i, hi):
            a = A[k]
            for c in range(m):
                x = Xt[c]
                s = 0.0
                for j in range(d):
                    s += a[j] * x[j]
                r = (B[k, c] - s) if has_b else -s
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


def normal_residual_for(A):
    """The host engine's fused pass for A: ``(X, B=None) -> (A^T (B - A X), ||B - A X||^2
    per column)``, float64 (``B=None`` means zero).

    C-order arrays and CSR matrices take the one-pass kernel (on the thread count of
    ``rnla.backend.cpu._threads``: serial below 1 MiB or on busy cores); F-order arrays,
    CSC matrices and LinearOperators two products (BLAS / scipy.sparse / the operator).
    """
    if isinstance(A, np.ndarray) and A.flags.c_contiguous:
        return lambda X, B=None: normal_residual(A, X, B)
    if sp.issparse(A) and A.format == "csr":
        return lambda X, B=None: normal_residual_csr(A.indptr, A.indices, A.data, A.shape[1],
                                                     X, B)
    return lambda X, B=None: _two_products(A, X, B)


def _two_products(A, X: np.ndarray, B: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``A^T (B - A X)`` and the squared column norms of ``B - A X`` with one product by A
    and one by A^T (``B=None`` means zero)."""
    operator = isinstance(A, spla.LinearOperator)
    AX = np.asarray(A.matmat(X) if operator else A @ X, dtype=np.float64)
    R = -AX if B is None else B - AX
    G = A.rmatmat(R) if operator else A.T @ R
    return np.asarray(G, dtype=np.float64), np.einsum("ij,ij->j", R, R)


#: entries up to which the direct solve runs LAPACK on one BLAS thread: OpenBLAS's
#: threads made gelsd 3x slower on 2000 x 20 and 10000 x 50 even on a quiet machine
#: (1.06 vs 0.36 ms, 26 vs 7.4 ms) and 18x slower at 10000 x 50 with the cores busy
#: (132 vs 7.3 ms); from 100000 x 50 two threads pay when the machine is quiet
_ONE_BLAS_THREAD_ENTRIES = 2**20


def min_norm_solve(A, B: np.ndarray, root_alpha: np.ndarray | None = None,
                   rcond: float | None = None, col_scale: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray, int]:
    """The minimum-norm solution of ``min ||[A D; diag(root_alpha)] X - [B; 0]||_F``
    (``D = diag(col_scale)``, default I) by
    LAPACK's SVD-based gelsd (``numpy.linalg.lstsq``, measured faster than scipy's
    ``lstsq`` with the same driver), singular values below ``rcond`` times the largest
    dropped (default ``max(rows, d) eps``).  Returns ``(X, residual column norms, rank)``,
    float64; sparse A is densified."""
    M = np.asarray(A.toarray() if sp.issparse(A) else A, dtype=np.float64)
    if col_scale is not None:
        M = M * col_scale
    rhs = B
    if root_alpha is not None:
        M = np.vstack([M, np.diag(root_alpha)])
        rhs = np.vstack([B, np.zeros((root_alpha.shape[0], B.shape[1]))])
    small = M.size <= _ONE_BLAS_THREAD_ENTRIES
    with one_blas_thread() if small else contextlib.nullcontext():
        X, _, rank, _ = np.linalg.lstsq(M, rhs, rcond=rcond)
    R = rhs - M @ X
    top = np.max(np.abs(R), axis=0)  # scaled: residual entries near 1e300 do not overflow
    top = np.where(top > 0, top, 1.0)
    return X, top * np.sqrt(np.einsum("ij,ij->j", R / top, R / top)), int(rank)


@njit(cache=True)
def _column_maxabs_c(A, out):
    n, d = A.shape
    for i in range(n):
        for j in range(d):
            v = abs(A[i, j])
            if v > out[j]:
                out[j] = v


@njit(cache=True)
def _column_maxabs_f(A, out):
    n, d = A.shape
    for j in range(d):
        top = 0.0
        for i in range(n):
            v = abs(A[i, j])
            if v > top:
                top = v
        out[j] = top


def column_maxabs(A: np.ndarray) -> np.ndarray:
    """``max_i |A_ij|`` per column of a dense float array, float64, one serial pass in
    A's memory order (3-7x numpy's ``max``/``min`` along axis 0, bandwidth-bound; NaN
    entries are skipped: validation finds them)."""
    out = np.zeros(A.shape[1])
    if A.flags.c_contiguous:
        _column_maxabs_c(A, out)
    elif A.flags.f_contiguous:
        _column_maxabs_f(A, out)
    else:
        out[:] = np.maximum(A.max(axis=0), -A.min(axis=0))
    return out
