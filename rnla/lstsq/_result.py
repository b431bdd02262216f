"""The result object of the least-squares and ridge solvers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnla._status import Status, summary_repr

__all__ = ["LstsqResult", "LstsqProgress", "make_result"]


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


@dataclass(repr=False)
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
        ``A R^{-1}`` (the figure that decides ``"sketch_failed"``), on every path and
        engine: from the Lanczos tridiagonal of CG or the Golub--Kahan bidiagonal of
        LSQR/LSMR (first refinement step, first column of b), an underestimate that
        converges from inside; where the iteration ran on ``A D^{-1}`` instead (the
        column-scaled path of a well-conditioned A), ``cond(R D^{-1})`` of the sketch,
        which equals it within the factor ``cond(A D^{-1})`` (at most about 1.3
        there).  About 3 for a sketch of 4d rows that embeds range(A) (1 is
        perfect; an embedding with distortion eps gives at most (1 + eps)/(1 - eps));
        above 30 the sketch failed to
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

    Every field means the same on every engine (numpy, Array-API namespaces, Dask);
    ``x`` is in A's namespace and on its device, the diagnostics are host values.
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

    def __repr__(self) -> str:
        return summary_repr(self, ("x", "status", "method", "solver", "n_iter",
                                   "residual_norm", "backward_error", "condition_estimate"))


_MESSAGES = {
    Status.CONVERGED: "converged: the backward-error estimate is at most `tol`",
    Status.MAXITER: "not converged: the iteration limit `maxiter` was reached with the "
                    "backward-error estimate above `tol`; raise `maxiter` or `sketch_size`",
    Status.STALLED: "not converged: the backward-error estimate stopped decreasing above "
                    "`tol`, which lies below what this problem allows in floating point; "
                    "raise `tol`",
    Status.CALLBACK: "not converged: stopped by the callback",
}


def _remedy(kind: str) -> str:
    """What to try after sketch ``kind`` failed to embed range(A): something else."""
    others = [k for k in ("sparse_sign", "srht", "leverage") if k != kind]
    return (f"use sketch={others[0]!r} or {others[1]!r}, a larger `sketch_size`, or "
            "method='direct'")


def _message(status: Status, method: str, kind: str, eta: np.ndarray | None) -> str:
    if method == "direct":
        return ("solved directly (the minimum-norm solution by an SVD-based solver): the "
                "sketch would not pay for this shape")
    if method == "sketch_solve":
        return ("sketch-and-solve: no iteration; ||b - A x|| <= (1 + eps)/(1 - eps) "
                "min ||b - A x|| when the sketch embeds span([A, b]) with distortion eps")
    if status == Status.SKETCH_FAILED:
        return ("not converged: the sketch is not a subspace embedding of range(A) (the "
                f"preconditioned matrix is ill-conditioned); {_remedy(kind)}")
    return f"{_MESSAGES[status]} (estimate {float(np.max(eta)):.2e})"


def make_result(x, resid: np.ndarray, eta, n_iter: int, status: Status, method: str,
                kind: str, solver: str, was_vector: bool, times: tuple, cond, sketch_size: int,
                rank: int) -> LstsqResult:
    """The result of one solve: ``x`` (d x k, already in A's namespace and dtype) and the
    host diagnostics, squeezed to scalars for a vector ``b``."""
    eta_out = None
    if eta is not None:
        eta_out = float(eta[0]) if was_vector else np.asarray(eta)
    return LstsqResult(
        x=x[:, 0] if was_vector else x,
        residual_norm=float(resid[0]) if was_vector else np.asarray(resid),
        n_iter=int(n_iter),
        status=status,
        message=_message(status, method, kind, eta),
        method=method,
        solver=solver if method == "precondition" else None,
        backward_error=eta_out,
        time_sketch=times[0],
        time_factor=times[1],
        time_iterate=times[2],
        condition_estimate=cond,
        sketch_size=sketch_size,
        rank=rank,
    )
