r"""Ridge regression for a path of penalties from one sketch, with generalised
cross-validation.

One sketch :math:`Y = S A_c` (:math:`A_c = A - 1\mu^T` when centring, applied implicitly:
:math:`S A_c = SA - (S1)\mu^T`) and its SVD :math:`Y = U\Sigma V^T` give, for every
penalty :math:`\alpha`, the preconditioner
:math:`M_\alpha = V(\Sigma^2 + \alpha I)^{-1}V^T \approx (A_c^TA_c + \alpha I)^{-1}`.  If S
embeds range(A) with distortion :math:`\varepsilon`, the preconditioned normal equations
have condition number at most :math:`((1+\varepsilon)/(1-\varepsilon))^2` whatever
:math:`\alpha`, so conjugate gradients, run on all penalties at once (one block product
with :math:`A_c` and one with :math:`A_c^T` per iteration), reaches ``tol`` in a few
dozen iterations.  The GCV score (Golub, Heath and Wahba 1979)

.. math:: \mathrm{GCV}(\alpha) = \frac{\|y_c - A_c x_\alpha\|^2/n}{(1 - \mathrm{df}_\alpha/n)^2},
   \qquad \mathrm{df}_\alpha = \sum_i \frac{\sigma_i^2}{\sigma_i^2 + \alpha} \;(+1
   \text{ for the intercept})

takes the residuals exactly (one more block pass) and the degrees of freedom from the
sketch's singular values, which are within :math:`1\pm\varepsilon` of A's: the
resulting relative error in the score is at most about
:math:`2\varepsilon\,\mathrm{df}/(n - \mathrm{df})`.
Cost: one sketch, :math:`O(kd^2)` for the SVD, :math:`4 n d\, p` flops per iteration for
p penalties.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rnla._cg import block_pcg
from rnla._random import SeedLike, as_generator
from rnla._status import Status, summary_repr
from rnla._validation import check_int, check_matrix, check_real
from rnla.lstsq.cost import default_sketch_size
from rnla.sketch import SKETCH_KINDS, make_sketch

__all__ = ["ridge_path", "RidgePathResult"]


@dataclass(repr=False)
class RidgePathResult:
    """Ridge solutions and GCV scores for a path of penalties.

    Attributes
    ----------
    alphas : ndarray of shape (p,)
        The penalties.
    x : ndarray of shape (p, d) or (p, d, t)
        The coefficient vector for each penalty (each target).
    intercept : ndarray of shape (p,) or (p, t)
        The intercepts (0 without centring).
    gcv : ndarray of shape (p,)
        GCV scores (mean over the targets); the best penalty minimises it.
    df : ndarray of shape (p,)
        Effective degrees of freedom.
    best : int
        Index of the smallest GCV score.
    n_iter : int
        Conjugate-gradient iterations (the block of all penalties together).
    residual : float
        The largest relative normal-equation residual over the penalties.
    sketch_size : int
        Rows of the sketch.
    status : Status
        ``"converged"`` when every penalty met ``tol``, else ``"maxiter"``.
    method : str
        ``"sketch_path"``.
    message : str
        The outcome in words.
    """

    alphas: np.ndarray
    x: np.ndarray
    intercept: np.ndarray
    gcv: np.ndarray
    df: np.ndarray
    best: int
    n_iter: int
    residual: float
    sketch_size: int
    status: Status
    method: str
    message: str

    @property
    def converged(self) -> bool:
        """Whether every penalty met ``tol``."""
        return self.status == Status.CONVERGED

    def __repr__(self) -> str:
        return summary_repr(self, ("alphas", "gcv", "best", "status", "method", "n_iter",
                                   "residual"))


class _Centred:
    """Products with :math:`A_c = A - 1\\mu^T` without forming it."""

    def __init__(self, A, mu: np.ndarray):
        self.A, self.mu = A, mu

    def matmat(self, P: np.ndarray) -> np.ndarray:
        return self.A @ P - (self.mu @ P)[None, :]

    def rmatmat(self, Q: np.ndarray) -> np.ndarray:
        return self.A.T @ Q - np.outer(self.mu, Q.sum(axis=0))

    def gram(self, P: np.ndarray, block_rows: int = 4096) -> np.ndarray:
        """:math:`A_c^T A_c P` in one pass over row blocks (each block read once, while
        it is in cache); sparse A by its two products."""
        if sp.issparse(self.A):
            return self.rmatmat(self.matmat(P))
        shift = self.mu @ P
        out = np.zeros((self.A.shape[1], P.shape[1]))
        total = np.zeros(P.shape[1])
        for start in range(0, self.A.shape[0], block_rows):
            block = self.A[start:start + block_rows]
            Q = block @ P - shift
            out += block.T @ Q
            total += Q.sum(axis=0)
        return out - np.outer(self.mu, total)


def ridge_path(A, b, alphas, *, center: bool = True, sketch: str = "sparse_sign",
               sketch_size: int | None = None, tol: float = 1e-8, maxiter: int = 200,
               rng: SeedLike = None) -> RidgePathResult:
    r"""Ridge solutions :math:`\min_x \|b_c - A_c x\|^2 + \alpha\|x\|^2` for every
    :math:`\alpha` in ``alphas`` from one sketch, and their GCV scores.

    Parameters
    ----------
    A : ndarray or scipy.sparse matrix of shape (n, d)
        numpy or scipy.sparse (host).
    b : ndarray of shape (n,) or (n, t)
        Targets.
    alphas : array_like of shape (p,)
        Penalties, > 0.
    center : bool, default=True
        Centre A's columns and b (an unpenalised intercept, as scikit-learn's
        ``RidgeCV``); sparse A is centred implicitly.
    sketch : str, default="sparse_sign"
        One of ``rnla.sketch.SKETCH_KINDS``.
    sketch_size : int, optional
        Rows of the sketch (default ``default_sketch_size(n, d)``).
    tol : float, default=1e-8
        Stop each penalty when its preconditioned normal-equation residual is at most
        ``tol`` times the right-hand side's.
    maxiter : int, default=200
        Conjugate-gradient iterations at most.
    rng : int, Generator, SeedSequence, RandomState or None

    Returns
    -------
    RidgePathResult
        ``x``, ``intercept``, ``gcv``, ``df``, ``best``.

    Examples
    --------
    >>> import numpy as np, rnla
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((20000, 30)); b = A @ rng.standard_normal(30) + 5.0
    >>> res = rnla.ridge_path(A, b, [0.1, 1.0, 10.0], rng=0)
    >>> res.status, res.x.shape
    (<Status.CONVERGED: 'converged'>, (3, 30))
    >>> from sklearn.linear_model import Ridge
    >>> ref = Ridge(alpha=10.0).fit(A, b).coef_
    >>> bool(np.allclose(res.x[2], ref, rtol=1e-6, atol=1e-9))
    True
    """
    A = check_matrix(A, "A")
    n, d = A.shape
    alphas = np.atleast_1d(np.asarray(alphas, dtype=np.float64))
    if alphas.ndim != 1 or alphas.size == 0 or not np.all(np.isfinite(alphas)) \
            or np.any(alphas <= 0):
        raise ValueError(f"`alphas` must be a non-empty 1-d array of positive floats; "
                         f"got {alphas!r}")
    if sp.issparse(b) or np.ndim(b) not in (1, 2) or np.shape(b)[0] != n:
        raise ValueError(f"`b` must be a dense array of shape ({n},) or ({n}, t) to match "
                         f"`A`; got shape {np.shape(b)}")
    vector = np.ndim(b) == 1
    B = np.asarray(check_matrix(np.reshape(b, (n, -1)), "b", allow_sparse=False),
                   dtype=np.float64)
    if sketch not in SKETCH_KINDS:
        raise ValueError(f"`sketch` must be one of {SKETCH_KINDS}; got {sketch!r}")
    tol = check_real(tol, "tol", 0.0, low_open=True)
    maxiter = check_int(maxiter, "maxiter", low=0)
    k = default_sketch_size(n, d, A.nnz if sp.issparse(A) else None) \
        if sketch_size is None else check_int(sketch_size, "sketch_size", low=1)
    A = A.astype(np.float64) if A.dtype != np.float64 else A
    mu = np.asarray(A.mean(axis=0)).ravel() if center else np.zeros(d)
    beta0 = B.mean(axis=0) if center else np.zeros(B.shape[1])
    Bc = B - beta0
    op = _Centred(A, mu)
    S = make_sketch(sketch, min(k, n), n, rng=as_generator(rng))
    Y = np.asarray(S @ A)
    Y = Y.toarray() if hasattr(Y, "toarray") else Y
    if center:
        Y = Y - np.outer(S @ np.ones((n, 1)), mu)
    _, sigma, Vt = np.linalg.svd(Y, full_matrices=False)
    p, t = alphas.size, B.shape[1]
    rhs = op.rmatmat(Bc)                                         # d x t
    # one column per (penalty, target)
    alpha_col = np.repeat(alphas, t)
    Rhs = np.tile(rhs, (1, p))
    lam = sigma ** 2

    def apply_H(P, cols):
        return op.gram(P) + alpha_col[cols] * P

    def precondition(R, cols):                        # V (Sigma^2 + alpha_j I)^{-1} V^T
        return Vt.T @ ((Vt @ R) / (lam[:, None] + alpha_col[cols][None, :]))

    X, it, residual = block_pcg(apply_H, precondition, Rhs, tol, maxiter)
    E = np.tile(Bc, (1, p)) - op.matmat(X)                     # residuals, one pass
    rss = np.einsum("ij,ij->j", E, E)
    df = (lam[None, :] / (lam[None, :] + alphas[:, None])).sum(axis=1) + center
    gcv = (rss.reshape(p, t).mean(axis=1) / n) / (1.0 - df / n) ** 2 \
        if np.all(df < n) else np.full(p, np.inf)
    best = int(np.argmin(gcv))
    coef = X.T.reshape(p, t, d).transpose(0, 2, 1)               # p x d x t
    intercept = beta0[None, :] - np.einsum("j,pjt->pt", mu, coef)
    status = Status.CONVERGED if residual <= tol else Status.MAXITER
    message = (f"{p} penalties from one {sketch} sketch of {S.shape[0]} rows: "
               f"{it} CG iterations, largest relative residual {residual:.2g}; best alpha "
               f"{alphas[best]:.4g} (GCV {gcv[best]:.4g})" +
               ("" if status == Status.CONVERGED else f"; tol {tol:g} not met"))
    return RidgePathResult(alphas=alphas, x=coef[..., 0] if vector else coef,
                           intercept=intercept[:, 0] if vector else intercept, gcv=gcv,
                           df=df, best=best, n_iter=it, residual=residual,
                           sketch_size=S.shape[0], status=status, method="sketch_path",
                           message=message)
