r"""The preconditioner built from a sketch: ``N`` with ``A N`` well conditioned.

For a sketch S that embeds range(A) with distortion eps, and ``S A = Q R``, the
singular values of ``A R^{-1}`` lie in [1/(1+eps), 1/(1-eps)] (Rokhlin and
Tygert 2008; Avron, Maymounkov and Toledo 2010).  When ``S A`` is numerically
rank-deficient its SVD ``S A = U \Sigma V^T`` truncated to rank r gives
``N = V_r \Sigma_r^{-1}`` (Meng, Saunders and Mahoney 2014), and iterating on
``x = N y`` keeps x in range(V_r), the row space of A, which makes the answer
the minimum-norm solution.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

__all__ = ["Preconditioner"]


class Preconditioner:
    """``N`` from ``[S A; diag(sqrt(alpha))] = Q R`` (or its truncated SVD).

    Parameters
    ----------
    SA : ndarray of shape (m, d)
        The sketched matrix.
    alpha : ndarray of shape (d,) or None
        Ridge penalty per coefficient (None: none); ``diag(sqrt(alpha))`` is
        stacked below ``S A`` so that ``N`` preconditions the augmented matrix
        ``[A; diag(sqrt(alpha))]``.
    rcond : float
        Relative cutoff: ``S A`` counts as rank-deficient when the smallest
        ``|R_jj|`` is at most ``rcond`` times the largest, and singular values
        below ``rcond * sigma_1`` are dropped.
    """

    def __init__(self, SA: np.ndarray, alpha: np.ndarray | None, rcond: float):
        m, d = SA.shape
        M = np.asarray(SA, dtype=np.float64)
        if alpha is not None:
            M = np.vstack([M, np.diag(np.sqrt(alpha))])
        self.m = m
        Q, R = sla.qr(M, mode="economic", check_finite=False)
        diag = np.abs(np.diag(R))
        self._Vt_R = None
        if diag.max() > 0 and diag.min() > rcond * diag.max():
            self._Q, self._R, self._V, self._s = Q, R, None, None
            self.rank = d
        else:
            U, s, Vt = sla.svd(M, full_matrices=False, check_finite=False)
            r = int(np.count_nonzero(s > rcond * s[0])) if s[0] > 0 else 0
            if r == 0:
                raise ValueError("`A` is zero (its sketch has no nonzero singular value)")
            self._Q, self._R, self._V, self._s = U[:, :r], None, Vt[:r].T, s[:r]
            self._V_dropped = Vt[r:].T
            self.rank = r

    @property
    def truncated(self) -> bool:
        """Whether the SVD path dropped directions of the sketch."""
        return self._V is not None

    def spectrum(self) -> tuple[np.ndarray, np.ndarray]:
        """Singular values ``s`` and right singular vectors ``V^T`` (rank x d) of the
        sketched (augmented) matrix: an estimate of A's, within the embedding's distortion.

        On the QR path the SVD of the d x d factor R is computed on first use.
        """
        if self._V is not None:
            return self._s, self._V.T
        if self._Vt_R is None:
            _, s, Vt = sla.svd(self._R, check_finite=False)
            self._s_R, self._Vt_R = s, Vt
        return self._s_R, self._Vt_R

    def apply(self, Y: np.ndarray) -> np.ndarray:
        """``N Y``."""
        if self._V is None:
            return sla.solve_triangular(self._R, Y, check_finite=False)
        return self._V @ (Y / self._s.reshape((-1,) + (1,) * (Y.ndim - 1)))

    def apply_transpose(self, G: np.ndarray) -> np.ndarray:
        """``N^T G``."""
        if self._V is None:
            return sla.solve_triangular(self._R, G, trans="T", check_finite=False)
        return (self._V.T @ G) / self._s.reshape((-1,) + (1,) * (G.ndim - 1))

    def sketch_solve(self, Sb: np.ndarray) -> np.ndarray:
        """``argmin ||S A x - S b||`` (ridge: ``+ alpha ||x||^2``), minimum norm."""
        return self.apply(self._Q[: self.m].T @ Sb)

    def dropped_directions(self) -> np.ndarray:
        """Orthonormal d x (d - rank) basis of the directions the SVD path dropped."""
        return self._V_dropped

    @property
    def sigma_max(self) -> float:
        """Largest singular value of the sketched (augmented) matrix."""
        return float(self.spectrum()[0][0])
