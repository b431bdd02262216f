"""Leverage scores of a Dask array: exact (TSQR) and approximate (two passes), lazy."""

from __future__ import annotations

import math

import dask.array as da
import numpy as np
import scipy.linalg

from rnla._random import spawn
from rnla.distributed._chunks import check_dask_array

__all__ = ["leverage_scores_dask"]


def _padded_basis(R: np.ndarray, rcond: float, width: int, rng=None,
                  n_projections: int | None = None) -> np.ndarray:
    """``N = V_r diag(sigma_r)^{-1}`` (times a JL matrix when ``n_projections`` < rank,
    drawn as in memory), zero-padded to ``width`` columns: ``||A_i N||^2`` is then the
    exact (or projected) score of row i whatever the rank."""
    _, sv, Vt = scipy.linalg.svd(R, full_matrices=False)
    rank = 0 if sv[0] == 0 else int(np.sum(sv > rcond * sv[0]))
    N = Vt[:rank].T / sv[:rank]
    if n_projections is not None and n_projections < rank:
        G = rng.standard_normal((rank, n_projections)) / math.sqrt(n_projections)
        N = N @ G.astype(N.dtype)
    out = np.zeros((R.shape[1], width), dtype=R.dtype)
    out[:, :N.shape[1]] = N
    return out


def _r_factor(M: np.ndarray) -> np.ndarray:
    return scipy.linalg.qr(M, mode="r", check_finite=False)[0][:M.shape[1]]


def leverage_scores_dask(A, method: str, rcond: float | None, eps: float, sketch: str,
                         sketch_size: int | None, n_projections: int | None, rng):
    """The scores of :func:`rnla.leverage_scores` for a Dask array: a lazy float64
    Dask array chunked like A's rows.  ``"exact"`` takes R from ``dask.array.linalg.tsqr``
    (one pass) and returns :math:`\\|A_i V_r \\Sigma_r^{-1}\\|^2` (a second pass);
    ``"approx"`` sketches A (one pass) and projects (a second)."""
    from rnla._validation import check_int, check_real
    from rnla.sketch import make_sketch

    A = check_dask_array(A, "A", ndim=(2,)).rechunk({1: -1})
    n, d = A.shape
    if n < d:
        raise ValueError(f"`A` must be tall (n >= d) for leverage scores; got shape {A.shape}")
    if rcond is None:
        rcond = max(n, d) * float(np.finfo(A.dtype).eps)
    rcond = check_real(rcond, "rcond", 0.0, 1.0)
    if method == "approx":
        eps = check_real(eps, "eps", 0.0, 1.0, low_open=True, high_open=True)
        eps1 = 1.0 - 1.0 / math.sqrt(1.0 + eps)
        m = check_int(math.ceil(d / eps1**2) if sketch_size is None else sketch_size,
                      "sketch_size", low=d)
        q = check_int(math.ceil(8 * math.log(n) / eps**2) if n_projections is None
                      else n_projections, "n_projections", low=1)
        if m < n:
            rng_sketch, rng_jl = spawn(rng, 2)
            SA = (make_sketch(sketch, m, n, rng=rng_sketch) @ A).rechunk(-1)
            R = SA.map_blocks(_r_factor, chunks=(d, d), dtype=A.dtype)
            width = min(d, q)
            N = R.map_blocks(_padded_basis, rcond, width, rng_jl, q, chunks=(d, width),
                             dtype=A.dtype)
            return ((A @ N) ** 2).sum(axis=1).astype(np.float64)
    R = da.linalg.tsqr(A)[1]
    N = R.map_blocks(_padded_basis, rcond, d, chunks=(d, d), dtype=A.dtype)
    return ((A @ N) ** 2).sum(axis=1).astype(np.float64)
