r"""``rnla.lstsq`` and ``rnla.ridge`` on Dask arrays.

The in-memory iteration runs unchanged on a :class:`DaskGramOperator`: each of its
products is one Dask pass over the chunks of A that computes, per chunk,
:math:`A_i^T (B_i - A_i X)` and :math:`\|B_i - A_i X\|^2` together (the fused
normal-residual kernel), then tree-reduces the d x k results.  The sketch ``S A``,
``S b`` and :math:`\|b\|^2` come from one pass; the factorisation of the small sketch
is local.
"""

from __future__ import annotations

import time

import dask
import dask.array as da
import numpy as np

from rnla.backend import kernels
from rnla.distributed._chunks import check_dask_array, finite_or_raise, row_offsets, tree_sum
from rnla.distributed._sketch import apply_dask
from rnla.lstsq._iterate import GramOperator

__all__ = ["solve_dask", "DaskGramOperator"]


def _fused_part(block, X, rhs, r0):
    if rhs is not None:
        rhs = np.ascontiguousarray(rhs, dtype=np.float64)
    with np.errstate(all="ignore"):
        G, rr = kernels().normal_residual(np.ascontiguousarray(block), X, rhs)
    if not (np.isfinite(G).all() and np.isfinite(rr).all()):  # scan the chunk only then
        finite_or_raise(block, "A", r0)
        if rhs is not None:
            finite_or_raise(rhs, "b", r0)
    return np.vstack([G, rr[None, :]])


class DaskGramOperator(GramOperator):
    """The products of the iteration for a Dask A (one column chunk), each one pass over
    A's chunks; counts the passes and their time."""

    def __init__(self, A: da.Array, alpha: np.ndarray | None):
        self.A = A
        self.alpha = alpha
        self.passes = 0
        self.seconds = 0.0
        self._blocks = A.to_delayed()[:, 0]
        self._offsets = row_offsets(A)
        self._rhs_blocks = {}
        self._normal_residual = self._pass

    def _pass(self, A, X: np.ndarray, B=None) -> tuple[np.ndarray, np.ndarray]:
        t0 = time.perf_counter()
        rhs = [None] * len(self._blocks)
        if B is not None:
            if id(B) not in self._rhs_blocks:
                self._rhs_blocks = {id(B): B.to_delayed()[:, 0]}
            rhs = self._rhs_blocks[id(B)]
        Xd = dask.delayed(np.ascontiguousarray(X, dtype=np.float64))
        call = dask.delayed(_fused_part, pure=True)
        parts = [call(blk, Xd, r, int(o))
                 for blk, r, o in zip(self._blocks, rhs, self._offsets[:-1], strict=True)]
        total = tree_sum(parts).compute()
        self.passes += 1
        self.seconds += time.perf_counter() - t0
        return total[:-1], total[-1]

    def residual(self, X: np.ndarray, B) -> np.ndarray:
        raise NotImplementedError("the LSQR/LSMR inner solvers need n-sized residuals; "
                                  "on Dask arrays use solver='cg'")


def _rhs(b, A: da.Array) -> tuple[da.Array, bool]:
    """b as a 2-D Dask array with A's row chunks (rechunked lazily when they differ)."""
    n = A.shape[0]
    if isinstance(b, da.Array):
        b = check_dask_array(b, "b")
    else:
        b = np.asarray(b)
        if b.dtype == object or not np.issubdtype(b.dtype, np.number) or np.iscomplexobj(b):
            raise TypeError(f"`b` must be a real numeric array; got dtype {b.dtype}")
        b = da.from_array(b.astype(np.float64), chunks=(A.chunks[0],) + b.shape[1:])
    if b.ndim not in (1, 2) or b.shape[0] != n:
        raise ValueError(f"`b` must have shape ({n},) or ({n}, k) like A's rows; got {b.shape}")
    was_vector = b.ndim == 1
    B = b[:, None] if was_vector else b
    B = B.astype(np.float64)
    if B.chunks[0] != A.chunks[0] or len(B.chunks[1]) > 1:
        B = B.rechunk({0: A.chunks[0], 1: -1})
    return B, was_vector


