"""Numba kernels of the sketch operators (CPU backend).

Kernels are array-in/array-out, typed, and never validate: callers in
``rnla.sketch`` fix dtype and memory layout first.  Sparse matrices reach them as
their CSR/CSC component arrays.  Randomness reaches kernels
only as integer keys; each kernel derives a counter-based stream per column of
the sketch (splitmix64), so results do not depend on the number of threads or on
how the work is blocked.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange

from rnla.backend._streams import GOLDEN, MIX1, MIX2, ZIG_F, ZIG_R, ZIG_X
from rnla.backend.cpu._threads import sized

__all__ = [
    "uniforms",
    "gaussian_block",
    "fwht",
    "sparse_sign_draw",
    "sparse_sign_apply",
    "sparse_sign_apply_csr",
    "sparse_sign_apply_csc",
    "sparse_sign_apply_transpose",
    "gather_rows",
    "scatter_rows",
]

_GOLDEN = np.uint64(GOLDEN)
_CACHE_BUDGET = 512 * 1024  # bytes of one L2-resident FWHT block
_VECTOR_WIDTH = 128  # a contiguous column is transformed as a (n/128, 128) matrix
_PARTIALS_BUDGET = 256 * 2**20  # bytes of per-chunk partial sums in sparse-sign kernels
#: row chunks of the sparse-sign kernels, fixed whatever the thread count (bitwise
#: reproducibility).  Each chunk zeroes and reduces a k x d partial sum: on 2 cores,
#: 2 chunks measured fastest (4 and 8 up to 3x slower on a 10^6 x 1000 CSR matrix)
_SKETCH_ROW_CHUNKS = 2

# --------------------------------------------------------------------------- RNG


@njit(inline="always")
def _mix64(z):
    """splitmix64 finaliser: a bijective avalanche mix of a 64-bit word."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    return z ^ (z >> np.uint64(31))


@njit(inline="always")
def _stream_start(key, j):
    """Initial splitmix64 state of stream ``j`` under ``key``."""
    return _mix64(np.uint64(key) ^ _mix64(np.uint64(j) * _GOLDEN + np.uint64(1)))


@njit(inline="always")
def _uniform(z):
    """Map a 64-bit word to a double in [0, 1) with 53 random bits."""
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)




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


@sized(lambda key, j0, count, k, dtype, **_: 8 * count * k)
def gaussian_block(key: int, j0: int, count: int, k: int, dtype, *, xp=None,
                   device=None) -> np.ndarray:
    """Columns ``j0 .. j0+count-1`` of a k x n N(0, 1) matrix, as a count x k C-order array.

    Column ``j`` is stream ``j`` of ``key`` (ziggurat draws in float64, rounded to
    ``dtype``): the same entries whatever the block boundaries, the number of
    threads or the backend.  ``xp`` and ``device`` are accepted for the common
    kernel signature (numpy only here).
    """
    out = np.empty((count, k), dtype=dtype)
    _gaussian_fill(np.uint64(key), np.uint64(j0), out, ZIG_X, ZIG_F, ZIG_R)
    return out


@njit(parallel=True, cache=True)
def _uniforms(key, j0, out):
    for t in prange(out.shape[0]):
        out[t] = _uniform(_mix64(_stream_start(key, j0 + t) + _GOLDEN))


