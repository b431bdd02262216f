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

__all__ = ["Preconditioner", "ColumnScaling"]


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
    SB : ndarray of shape (m, k), optional
        The sketched right-hand sides.  They are factored with ``S A`` (the QR of
        ``[S A, S B]`` holds ``Q^T S B`` in its last columns, so Q is never
        formed), which ``sketch_solve`` needs.
    """

    def __init__(self, SA: np.ndarray, alpha: np.ndarray | None, rcond: float,
                 SB: np.ndarray | None = None):
        m, d = SA.shape
        M = np.asarray(SA, dtype=np.float64)
        rhs = np.zeros((m, 0)) if SB is None else np.asarray(SB, dtype=np.float64)
        if alpha is not None:
            M = np.vstack([M, np.diag(np.sqrt(alpha))])
            rhs = np.vstack([rhs, np.zeros((d, rhs.shape[1]))])
        self._spectrum = None
        R = sla.qr(np.hstack([M, rhs]), mode="r", check_finite=False)[0]
        diag = np.abs(np.diag(R[:d, :d])) if R.shape[0] >= d else np.zeros(1)
        if R.shape[0] >= d and diag.max() > 0 and diag.min() > rcond * diag.max():
            self._R, self._V, self._s = np.triu(R[:d, :d]), None, None
            self._QtSB = R[:d, d:]
            self.rank = d
        else:
            U, s, Vt = sla.svd(M, full_matrices=False, check_finite=False)
            r = int(np.count_nonzero(s > rcond * s[0])) if s[0] > 0 else 0
            if r == 0:
                raise ValueError("`A` is zero (its sketch has no nonzero singular value)")
            self._R, self._V, self._s = None, Vt[:r].T, s[:r]
            self._QtSB = U[:, :r].T @ rhs
            self._V_dropped = Vt[r:].T
            self.rank = r
            self._spectrum = (self._s, self._V.T)

    @property
    def truncated(self) -> bool:
        """Whether the SVD path dropped directions of the sketch."""
        return self._V is not None

    def spectrum(self) -> tuple[np.ndarray, np.ndarray]:
        """Singular values ``s`` and right singular vectors ``V^T`` (rank x d) of the
        sketched (augmented) matrix: an estimate of A's, within the embedding's distortion.

        On the QR path the SVD of the d x d factor R is computed on first use.
        """
        if self._spectrum is None:
            _, s, Vt = sla.svd(self._R, check_finite=False)
            self._spectrum = (s, Vt)
        return self._spectrum

    @property
    def has_spectrum(self) -> bool:
        """Whether ``spectrum()`` is already computed (it costs O(d^3) on the QR path)."""
        return self._spectrum is not None

    def condition_1norm(self) -> float:
        """An O(d^2) estimate of the condition number of the sketched matrix: LAPACK's
        ``trcon`` of R (1-norm, within a factor d of the 2-norm one), or the exact
        ratio of singular values once the spectrum is known."""
        if self._spectrum is not None:
            s = self._spectrum[0]
            return float(s[0] / s[-1])
        rcond, _ = sla.lapack.dtrcon(self._R, norm="1", uplo="U")
        return float(np.inf) if rcond == 0 else float(1.0 / rcond)

    def norm_fro(self) -> float:
        """Frobenius norm of the sketched (augmented) matrix, an estimate of ``||A||_F``."""
        return float(np.linalg.norm(self._R if self._R is not None else self._s))

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

    def sketch_solve(self) -> np.ndarray:
        """``argmin ||S A x - S b||`` (ridge: ``+ alpha ||x||^2``) for the ``SB`` given at
        construction, minimum norm."""
        return self.apply(self._QtSB)

    def dropped_directions(self) -> np.ndarray:
        """Orthonormal d x (d - rank) basis of the directions the SVD path dropped."""
        return self._V_dropped

    def scaled_condition(self, steps: int = 30) -> float:
        """Power-iteration estimate (from below) of the 2-norm condition number of
        ``R D^{-1}``, D the column norms of R: O(steps d^2), QR path only."""
        Rs = self._R / _nonzero_column_norms(self._R)
        v = np.random.default_rng(0).standard_normal(Rs.shape[1])
        w = v.copy()
        for _ in range(steps):
            v = Rs.T @ (Rs @ v)
            v /= np.linalg.norm(v)
            w = sla.solve_triangular(Rs, sla.solve_triangular(Rs, w, trans="T",
                                                              check_finite=False),
                                     check_finite=False)
            w /= np.linalg.norm(w)
        big = np.linalg.norm(Rs @ v)
        small = np.linalg.norm(Rs @ w)
        return float(big / small) if small > 0 else float("inf")

    @property
    def sigma_max(self) -> float:
        """Largest singular value of the sketched (augmented) matrix."""
        return float(self.spectrum()[0][0])


def _nonzero_column_norms(R: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(R, axis=0)
    return np.where(norms > 0, norms, 1.0)


class ColumnScaling:
    """``N = D^{-1}`` with D the column norms of the sketch's R (those of the sketched,
    possibly augmented, matrix: estimates of A's), for iterating on A itself when
    A is already well conditioned; everything else comes from the sketch's
    :class:`Preconditioner`.
    """

    truncated = False

    def __init__(self, pre: Preconditioner):
        self.sketched = pre
        self.rank = pre.rank
        self._d = _nonzero_column_norms(pre._R)

    def apply(self, Y: np.ndarray) -> np.ndarray:
        """``D^{-1} Y``."""
        return Y / self._d.reshape((-1,) + (1,) * (Y.ndim - 1))

    apply_transpose = apply
