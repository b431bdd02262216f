"""Sketch kernels written against the Array API standard only (any namespace).

The reference implementation of the kernel contract of ``rnla.backend.cpu.sketch``:
same names, same arguments, same results (bitwise for indices and signs, to the
last bit or ulp for drawn values, to rounding for products).  Draws take the
namespace and device as keywords; every other kernel reads them from its inputs.
Scatter-adds, which the standard lacks, are block products with one-hot matrices.
"""

from __future__ import annotations

from array_api_compat import array_namespace

from rnla.backend._streams import GOLDEN, ZIG_F, ZIG_R, ZIG_X
from rnla.backend.xp._streams import mix64, stream_start, to_uniform

__all__ = [
    "uniforms",
    "gaussian_block",
    "fwht",
    "sparse_sign_draw",
    "sparse_sign_apply",
    "sparse_sign_apply_transpose",
    "gather_rows",
    "scatter_rows",
]

#: entries of one one-hot block of a scatter-add
_ONE_HOT_ENTRIES = 2**22


def uniforms(key: int, j0: int, count: int, *, xp, device=None):
    """The first uniform draw in [0, 1) of streams ``j0 .. j0+count-1`` of ``key`` (float64)."""
    return to_uniform(xp, mix64(stream_start(xp, key, j0, count, device) + GOLDEN))


def gaussian_block(key: int, j0: int, count: int, k: int, dtype, *, xp, device=None):
    """Columns ``j0 .. j0+count-1`` of a k x n N(0, 1) matrix, as a count x k array.

    The ziggurat sampler of the CPU kernel, run on all streams at once: each
    stream advances only when its own draw asks for it, so stream j yields the
    same values as on the CPU (to 1 ulp: ``exp``/``log`` come from the namespace).
    """
    zx = xp.asarray(ZIG_X, device=device)
    zf = xp.asarray(ZIG_F, device=device)
    state = stream_start(xp, key, j0, count, device)
    columns = []
    for _ in range(k):
        value = xp.zeros(count, dtype=xp.float64, device=device)
        pending = xp.ones(count, dtype=xp.bool, device=device)
        while bool(xp.any(pending)):
            state = xp.where(pending, state + GOLDEN, state)
            z = mix64(state)
            layer = xp.astype(z & 0xFF, xp.int64)
            u = 2.0 * to_uniform(xp, z) - 1.0
            x = u * xp.take(zx, layer)
            quick = pending & (xp.abs(x) < xp.take(zx, layer + 1))
            value = xp.where(quick, x, value)
            rest = pending & ~quick
            tail = rest & (layer == 0)
            wedge = rest & (layer != 0)
            state = xp.where(wedge, state + GOLDEN, state)
            f_lo = xp.take(zf, layer + 1)
            f_hi = xp.take(zf, layer)
            inside = f_lo + (f_hi - f_lo) * to_uniform(xp, mix64(state)) < xp.exp(-0.5 * x * x)
            value = xp.where(wedge & inside, x, value)
            if bool(xp.any(tail)):  # Marsaglia's tail beyond r
                t_value = xp.zeros_like(value)
                open_ = tail
                while bool(xp.any(open_)):
                    state = xp.where(open_, state + GOLDEN, state)
                    t = -xp.log(1.0 - to_uniform(xp, mix64(state))) / ZIG_R
                    state = xp.where(open_, state + GOLDEN, state)
                    y = -xp.log(1.0 - to_uniform(xp, mix64(state)))
                    ok = open_ & (y + y > t * t)
                    t_value = xp.where(ok, t, t_value)
                    open_ = open_ & ~ok
                value = xp.where(tail, xp.where(u >= 0, ZIG_R + t_value, -(ZIG_R + t_value)),
                                 value)
            pending = wedge & ~inside
        columns.append(value)
    return xp.astype(xp.stack(columns, axis=1), dtype)


