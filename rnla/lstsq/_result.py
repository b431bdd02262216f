"""The result object of the least-squares and ridge solvers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnla._status import Status

__all__ = ["LstsqResult", "LstsqProgress"]


@dataclass
class LstsqProgress:
    """What a ``callback`` of :func:`rnla.lstsq` / :func:`rnla.ridge` sees.

    Attributes
    ----------
    n_iter : int
        Inner iterations so far.
    x : ndarray of shape (d,) or (d, k)
        The current iterate (a copy).
    residual_norm : float or ndarray of shape (k,)
        Its residual norm.
    backward_error : float or ndarray of shape (k,)
        Its backward-error estimate (the quantity compared with ``tol``).
    elapsed : float
        Seconds since the solver started.
    """

    n_iter: int
    x: np.ndarray
    residual_norm: float | np.ndarray
    backward_error: float | np.ndarray
    elapsed: float


@dataclass
class LstsqResult:
    """Solution of a least-squares or ridge problem.

    Attributes
    ----------
    x : ndarray of shape (d,) or (d, k)
        The solution, in A's floating dtype.
    residual_norm : float or ndarray of shape (k,)
        ``||b - A x||`` (for ridge ``sqrt(||b - A x||^2 + alpha ||x||^2)``),
        computed from ``x`` at the end, not tracked by the iteration.
    n_iter : int
        Inner iterations, all refinement steps together (0 for ``"direct"`` and
        ``"sketch_solve"``); the largest over the columns of ``b``.
    status : Status
        ``"converged"``, ``"maxiter"``, ``"stalled"``, ``"sketch_failed"`` or
        ``"callback"``
        (a ``str`` enum: ``res.status == "converged"`` works).
    message : str
        The status in words, with what to do about it.
    method : str
        The path that ran: ``"direct"``, ``"precondition"``, ``"sketch_solve"`` or
        ``"ihs"`` (``method="auto"`` resolves to one of the first two).
    solver : str or None
        The inner solver of ``"precondition"``.
    backward_error : float, ndarray of shape (k,) or None
        The Karlson--Walden estimate of the normwise relative backward error of
        ``x`` that the stopping test used (None for ``"direct"`` and
        ``"sketch_solve"``).
    time_sketch, time_factor, time_iterate : float
        Seconds spent forming ``S @ A``, factoring it (the whole solve for
        ``"direct"``), and iterating.
    condition_estimate : float or None
        Estimate of the 2-norm condition number of the preconditioned operator
        ``A R^{-1}``, from the Lanczos tridiagonal of CG or the Golub--Kahan
        bidiagonal of LSQR/LSMR (first refinement step, first column of b):
        an underestimate that converges from inside.  About 3 for a sketch of
        4d rows that embeds range(A) (1 is perfect; an embedding with distortion
        eps gives at most (1 + eps)/(1 - eps)); above 30 the sketch failed to
        embed range(A) and ``status`` says ``"sketch_failed"`` unless the run
        converged anyway.  None where fewer than two iterations ran, for
        ``"ihs"`` and for the direct path.
    sketch_size : int
        Rows of the sketch (0 for ``"direct"``).
    rank : int
        Numerical rank: of the sketched matrix (``d`` unless the SVD path
        dropped directions), or of A for ``"direct"``.
    n_passes : int or None
        Dask ``A`` only: passes over A's chunks (the sketch's, then one per product
        of the iteration); None otherwise.
    time_per_pass : float or None
        Dask ``A`` only: mean seconds of one pass of the iteration; None otherwise.
    """

    x: np.ndarray
    residual_norm: float | np.ndarray
    n_iter: int
    status: Status
    message: str
    method: str
    solver: str | None = None
    backward_error: float | np.ndarray | None = None
    time_sketch: float = 0.0
    time_factor: float = 0.0
    time_iterate: float = 0.0
    condition_estimate: float | None = None
    sketch_size: int = 0
    rank: int = 0
    n_passes: int | None = None
    time_per_pass: float | None = None

    @property
    def converged(self) -> bool:
        """Whether ``status`` is ``"converged"``."""
        return self.status == Status.CONVERGED
