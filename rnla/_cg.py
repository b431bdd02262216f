"""Preconditioned conjugate gradients on the columns of a block at once (each column its
own step sizes; converged columns drop out), for the solvers that need nothing more
(kernel ridge regression, the ridge path)."""

from __future__ import annotations

import numpy as np

__all__ = ["block_pcg"]


def block_pcg(apply_H, apply_M, B: np.ndarray, tol: float, maxiter: int):
    """Solve :math:`H x_j = b_j` for every column of B by preconditioned CG.

    ``apply_H(P, cols)`` and ``apply_M(R, cols)`` apply H and the preconditioner to the
    columns ``cols`` (an index array) of the block they are given.  Column j stops when
    :math:`\\|b_j - Hx_j\\| \\le` ``tol`` :math:`\\|b_j\\|`.  Returns
    ``(X, iterations, the largest relative residual)``.
    """
    X = np.zeros_like(B)
    R = B.copy()
    scale = np.linalg.norm(B, axis=0)
    scale[scale == 0] = 1.0
    Z = apply_M(R, np.arange(B.shape[1]))
    P = Z.copy()
    rz = np.einsum("ij,ij->j", R, Z)
    residual = np.linalg.norm(R, axis=0) / scale
    it = 0
    while it < maxiter and residual.size and residual.max() > tol:
        live = np.flatnonzero(residual > tol)
        Q = apply_H(P[:, live], live)
        step = rz[live] / np.einsum("ij,ij->j", P[:, live], Q)
        X[:, live] += step * P[:, live]
        R[:, live] -= step * Q
        Z = apply_M(R[:, live], live)
        rz_new = np.einsum("ij,ij->j", R[:, live], Z)
        P[:, live] = Z + (rz_new / rz[live]) * P[:, live]
        rz[live] = rz_new
        residual[live] = np.linalg.norm(R[:, live], axis=0) / scale[live]
        it += 1
    return X, it, float(residual.max()) if residual.size else 0.0
