r"""Eigenpairs of symmetric matrices: block Krylov with Rayleigh-Ritz, and Nystrom.

``eigh`` builds the block Krylov space :math:`[\Omega, A\Omega, \dots, A^q\Omega]`
(orthonormalized block by block, CGS2), one pass per block, and takes the Ritz pairs
of :math:`T = Q^T A Q` at the end ``which`` asks for.  The residuals
:math:`r_i = A v_i - \theta_i v_i` come from the products already made, so every
Ritz value carries a bound that always holds: some eigenvalue of A lies within
:math:`\|r_i\|` of :math:`\theta_i` (A symmetric).

``nystrom`` is the numerically stable shifted Nystrom approximation
:math:`A \approx (A\Omega)(\Omega^T A \Omega)^{+}(A\Omega)^T` of a positive
semidefinite A (Tropp, Yurtsever, Udell and Cevher 2017, Algorithm 3; Frangella,
Tropp and Udell 2023, Algorithm 2.1): with :math:`Y_\nu = A\Omega + \nu\Omega`, a
shift :math:`\nu` at the rounding level, the Cholesky factor
:math:`L L^T = \Omega^T Y_\nu` and the SVD :math:`Y_\nu L^{-T} = U \Sigma W^T`, the
eigenvalues are :math:`\max(\Sigma^2 - \nu, 0)`.  One pass (plus q for power steps).
"""

from __future__ import annotations

import math

import numpy as np

from rnla._random import SeedLike, as_generator
from rnla._status import Status
from rnla._validation import check_int, check_option, check_real
from rnla.backend import to_host
from rnla.lowrank._estimate import CONFIDENCE, N_PROBES, residual_bound
from rnla.lowrank._operator import (
    Columns,
    Operand,
    check_rank,
    check_symmetric_block,
    operand_of,
    orthonormalize,
)
from rnla.lowrank._result import EighResult

__all__ = ["eigh", "nystrom", "WHICH"]

WHICH = ("LA", "SA", "LM", "BE")
#: default Krylov depth of eigh (q + 1 passes)
EIGH_DEPTH = 8


def _check_symmetric(op: Operand, rng, what: str) -> None:
    """Refuse a non-symmetric A from one product with two random vectors: symmetric A
    has :math:`y^T A x = x^T A y` to rounding (one pass, 2 columns)."""
    xp = op.xp
    X = op.gaussian(op.shape[1], 2, rng)
    AX = op.matmat(X)
    left = float(to_host(xp.sum(X[:, 1] * AX[:, 0])))
    right = float(to_host(xp.sum(X[:, 0] * AX[:, 1])))
    scale = float(to_host(xp.linalg.vector_norm(AX))) * float(to_host(xp.linalg.vector_norm(X)))
    eps = float(np.finfo(np.float32 if op.dtype == xp.float32 else np.float64).eps)
    if abs(left - right) > math.sqrt(eps) * scale:
        raise ValueError(f"`A` must be symmetric for {what}; a random probe gives "
                         f"y^T A x - x^T A y = {left - right:.3g} (relative "
                         f"{abs(left - right) / scale:.2g})")


def _select(theta: np.ndarray, k: int, which: str) -> np.ndarray:
    """Indices of the k Ritz values ``which`` asks for, in the documented order."""
    order = np.argsort(theta)
    if which == "LA":
        return order[::-1][:k]
    if which == "SA":
        return order[:k]
    if which == "LM":
        return np.argsort(-np.abs(theta), kind="stable")[:k]
    low = k // 2
    return np.concatenate([order[:low], order[theta.size - (k - low):]])


