"""The products and the stopping test of the least-squares iterations: ``GramOperator``
(A with its ridge penalties, through the engine's fused pass) and ``BackwardError``
(the Karlson--Walden estimate from the sketch's spectrum)."""

from __future__ import annotations

import numpy as np

__all__ = ["GramOperator", "BackwardError", "CHECK_EVERY", "norms"]

#: iterations between two backward-error checks after the first refinement step
CHECK_EVERY = 5


class GramOperator:
    """``A D`` with ridge penalties ``alpha`` (shape (d,), or None): the two products the
    iterations need, through ``normal_residual``, the engine's fused pass
    ``(X, B=None) -> (A^T (B - A X), ||B - A X||^2 per column)`` (``Engine.normal_residual``).

    ``D = diag(col_scale)`` (default I) is the solver's column equilibration: the
    iteration runs on ``A D`` without forming it (``A (D P)``, then ``D (A^T r)``).
    ``residual`` (the n-sized residuals, for the LSQR/LSMR inner solvers) exists on the
    host engine only: on the others, those solvers are refused by name first.
    """

    def __init__(self, A, alpha: np.ndarray | None, normal_residual,
                 col_scale: np.ndarray | None = None):
        self.A = A
        self.alpha = alpha
        self._pass = normal_residual
        self._d = None if col_scale is None else np.asarray(col_scale, dtype=np.float64)[:, None]

    def normal_residual(self, X: np.ndarray, B=None) -> tuple[np.ndarray, np.ndarray]:
        """``D A^T (B - A D X)`` and ``||B - A D X||^2`` per column (no penalty)."""
        if self._d is None:
            return self._pass(X, B)
        G, rr = self._pass(self._d * X, B)
        return self._d * G, rr

    def residual_gradient(self, X: np.ndarray, B) -> tuple[np.ndarray, np.ndarray]:
        """``D A^T (B - A D X) - alpha X`` and ``||B - A D X||^2 + alpha ||X||^2``."""
        G, rr = self.normal_residual(X, B)
        if self.alpha is not None:
            aX = self.alpha[:, None] * X
            G -= aX
            rr += np.einsum("ij,ij->j", aX, X)
        return G, rr

    def residual(self, X: np.ndarray, B: np.ndarray) -> np.ndarray:
        """The augmented residuals ``[B - A D X; -diag(sqrt(alpha)) X]``."""
        R = B - np.asarray(self.A @ (X if self._d is None else self._d * X), dtype=np.float64)
        if self.alpha is not None:
            R = np.vstack([R, -np.sqrt(self.alpha)[:, None] * X])
        return R

    def times(self, z: np.ndarray) -> np.ndarray:
        """``A D z`` for a d-vector z (host engine: the LSQR/LSMR inner solvers)."""
        return self.A @ (z if self._d is None else self._d[:, 0] * z)

    def times_transpose(self, u: np.ndarray) -> np.ndarray:
        """``D A^T u`` for an n-vector u (host engine)."""
        g = self.A.T @ u
        return g if self._d is None else self._d[:, 0] * g

    def gram(self, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(D A^T A D + alpha I) P`` and ``||A D P||^2 + alpha ||P||^2`` per column."""
        G, qq = self.normal_residual(P)
        G = -G
        if self.alpha is not None:
            aP = self.alpha[:, None] * P
            G += aP
            qq += np.einsum("ij,ij->j", aP, P)
        return G, qq


def norms(S: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("ij,ij->j", S, S))


class BackwardError:
    r"""Karlson--Walden estimate of the normwise relative backward error, per column.

    For the weight :math:`\theta = \|A\|_F / \|b\|` (perturbations of A and b
    count alike, relative to their size) and :math:`\mu = \theta^2 / (1 + \theta^2
    \|x\|^2)`,

    .. math:: \eta(x) = \frac{\sqrt{\mu}}{\|A\|_F}
              \left\| (A^T A + \mu \|r\|^2 I)^{-1/2} A^T r \right\|,

    within a factor :math:`\sqrt 2` of the smallest :math:`\|[\Delta A, \theta
    \Delta b]\|_F / \|A\|_F` for which x solves the perturbed problem (Karlson and
    Walden 1997; Gratton 1996).  ``A^T A`` is replaced by the sketch's ``R^T R``,
    which an embedding with distortion eps matches within a factor
    ``((1 + eps)/(1 - eps))^2``; for ridge, A is the augmented matrix.

    The exact form needs the SVD of R (O(d^3)).  Until a column's estimate could
    be on either side of ``tol``, the two O(d^2) bounds

    .. math:: \frac{\sqrt{\mu} \|g\|}{\sqrt{\|R\|_F^2 + \mu \|r\|^2}}
              \le \eta \|A\|_F \le
              \sqrt{\mu} \min(\|R^{-T} g\|, \|g\| / \sqrt{\mu \|r\|^2})

    (``g = A^T r``) decide, and the upper one is returned.
    """

    def __init__(self, pre, bnorm: np.ndarray, tol: float):
        self._pre = pre
        self.tol = tol
        self.norm_fro = pre.norm_fro()
        with np.errstate(divide="ignore"):
            self._theta2 = (self.norm_fro / bnorm) ** 2

    def __call__(self, X: np.ndarray, rr: np.ndarray, G: np.ndarray) -> np.ndarray:
        xx = np.einsum("ij,ij->j", X, X)
        t2 = self._theta2
        rr = np.maximum(rr, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            mu = np.where(np.isinf(t2), 1.0 / xx, t2 / (1.0 + t2 * xx))
            scale = np.sqrt(mu) / self.norm_fro
            if self._pre.has_spectrum:
                eta = scale * self._exact(G, mu * rr)
            else:
                g = norms(G)
                upper = scale * np.minimum(norms(self._pre.apply_transpose(G)),
                                           g / np.sqrt(mu * rr))
                lower = scale * g / np.sqrt(self.norm_fro**2 + mu * rr)
                eta = upper
                if np.any((lower <= self.tol) & (upper > self.tol)):
                    eta = scale * self._exact(G, mu * rr)
        # an exact solution (r = 0) has no backward error; a NaN never counts as converged
        return np.where(rr <= 0.0, 0.0, np.where(np.isnan(eta), np.inf, eta))

    def _exact(self, G: np.ndarray, shift: np.ndarray) -> np.ndarray:
        s, Vt = self._pre.spectrum()
        return norms((Vt @ G) / np.sqrt(s[:, None] ** 2 + shift))
