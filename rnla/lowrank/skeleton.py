r"""Interpolative decompositions from a sketch: :math:`A \approx A_{:,J} X` and
:math:`A \approx Z A_{I,J} X`.

The column skeleton comes from a pivoted QR of the small sketch :math:`Y = S A`
(l x n, l = k + p rows; Martinsson, Rokhlin and Tygert 2011; Voronin and Martinsson
2017): :math:`Y P = Q [R_{11}\ R_{12}]`, the first k pivots are the columns J and
:math:`X P = [I\ \ R_{11}^{-1} R_{12}]`.  With ``tol`` the rank is the number of
:math:`|R_{ii}|` above ``tol`` times :math:`|R_{00}|`.  The two-sided decomposition
repeats this on the rows of :math:`C = A_{:,J}` (its pivoted QR, exactly: C has k
columns).  The pivoted QR runs on the host (LAPACK ``geqp3``); only the sketch and
the coefficients cross to it.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from rnla._random import SeedLike, as_generator
from rnla._status import Status
from rnla._validation import check_int, check_option, check_real
from rnla.backend import to_host
from rnla.lowrank._estimate import CONFIDENCE, N_PROBES, residual_bound
from rnla.lowrank._operator import Operand, check_rank, operand_of, orthonormalize
from rnla.lowrank._result import InterpolativeResult
from rnla.lowrank.singular import TEST_MATRICES
from rnla.sketch import make_sketch

__all__ = ["interpolative"]


def _skeleton(Y: np.ndarray, k: int | None, tol: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Pivots and coefficients ``(J, T)`` of the column ID of the host matrix Y, with
    ``T = R11^{-1} R12`` for the rank k (or the rank ``tol`` gives)."""
    R, pivots = sla.qr(Y, mode="r", pivoting=True)
    diagonal = np.abs(np.diag(R))
    if k is None:
        k = max(int(np.count_nonzero(diagonal > tol * diagonal[0])), 1) if diagonal[0] else 1
    T = sla.solve_triangular(R[:k, :k], R[:k, k:], check_finite=False)
    return pivots, T


def _coefficients(pivots: np.ndarray, T: np.ndarray, size: int) -> np.ndarray:
    k = T.shape[0]
    X = np.zeros((k, size), dtype=T.dtype)
    X[np.arange(k), pivots[:k]] = 1.0
    X[:, pivots[k:]] = T
    return X


def _columns(op: Operand, J: np.ndarray):
    """``A[:, J]`` in A's library (k products with unit vectors for an operator)."""
    A = op.A
    if isinstance(A, spla.LinearOperator):
        E = np.zeros((op.shape[1], J.size), dtype=A.dtype)
        E[J, np.arange(J.size)] = 1.0
        return op.matmat(E)
    if sp.issparse(A):
        return A[:, J].toarray()
    if op.engine.kind == "xp":
        return op.xp.take(A, op.engine.from_host(J, A), axis=1)
    return A[:, J]