def eigh(A, k: int, *, which: str = "LA", tol: float | None = None, oversample: int = 10,
         block_size: int | None = None, maxiter: int | None = None,
         rng: SeedLike = None) -> EighResult:
    r"""k eigenpairs of a symmetric A by randomized block Krylov iteration.

    Parameters
    ----------
    A : array, scipy.sparse matrix, LinearOperator, MatrixFreeOperator or Array-API array
        Shape (n, n), symmetric (checked with one random probe).
    k : int
        Eigenpairs wanted, in [1, n].
    which : {"LA", "SA", "LM", "BE"}, default="LA"
        Largest algebraic, smallest algebraic, largest magnitude, or both ends (half
        from each, one more from the top when k is odd), as scipy's ``eigsh``.
    tol : float in (0, 1), optional
        Deepen the Krylov space until every residual :math:`\|A v_i - w_i v_i\|` is at
        most ``tol`` times the largest Ritz magnitude (at most ``maxiter`` blocks).
    oversample : int, default=10
        Block size k + oversample.
    block_size : int, optional
        The block size b instead (1 is Lanczos with full reorthogonalization): a
        smaller block reaches a given accuracy in fewer products, a larger one in fewer
        passes and with more matrix-matrix work; the Krylov space needs
        :math:`b (q + 1) \ge k`.
    maxiter : int, optional
        Krylov depth q (default 8 without ``tol``, at most 50 with it, or
        :math:`\lceil 500 / b \rceil` with a ``block_size``): q + 1 passes.
    rng : int, Generator, SeedSequence, RandomState or None

    Returns
    -------
    EighResult
        ``eigenvalues, eigenvectors`` (unpackable), ``residual_norms``,
        ``error_estimate`` (the largest residual norm; ``confidence`` 1), ``n_passes``,
        ``n_matvecs``, ``method`` ``"krylov"``, ``status``, ``message``.

    Notes
    -----
    Cost: q + 1 passes with b = k + p columns (and a symmetry probe of 2 columns for
    b = 1),
    :math:`O(n (bq)^2)` for the orthonormalization and :math:`O((bq)^3)` for the
    small eigenproblem.

    Examples
    --------
    >>> import numpy as np
    >>> import rnla
    >>> rng = np.random.default_rng(0)
    >>> Q, _ = np.linalg.qr(rng.standard_normal((400, 400)))
    >>> w0 = np.concatenate([[-3.0, 5.0, 4.0], rng.uniform(-1, 1, 397)])
    >>> A = (Q * w0) @ Q.T
    >>> res = rnla.lowrank.eigh(A, 3, which="BE", rng=0)
    >>> np.round(res.eigenvalues, 8).tolist()
    [-3.0, 4.0, 5.0]
    >>> bool(res.error_estimate < 1e-4)   # each value is within it of an eigenvalue
    True
    """
    op = operand_of(A, what="rnla.lowrank.eigh", square=True, matrix_free=True)
    n = op.shape[0]
    k = check_rank(k, op.shape)
    check_option(which, "which", WHICH)
    if tol is not None:
        tol = check_real(tol, "tol", 0.0, 1.0, low_open=True, high_open=True)
    oversample = check_int(oversample, "oversample", low=0)
    size = min(k + oversample, n) if block_size is None else \
        check_int(block_size, "block_size", low=1, high=n)
    default_cap = EIGH_DEPTH if tol is None else 50
    if block_size is not None:
        default_cap = max(default_cap, -(-500 // size), -(-k // size) - 1)
    depth_cap = default_cap if maxiter is None else check_int(maxiter, "maxiter", low=0)
    if size * (depth_cap + 1) < k:
        raise ValueError(f"the Krylov space of block_size={size} and maxiter={depth_cap} "
                         f"has dimension {size * (depth_cap + 1)} < k={k}; raise maxiter")
    rng = as_generator(rng)
    if size < 2:
        _check_symmetric(op, rng, "eigh")
    xp = op.xp
    Q = orthonormalize(op.gaussian(n, size, rng), xp)
    basis, images = Columns(Q), None
    status = Status.CONVERGED
    T = np.zeros((0, 0))
    checked = 0
    for depth in range(depth_cap + 1):
        product = op.matmat(Q)
        images = Columns(product) if images is None else images.append(product)
        if depth == 0 and size >= 2:
            check_symmetric_block(op, Q, product, "eigh")
        last = depth == depth_cap or (depth + 2) * size > n
        dimension = basis.columns
        # Rayleigh-Ritz when the space has grown by 5% since the last one (at most 5%
        # more products than checking every block), or at the end
        check = last or (tol is not None and dimension >= k
                         and dimension >= 1.05 * checked + size)
        if not last:
            Q = orthonormalize(product, xp, against=basis.view)
        if not check:
            basis.append(Q)
            continue
        checked = dimension
        # the Rayleigh quotient Q^T A Q grows by the new columns (A symmetric)
        new = to_host(basis.view.T @ images.view[:, T.shape[0]:]).astype(np.float64)
        old = T.shape[0]
        T = np.block([[T, new[:old]], [new[:old].T, new[old:]]])
        theta, Y = np.linalg.eigh((T + T.T) / 2)
        pick = _select(theta, k, which)
        theta, Y = theta[pick], Y[:, pick]
        scale = float(np.max(np.abs(theta)))
        if not last:
            # Krylov relation A [Q_0..Q_j] = [Q_0..Q_j] T + Q_{j+1} R E_j^T: the residual
            # of a Ritz pair is ||R y_j|| (y_j: the last block of y), O(n b^2)
            R = to_host(Q.T @ product).astype(np.float64)
            cheap = np.linalg.norm(R @ Y[-size:, :], axis=0)
            if tol is None or float(cheap.max()) > tol * scale:
                basis.append(Q)
                continue
        Yd = op.from_host(Y)
        vectors = basis.view @ Yd
        theta = op.from_host(theta)
        residuals = to_host(xp.linalg.vector_norm(images.view @ Yd - vectors * theta[None, :],
                                                  axis=0)).astype(np.float64)
        if tol is not None and residuals.max() > tol * scale:
            status = Status.MAXITER
        break
    bound = float(residuals.max())
    message = (f"{k} Ritz pairs ({which}) from a Krylov space of dimension "
               f"{basis.columns}; each is within {bound:.3g} of an eigenvalue of A")
    if status == Status.MAXITER:
        message += f" (tol={tol:g} not met within maxiter={depth_cap}; raise maxiter)"
    return EighResult(eigenvalues=theta, eigenvectors=vectors, residual_norms=residuals,
                      error_estimate=bound, confidence=1.0, n_passes=op.n_passes,
                      n_matvecs=op.n_matvecs, method="krylov", status=status,
                      message=message)


def nystrom(A, k: int, *, oversample: int = 10, n_iter: int = 0,
            estimate_error: bool = True, rng: SeedLike = None) -> EighResult:
    r"""Rank-k Nystrom approximation :math:`A \approx V \operatorname{diag}(w) V^T` of a
    positive semidefinite A (shifted for stability).

    Parameters
    ----------
    A : array, scipy.sparse matrix, LinearOperator, MatrixFreeOperator or Array-API array
        Shape (n, n), symmetric positive semidefinite: symmetry is checked with a random probe, and
        an eigenvalue of :math:`\Omega^T A \Omega` below minus the rounding level
        raises ``ValueError``.
    k : int
        Rank, in [1, n].
    oversample : int, default=10
        The sketch has k + oversample columns; the approximation is truncated to k.
    n_iter : int, default=0
        Power steps :math:`\Omega \leftarrow \mathrm{orth}(A\Omega)` before the sketch
        (one pass each), for slowly decaying spectra.
    estimate_error : bool, default=True
        Bound :math:`\|A - V \operatorname{diag}(w) V^T\|_2` (up to 6 passes, 10
        columns).
    rng : int, Generator, SeedSequence, RandomState or None

    Returns
    -------
    EighResult
        ``eigenvalues`` (decreasing, nonnegative), ``eigenvectors``,
        ``error_estimate`` with ``confidence``, ``n_passes``, ``n_matvecs``,
        ``method`` ``"nystrom"``.

    Notes
    -----
    Cost: 2 + q passes (one is the symmetry probe) with k + p columns, plus
    :math:`O(n (k + p)^2)`.

    Examples
    --------
    >>> import numpy as np
    >>> import rnla
    >>> G = np.random.default_rng(0).standard_normal((300, 20))
    >>> A = G @ G.T                                     # rank 20, PSD
    >>> res = rnla.lowrank.nystrom(A, 20, rng=0)
    >>> V, w = res.eigenvectors, res.eigenvalues
    >>> bool(np.linalg.norm(A - (V * w) @ V.T) < 1e-8 * np.linalg.norm(A))
    True
    """
    op = operand_of(A, what="rnla.lowrank.nystrom", square=True,
                    matrix_free=True)
    n = op.shape[0]
    k = check_rank(k, op.shape)
    oversample = check_int(oversample, "oversample", low=0)
    n_iter = check_int(n_iter, "n_iter", low=0)
    rng = as_generator(rng)
    _check_symmetric(op, rng, "nystrom")
    xp = op.xp
    size = min(k + oversample, n)
    Omega = orthonormalize(op.gaussian(n, size, rng), xp)
    for _ in range(n_iter):
        Omega = orthonormalize(op.matmat(Omega), xp)
    Y = op.matmat(Omega)
    eps = float(np.finfo(np.float32 if op.dtype == xp.float32 else np.float64).eps)
    shift = math.sqrt(n) * eps * float(to_host(xp.linalg.vector_norm(Y)))
    core = Omega.T @ Y
    core = (core + core.T) / 2
    spectrum = to_host(xp.linalg.eigvalsh(core)).astype(np.float64)
    lowest, top = float(spectrum.min()), float(np.abs(spectrum).max())
    if lowest < -max(100 * shift, 100 * eps * top * size):
        raise ValueError(f"`A` must be positive semidefinite for nystrom; the sketch "
                         f"Omega^T A Omega has eigenvalue {lowest:.3g} (largest {top:.3g}); "
                         "use rnla.lowrank.eigh for an indefinite A")
    Y = Y + shift * Omega
    core = Omega.T @ Y
    L = xp.linalg.cholesky((core + core.T) / 2)
    B = xp.linalg.solve(L, Y.T).T
    U, sigma, _ = xp.linalg.svd(B, full_matrices=False)
    w = sigma[:k] ** 2 - shift
    w = xp.where(w > 0, w, xp.zeros_like(w))
    V = U[:, :k]
    bound, confidence = math.nan, math.nan
    if estimate_error:
        def times(X):
            return op.matmat(X) - V @ (w[:, None] * (V.T @ X))

        bound, _ = residual_bound(times, times, op.gaussian(n, N_PROBES, rng), xp)
        confidence = CONFIDENCE
    message = f"rank-{k} Nystrom approximation from {size} columns, shift {shift:.3g}"
    return EighResult(eigenvalues=w, eigenvectors=V, residual_norms=None,
                      error_estimate=bound, confidence=confidence, n_passes=op.n_passes,
                      n_matvecs=op.n_matvecs, method="nystrom", status=Status.CONVERGED,
                      message=message)
