"""The result object of the sketched least-squares solvers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LstsqResult"]


@dataclass
class LstsqResult:
    """Solution of a sketched least-squares or ridge problem.

    Attributes
    ----------
    x : ndarray of shape (d,) or (d, m)
        The solution, in A's floating dtype.
    residual_norm : float or ndarray of shape (m,)
        ``||b - A x||`` (for ridge ``sqrt(||b - A x||^2 + alpha ||x||^2)``),
        recomputed from ``x`` at the end, not tracked by the iteration.
    n_iter : int
        Iterations of the iterative phase (0 for ``sketch_solve``); the largest
        over the columns of ``b``.
    converged : bool
        Whether every column met the stopping test.
    status : int
        0 converged, 1 iteration limit reached, 2 the preconditioned operator is
        too ill-conditioned (the sketch is not a subspace embedding), 3 the
        iteration diverged, 4 no iteration was asked for (``sketch_solve``), 5
        converged to the attainable accuracy (the recomputed gradient stopped
        decreasing at the rounding level, above ``tol``).
    message : str
        The status in words, with what to do about it.
    time_sketch, time_factor, time_iterate : float
        Seconds spent forming ``S @ A``, factoring it, and iterating.
    condition_estimate : float or None
        Estimate of the condition number of the preconditioned operator
        ``A N`` (1 is perfect; an embedding with distortion eps gives at most
        (1 + eps)/(1 - eps)).  None where the method does not estimate it.
    sketch_size : int
        Rows of the sketch.
    rank : int
        Numerical rank of the sketched matrix (``d`` unless the SVD path
        dropped directions).
    method, solver : str
        What ran.
    """

    x: np.ndarray
    residual_norm: float | np.ndarray
    n_iter: int
    converged: bool
    status: int
    message: str
    time_sketch: float = 0.0
    time_factor: float = 0.0
    time_iterate: float = 0.0
    condition_estimate: float | None = None
    sketch_size: int = 0
    rank: int = 0
    method: str = ""
    solver: str | None = None
