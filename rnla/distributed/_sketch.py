r"""``S @ A`` for a Dask array A: per-chunk parts, tree-reduced.

Block (k, cols_j) of the result is :math:`\sum_i S[:, \mathrm{rows}_i]
A[\mathrm{rows}_i, \mathrm{cols}_j]` over the row chunks i.  Each task draws its
own columns of S from the counter-based streams at the chunk's global row
indices, so S is never built on the client and the result equals the in-memory
``S @ A`` (to rounding) whatever the chunking.
"""

from __future__ import annotations

import math

import dask
import dask.array as da
import numpy as np

from rnla.backend import kernels
from rnla.distributed._chunks import check_dask_array, finite_or_raise, row_offsets, tree_sum

__all__ = ["apply_dask", "leverage_plan"]


def _checked(out, block, name, r0):
    """A mixing sketch reaches every entry of the chunk: NaN or inf there makes the small
    result non-finite, so the chunk itself is scanned only then (as in memory)."""
    if not np.isfinite(out).all():
        finite_or_raise(block, name, r0)
    return out


def _gaussian_part(block, r0, name, key, k, block_bytes):
    """Columns of G drawn ``block_bytes`` at a time, as in memory."""
    out = np.zeros((k, block.shape[1]), dtype=block.dtype)
    step = max(1, block_bytes // (8 * k))
    for j0 in range(0, block.shape[0], step):
        j1 = min(block.shape[0], j0 + step)
        Gt = kernels().gaussian_block(key, r0 + j0, j1 - j0, k, block.dtype)
        out += Gt.T @ block[j0:j1]
    return _checked(out * block.dtype.type(1.0 / math.sqrt(k)), block, name, r0)


def _sparse_sign_part(block, r0, name, key, k, s, scale):
    cpu = kernels()
    rows, signs = cpu.sparse_sign_draw(key, block.shape[0], k, s, j0=r0)
    with np.errstate(all="ignore"):
        out = cpu.sparse_sign_apply(np.ascontiguousarray(block), rows, signs, scale, k)
    return _checked(out, block, name, r0)


def _gather_part(block, r0, name, idx, weights):
    finite_or_raise(block, name, r0)
    out = np.zeros((idx.shape[0], block.shape[1]), dtype=block.dtype)
    lo, hi = np.searchsorted(idx, [r0, r0 + block.shape[0]])
    out[lo:hi] = block[idx[lo:hi] - r0] * weights[lo:hi, None].astype(block.dtype)
    return out


def _block_srht_part(block, r0, name, key, b, rows, weights):
    from rnla.sketch.srht import mix_and_sample

    finite_or_raise(block, name, r0)  # only the sampled rows of the mixed blocks are kept
    signs = 1.0 - 2.0 * (kernels().uniforms(key, r0, block.shape[0]) < 0.5)
    return mix_and_sample(block, r0, signs, b, rows, weights)


def _leverage_part(block, r0, name, p, u, first, prefix, total, k):
    """Rows of one chunk sampled by inversion of the global cumulative sum of p: the
    draws ``u`` that fell in this chunk go to output rows ``first, first + 1, ...``."""
    finite_or_raise(block, name, r0)
    out = np.zeros((k, block.shape[1]), dtype=block.dtype)
    if u.size:
        cdf = (prefix + np.cumsum(p)) / total
        local = np.minimum(np.searchsorted(cdf, u, side="right"), p.shape[0] - 1)
        local = np.sort(local)
        weights = 1.0 / np.sqrt(k * p[local])
        out[first:first + u.size] = block[local] * weights[:, None].astype(block.dtype)
    return out


def leverage_plan(p: da.Array, k: int, key: int) -> dict:
    """Which of the k draws of a sample with replacement by ``p`` fall in each chunk of p.

    Computes the chunk masses of p (one number per chunk comes back); the k draws
    ``u_t`` are the streams' uniforms, as in memory.
    """
    masses = p.map_blocks(lambda c: np.array([c.sum()]), chunks=((1,) * p.numblocks[0],),
                          dtype=np.float64).compute()
    cum = np.cumsum(masses)
    total = float(cum[-1])
    u = np.sort(kernels().uniforms(key, 0, k))
    chunk = np.minimum(np.searchsorted(cum / total, u, side="right"), len(masses) - 1)
    counts = np.bincount(chunk, minlength=len(masses))
    first = np.concatenate([[0], np.cumsum(counts)])
    return {"chunks": p.chunks[0], "u": [u[first[c]:first[c + 1]] for c in range(len(masses))],
            "first": first[:-1], "prefix": np.concatenate([[0.0], cum[:-1]]), "total": total}


def _block_aligned(A: da.Array, b: int) -> da.Array:
    """A with row chunks that hold whole blocks of b rows (rechunked lazily if needed)."""
    if all(c % b == 0 for c in A.chunks[0][:-1]):
        return A
    size = max(b, int(np.median(A.chunks[0])) // b * b)
    return A.rechunk({0: size})


def apply_dask(S, A, name: str = "A"):
    """``S @ A`` for a Dask array A: a lazy (k, d) Dask array (k for a vector), chunked
    by A's column chunks."""
    from rnla.sketch import BlockSRHT, CountSketch, GaussianSketch, SparseSign, UniformSampling
    from rnla.sketch.sampling import LeverageSampling

    A = check_dask_array(A, name)
    if A.shape[0] != S.n:
        raise ValueError(f"`{name}` must have {S.n} rows (the sketch's n); got shape {A.shape}")
    was_vector = A.ndim == 1
    if was_vector:
        A = A[:, None]
    dtype = np.dtype(S.dtype if S.dtype is not None else A.dtype)
    A = A.astype(dtype)
    k = S.k

    def per_chunk(i: int) -> tuple:  # arguments that differ between row chunks
        return ()

    if isinstance(S, GaussianSketch):
        part, args = _gaussian_part, (S._key, k, S.block_bytes)
    elif isinstance(S, (SparseSign, CountSketch)):
        part, args = _sparse_sign_part, (S._key, k, S.s, S._scale)
    elif isinstance(S, UniformSampling) or (isinstance(S, LeverageSampling)
                                            and S.dask_plan is None):
        part, args = _gather_part, (dask.delayed(S.indices), dask.delayed(S.weights))
    elif isinstance(S, BlockSRHT):
        key, b, rows, weights = S.block_parameters()
        A = _block_aligned(A, b)
        part, args = _block_srht_part, (key, b, dask.delayed(rows), dask.delayed(weights))
    elif isinstance(S, LeverageSampling):
        plan = S.dask_plan
        if A.chunks[0] != plan["chunks"]:
            A = A.rechunk({0: plan["chunks"]})
        p_blocks = S.probabilities.to_delayed()
        part, args = _leverage_part, (plan["total"], k)

        def per_chunk(i: int) -> tuple:
            return (p_blocks[i], plan["u"][i], int(plan["first"][i]), float(plan["prefix"][i]))
    else:
        raise TypeError(f"{type(S).__name__} mixes all n rows at once and cannot apply to a "
                        "Dask array chunk by chunk; use rnla.sketch.BlockSRHT (an SRHT per "
                        "block of rows) or another kind")
    offsets = row_offsets(A)
    blocks = A.to_delayed()
    call = dask.delayed(part, pure=True)
    columns = []
    for j, width in enumerate(A.chunks[1]):
        parts = [call(blocks[i][j], int(offsets[i]), name, *per_chunk(i), *args)
                 for i in range(len(blocks))]
        columns.append(da.from_delayed(tree_sum(parts), shape=(k, width), dtype=dtype))
    out = da.concatenate(columns, axis=1) if len(columns) > 1 else columns[0]
    return out[:, 0] if was_vector else out
