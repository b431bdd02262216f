r"""The spectral norm and the condition number from products, by block Krylov
iteration (:func:`rnla.lowrank.eigh` on :math:`A^T A`, and on
:math:`A^{-T} A^{-1}` through a factorization for the condition number)."""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from rnla._random import SeedLike, as_generator
from rnla._status import Status
from rnla._validation import check_real
from rnla.backend import to_host
from rnla.lowrank._operator import MatrixFreeOperator, Operand, operand_of
from rnla.lowrank.symmetric import eigh
from rnla.spectrum._result import NormResult

__all__ = ["norm_estimate"]

#: the probability that a Krylov space from a random start holds the top singular value
KRYLOV_CONFIDENCE = 0.99


def _largest(op: Operand, tol: float, rng, inverse=None) -> tuple[float, float, Status]:
    """(sigma_1, bound on its error, status) of A (or of A^{-1} through ``inverse``)."""
    if inverse is None:
        def gram(X):
            return op.rmatmat(op.matmat(X))
        like = op.like
    else:
        gram, like = inverse, np.empty(0)
    n = op.shape[1]
    G = MatrixFreeOperator(gram, (n, n), like=like if op.engine.kind == "xp" else
                           np.empty(0, dtype=op.dtype), symmetric=True)
    res = eigh(G, 1, which="LA", tol=tol, maxiter=50, rng=rng)
    theta = max(float(to_host(res.eigenvalues)[0]), 0.0)
    sigma = math.sqrt(theta)
    bound = math.sqrt(theta + res.error_estimate) - sigma
    return sigma, bound, res.status


def _inverse_gram(A):
    """``X -> A^{-T} A^{-1} X`` from one LU factorization of a host square A."""
    if sp.issparse(A):
        lu = spla.splu(sp.csc_matrix(A, dtype=np.float64))
        return lambda X: lu.solve(lu.solve(np.asarray(X, dtype=np.float64)), trans="T")
    lu = scipy.linalg.lu_factor(np.asarray(A, dtype=np.float64))
    return lambda X: scipy.linalg.lu_solve(lu, scipy.linalg.lu_solve(lu, X), trans=1)


def norm_estimate(A, *, cond: bool = False, tol: float = 1e-6,
                  rng: SeedLike = None) -> NormResult:
    r"""Estimate :math:`\|A\|_2` (and :math:`\kappa_2(A)`) by block Krylov iteration.

    Parameters
    ----------
    A : array, scipy.sparse matrix, LinearOperator, MatrixFreeOperator or Array-API array
        Shape (m, n); a ``MatrixFreeOperator`` needs ``rmatmat`` (or ``symmetric``).
    cond : bool, default=False
        Also estimate the condition number :math:`\|A\|_2\|A^{-1}\|_2` of a square
        numpy or scipy.sparse A, from one LU factorization (the smallest singular
        value is out of reach of products with A alone).
    tol : float in (0, 1), default=1e-6
        Relative accuracy of :math:`\sigma_1^2` (the Krylov residual tolerance).
    rng : int, Generator, SeedSequence, RandomState or None

    Returns
    -------
    NormResult
        ``estimate`` (a Ritz value: never above :math:`\|A\|_2`), ``error_estimate``
        (from the Ritz residual: some singular value lies within it; that it is the
        largest holds with ``confidence``), ``condition_estimate``, ``n_matvecs``.

    Notes
    -----
    Cost: block Krylov with 11 columns per block on :math:`A^T A` (two products per
    block) until the residual meets ``tol``, typically a few blocks; the condition
    number adds an LU factorization and as many solves.

    Examples
    --------
    >>> import numpy as np, rnla
    >>> A = np.random.default_rng(0).standard_normal((300, 200))
    >>> res = rnla.spectrum.norm_estimate(A, rng=0)
    >>> bool(abs(res.estimate - np.linalg.norm(A, 2)) < 1e-6 * res.estimate)
    True
    >>> B = A[:200] + 20 * np.eye(200)
    >>> res = rnla.spectrum.norm_estimate(B, cond=True, rng=0)
    >>> bool(abs(res.condition_estimate / np.linalg.cond(B) - 1) < 1e-5)
    True
    """
    op = operand_of(A, what="rnla.spectrum.norm_estimate", matrix_free=True)
    tol = check_real(tol, "tol", 0.0, 1.0, low_open=True, high_open=True)
    rng = as_generator(rng)
    if cond:
        if op.engine.kind != "host" or isinstance(op.A, (spla.LinearOperator,
                                                         MatrixFreeOperator)):
            raise TypeError("`cond=True` needs a numpy array or a scipy.sparse matrix (its "
                            "smallest singular value comes from an LU factorization); got "
                            f"{type(A).__name__}")
        if op.shape[0] != op.shape[1]:
            raise ValueError(f"`A` must be square for cond=True; got shape {op.shape}")
    sigma, bound, status = _largest(op, tol, rng)
    condition = math.nan
    message = f"||A||_2 = {sigma:.8g} (within {bound:.2g})"
    if cond:
        try:
            inverse = _inverse_gram(op.A)
        except (RuntimeError, scipy.linalg.LinAlgError, ValueError):
            inverse = None
        if inverse is None:
            condition = math.inf
        else:
            inverse_norm, _, status_inverse = _largest(op, tol, rng, inverse=inverse)
            condition = sigma * inverse_norm
            if status_inverse != Status.CONVERGED:
                status = status_inverse
        message += f", condition number {condition:.6g}"
    return NormResult(estimate=sigma, condition_estimate=condition, error_estimate=bound,
                      confidence=KRYLOV_CONFIDENCE, n_passes=op.n_passes,
                      n_matvecs=op.n_matvecs, method="krylov", status=status,
                      message=message)
