"""Numba kernels for the CPU backend.

Kernels are array-in/array-out, typed, and never validate: callers in
``rnla.sketch`` fix dtype and memory layout first.  Randomness reaches kernels
only as integer keys; each kernel derives a counter-based stream per column of
the sketch (splitmix64), so results do not depend on the number of threads or on
how the work is blocked.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange

from rnla.backend._cpu_features import cos_phase_inplace, cos_sin_inplace, sinc_box_sum
from rnla.backend._cpu_lp import coordinate_steps, dbscd_steps, lp_certificates, lp_penalties

__all__ = [
    "fwht_inplace",
    "sparse_sign_draw",
    "sparse_sign_apply",
    "sparse_sign_apply_transpose",
    "gaussian_fill",
    "gather_rows",
    "scatter_rows",
    "normal_residual",
    "lp_penalties",
    "dbscd_steps",
    "coordinate_steps",
    "lp_certificates",
    "cos_sin_inplace",
    "cos_phase_inplace",
    "sinc_box_sum",
]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_CACHE_BUDGET = 512 * 1024  # bytes of one L2-resident FWHT block
_PARTIALS_BUDGET = 256 * 2**20  # bytes of per-chunk partial sums in sparse-sign kernels
#: row chunks of the sparse-sign kernels, fixed whatever the thread count (bitwise
#: reproducibility).  Each chunk zeroes and reduces a k x d partial sum: on 2 cores,
#: 2 chunks measured fastest (4 and 8 up to 3x slower on a 10^6 x 1000 CSR matrix)
_SKETCH_ROW_CHUNKS = 2

# --------------------------------------------------------------------------- RNG


@njit(inline="always")
def _mix64(z):
    """splitmix64 finaliser: a bijective avalanche mix of a 64-bit word."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(inline="always")
def _stream_start(key, j):
    """Initial splitmix64 state of stream ``j`` under ``key``."""
    return _mix64(np.uint64(key) ^ _mix64(np.uint64(j) * _GOLDEN + np.uint64(1)))


@njit(inline="always")
def _uniform(z):
    """Map a 64-bit word to a double in [0, 1) with 53 random bits."""
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


def _ziggurat_tables(layers: int = 256):
    """Marsaglia–Tsang ziggurat tables for the standard normal, 256 layers.

    ``x[i]`` are the layer edges (x[1] = r, x[256] = 0, x[0] = v / f(r) for the
    base strip and tail), ``f[i] = exp(-x[i]^2 / 2)``; each layer has area v.
    """
    r, v = 3.6541528853610088, 0.00492867323399
    x = np.empty(layers + 1)
    x[0] = v / math.exp(-0.5 * r * r)
    x[1] = r
    for i in range(1, layers - 1):
        x[i + 1] = math.sqrt(-2.0 * math.log(v / x[i] + math.exp(-0.5 * x[i] * x[i])))
    x[layers] = 0.0
    return x, np.exp(-0.5 * x * x), r


_ZIG_X, _ZIG_F, _ZIG_R = _ziggurat_tables()


@njit(inline="always")
def _normal(state, zx, zf, r):
    """One standard normal by the ziggurat method; returns (value, new state)."""
    while True:
        state += _GOLDEN
        z = _mix64(state)
        i = np.int64(z & np.uint64(0xFF))
        u = 2.0 * _uniform(z) - 1.0
        x = u * zx[i]
        if abs(x) < zx[i + 1]:
            return x, state
        if i == 0:  # tail beyond r (Marsaglia 1964)
            while True:
                state += _GOLDEN
                t = -math.log(1.0 - _uniform(_mix64(state))) / r
                state += _GOLDEN
                y = -math.log(1.0 - _uniform(_mix64(state)))
                if y + y > t * t:
                    break
            return (r + t if u >= 0 else -(r + t)), state
        state += _GOLDEN
        if zf[i + 1] + (zf[i] - zf[i + 1]) * _uniform(_mix64(state)) < math.exp(-0.5 * x * x):
            return x, state


@njit(parallel=True, cache=True)
def _gaussian_fill(key, j0, out, zx, zf, r):
    k = out.shape[1]
    for t in prange(out.shape[0]):
        state = _stream_start(key, j0 + t)
        for i in range(k):
            v, state = _normal(state, zx, zf, r)
            out[t, i] = v


