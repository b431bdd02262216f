"""Least-squares kernels written against the Array API standard only."""

from __future__ import annotations

from array_api_compat import array_namespace

__all__ = ["normal_residual"]


def normal_residual(A, X, B=None):
    """``G = A^T (B - A X)`` (d x m) and the squared column norms of ``B - A X`` (m,),
    in float64 (``B=None`` means zero); the contract of the CPU kernel, in two products."""
    xp = array_namespace(A)
    R = A @ X if B is None else B - A @ X
    if B is None:
        R = -R
    R = xp.astype(R, xp.float64)
    return xp.astype(A.T @ R, xp.float64), xp.sum(R * R, axis=0)
