r"""Kernel ridge regression by Nystrom-preconditioned conjugate gradients.

Full KRR solves :math:`(K + \alpha I)\,c = y` with K the N x N kernel matrix of the
training rows, preconditioned by :math:`P = FF^T + \alpha I` from a rank-r RPCholesky
factor (Diaz, Epperly, Frangella, Tropp and Webber 2023): the preconditioned system has
its eigenvalues in :math:`[1, 1 + \lambda_{\max}(K - FF^T)/\alpha]`, so a rank about the
effective dimension makes the iteration count a small constant; the cost is
:math:`O(N^2)` per iteration (the products with K) plus :math:`O(Nr^2)` once.

Restricted KRR (Nystrom subset of regressors) with m centres S solves

.. math:: (K_{S:} K_{:S} + \alpha K_{SS})\,c = K_{S:}\,y

(the minimiser of :math:`\|y - K_{:S}c\|^2 + \alpha c^T K_{SS} c`), preconditioned by
KRILL (the same paper): :math:`P = B^T B + \alpha K_{SS}` with :math:`B = \Phi K_{:S}`
for a sparse sign embedding :math:`\Phi` of 2m rows, so that
:math:`\kappa(P^{-1}H) \le (1+\varepsilon)/(1-\varepsilon)` for the embedding's
distortion :math:`\varepsilon` whatever :math:`\alpha` and the kernel.  Cost
:math:`O(Nm)` per iteration and :math:`O(Nm s + m^3)` once.

Both paths stream the kernel block in row blocks and keep in memory what fits in
``max_memory`` bytes; the rest is recomputed at each product.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from rnla._cg import block_pcg
from rnla._random import SeedLike, as_generator
from rnla._status import Status
from rnla._validation import check_int, check_matrix, check_option, check_real
from rnla.kernel_functions import KERNELS, centre, kernel_block
from rnla.lowrank._result import _Cost
from rnla.lowrank.preconditioner import NystromPreconditioner
from rnla.lowrank.rpcholesky import LANDMARKS, rpcholesky
from rnla.sketch import SparseSign

__all__ = ["kernel_ridge", "KernelRidgeResult"]

#: rows per kernel block (memory ``BLOCK_ROWS x m`` doubles per block)
BLOCK_ROWS = 4096
#: centres are chosen by their landmark rule on a uniform subsample of this many rows
#: per centre (RPCholesky's factor is subsample x m)
CENTER_SAMPLE = 4


@dataclass(repr=False)
class KernelRidgeResult(_Cost):
    """Dual coefficients of a kernel ridge regression: :math:`f(x) = k(x, X_S)\\,c`.

    Attributes
    ----------
    coef : ndarray of shape (m,) or (m, n_targets)
        c.
    centers : int ndarray of shape (m,)
        S: the rows of X the coefficients belong to (all rows for full KRR).
    n_iter : int
        Conjugate-gradient iterations.
    residual : float
        The largest relative residual :math:`\\|b - Hc\\|/\\|b\\|` over the targets
        (also ``error_estimate``, confidence 1).
    preconditioner_rank : int
        r (full KRR) or m (restricted KRR).
    error_estimate : float
        ``residual``.
    confidence : float
        1.
    n_passes : int
        Passes over the kernel block (each product with H is one).
    n_matvecs : int
        Right-hand-side columns multiplied in those passes.
    method : str
        ``"full"`` or ``"restricted"``.
    status : Status
        ``"converged"`` when every target met ``tol``, else ``"maxiter"``.
    message : str
        The outcome in words.
    """

    coef: Any = None
    centers: Any = None
    n_iter: int = 0
    residual: float = math.nan
    preconditioner_rank: int = 0


class _KernelRows:
    """Row blocks of :math:`K_{:S}` for scaled rows X, the first ones kept in memory up
    to ``max_memory`` bytes, the rest recomputed at each pass."""

    def __init__(self, X: np.ndarray, centers: np.ndarray, kernel: str, nu: float,
                 max_memory: float):
        self.X, self.Y, self.kernel, self.nu = X, X[centers], kernel, nu
        self.n, self.m = X.shape[0], centers.size
        rows = BLOCK_ROWS
        self.starts = list(range(0, self.n, rows))
        kept = int(max_memory // (8 * rows * self.m))
        self.cache: list[np.ndarray] = []
        self._kept = min(kept, len(self.starts))
        self.passes = 0

    def blocks(self) -> Iterator[tuple[slice, np.ndarray]]:
        self.passes += 1
        for i, start in enumerate(self.starts):
            rows = slice(start, min(start + BLOCK_ROWS, self.n))
            if i < len(self.cache):
                yield rows, self.cache[i]
                continue
            block = kernel_block(self.X[rows], self.Y, self.kernel, self.nu)
            if i < self._kept:
                self.cache.append(block)
            yield rows, block


def kernel_ridge(X, y, alpha: float, *, kernel: str = "gaussian", bandwidth: float = 1.0,
                 nu: float = 1.5, n_centers: int | None = None, rank: int | None = None,
                 landmarks: str = "rpcholesky", tol: float = 1e-6, maxiter: int = 100,
                 max_memory: float = 4 * 2**30, rng: SeedLike = None) -> KernelRidgeResult:
    r"""Kernel ridge regression, full or restricted, by preconditioned conjugate gradients.

    Parameters
    ----------
    X : array of shape (N, d)
        Training rows (numpy).
    y : array of shape (N,) or (N, t)
        Targets.
    alpha : float
        Ridge penalty, > 0, as scikit-learn's ``KernelRidge``: full KRR solves
        :math:`(K + \alpha I)c = y`.
    kernel : {"gaussian", "laplacian", "cauchy", "matern"}
    bandwidth : float, default=1.0
        As ``rnla.features`` (docs/kernels.md).
    nu : float, default=1.5
        Matérn smoothness.
    n_centers : int, optional
        None or N: full KRR.  m < N: restricted KRR on m centres chosen by
        ``landmarks`` (on a uniform subsample of ``4 m`` rows when N is larger).
    rank : int, optional
        Rank of the RPCholesky preconditioner of full KRR (default ``min(N, 500)``).
    landmarks : {"rpcholesky", "uniform", "leverage"}, default="rpcholesky"
        The rule that picks the centres of restricted KRR.
    tol : float, default=1e-6
        Stop when :math:`\|b - Hc\| \le` ``tol`` :math:`\|b\|` for every target.
    maxiter : int, default=100
        Conjugate-gradient iterations at most.
    max_memory : float, default=4 GiB
        Bytes of kernel block kept between iterations; the rest is recomputed.
    rng : int, Generator, SeedSequence, RandomState or None

    Returns
    -------
    KernelRidgeResult
        ``coef``, ``centers``, ``n_iter``, ``residual``, ``status``.

    Notes
    -----
    Cost: full, :math:`N^2 d` kernel evaluations (once when K fits in ``max_memory``)
    and :math:`O(N^2)` per iteration; restricted, :math:`Nmd` evaluations and
    :math:`O(Nm)` per iteration, :math:`O(m^3)` once.

    Examples
    --------
    >>> import numpy as np, rnla
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-3, 3, (2000, 1)); y = np.sin(2 * X[:, 0])
    >>> res = rnla.lowrank.kernel_ridge(X, y, 1e-3, bandwidth=0.5, rng=0)
    >>> res.status, res.n_iter < 20
    (<Status.CONVERGED: 'converged'>, True)
    >>> from rnla.features import kernel_matrix
    >>> K = kernel_matrix(X, bandwidth=0.5)
    >>> bool(np.linalg.norm(K @ res.coef + 1e-3 * res.coef - y) <= 1e-6 * np.linalg.norm(y))
    True
    """
    kernel = check_option(kernel, "kernel", KERNELS)
    landmarks = check_option(landmarks, "landmarks", LANDMARKS)
    sigma = check_real(bandwidth, "bandwidth", 0.0, low_open=True)
    alpha = check_real(alpha, "alpha", 0.0, low_open=True)
    tol = check_real(tol, "tol", 0.0, low_open=True)
    maxiter = check_int(maxiter, "maxiter", low=0)
    max_memory = check_real(max_memory, "max_memory", 0.0)
    X = np.asarray(check_matrix(X, "X", allow_sparse=False), dtype=np.float64)
    n = X.shape[0]
    Y = np.asarray(check_matrix(np.asarray(y).reshape(n, -1) if np.ndim(y) == 1 else y, "y",
                                allow_sparse=False), dtype=np.float64)
    if Y.shape[0] != n or np.ndim(y) > 2:
        raise ValueError(f"`y` must have shape ({n},) or ({n}, t) to match `X`; "
                         f"got {np.shape(y)}")
    m = n if n_centers is None else check_int(n_centers, "n_centers", low=1, high=n)
    rng = as_generator(rng)
    Xs = (X - centre(X)) / sigma
    if m == n:
        r = min(n, 500) if rank is None else check_int(rank, "rank", low=1, high=n)
        coef, it, res, passes, pre_rank = _full(X, Xs, Y, alpha, kernel, sigma, nu, r, tol,
                                                maxiter, max_memory, rng)
        centers, method = np.arange(n), "full"
    else:
        centers = _centers(X, m, kernel, sigma, nu, landmarks, rng)
        coef, it, res, passes = _restricted(Xs, Y, centers, alpha, kernel, nu, tol, maxiter,
                                            max_memory, rng)
        pre_rank, method = m, "restricted"
    status = Status.CONVERGED if res <= tol else Status.MAXITER
    message = (f"{method} KRR on {centers.size} centres: relative residual {res:.2g} after "
               f"{it} preconditioned CG iterations" +
               ("" if status == Status.CONVERGED else f" (tol {tol:g} not met)"))
    return KernelRidgeResult(
        coef=coef[:, 0] if np.ndim(y) == 1 else coef, centers=centers, n_iter=it,
        residual=res, preconditioner_rank=pre_rank, error_estimate=res, confidence=1.0,
        n_passes=passes, n_matvecs=passes * Y.shape[1], method=method, status=status,
        message=message)


def _centers(X, m, kernel, sigma, nu, landmarks, rng) -> np.ndarray:
    n = X.shape[0]
    if landmarks == "uniform":
        return np.sort(rng.choice(n, size=m, replace=False))
    pool = np.arange(n) if n <= CENTER_SAMPLE * m else \
        np.sort(rng.choice(n, size=CENTER_SAMPLE * m, replace=False))
    chosen = rpcholesky(X[pool], m, kernel=kernel, bandwidth=sigma, nu=nu,
                        landmarks=landmarks, rng=rng)
    return np.sort(pool[chosen.pivots])


def _full(X, Xs, Y, alpha, kernel, sigma, nu, r, tol, maxiter, max_memory, rng):
    rows = _KernelRows(Xs, np.arange(X.shape[0]), kernel, nu, max_memory)
    factor = rpcholesky(X, r, kernel=kernel, bandwidth=sigma, nu=nu, rng=rng)
    P = NystromPreconditioner.from_factor(factor.F, alpha)

    def apply_H(V, _=None):
        out = alpha * V
        for part, block in rows.blocks():
            out[part] += block @ V
        return out

    coef, it, res = block_pcg(apply_H, lambda R, _: P.matmat(R), Y, tol, maxiter)
    return coef, it, res, rows.passes, P.rank


def _restricted(Xs, Y, centers, alpha, kernel, nu, tol, maxiter, max_memory, rng):
    m = centers.size
    rows = _KernelRows(Xs, centers, kernel, nu, max_memory)
    phi = SparseSign(min(2 * m, Xs.shape[0]), Xs.shape[0], rng=rng)
    B = np.zeros((phi.k, m))
    b = np.zeros((m, Y.shape[1]))
    for part, block in rows.blocks():                    # one pass: the sketch and K_S: y
        B += phi.apply_rows(block, part.start)
        b += block.T @ Y[part]
    K_SS = kernel_block(Xs[centers], Xs[centers], kernel, nu)
    # P = B^T B + alpha K_SS = R^T R from the QR factor of [B; sqrt(alpha) G] with
    # G^T G = K_SS: never squaring B, so that directions where K_:S is numerically
    # rank-deficient keep their accuracy
    w, V = np.linalg.eigh((K_SS + K_SS.T) / 2)
    G = np.sqrt(np.maximum(w, 0.0))[:, None] * V.T
    R = scipy.linalg.qr(np.vstack([B, math.sqrt(alpha) * G]), mode="r")[0][:m]
    floor = np.finfo(np.float64).eps * m * np.abs(np.diag(R)).max()
    R[np.diag_indices(m)] = np.where(np.abs(np.diag(R)) > floor, np.diag(R), floor)

    def apply_P_inverse(Rhs, _=None):
        half = scipy.linalg.solve_triangular(R, Rhs, trans="T", check_finite=False)
        return scipy.linalg.solve_triangular(R, half, check_finite=False)

    def apply_H(V, _=None):
        out = alpha * (K_SS @ V)
        for _, block in rows.blocks():
            out += block.T @ (block @ V)
        return out

    coef, it, res = block_pcg(apply_H, apply_P_inverse, b, tol, maxiter)
    return coef, it, res, rows.passes
