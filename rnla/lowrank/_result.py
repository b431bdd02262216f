"""The result objects of the low-rank routines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rnla._status import Status

__all__ = ["SVDResult", "EighResult", "InterpolativeResult"]


@dataclass
class _Cost:
    error_estimate: float
    confidence: float
    n_passes: int
    n_matvecs: int
    method: str
    status: Status
    message: str

    @property
    def converged(self) -> bool:
        """Whether the requested accuracy was met (``status == "converged"``)."""
        return self.status == Status.CONVERGED


@dataclass
class SVDResult(_Cost):
    """A rank-k approximation ``A ~ U diag(s) Vt`` (of ``A - 1 mu^T`` with ``center``).

    Attributes
    ----------
    U : array of shape (m, k)
        Orthonormal left singular vectors, in A's namespace and dtype.
    s : array of shape (k,)
        Singular values, decreasing.
    Vt : array of shape (k, n)
        Orthonormal right singular vectors (rows); each row's entry of largest
        magnitude is positive, so the signs are deterministic.
    mean : array of shape (n,) or None
        The column means ``mu`` subtracted implicitly (``center=True``).
    error_estimate : float
        An upper bound on the spectral-norm error ``||A - U diag(s) Vt||_2`` that holds
        with probability at least ``confidence`` (see ``docs/lowrank.md``).
    confidence : float
        The probability of that bound.
    n_passes : int
        Products with A or A^T (each is one read of A).
    n_matvecs : int
        Columns multiplied in those products, all together.
    method : str
        ``"subspace"``, ``"krylov"``, ``"adaptive"`` or ``"single_pass"``.
    status : Status
        ``"converged"`` (with ``tol``: the bound meets it), ``"maxiter"`` (the rank or
        iteration cap came first).
    message : str
    """

    U: Any = None
    s: Any = None
    Vt: Any = None
    mean: Any = None

    def __iter__(self):
        """Unpack as ``U, s, Vt = rnla.lowrank.svd(A, k)``."""
        return iter((self.U, self.s, self.Vt))


@dataclass
class EighResult(_Cost):
    """k eigenpairs of a symmetric A: ``A ~ V diag(w) V^T``.

    Attributes
    ----------
    eigenvalues : array of shape (k,)
        In the order ``which`` asks for (``"LA"``: decreasing, ``"SA"``: increasing,
        ``"LM"``: decreasing magnitude; ``"BE"``: increasing, half from each end).
    eigenvectors : array of shape (n, k)
        Orthonormal Ritz vectors.
    residual_norms : host array of shape (k,)
        ``||A v_i - w_i v_i||``: each ``w_i`` is within it of an eigenvalue of A.
    error_estimate : float
        ``eigh``: the largest residual norm (a bound that always holds, ``confidence``
        1).  ``nystrom``: a bound on ``||A - V diag(w) V^T||_2`` holding with
        probability ``confidence``.
    """

    eigenvalues: Any = None
    eigenvectors: Any = None
    residual_norms: Any = None

    def __iter__(self):
        """Unpack as ``w, V = rnla.lowrank.eigh(A, k)``."""
        return iter((self.eigenvalues, self.eigenvectors))


@dataclass
class InterpolativeResult(_Cost):
    """An interpolative decomposition ``A ~ A[:, columns] @ X`` (two-sided:
    ``A ~ Z @ A[rows][:, columns] @ X``).

    Attributes
    ----------
    columns : host int array of shape (k,)
        The skeleton columns.
    X : array of shape (k, n)
        Interpolation coefficients; ``X[:, columns]`` is the identity.
    rows : host int array of shape (k,) or None
        The skeleton rows (``two_sided=True``).
    Z : array of shape (m, k) or None
        Row interpolation coefficients; ``Z[rows]`` is the identity.
    error_estimate : float
        An upper bound on ``||A - A[:, columns] X||_2`` (two-sided: on the two-sided
        error) holding with probability ``confidence``.
    """

    columns: Any = None
    X: Any = None
    rows: Any = None
    Z: Any = None
