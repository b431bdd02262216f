"""The result objects of the low-rank routines."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from rnla._status import Status, summary_repr

__all__ = ["SVDResult", "EighResult", "InterpolativeResult"]


#: the fields every low-rank result shares, documented once (appended to each docstring)
_SHARED = """    error_estimate : float
        An upper bound on the spectral-norm error of the approximation (for ``eigh``:
        the largest residual norm, which bounds the distance from each value to an
        eigenvalue of A) that holds with probability at least ``confidence``
        (docs/lowrank.md); NaN when ``estimate_error=False``.
    confidence : float
        The probability of that bound (1 for ``eigh``'s residual bound).
    n_passes : int
        Products with A or A^T (each is one read of A).
    n_matvecs : int
        Columns multiplied in those products, all together.
    method : str
        The path that ran (``"krylov"``, ``"subspace"``, ``"adaptive"``,
        ``"single_pass"``, ``"nystrom"``, ``"column"``, ``"two_sided"``).
    status : Status
        ``"converged"``, or ``"maxiter"`` when a rank or iteration cap came before
        ``tol``.
    message : str
        The outcome in words.
"""


#: the shared fields, shown after a result's own ones in its repr
_COST_FIELDS = ("error_estimate", "confidence", "n_passes", "n_matvecs", "method", "status",
                "message")


@dataclass(repr=False)
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

    def __repr__(self) -> str:
        shown = tuple(f.name for f in fields(self) if f.name not in _COST_FIELDS
                      and not f.name.startswith("_"))
        return summary_repr(self, shown + ("error_estimate", "method", "status",
                                           "n_passes", "n_matvecs"))


@dataclass(repr=False)
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
    """

    U: Any = None
    s: Any = None
    Vt: Any = None
    mean: Any = None

    def __iter__(self):
        """Unpack as ``U, s, Vt = rnla.lowrank.svd(A, k)``."""
        return iter((self.U, self.s, self.Vt))


@dataclass(repr=False)
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
    """

    eigenvalues: Any = None
    eigenvectors: Any = None
    residual_norms: Any = None

    def __iter__(self):
        """Unpack as ``w, V = rnla.lowrank.eigh(A, k)``."""
        return iter((self.eigenvalues, self.eigenvectors))


@dataclass(repr=False)
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
    """

    columns: Any = None
    X: Any = None
    rows: Any = None
    Z: Any = None


for _record in (SVDResult, EighResult, InterpolativeResult):
    _record.__doc__ = _record.__doc__.rstrip() + "\n" + _SHARED