def solve_dask(A, b, alpha, method: str, sketch, sketch_size, solver: str, tol, maxiter,
               x0, rng, rcond, refresh, callback):
    """``rnla.lstsq``/``rnla.ridge`` for a Dask A (see the module docstring)."""
    from rnla._random import as_generator
    from rnla._status import Status
    from rnla._threads import one_blas_thread
    from rnla._validation import check_int, check_option, check_real, extreme_scale
    from rnla.lstsq import solve as ls
    from rnla.lstsq._precondition import Preconditioner
    from rnla.sketch import SKETCH_KINDS, SketchOperator

    A = check_dask_array(A, "A", ndim=(2,))
    n, d = A.shape
    check_option(method, "method", ls.METHODS)
    if method in ("direct", "ihs"):
        raise ValueError(f"method={method!r} is not available for a Dask `A`: use "
                         "'precondition' (the default) or 'sketch_solve'"
                         + ("; dask.array.linalg.lstsq solves directly (TSQR)"
                            if method == "direct" else ""))
    method = "precondition" if method == "auto" else method
    if solver != "cg":
        raise ValueError(f"`solver` must be 'cg' for a Dask `A` (LSQR/LSMR need n-sized "
                         f"vectors on the client); got {solver!r}")
    if x0 is not None or refresh:
        raise ValueError("`x0` and `refresh` are not available for a Dask `A`")
    if not isinstance(sketch, SketchOperator):
        check_option(sketch, "sketch", SKETCH_KINDS)
    elif sketch.n != n:
        raise ValueError(f"`sketch` must have n = {n} (A's rows); got shape {sketch.shape}")
    A = A.rechunk({1: -1})
    B, was_vector = _rhs(b, A)
    dtype = A.dtype
    eps = np.finfo(dtype).eps
    tol = check_real(4.0 * eps if tol is None else tol, "tol", 0.0, 1.0, low_open=True,
                     high_open=True)
    if maxiter is not None:
        maxiter = check_int(maxiter, "maxiter", low=0)
    m = (sketch.k if isinstance(sketch, SketchOperator) else
         ls.default_sketch_size(n, d) if sketch_size is None
         else check_int(sketch_size, "sketch_size", low=1))
    if not d <= m < n:
        raise ValueError(f"`sketch_size` must be in [d, n) = [{d}, {n}) for a Dask `A`; "
                         f"got {m}")
    rcond = max(m, d) * eps if rcond is None else check_real(rcond, "rcond", 0.0, 1.0)
    rng = as_generator(rng, "rng")
    rng_sketch, _ = rng.spawn(2)
    t0 = time.perf_counter()
    S = ls._build_sketch(sketch, m, A, rng_sketch)
    SA, SB, bb = dask.compute(apply_dask(S, A, "A"), apply_dask(S, B, "b"),
                              (B * B).sum(axis=0))
    SA, SB = np.asarray(SA, dtype=np.float64), np.asarray(SB, dtype=np.float64)
    scale = extreme_scale(SA)
    if scale != 1.0:
        A, B, SA, SB, bb = A * scale, B * scale, SA * scale, SB * scale, bb * scale**2
        alpha = None if alpha is None else alpha * scale**2
    t1 = time.perf_counter()
    with one_blas_thread():
        pre = Preconditioner(SA, alpha, rcond, SB)
        t2 = time.perf_counter()
        op = DaskGramOperator(A, alpha)
        if method == "sketch_solve":
            X = pre.sketch_solve()
            _, rr = op.residual_gradient(X, B)
            n_iter, status, eta, cond = 0, Status.CONVERGED, None, None
        else:
            X, rr, n_iter, status, eta, cond, _ = ls._iterate(
                op, pre, B, None, method, "cg", tol, maxiter, m, None, None,
                ls._notifier(callback, was_vector, scale, t0), bb=bb)
        if pre.truncated and ls._sketch_lost_rank(A, pre, rcond):
            status = Status.SKETCH_FAILED
    t3 = time.perf_counter()
    resid = np.sqrt(np.maximum(rr, 0.0)) / scale
    res = ls._result(X, resid, eta, n_iter, status, method, sketch, "cg", was_vector, dtype,
                     (t1 - t0, t2 - t1, t3 - t2), cond, m, pre.rank)
    res.n_passes = 1 + op.passes
    res.time_per_pass = op.seconds / op.passes if op.passes else None
    return res