def interpolative(A, k: int | None = None, *, tol: float | None = None,
                  two_sided: bool = False, oversample: int = 10, n_iter: int = 1,
                  test_matrix: str = "gaussian", estimate_error: bool = True,
                  rng: SeedLike = None) -> InterpolativeResult:
    r"""Column (or two-sided) interpolative decomposition of A from a sketch.

    Parameters
    ----------
    A : array, scipy.sparse matrix, LinearOperator or Array-API array, shape (m, n)
        Two-sided decompositions take numpy arrays and scipy.sparse matrices.
    k : int, optional
        The rank, in [1, min(m, n)]; required unless ``tol`` is given.
    tol : float in (0, 1), optional
        The rank from the pivoted QR of the sketch: the pivots with
        :math:`|R_{ii}| > \mathrm{tol}\,|R_{00}|` (the sketch has
        ``min(m, n, 256)`` rows then; k, if given, caps the rank).
    two_sided : bool, default=False
        Also pick k skeleton rows: :math:`A \approx Z A_{I,J} X`.
    oversample : int, default=10
        Extra sketch rows p (l = k + p).
    n_iter : int, default=1
        Power steps :math:`Y \leftarrow Y A^T A` (orthonormalized; two passes each).
        One step gave the error of a pivoted QR of A itself on every matrix measured
        (without it: 2-4 times larger), hence the default.
    test_matrix : {"gaussian", "srht", "sparse_sign", "countsketch", "uniform"}
        The sketch kind S of :math:`Y = S A`.
    estimate_error : bool, default=True
        Bound the spectral-norm error (up to 6 passes, 10 columns).
    rng : int, Generator, SeedSequence, RandomState or None

    Returns
    -------
    InterpolativeResult
        ``columns``, ``X`` (and ``rows``, ``Z``), ``error_estimate``, ``confidence``,
        ``n_passes``, ``n_matvecs``, ``method`` (``"column"`` or ``"two_sided"``).

    Notes
    -----
    Cost: one pass for the sketch, :math:`O(l^2 n)` for the pivoted QR of Y, and
    :math:`O(k^2 m)` more for the rows.  The error is within a factor
    :math:`\sqrt{1 + k(n - k)}` of :math:`\sigma_{k+1}` in the worst case, much
    closer in practice (compare with ``scipy.linalg.interpolative``).

    Examples
    --------
    >>> import numpy as np
    >>> import rnla
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((300, 12)) @ rng.standard_normal((12, 200))
    >>> res = rnla.lowrank.interpolative(A, 12, rng=0)
    >>> bool(np.allclose(A[:, res.columns] @ res.X, A))
    True
    """
    op = operand_of(A, what="rnla.lowrank.interpolative")
    m, n = op.shape
    if k is None and tol is None:
        raise ValueError("`k` (the rank) or `tol` (a relative accuracy) is required; got "
                         "neither")
    k = None if k is None else check_rank(k, op.shape)
    if tol is not None:
        tol = check_real(tol, "tol", 0.0, 1.0, low_open=True, high_open=True)
    oversample = check_int(oversample, "oversample", low=0)
    n_iter = check_int(n_iter, "n_iter", low=0)
    check_option(test_matrix, "test_matrix", TEST_MATRICES)
    if two_sided and op.engine.kind != "host":
        raise TypeError("`A` is an Array-API array; two_sided=True runs on numpy arrays and "
                        "scipy.sparse matrices only (its row pivoting is a host QR of "
                        "A[:, columns], m x k)")
    rng = as_generator(rng)
    size = min(m, n, 256 if k is None else k + oversample)
    if tol is not None and k is not None:
        size = min(m, n, max(size, k + oversample))
    S = make_sketch(test_matrix, size, m, rng=rng,
                    dtype=np.float32 if op.dtype == op.xp.float32 else np.float64)
    Y = op.sketch_rows(S)
    for _ in range(n_iter):
        W = orthonormalize(op.matmat(orthonormalize(Y.T, op.xp)), op.xp)
        Y = op.rmatmat(W).T
    pivots, T = _skeleton(np.asarray(to_host(Y), dtype=np.float64), None if tol else k, tol)
    if k is not None and T.shape[0] > k:
        pivots, T = _skeleton(np.asarray(to_host(Y), dtype=np.float64), k, None)
    rank = T.shape[0]
    J = np.sort(pivots[:rank])
    order = np.argsort(pivots[:rank])
    X_host = _coefficients(pivots, T, n)[order]
    dtype = np.float32 if op.dtype == op.xp.float32 else np.float64
    X = op.engine.from_host(X_host.astype(dtype), op.A)
    C = _columns(op, J)
    rows, Z = None, None
    left = C
    if two_sided:
        row_pivots, T_rows = _skeleton(np.asarray(C, dtype=np.float64).T, rank, None)
        rows = np.sort(row_pivots[:rank])
        Z = _coefficients(row_pivots, T_rows, m)[np.argsort(row_pivots[:rank])].T.astype(dtype)
        left = Z @ np.asarray(C)[rows]
    xp = op.xp
    bound, confidence = math.nan, math.nan
    if estimate_error:
        def times(V):
            return op.matmat(V) - left @ (X @ V)

        def times_transpose(W):
            return op.rmatmat(W) - X.T @ (left.T @ W)

        bound, _ = residual_bound(times, times_transpose, op.gaussian(n, N_PROBES, rng), xp)
        confidence = CONFIDENCE
    method = "two_sided" if two_sided else "column"
    message = f"rank-{rank} {method.replace('_', '-')} interpolative decomposition"
    return InterpolativeResult(columns=J, X=X, rows=rows, Z=Z, error_estimate=bound,
                               confidence=confidence, n_passes=op.n_passes,
                               n_matvecs=op.n_matvecs, method=method,
                               status=Status.CONVERGED, message=message)