def fwht(X):
    """Unnormalised Walsh–Hadamard transform along axis 0 (length a power of two),
    in Sylvester order: ``H_n @ X``.  Returns a new array."""
    xp = array_namespace(X)
    shape = X.shape
    n = shape[0]
    Y = xp.reshape(X, (n, -1))
    d = Y.shape[1]
    h = 1
    while h < n:
        Y = xp.reshape(Y, (n // (2 * h), 2, h, d))
        a, b = Y[:, 0, :, :], Y[:, 1, :, :]
        Y = xp.stack([a + b, a - b], axis=1)
        h *= 2
    return xp.reshape(Y, shape)


def sparse_sign_draw(key: int, n: int, k: int, s: int, *, j0: int = 0, xp, device=None):
    """Rows (n x s, int32, distinct within a row) and signs (n x s, int8) of columns
    ``j0 .. j0 + n - 1`` of a k x N sparse sign matrix; stream ``j`` of ``key`` gives
    column ``j`` (Floyd's sampler)."""
    state = stream_start(xp, key, j0, n, device)
    picks = []
    for j in range(k - s, k):
        state = state + GOLDEN
        z = mix64(state)
        t = xp.astype(((z >> 32) * (j + 1)) >> 32, xp.int64)
        if picks:
            taken = xp.any(xp.stack(picks, axis=1) == t[:, None], axis=1)
            t = xp.where(taken, xp.asarray(j, dtype=xp.int64, device=device), t)
        picks.append(t)
    z = mix64(state + GOLDEN)
    bits = xp.stack([xp.astype((z >> q) & 1, xp.int8) for q in range(s)], axis=1)
    return xp.astype(xp.stack(picks, axis=1), xp.int32), 2 * bits - 1


def sparse_sign_apply(A, rows, signs, scale: float, k: int):
    """Dense ``S @ A`` (k x d) for ``S[rows[i,q], i] = scale*signs[i,q]`` and dense n x d A."""
    xp = array_namespace(A)
    n, d = A.shape
    device = getattr(A, "device", None)
    targets = xp.arange(k, dtype=rows.dtype, device=device)[:, None]
    values = xp.astype(signs, A.dtype)
    out = xp.zeros((k, d), dtype=A.dtype, device=device)
    step = max(1, _ONE_HOT_ENTRIES // k)
    for i0 in range(0, n, step):
        i1 = min(n, i0 + step)
        E = xp.zeros((k, i1 - i0), dtype=A.dtype, device=device)
        for q in range(rows.shape[1]):
            E = E + xp.where(targets == rows[None, i0:i1, q], values[None, i0:i1, q], 0.0)
        out = out + E @ A[i0:i1, :]
    return out * float(scale)


def sparse_sign_apply_transpose(Y, rows, signs, scale: float, n: int):
    """``S.T @ Y`` (n x m) for the sparse sign matrix of ``sparse_sign_apply``."""
    xp = array_namespace(Y)
    values = xp.astype(signs, Y.dtype)
    indices = xp.astype(rows, xp.int64)
    out = xp.take(Y, indices[:, 0], axis=0) * values[:, 0:1]
    for q in range(1, rows.shape[1]):
        out = out + xp.take(Y, indices[:, q], axis=0) * values[:, q:q + 1]
    return out * float(scale)


def gather_rows(A, idx, w):
    """``w[:, None] * A[idx]``."""
    xp = array_namespace(A)
    return xp.take(A, idx, axis=0) * xp.astype(w, A.dtype)[:, None]


def scatter_rows(Y, idx, w, n: int):
    """The transpose of ``gather_rows``: ``out[idx[t]] += w[t] * Y[t]`` into n rows."""
    xp = array_namespace(Y)
    device = getattr(Y, "device", None)
    k = idx.shape[0]
    weights = xp.astype(w, Y.dtype)[None, :]
    step = max(1, _ONE_HOT_ENTRIES // max(1, k))
    blocks = []
    for i0 in range(0, n, step):
        i1 = min(n, i0 + step)
        rows = xp.arange(i0, i1, dtype=idx.dtype, device=device)[:, None]
        blocks.append(xp.where(rows == idx[None, :], weights, 0.0) @ Y)
    return xp.concat(blocks, axis=0)
