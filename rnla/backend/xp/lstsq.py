"""Least-squares kernels written against the Array API standard only."""

from __future__ import annotations

from array_api_compat import array_namespace
from array_api_compat import device as array_device

__all__ = ["normal_residual", "min_norm_solve"]


def normal_residual(A, X, B=None):
    """``G = A^T (B - A X)`` (d x m) and the squared column norms of ``B - A X`` (m,),
    in float64 (``B=None`` means zero); the contract of the CPU kernel, in two products."""
    xp = array_namespace(A)
    R = A @ X if B is None else B - A @ X
    if B is None:
        R = -R
    R = xp.astype(R, xp.float64)
    return xp.astype(A.T @ R, xp.float64), xp.sum(R * R, axis=0)


def min_norm_solve(A, B, root_alpha=None, rcond: float | None = None, col_scale=None):
    """The contract of the CPU kernel (minimum-norm solution, residual column norms,
    rank) by the namespace's SVD of ``[A D; diag(root_alpha)]`` in float64, on A's device:
    ``X = V_r diag(1/s_r) U_r^T [B; 0]`` over the singular values above ``rcond`` times
    the largest (default ``max(rows, d) eps``)."""
    xp = array_namespace(A)
    M = xp.astype(A, xp.float64)
    if col_scale is not None:
        M = M * xp.asarray(col_scale, dtype=xp.float64, device=array_device(A))[None, :]
    rhs = B
    if root_alpha is not None:
        d = M.shape[1]
        device = array_device(A)
        root = xp.asarray(root_alpha, dtype=xp.float64, device=device)
        M = xp.concat([M, xp.eye(d, dtype=xp.float64, device=device) * root[None, :]], axis=0)
        rhs = xp.concat([B, xp.zeros((d, B.shape[1]), dtype=xp.float64, device=device)],
                        axis=0)
    if rcond is None:
        rcond = max(M.shape) * 2.220446049250313e-16
    U, sv, Vt = xp.linalg.svd(M, full_matrices=False)
    rank = 0 if float(sv[0]) == 0 else int(xp.sum(xp.astype(sv > rcond * sv[0], xp.int64)))
    X = Vt[:rank, :].T @ ((U[:, :rank].T @ rhs) / sv[:rank, None])
    R = rhs - M @ X
    return X, xp.sqrt(xp.sum(R * R, axis=0)), rank
