r"""The fused normal-residual pass over a Dask A: the product the least-squares iteration
needs, one pass over the chunks.

Per chunk i it computes :math:`A_i^T (B_i - A_i X)` and :math:`\|B_i - A_i X\|^2`
together (the CPU kernel ``normal_residual``), then tree-reduces the small d x m
results in a fixed order.
"""

from __future__ import annotations

import time

import dask
import dask.array as da
import numpy as np

from rnla.backend.cpu import normal_residual
from rnla.backend.dask._chunks import finite_or_raise, row_offsets, tree_sum

__all__ = ["NormalResidualPass"]


def _fused_part(block, X, rhs, r0):
    if rhs is not None:
        rhs = np.ascontiguousarray(rhs, dtype=np.float64)
    with np.errstate(all="ignore"):
        G, rr = normal_residual(np.ascontiguousarray(block), X, rhs)
    if not (np.isfinite(G).all() and np.isfinite(rr).all()):  # scan the chunk only then
        finite_or_raise(block, "A", r0)
        if rhs is not None:
            finite_or_raise(rhs, "b", r0)
    return np.vstack([G, rr[None, :]])


class NormalResidualPass:
    """``(X, B=None) -> (A^T (B - A X), ||B - A X||^2 per column)`` for a Dask A of one
    column chunk (B a Dask array with A's row chunks, or None for zero), each call one
    pass over A's chunks; counts the passes and their time.

    Parameters
    ----------
    A : dask.array.Array of shape (n, d), one column chunk
    """

    def __init__(self, A: da.Array):
        self.passes = 0
        self.seconds = 0.0
        self._blocks = A.to_delayed()[:, 0]
        self._offsets = row_offsets(A)
        self._rhs_blocks = {}

    def __call__(self, X: np.ndarray, B=None) -> tuple[np.ndarray, np.ndarray]:
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
