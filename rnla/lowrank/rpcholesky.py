r"""Column Nystrom approximations of kernel matrices: randomly pivoted Cholesky and the
uniform and ridge-leverage landmark rules, from the data and a kernel (never forming
the N x N matrix) or from a positive semidefinite matrix.

Randomly pivoted Cholesky (Chen, Epperly, Tropp and Webber, CPAM 2024) builds
:math:`K \approx F F^T` column by column: it draws the next pivot s with probability
proportional to the diagonal d of the residual :math:`K - FF^T`, appends
:math:`(K_{:s} - F F_{s:}^T) / \sqrt{d_s}` to F and updates d.  In expectation
:math:`\operatorname{tr}(K - FF^T) \le (1 + \varepsilon)\,\operatorname{tr}(K - [K]_r)`
after :math:`k \ge r/\varepsilon + r \log(1/(\varepsilon\eta))` steps, with
:math:`\eta = \operatorname{tr}(K - [K]_r)/\operatorname{tr}K` (their Theorem 5.1), at
(k + 1)N kernel evaluations.  The accelerated form (Epperly, Tropp and Webber 2024)
draws b pivots at once from d and accepts each with probability (its residual
diagonal after the block's earlier acceptances) / d: the same distribution as the
sequential algorithm, with the work in matrix-matrix products.

The factor is :math:`F = K_{:S} W^T` (for RPCholesky :math:`W = L^{-1}`,
:math:`K_{SS} = L L^T`, and :math:`L = F_{S:}` read off the factor), so a new point x
has the features :math:`W k(S, x)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from rnla._random import SeedLike, as_generator
from rnla._status import Status
from rnla._validation import check_int, check_matrix, check_option, check_real
from rnla.kernel_functions import KERNELS, centre, kernel_columns
from rnla.lowrank._result import _SHARED, _Cost

__all__ = ["rpcholesky", "NystromResult", "LANDMARKS"]

LANDMARKS = ("rpcholesky", "uniform", "leverage")
#: pivots drawn per round of the accelerated algorithm by default
BLOCK_SIZE = 120


@dataclass(repr=False)
class NystromResult(_Cost):
    """A column Nystrom approximation :math:`K \\approx F F^T`, :math:`F = K_{:S} W^T`.

    Attributes
    ----------
    pivots : host int array of shape (r,)
        The landmark indices S, in the order chosen.
    F : ndarray of shape (N, r)
        The factor.
    W : ndarray of shape (r, len(pivots))
        The features of a new point x are :math:`W k(S, x)` (RPCholesky: the inverse
        of the Cholesky factor of :math:`K_{SS}`).
    residual_trace : float
        :math:`\\operatorname{tr}(K - FF^T)` (also ``error_estimate``, confidence 1).
    """

    pivots: Any = None
    F: Any = None
    W: Any = None
    residual_trace: float = math.nan


NystromResult.__doc__ = NystromResult.__doc__.rstrip() + "\n" + _SHARED


class _Columns:
    """Columns of K on demand: from data and a kernel, or from a given matrix."""

    def __init__(self, X, kernel, bandwidth, nu):
        if kernel == "precomputed":
            A = check_matrix(X, "X")
            if A.shape[0] != A.shape[1]:
                raise ValueError(f"`X` must be a square PSD matrix with "
                                 f"kernel='precomputed'; got shape {A.shape}")
            self.A = sp.csc_matrix(A) if sp.issparse(A) else np.asarray(A, dtype=np.float64)
            self.n = A.shape[0]
            self.diagonal = np.asarray(self.A.diagonal(), dtype=np.float64).copy()
            if np.any(self.diagonal < 0):
                raise ValueError("`X` must be positive semidefinite: its diagonal has "
                                 f"entry {self.diagonal.min():.3g} < 0")
        else:
            sigma = check_real(bandwidth, "bandwidth", 0.0, low_open=True)
            self.A = None
            X = np.asarray(check_matrix(X, "X", allow_sparse=False), dtype=np.float64)
            self.X = (X - centre(X)) / sigma
            self.n = self.X.shape[0]
            self.diagonal = np.ones(self.n)
        self.kernel, self.nu = kernel, nu
        self.evaluated = 0
        self.calls = 0

    def __call__(self, columns: np.ndarray) -> np.ndarray:
        self.evaluated += columns.size
        self.calls += 1
        if self.A is None:
            return kernel_columns(self.X, columns, self.kernel, self.nu)
        block = self.A[:, columns]
        return block.toarray() if sp.issparse(block) else np.array(block, dtype=np.float64)


def _reject(G: np.ndarray, d: np.ndarray, uniform: np.ndarray, floor: float) -> np.ndarray:
    """The accepted pivots of one accelerated round: pivot i is accepted with
    probability (its residual diagonal after the round's earlier acceptances) / d_i,
    and only above ``floor`` (the rounding level of the residual); the Schur
    complement G is updated in place as pivots are accepted."""
    accepted = []
    for i in range(G.shape[0]):
        if uniform[i] * d[i] < G[i, i] and G[i, i] > floor:
            accepted.append(i)
            column = G[i:, i] / math.sqrt(G[i, i])
            G[i:, i:] -= np.outer(column, column)
    return np.array(accepted, dtype=np.int64)


def rpcholesky(X, k: int, *, kernel: str = "gaussian", bandwidth: float = 1.0,
               nu: float = 1.5, landmarks: str = "rpcholesky",
               block_size: int | None = None, tol: float = 0.0,
               rng: SeedLike = None) -> NystromResult:
    r"""Rank-k column Nystrom approximation :math:`K \approx F F^T` of a kernel matrix.

    Parameters
    ----------
    X : array of shape (N, d), or (N, N) with ``kernel="precomputed"``
        The data (numpy; the kernel is evaluated in blocks, the N x N matrix is never
        formed), or a symmetric positive semidefinite matrix (dense or sparse).
    k : int
        Landmarks (columns), in [1, N].
    kernel : {"gaussian", "laplacian", "cauchy", "matern", "precomputed"}
    bandwidth : float, default=1.0
        As ``rnla.features`` (docs/kernels.md).
    nu : float, default=1.5
        Matérn smoothness.
    landmarks : {"rpcholesky", "uniform", "leverage"}, default="rpcholesky"
        Randomly pivoted Cholesky (adaptive), uniform sampling without replacement (as
        scikit-learn's ``Nystroem``), or sampling by approximate ridge leverage scores
        :math:`\ell_i = [K (K + \lambda I)^{-1}]_{ii}` from a uniform Nystrom
        approximation of rank k, with :math:`\lambda` its residual trace over k.
    block_size : int, optional
        Pivots drawn per round of accelerated RPCholesky (default 120; 1 is the
        sequential algorithm).
    tol : float, default=0
        Stop early once :math:`\operatorname{tr}(K - FF^T) \le` ``tol``
        :math:`\operatorname{tr} K`.  It also stops at the numerical rank.
    rng : int, Generator, SeedSequence, RandomState or None

    Returns
    -------
    NystromResult
        ``pivots``, ``F``, ``W``, ``residual_trace`` (= ``error_estimate``, exact:
        ``confidence`` 1), ``n_matvecs`` (kernel columns evaluated), ``n_passes``
        (rounds), ``status`` (``"converged"``; the message says when the rank or
        ``tol`` stopped it before k).

    Notes
    -----
    Cost: about (k + b) N kernel evaluations for RPCholesky, :math:`O(N k^2)` flops.

    Examples
    --------
    >>> import numpy as np, rnla
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(0, 1, (2000, 2)), rng.normal(8, 0.1, (20, 2))])
    >>> res = rnla.lowrank.rpcholesky(X, 50, bandwidth=1.0, rng=0)
    >>> K = rnla.features.kernel_matrix(X, bandwidth=1.0)
    >>> bool(abs(np.trace(K - res.F @ res.F.T) - res.residual_trace) < 1e-8)
    True
    >>> bool(np.any(res.pivots >= 2000))                    # the small cluster is found
    True
    """
    kernel = check_option(kernel, "kernel", KERNELS + ("precomputed",))
    landmarks = check_option(landmarks, "landmarks", LANDMARKS)
    source = _Columns(X, kernel, bandwidth, nu)
    n = source.n
    k = check_int(k, "k", low=1, high=n)
    block = BLOCK_SIZE if block_size is None else check_int(block_size, "block_size", low=1)
    tol = check_real(tol, "tol", 0.0, 1.0)
    rng = as_generator(rng)
    total = float(source.diagonal.sum())
    if landmarks == "rpcholesky":
        F, pivots, d, rounds = _rpcholesky(source, k, block, tol, total, rng)
        W = scipy.linalg.solve_triangular(F[pivots], np.eye(pivots.size), lower=True)
    else:
        pivots = rng.choice(n, size=k, replace=False)
        if landmarks == "leverage":
            F0, _, _ = _factor(source, pivots, source.diagonal.copy())
            ridge = max((total - float(np.sum(F0 ** 2))) / k, np.finfo(float).tiny)
            core = F0.T @ F0 + ridge * np.eye(F0.shape[1])
            scores = np.einsum("ij,ij->i", F0 @ np.linalg.inv(core), F0)
            scores = np.maximum(scores, 0.0) + 1e-12
            pivots = rng.choice(n, size=k, replace=False, p=scores / scores.sum())
        F, d, W = _factor(source, pivots, source.diagonal.copy())
        rounds = 1
    residual = float(max(d.sum(), 0.0))
    r = F.shape[1]
    message = f"rank-{r} Nystrom approximation by {landmarks}; tr(K - FF^T) = " \
              f"{residual:.3g} ({residual / max(total, 1e-300):.2g} of tr K)"
    if r < k:
        message += f"; stopped at rank {r} < k = {k} (" + (
            "tol met" if tol and residual <= tol * total else "numerical rank of K") + ")"
    return NystromResult(pivots=np.asarray(pivots), F=F, W=W, residual_trace=residual,
                         error_estimate=residual, confidence=1.0, n_passes=rounds,
                         n_matvecs=source.evaluated, method=landmarks,
                         status=Status.CONVERGED, message=message)


def _check_residual(d: np.ndarray, total: float) -> None:
    eps = np.finfo(np.float64).eps
    if d.min() < -100 * eps * max(total, 1.0) * max(1, d.size) ** 0.5:
        raise ValueError("`X` must be positive semidefinite: the residual diagonal of the "
                         f"Cholesky steps reached {d.min():.3g}")


def _factor(source: _Columns, pivots: np.ndarray, d: np.ndarray):
    """F for fixed pivots (from the eigendecomposition of K_SS, dropping directions at
    the rounding level), the residual diagonal, and W with F = K[:, pivots] W^T."""
    C = source(pivots)
    core = C[pivots]
    w, V = np.linalg.eigh((core + core.T) / 2)
    if w.min() < -1e-8 * max(w.max(), 1e-300):
        raise ValueError("`X` must be positive semidefinite: K restricted to the landmarks "
                         f"has eigenvalue {w.min():.3g}")
    keep = w > np.finfo(float).eps * max(w.max(), 1e-300) * len(w)
    W = (V[:, keep] / np.sqrt(w[keep])).T
    F = C @ W.T
    d = d - np.einsum("ij,ij->i", F, F)
    _check_residual(d, float(source.diagonal.sum()))
    return F, np.maximum(d, 0.0), W


def _rpcholesky(source: _Columns, k: int, block: int, tol: float, total: float, rng):
    n = source.n
    d = source.diagonal.copy()
    F = np.zeros((n, k))
    pivots = np.zeros(k, dtype=np.int64)
    r = 0
    rounds = 0
    eps = np.finfo(np.float64).eps
    # residual diagonal entries below this are rounding noise (numerical rank reached)
    floor = 10 * n * eps * float(source.diagonal.max(initial=0.0))
    while r < k:
        live = np.where(d > floor, d, 0.0)
        mass = float(live.sum())
        if mass == 0.0 or float(d.sum()) <= max(tol * total, n * eps * total):
            break
        size = min(block, k - r)
        draw = rng.choice(n, size=size, p=live / mass)
        rounds += 1
        C = source(draw)                                     # K[:, draw]
        C -= F[:, :r] @ F[draw, :r].T                        # residual columns
        G = C[draw].copy()
        accepted = _reject((G + G.T) / 2, live[draw], rng.random(size), floor)
        if accepted.size == 0:
            continue
        chosen = draw[accepted]
        core = G[np.ix_(accepted, accepted)]
        try:
            Lc = np.linalg.cholesky((core + core.T) / 2)
        except np.linalg.LinAlgError:
            raise ValueError("`X` must be positive semidefinite: a block of residual "
                             "pivots is not positive definite") from None
        # the new columns H Lc^{-T}, H = C[:, accepted]: one matrix product
        inverse = scipy.linalg.solve_triangular(Lc, np.eye(accepted.size), lower=True,
                                                check_finite=False)
        new = C[:, accepted] @ inverse.T
        F[:, r:r + accepted.size] = new
        pivots[r:r + accepted.size] = chosen
        r += accepted.size
        d = d - np.einsum("ij,ij->i", new, new)
        _check_residual(d, total)
        d = np.maximum(d, 0.0)
        d[chosen] = 0.0
    return F[:, :r], pivots[:r], d, rounds