def gaussian_fill(key: int, j0: int, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` (B x k, C order) with columns ``j0 .. j0+B-1`` of a k x n N(0,1) matrix.

    Column ``j`` of the matrix is stream ``j`` of ``key``: the same entries
    whatever the block boundaries or the number of threads.
    """
    _gaussian_fill(np.uint64(key), np.uint64(j0), out, _ZIG_X, _ZIG_F, _ZIG_R)
    return out


# -------------------------------------------------------------------------- FWHT


@njit(cache=True, inline="always")
def _wht_group(X, base, stride, m, g, d):
    """Unnormalised WHT of length m (a power of two) along the rows
    ``base + i*stride + r`` (0 <= i < m, 0 <= r < g) of the C-order matrix X
    with d columns (a constant d, inlined, becomes whole-vector operations).

    Radix-4 butterflies (two levels per sweep) with a radix-2 sweep when
    log2(m) is odd; the innermost loop runs along a contiguous row.
    """
    h = 1
    while h < m:
        s = h * stride
        if 4 * h <= m:
            for i in range(0, m, 4 * h):
                for j in range(i, i + h):
                    r0 = base + j * stride
                    for r in range(r0, r0 + g):
                        for c in range(d):
                            a0 = X[r, c]
                            a1 = X[r + s, c]
                            a2 = X[r + 2 * s, c]
                            a3 = X[r + 3 * s, c]
                            b0 = a0 + a1
                            b1 = a0 - a1
                            b2 = a2 + a3
                            b3 = a2 - a3
                            X[r, c] = b0 + b2
                            X[r + s, c] = b1 + b3
                            X[r + 2 * s, c] = b0 - b2
                            X[r + 3 * s, c] = b1 - b3
            h *= 4
        else:
            for i in range(0, m, 2 * h):
                for j in range(i, i + h):
                    r0 = base + j * stride
                    for r in range(r0, r0 + g):
                        for c in range(d):
                            a = X[r, c]
                            b = X[r + s, c]
                            X[r, c] = a + b
                            X[r + s, c] = a - b
            h *= 2


@njit(parallel=True, cache=True)
def _fwht_rows_parallel(X, block, group):
    """WHT along axis 0 of C-order X: L2-sized blocks of rows, then across blocks."""
    nblocks = X.shape[0] // block
    d = X.shape[1]
    for b in prange(nblocks):
        _wht_group(X, b * block, 1, block, 1, d)
    if nblocks > 1:
        for t in prange(block // group):
            _wht_group(X, t * group, block, nblocks, group, d)


@njit(cache=True)
def _fwht_vector(v, block, group):
    """WHT of a contiguous vector v (length a power of two) in place.

    For len >= 8, v is viewed as an (len/8, 8) C-order matrix Y, so that
    H_len = H_{len/8} (x) H_8: the 8-point transform inside each row and the
    row butterflies (whole 8-wide vectors) are done block by block while the
    block is in cache, then the butterflies across blocks.
    """
    n = v.shape[0]
    if n < 8:
        h = 1
        while h < n:
            for i in range(0, n, 2 * h):
                for j in range(i, i + h):
                    a = v[j]
                    b = v[j + h]
                    v[j] = a + b
                    v[j + h] = a - b
            h *= 2
        return
    Y = v.reshape((n // 8, 8))
    nblocks = Y.shape[0] // block
    for b in range(nblocks):  # H_8 inside rows and H_block across rows, block in cache
        _wht8_rows(Y, b * block, (b + 1) * block)
        _wht_group(Y, b * block, 1, block, 1, 8)
    if nblocks > 1:
        for t in range(block // group):
            _wht_group(Y, t * group, block, nblocks, group, 8)


@njit(cache=True, inline="always")
def _wht8_rows(Y, lo, hi):
    """8-point WHT inside each row lo..hi-1 of the (m, 8) matrix Y."""
    for i in range(lo, hi):
        a0, a1, a2, a3 = Y[i, 0] + Y[i, 1], Y[i, 0] - Y[i, 1], Y[i, 2] + Y[i, 3], Y[i, 2] - Y[i, 3]
        a4, a5, a6, a7 = Y[i, 4] + Y[i, 5], Y[i, 4] - Y[i, 5], Y[i, 6] + Y[i, 7], Y[i, 6] - Y[i, 7]
        b0, b1, b2, b3 = a0 + a2, a1 + a3, a0 - a2, a1 - a3
        b4, b5, b6, b7 = a4 + a6, a5 + a7, a4 - a6, a5 - a7
        Y[i, 0], Y[i, 1], Y[i, 2], Y[i, 3] = b0 + b4, b1 + b5, b2 + b6, b3 + b7
        Y[i, 4], Y[i, 5], Y[i, 6], Y[i, 7] = b0 - b4, b1 - b5, b2 - b6, b3 - b7


@njit(parallel=True, cache=True)
def _fwht_columns(Xt, block, group):
    """WHT along axis 1 of each row of C-order Xt (= axis 0 of the F-order X)."""
    for j in prange(Xt.shape[0]):
        _fwht_vector(Xt[j], block, group)


def _blocking(n: int, width: int, itemsize: int) -> tuple[int, int]:
    """Rows per cache block and rows per cross-block group for an n x width transform."""
    row_bytes = width * itemsize
    block = 1
    while block * 2 <= n and block * 2 * row_bytes <= _CACHE_BUDGET:
        block *= 2
    nblocks = n // block
    group = 1
    while group * 2 <= block and group * 2 * nblocks * row_bytes <= _CACHE_BUDGET:
        group *= 2
    return block, group


def fwht_inplace(X: np.ndarray) -> np.ndarray:
    """Unnormalised fast Walsh–Hadamard transform along axis 0, in place.

    ``X`` is 1-D or 2-D, C- or F-contiguous, float32/float64, and its length
    along axis 0 is a power of two.  On return ``X`` holds ``H_n @ X`` with
    ``H_n`` the Sylvester–Hadamard matrix of +-1 entries (``scipy.linalg.hadamard``).
    Cost O(n d log n); data move through memory about twice (C order) or once
    (F order, when a column fits in the last-level cache).
    """
    if X.ndim == 1:
        X2 = X.reshape(-1, 1)
    else:
        X2 = X
    n, d = X2.shape
    if n <= 1:
        return X
    if X2.flags.c_contiguous and d > 1:
        block, group = _blocking(n, d, X2.itemsize)
        _fwht_rows_parallel(X2, block, group)
    elif X2.flags.f_contiguous:
        Xt = X2.T
        if d >= numba.get_num_threads() or n < 64:
            block, group = _blocking(n // 8 if n >= 8 else 1, 8, X2.itemsize)
            _fwht_columns(Xt, block, group)
        else:  # few long columns: parallelise inside each column
            for j in range(d):
                Y = Xt[j].reshape(n // 8, 8)
                block, group = _blocking(n // 8, 8, X2.itemsize)
                _fwht_rows_parallel(Y, block, group)
                _fwht_columns(Y, 1, 1)
    else:
        raise ValueError("fwht_inplace needs a C- or F-contiguous array")
    return X


# ------------------------------------------------------------ sparse sign sketch


@njit(parallel=True, cache=True)
def _sparse_sign_draw(key, n, k, s, rows, signs):
    for i in prange(n):
        state = _stream_start(key, i)
        # Floyd's algorithm: a uniformly random s-subset of range(k).
        cnt = 0
        for j in range(k - s, k):
            state += _GOLDEN
            z = _mix64(state)
            t = np.int64(((z >> np.uint64(32)) * np.uint64(j + 1)) >> np.uint64(32))
            for q in range(cnt):
                if rows[i, q] == t:
                    t = j
                    break
            rows[i, cnt] = t
            cnt += 1
        state += _GOLDEN
        z = _mix64(state)
        for q in range(s):
            signs[i, q] = 1 if (z >> np.uint64(q)) & np.uint64(1) else -1


def sparse_sign_draw(key: int, n: int, k: int, s: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows (n x s, int32, distinct within a row) and signs (n x s, int8) of a
    k x n sparse sign matrix with s nonzeros per column; stream ``i`` of ``key``
    gives column ``i``.
    """
    rows = np.empty((n, s), dtype=np.int32)
    signs = np.empty((n, s), dtype=np.int8)
    _sparse_sign_draw(np.uint64(key), n, k, s, rows, signs)
    return rows, signs


@njit(parallel=True, cache=True, fastmath={"contract"})
def _ss_dense_c_rows(A, rows, signs, scale, k, nchunk):
    """Row chunks with private k x d partial sums: each thread streams contiguous rows."""
    n, d = A.shape
    s = rows.shape[1]
    partial = np.zeros((nchunk, k, d), dtype=A.dtype)
    for t in prange(nchunk):
        lo = t * n // nchunk
        hi = (t + 1) * n // nchunk
        P = partial[t]
        for i in range(lo, hi):
            a = A[i]  # 1-D views let LLVM vectorise the axpy
            for q in range(s):
                o = P[rows[i, q]]
                v = A.dtype.type(signs[i, q] * scale)
                for c in range(d):
                    o[c] += v * a[c]
    out = partial[0]
    for t in range(1, nchunk):
        out += partial[t]
    return out


@njit(parallel=True, cache=True, fastmath={"contract"})
def _ss_dense_c_cols(A, rows, signs, scale, k, nchunk):
    """Column chunks, no partial sums: for outputs too large to replicate per thread."""
    n, d = A.shape
    s = rows.shape[1]
    out = np.zeros((k, d), dtype=A.dtype)
    width = ((d + nchunk - 1) // nchunk + 7) // 8 * 8  # whole cache lines per thread
    for t in prange(nchunk):
        c0 = t * width
        c1 = min(d, c0 + width)
        if c0 >= c1:
            continue
        for i in range(n):
            a = A[i, c0:c1]
            for q in range(s):
                o = out[rows[i, q], c0:c1]
                v = A.dtype.type(signs[i, q] * scale)
                for c in range(a.shape[0]):
                    o[c] += v * a[c]
    return out


@njit(parallel=True, cache=True)
def _ss_dense_f(At, rows, signs, scale, k):
    d, n = At.shape
    s = rows.shape[1]
    out_t = np.zeros((d, k), dtype=At.dtype)
    for j in prange(d):
        for i in range(n):
            a = At[j, i] * scale
            for q in range(s):
                out_t[j, rows[i, q]] += signs[i, q] * a
    return out_t


@njit(parallel=True, cache=True)
def _ss_csr(indptr, indices, data, d, rows, signs, scale, k, nchunk):
    n = indptr.shape[0] - 1
    s = rows.shape[1]
    partial = np.zeros((nchunk, k, d), dtype=data.dtype)
    for t in prange(nchunk):
        lo = t * n // nchunk
        hi = (t + 1) * n // nchunk
        for i in range(lo, hi):
            for q in range(s):
                r = rows[i, q]
                v = data.dtype.type(signs[i, q] * scale)
                for p in range(indptr[i], indptr[i + 1]):
                    partial[t, r, indices[p]] += v * data[p]
    out = partial[0]
    for t in range(1, nchunk):
        out += partial[t]
    return out


@njit(parallel=True, cache=True)
def _ss_csc(indptr, indices, data, k, rows, signs, scale):
    d = indptr.shape[0] - 1
    s = rows.shape[1]
    out_t = np.zeros((d, k), dtype=data.dtype)
    for j in prange(d):
        for p in range(indptr[j], indptr[j + 1]):
            i = indices[p]
            a = data[p] * scale
            for q in range(s):
                out_t[j, rows[i, q]] += signs[i, q] * a
    return out_t


def sparse_sign_apply(A, rows: np.ndarray, signs: np.ndarray, scale: float, k: int) -> np.ndarray:
    """Dense ``S @ A`` for the k x n sparse sign matrix ``S[rows[i,q], i] = scale*signs[i,q]``.

    ``A`` is a C- or F-contiguous ndarray or a CSR/CSC matrix; cost O(nnz(A) s).
    The result is a dense k x d array in A's dtype.  C-order and CSR inputs are
    split into at most ``_SKETCH_ROW_CHUNKS`` row chunks (a number fixed by n), with
    private partial sums (up to ``_PARTIALS_BUDGET`` bytes; beyond it columns are
    split instead): the result is bitwise the same for any thread count.  F-order and CSC inputs
    are split by columns: reproducible for any thread count.
    """
    nthreads = numba.get_num_threads()
    # row chunks with private partial sums: their number depends on n only, never on the
    # thread count, so the summation order (and the result) is the same for any threads
    nchunk = max(1, min(_SKETCH_ROW_CHUNKS, A.shape[0] // 1024))
    partials_fit = nchunk * k * A.shape[1] * A.dtype.itemsize <= _PARTIALS_BUDGET
    if isinstance(A, np.ndarray):
        if not A.flags.c_contiguous:
            return _ss_dense_f(A.T, rows, signs, scale, k).T
        if partials_fit:
            return _ss_dense_c_rows(A, rows, signs, scale, k, nchunk)
        return _ss_dense_c_cols(A, rows, signs, scale, k, nthreads)
    if A.format == "csr":
        if partials_fit:
            return _ss_csr(A.indptr, A.indices, A.data, A.shape[1], rows, signs, scale, k,
                           nchunk)
        A = A.tocsc()
    return _ss_csc(A.indptr, A.indices, A.data, k, rows, signs, scale).T


@njit(parallel=True, cache=True, fastmath={"contract"})
def _ss_transpose(Y, rows, signs, scale, n):
    m = Y.shape[1]
    s = rows.shape[1]
    out = np.zeros((n, m), dtype=Y.dtype)
    for i in prange(n):
        o = out[i]
        for q in range(s):
            v = Y.dtype.type(signs[i, q] * scale)
            y = Y[rows[i, q]]
            for c in range(m):
                o[c] += v * y[c]
    return out


def sparse_sign_apply_transpose(Y: np.ndarray, rows, signs, scale: float, n: int) -> np.ndarray:
    """``S.T @ Y`` (n x m) for the sparse sign matrix of ``sparse_sign_apply``."""
    return _ss_transpose(np.ascontiguousarray(Y), rows, signs, scale, n)


# ---------------------------------------------------------------- row sampling


@njit(parallel=True, cache=True)
def _gather_c(A, idx, w):
    out = np.empty((idx.shape[0], A.shape[1]), dtype=A.dtype)
    for t in prange(idx.shape[0]):
        wt = A.dtype.type(w[t])
        o = out[t]
        a = A[idx[t]]
        for c in range(a.shape[0]):
            o[c] = wt * a[c]
    return out


@njit(parallel=True, cache=True)
def _gather_f(At, idx, w):
    out_t = np.empty((At.shape[0], idx.shape[0]), dtype=At.dtype)
    for j in prange(At.shape[0]):
        for t in range(idx.shape[0]):
            out_t[j, t] = At.dtype.type(w[t]) * At[j, idx[t]]
    return out_t


def gather_rows(A: np.ndarray, idx: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``w[:, None] * A[idx]`` in one pass, keeping A's layout (C or F)."""
    if A.flags.c_contiguous:
        return _gather_c(A, idx, w)
    return _gather_f(A.T, idx, w).T


@njit(cache=True)
def _scatter_rows(Y, idx, w, n):
    out = np.zeros((n, Y.shape[1]), dtype=Y.dtype)
    for t in range(idx.shape[0]):
        wt = Y.dtype.type(w[t])
        for c in range(Y.shape[1]):
            out[idx[t], c] += wt * Y[t, c]
    return out


def scatter_rows(Y: np.ndarray, idx: np.ndarray, w: np.ndarray, n: int) -> np.ndarray:
    """The transpose of ``gather_rows``: ``out[idx[t]] += w[t] * Y[t]`` into n rows."""
    return _scatter_rows(np.ascontiguousarray(Y), idx, w, n)


# ----------------------------------------------------- fused least-squares passes

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


def normal_residual(A, X: np.ndarray, B: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``G = A^T (B - A X)`` and the squared column norms of ``B - A X``, in one pass over A.

    ``A`` is n x d (C- or F-contiguous ndarray, CSR or CSC matrix, float32 or
    float64), ``X`` is d x m and ``B`` n x m (float64); ``B=None`` means zero,
    which gives ``-A^T A X`` and the squared norms of ``A X``.  For C-order and
    CSR input each row of A is read once and used twice while it is in cache
    (``r_i = b_i - a_i x``, then ``g += r_i a_i``), accumulating in float64; the
    rows are cut into chunks that depend only on n, so the summation order, and
    hence the result, does not depend on the number of threads.  F-order and
    CSC input take two passes through BLAS / scipy.sparse.  Returns ``(G, rr)``
    of shapes (d, m) and (m,).
    """
    n, d = A.shape
    m = X.shape[1]
    nchunk = max(1, min(256, n // _ROWS_PER_CHUNK, _PARTIALS_BUDGET // max(1, 8 * m * d)))
    Xt = np.ascontiguousarray(X.T, dtype=np.float64)
    has_b = B is not None
    Bc = np.ascontiguousarray(B, dtype=np.float64) if has_b else np.zeros((1, m))
    if isinstance(A, np.ndarray) and A.flags.c_contiguous:
        G, rr = _sum_chunks(*_nr_dense(A, Xt, Bc, has_b, nchunk))
        return G.T, rr
    if not isinstance(A, np.ndarray) and A.format == "csr":
        G, rr = _sum_chunks(*_nr_csr(A.indptr, A.indices, A.data, d, Xt, Bc, has_b, nchunk))
        return G.T, rr
    R = -(A @ X) if not has_b else Bc - A @ X
    R = np.asarray(R, dtype=np.float64)
    return np.asarray(A.T @ R, dtype=np.float64), np.einsum("ij,ij->j", R, R)