@sized(lambda key, j0, count, **_: 8 * count)
def uniforms(key: int, j0: int, count: int, *, xp=None, device=None) -> np.ndarray:
    """The first uniform draw in [0, 1) of streams ``j0 .. j0+count-1`` of ``key`` (float64).

    Signs, row samples and Bernoulli draws of the sketches come from these, so
    they are the same on every backend.
    """
    out = np.empty(count, dtype=np.float64)
    _uniforms(np.uint64(key), np.uint64(j0), out)
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
def _fwht_vector(v, width, block, group):
    """WHT of a contiguous vector v (length a power of two, at least 8) in place.

    v is viewed as the C-order (len/width, width) matrix Y, so that
    ``H_len v = vec(H_{len/width} Y H_width)``.  Within each cache block of rows,
    every row gets its width-point transform (as a (width/8, 8) matrix: the
    8-point transform inside its rows, then whole 8-wide rows butterflied),
    then the block's rows are butterflied along axis 0 with width-long inner
    loops; finally the butterflies across blocks.
    """
    n = v.shape[0]
    Y = v.reshape((n // width, width))
    nblocks = Y.shape[0] // block
    for b in range(nblocks):
        for i in range(b * block, (b + 1) * block):
            Z = Y[i].reshape((width // 8, 8))
            _wht8_rows(Z, 0, width // 8)
            _wht_group(Z, 0, 1, width // 8, 1, 8)
        _wht_group(Y, b * block, 1, block, 1, width)
    if nblocks > 1:
        for t in range(block // group):
            _wht_group(Y, t * group, block, nblocks, group, width)


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


@njit(cache=True)
def _fwht_short(v):
    """WHT of a vector shorter than 8, radix 2."""
    n = v.shape[0]
    h = 1
    while h < n:
        for i in range(0, n, 2 * h):
            for j in range(i, i + h):
                a = v[j]
                b = v[j + h]
                v[j] = a + b
                v[j + h] = a - b
        h *= 2


@njit(parallel=True, cache=True)
def _fwht_columns(Xt, width, block, group):
    """WHT along axis 1 of each row of C-order Xt (= axis 0 of the F-order X)."""
    for j in prange(Xt.shape[0]):
        _fwht_vector(Xt[j], width, block, group)


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


@sized(lambda X: X.nbytes)
def fwht(X: np.ndarray) -> np.ndarray:
    """Unnormalised fast Walsh–Hadamard transform along axis 0, in place (X is returned).

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
        if n < 8:
            for j in range(d):
                _fwht_short(Xt[j])
        elif d > 1:  # one column per task; the choice depends on the shape only
            width = min(n, _VECTOR_WIDTH)
            block, group = _blocking(n // width, width, X2.itemsize)
            _fwht_columns(Xt, width, block, group)
        else:  # one long column: parallel inside it
            Y = Xt[0].reshape(n // 8, 8)
            block, group = _blocking(n // 8, 8, X2.itemsize)
            _fwht_rows_parallel(Y, block, group)
            _fwht_columns(Y, 8, 1, 1)
    else:
        raise ValueError("fwht needs a C- or F-contiguous array")
    return X


# ------------------------------------------------------------ sparse sign sketch


@njit(parallel=True, cache=True)
def _sparse_sign_draw(key, j0, n, k, s, rows, signs):
    for i in prange(n):
        state = _stream_start(key, j0 + i)
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


@sized(lambda key, n, k, s, **_: 5 * n * s)
def sparse_sign_draw(key: int, n: int, k: int, s: int, *, j0: int = 0, xp=None, device=None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Rows (n x s, int32, distinct within a row) and signs (n x s, int8) of columns
    ``j0 .. j0 + n - 1`` of a k x N sparse sign matrix with s nonzeros per column;
    stream ``j`` of ``key`` gives column ``j``.
    """
    rows = np.empty((n, s), dtype=np.int32)
    signs = np.empty((n, s), dtype=np.int8)
    _sparse_sign_draw(np.uint64(key), np.uint64(j0), n, k, s, rows, signs)
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


def _row_chunks(n: int, k: int, d: int, itemsize: int) -> int:
    """Row chunks with private k x d partial sums: their number depends on n only, never on
    the thread count, so the summation order (and the result) is the same for any threads;
    0 when the partial sums would not fit in ``_PARTIALS_BUDGET``."""
    nchunk = max(1, min(_SKETCH_ROW_CHUNKS, n // 1024))
    return nchunk if nchunk * k * d * itemsize <= _PARTIALS_BUDGET else 0


@sized(lambda A, *_: A.nbytes)
def sparse_sign_apply(A: np.ndarray, rows: np.ndarray, signs: np.ndarray, scale: float,
                      k: int) -> np.ndarray:
    """Dense ``S @ A`` for the k x n sparse sign matrix ``S[rows[i,q], i] = scale*signs[i,q]``.

    ``A`` is a C- or F-contiguous n x d array; cost O(n d s).  The result is a
    dense k x d array in A's dtype.  C-order input is split into at most
    ``_SKETCH_ROW_CHUNKS`` row chunks (a number fixed by n) with private partial
    sums (up to ``_PARTIALS_BUDGET`` bytes; beyond it columns are split instead);
    F-order input is split by columns: bitwise the same for any thread count.
    """
    if not A.flags.c_contiguous:
        return _ss_dense_f(A.T, rows, signs, scale, k).T
    nchunk = _row_chunks(A.shape[0], k, A.shape[1], A.dtype.itemsize)
    if nchunk:
        return _ss_dense_c_rows(A, rows, signs, scale, k, nchunk)
    return _ss_dense_c_cols(A, rows, signs, scale, k, numba.get_num_threads())


@sized(lambda indptr, indices, data, *_: data.nbytes + indices.nbytes)
def sparse_sign_apply_csr(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, d: int,
                          rows: np.ndarray, signs: np.ndarray, scale: float, k: int
                          ) -> np.ndarray | None:
    """``S @ A`` for an n x d CSR matrix A given by its component arrays, by row chunks
    with private partial sums; ``None`` when those would not fit in ``_PARTIALS_BUDGET``
    (the caller then uses the CSC kernel).  Cost O(nnz(A) s)."""
    nchunk = _row_chunks(indptr.shape[0] - 1, k, d, data.dtype.itemsize)
    if not nchunk:
        return None
    return _ss_csr(indptr, indices, data, d, rows, signs, scale, k, nchunk)


@sized(lambda indptr, indices, data, *_: data.nbytes + indices.nbytes)
def sparse_sign_apply_csc(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
                          rows: np.ndarray, signs: np.ndarray, scale: float, k: int
                          ) -> np.ndarray:
    """``S @ A`` for a CSC matrix A given by its component arrays, split by columns."""
    return _ss_csc(indptr, indices, data, k, rows, signs, scale).T


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


@sized(lambda Y, rows, signs, scale, n: n * Y.shape[-1] * Y.itemsize)
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


@sized(lambda A, idx, w: idx.shape[0] * A.itemsize * (A.shape[1] if A.ndim > 1 else 1))
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


@sized(lambda Y, idx, w, n: n * Y.itemsize * (Y.shape[1] if Y.ndim > 1 else 1))
def scatter_rows(Y: np.ndarray, idx: np.ndarray, w: np.ndarray, n: int) -> np.ndarray:
    """The transpose of ``gather_rows``: ``out[idx[t]] += w[t] * Y[t]`` into n rows."""
    return _scatter_rows(np.ascontiguousarray(Y), idx, w, n)
