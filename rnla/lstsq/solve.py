r"""Sketched least squares and ridge regression: the public drivers.

``lstsq`` and ``ridge`` solve

.. math:: \min_x \|A x - b\|_2^2 + \alpha \|x\|_2^2

for a tall n x d matrix A (dense or scipy.sparse) by one of three methods:

* ``"precondition"`` (default): sketch ``S A``, factor it, and iterate on the
  preconditioned problem to full accuracy (Blendenpik, LSRN);
* ``"sketch_solve"``: solve the sketched problem ``min ||S (A x - b)||`` only;
* ``"ihs"``: the iterative Hessian sketch.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import scipy.sparse as sp

from rnla._random import SeedLike, spawn
from rnla._validation import check_int, check_matrix, check_option, check_real
from rnla.lstsq._iterate import (
    ATTAINED,
    CONVERGED,
    DIVERGED,
    ILL_CONDITIONED,
    MAXITER,
    NO_ITERATION,
    GramOperator,
    run_cg,
    run_heavy_ball,
    run_ihs_fresh,
    run_lsqr,
)
from rnla.lstsq._precondition import Preconditioner
from rnla.lstsq._result import LstsqResult
from rnla.sketch import SKETCH_KINDS, LeverageSampling, SketchOperator, make_sketch

__all__ = ["lstsq", "ridge", "METHODS", "SOLVERS", "default_sketch_size"]

METHODS = ("precondition", "sketch_solve", "ihs")
SOLVERS = ("cg", "lsqr", "lsmr")

#: default sketch rows per column of A (see ``default_sketch_size``)
_OVERSAMPLING = 4

_MESSAGES = {
    CONVERGED: "converged: the LSQR stopping test holds at `tol`",
    MAXITER: "not converged: the iteration limit `maxiter` was reached; raise `maxiter` or "
             "`sketch_size`",
    ILL_CONDITIONED: "not converged: the preconditioned matrix is ill-conditioned, so the "
                     "sketch is not a subspace embedding of range(A); use sketch='srht', "
                     "'sparse_sign' or 'leverage', or a larger `sketch_size`",
    DIVERGED: "not converged: the iteration diverged because the sketch distorts range(A) "
              "more than a Gaussian sketch of the same size; use method='precondition' or a "
              "larger `sketch_size`",
    ATTAINED: "converged to the attainable accuracy: the gradient recomputed from x stopped "
              "decreasing above `tol`, at the rounding level u cond(A)",
    NO_ITERATION: "sketch-and-solve: no iteration; ||b - A x|| <= (1 + eps)/(1 - eps) "
                  "min ||b - A x|| when the sketch embeds span([A, b]) with distortion eps",
}


def default_sketch_size(n: int, d: int) -> int:
    """Default rows of the sketch: ``min(4 d, n)``.

    With m = gamma d rows a Gaussian-like sketch has preconditioned condition
    number about (1 + gamma^{-1/2}) / (1 - gamma^{-1/2}) (Marchenko-Pastur),
    3 at gamma = 4, so that LSQR gains a factor of about 2 per iteration;
    gamma = 2 (LSRN) needs twice the iterations, and gamma above 4 makes the
    m d^2 factorisation cost more than the iterations it saves unless n is much
    larger than d (see ``bench/lstsq.py`` for the measured trade-off).
    """
    return min(_OVERSAMPLING * d, n)


def _iteration_limit(tol: float, gamma: float) -> int:
    """2 k(tol) + 10 with k(tol) = 2 ln(2/tol) / ln(gamma), the LSQR count for a
    Gaussian sketch of gamma d rows (spec table 2.3); gamma is floored at 1.5."""
    k = 2.0 * math.log(2.0 / tol) / math.log(max(gamma, 1.5))
    return int(2 * math.ceil(k) + 10)


def _check_rhs(b, n: int, name: str = "b") -> tuple[np.ndarray, bool]:
    if sp.issparse(b):
        b = b.toarray()
    b = np.asarray(b)
    if b.ndim not in (1, 2):
        raise ValueError(f"`{name}` must be 1-D or 2-D; got {b.ndim}-D with shape {b.shape}")
    if b.shape[0] != n:
        raise ValueError(f"`{name}` must have {n} rows (A's rows); got shape {b.shape}")
    if b.ndim == 2 and b.shape[1] == 0:
        raise ValueError(f"`{name}` must have at least one column; got shape {b.shape}")
    B = check_matrix(b.reshape(n, -1), name)
    return np.ascontiguousarray(B, dtype=np.float64), b.ndim == 1


def _build_sketch(sketch, m: int, A, seed) -> SketchOperator:
    n = A.shape[0]
    if isinstance(sketch, SketchOperator):
        if sketch.n != n:
            raise ValueError(f"`sketch` must have n = {n} (A's rows); got shape {sketch.shape}")
        return sketch
    if sketch == "leverage":
        return LeverageSampling.from_matrix(A, m, method="approx", seed=seed)
    return make_sketch(sketch, m, n, seed=seed)


def _solve(A, b, alpha, method, sketch, sketch_size, solver, tol, maxiter, x0, seed, rcond,
           refresh) -> LstsqResult:
    A = check_matrix(A, "A")
    n, d = A.shape
    if n < d:
        raise ValueError(
            f"`A` must be tall (n >= d) for a sketched solver; got shape {A.shape}. Sketching "
            "compresses the rows, so a wide or square problem gains nothing: use "
            "numpy.linalg.lstsq or scipy.linalg.lstsq"
        )
    B, was_vector = _check_rhs(b, n)
    check_option(method, "method", METHODS)
    check_option(solver, "solver", SOLVERS)
    if not isinstance(sketch, SketchOperator):
        check_option(sketch, "sketch", SKETCH_KINDS)
    tol = check_real(tol, "tol", 0.0, 1.0, low_open=True, high_open=True)
    if isinstance(sketch, SketchOperator):
        if sketch_size is not None and sketch_size != sketch.k:
            raise ValueError(f"`sketch_size` ({sketch_size}) disagrees with the given "
                             f"sketch's k ({sketch.k})")
        m = sketch.k
        if refresh:
            raise ValueError("`refresh=True` draws a new sketch per step: pass `sketch` as a "
                             f"kind name {tuple(SKETCH_KINDS)}, not an operator")
    elif sketch_size is None:
        m = default_sketch_size(n, d)
    else:
        m = check_int(sketch_size, "sketch_size", low=1)
    if m < d:
        raise ValueError(f"`sketch_size` must be at least d = {d} (A's columns), or the "
                         f"sketched matrix cannot have full rank; got {m}")
    if method == "sketch_solve" and (maxiter is not None or x0 is not None):
        warnings.warn("method='sketch_solve' does not iterate: `maxiter` and `x0` are ignored",
                      UserWarning, stacklevel=3)
    if maxiter is not None:
        maxiter = check_int(maxiter, "maxiter", low=1)
    if x0 is not None:
        X0, _ = _check_rhs(x0, d, "x0")
        if X0.shape[1] != B.shape[1]:
            raise ValueError(f"`x0` must have shape ({d},) or ({d}, {B.shape[1]}) like b; "
                             f"got {np.shape(x0)}")
    eps = np.finfo(A.dtype).eps
    out_dtype = A.dtype
    rcond = max(m, d) * eps if rcond is None else check_real(rcond, "rcond", 0.0, 1.0)
    if solver in ("lsqr", "lsmr") and method == "precondition" and A.dtype != np.float64:
        A = A.astype(np.float64)  # scipy's iterations would convert A at every product

    rng_sketch, rng_fresh = spawn(seed, 2)
    t0 = time.perf_counter()
    S = _build_sketch(sketch, m, A, rng_sketch)
    SA, SB = S @ A, S @ B
    t1 = time.perf_counter()
    pre = Preconditioner(SA, alpha, rcond)
    t2 = time.perf_counter()
    op = GramOperator(A, alpha)
    cond, rr, start = None, None, None
    if x0 is None:
        X0 = pre.sketch_solve(SB)
    if method == "sketch_solve":
        X, n_iter, status = X0, 0, NO_ITERATION
    else:
        if maxiter is None:
            maxiter = _iteration_limit(tol, m / pre.rank)
        if x0 is None:  # keep the sketched solution only if it beats x = 0 (PARLA's rule)
            start = op.residual_gradient(X0, B)
            keep = start[1] < np.einsum("ij,ij->j", B, B)
            if not keep.all():
                X0, start = np.where(keep, X0, 0.0), None
        if method == "ihs" and refresh:
            fresh_seeds = iter(spawn(rng_fresh, maxiter))
            fresh_time = [0.0]

            def make_pre():
                ts = time.perf_counter()
                St = _build_sketch(sketch, m, A, next(fresh_seeds))
                P = Preconditioner(St @ A, alpha, rcond)
                fresh_time[0] += time.perf_counter() - ts
                return P

            X, n_iter, status, cond, rr = run_ihs_fresh(op, make_pre, B, X0, tol, maxiter)
        elif method == "ihs":
            X, n_iter, status, cond, rr = run_heavy_ball(op, pre, B, X0, tol, maxiter,
                                                         pre.rank / m, start)
        elif solver == "cg":
            X, n_iter, status, cond, rr = run_cg(op, pre, B, X0, tol, maxiter, start)
        else:
            X, n_iter, status, cond, rr = run_lsqr(A, pre, alpha, B, X0, tol, maxiter, solver)
    if rr is None:
        _, rr = op.residual_gradient(X, B)
    if pre.truncated and _sketch_lost_rank(A, pre, rcond):
        status = ILL_CONDITIONED
    t3 = time.perf_counter()
    time_sketch, time_factor, time_iterate = t1 - t0, t2 - t1, t3 - t2
    if method == "ihs" and refresh:
        time_iterate -= fresh_time[0]
        time_sketch += fresh_time[0]
    resid = np.sqrt(rr)
    x = X.astype(out_dtype, copy=False)
    return LstsqResult(
        x=x[:, 0] if was_vector else x,
        residual_norm=float(resid[0]) if was_vector else resid,
        n_iter=int(n_iter),
        converged=status in (CONVERGED, ATTAINED, NO_ITERATION),
        status=status,
        message=_MESSAGES[status],
        time_sketch=time_sketch,
        time_factor=time_factor,
        time_iterate=time_iterate,
        condition_estimate=cond,
        sketch_size=int(SA.shape[0]),
        rank=pre.rank,
        method=method,
        solver=solver if method == "precondition" else None,
    )


def _sketch_lost_rank(A, pre: Preconditioner, rcond: float) -> bool:
    """Whether a direction the sketch annihilated is not in A's null space.

    For an embedding ``||A v|| <= ||S A v|| / (1 - eps)``, so a dropped direction
    has ``||A v||`` at rounding level; a sketch that missed rows carrying rank
    (uniform sampling of a coherent matrix) leaves ``||A v||`` large.
    """
    V = pre.dropped_directions()
    w = A @ V.sum(axis=1)
    return float(np.linalg.norm(w)) > 1e3 * rcond * pre.sigma_max * np.sqrt(V.shape[1])


def lstsq(A, b, *, method: str = "precondition", sketch: str | SketchOperator = "sparse_sign",
          sketch_size: int | None = None, solver: str = "cg", tol: float = 1e-12,
          maxiter: int | None = None, x0=None, seed: SeedLike = None,
          rcond: float | None = None, refresh: bool = False) -> LstsqResult:
    r"""Solve the least-squares problem :math:`\min_x \|A x - b\|_2` by sketching.

    Parameters
    ----------
    A : array_like or scipy.sparse matrix of shape (n, d), n >= d
        Tall matrix; float32 and float64 are kept (the iterations run in float64).
    b : array_like of shape (n,) or (n, m)
        Right-hand side(s); m columns share one sketch and one factorisation.
    method : {"precondition", "sketch_solve", "ihs"}, default="precondition"
        * ``"precondition"``: sketch ``S A = Q R`` (SVD with a rank cutoff when
          ``S A`` is rank-deficient, giving the minimum-norm solution), start from
          the sketch-and-solve solution, and run ``solver`` on ``A R^{-1}`` to
          ``tol``.  Backward-stable in practice, accuracy of a direct solver.
        * ``"sketch_solve"``: return ``argmin ||S (A x - b)||``.  If S embeds
          span([A, b]) with distortion eps, the residual is within a factor
          (1 + eps)/(1 - eps) of the optimum (Sarlos 2006); for a Gaussian-like
          sketch of m rows eps is about sqrt(d/m).  The error in x grows with
          cond(A) ||r*||: a low-accuracy method.
        * ``"ihs"``: iterative Hessian sketch, ``x += (A^T S^T S A)^{-1} A^T (b -
          A x)``, with the fixed sketch and Polyak momentum (default; one pass over
          A per step, forward stable) or a fresh sketch every step
          (``refresh=True``, Pilanci and Wainwright 2016).
    sketch : str or SketchOperator, default="sparse_sign"
        A kind ("sparse_sign", "srht", "gaussian", "countsketch", "uniform",
        "leverage") or an operator of shape (m, n); ``"leverage"`` samples by
        fast approximate leverage scores.
    sketch_size : int, optional
        Rows of the sketch, at least d; default ``default_sketch_size(n, d)`` = min(4d, n).
    solver : {"cg", "lsqr", "lsmr"}, default="cg"
        Iterative method for ``method="precondition"``. ``"cg"`` is conjugate
        gradients on the preconditioned normal equations (CGLS), which in exact
        arithmetic produces the same iterates as LSQR but needs only the product
        ``A^T (A p)`` per iteration: one fused pass over A for dense C-order and
        CSR input, against two for scipy's ``"lsqr"`` and ``"lsmr"`` (run on the
        LinearOperator ``A N``).  LSQR-style stopping tests for all three.
    tol : float in (0, 1), default=1e-12
        LSQR's stopping tolerance (``atol = btol = tol``): stop when
        ``||r|| <= tol ||b||`` or ``||(A N)^T r|| <= tol ||A N|| ||r||``.
    maxiter : int, optional
        Iteration limit; default ``2 k + 10`` with ``k = 2 ln(2/tol) / ln(m/d)``,
        twice the count the Marchenko-Pastur spectrum predicts.
    x0 : array_like of shape (d,) or (d, m), optional
        Starting point instead of the sketch-and-solve solution.
    seed : None, int or numpy.random.Generator
        Randomness of the sketch.
    rcond : float, optional
        Relative rank cutoff for ``S A``; default ``max(m, d) * eps`` of A's dtype.
    refresh : bool, default=False
        ``method="ihs"`` only: draw a new sketch at every step.

    Returns
    -------
    LstsqResult
        ``x``, ``residual_norm``, ``n_iter``, ``converged``, ``status``,
        ``message``, per-phase times and ``condition_estimate``.  A run that does
        not converge says so (``converged=False``) and why.

    Notes
    -----
    Cost for dense A: one pass over A for the sketch (sparse sign: O(s n d)),
    O(m d^2) for the factorisation, then per iteration O(n d) (two passes over A
    for LSQR/LSMR, one for ``cg`` and ``ihs``); the number of iterations depends
    on m/d, not on cond(A).

    References
    ----------
    .. [1] H. Avron, P. Maymounkov, S. Toledo, "Blendenpik: Supercharging LAPACK's
       least-squares solver", SIAM J. Sci. Comput. 32(3), 2010.
    .. [2] X. Meng, M. Saunders, M. Mahoney, "LSRN: A parallel iterative solver for
       strongly over- or underdetermined systems", SIAM J. Sci. Comput. 36(2), 2014.
    .. [3] M. Pilanci, M. Wainwright, "Iterative Hessian sketch", JMLR 17, 2016.
    .. [4] E. Epperly, M. Meier, Y. Nakatsukasa, "Fast randomized least-squares
       solvers can be just as accurate and stable as classical direct solvers",
       arXiv:2406.03468.

    Examples
    --------
    >>> import numpy as np
    >>> import rnla
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((20000, 50)); b = rng.standard_normal(20000)
    >>> res = rnla.lstsq(A, b, seed=0)
    >>> res.converged
    True
    >>> x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
    >>> bool(np.linalg.norm(res.x - x_ref) <= 1e-10 * np.linalg.norm(x_ref))
    True
    """
    return _solve(A, b, None, method, sketch, sketch_size, solver, tol, maxiter, x0, seed,
                  rcond, refresh)


def ridge(A, b, alpha: float | np.ndarray, *, method: str = "precondition",
          sketch: str | SketchOperator = "sparse_sign", sketch_size: int | None = None,
          solver: str = "cg", tol: float = 1e-12, maxiter: int | None = None, x0=None,
          seed: SeedLike = None, rcond: float | None = None,
          refresh: bool = False) -> LstsqResult:
    r"""Solve ridge regression :math:`\min_x \|A x - b\|_2^2 + \alpha \|x\|_2^2` by sketching.

    ``alpha`` is a float >= 0 or an array of d penalties, one per coefficient
    (zero leaves a coefficient, such as an intercept column, unpenalised).  The
    preconditioner factors the sketched augmented matrix
    :math:`[S A; \sqrt{\alpha} I]`, so the iterations run on
    :math:`[A; \sqrt{\alpha} I] R^{-1}` (as PARLA does); ``residual_norm`` is
    :math:`\sqrt{\|b - A x\|^2 + \sum_i \alpha_i x_i^2}`.  Every other argument
    is as in :func:`lstsq`.

    Examples
    --------
    >>> import numpy as np
    >>> import rnla
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((5000, 20)); b = rng.standard_normal(5000)
    >>> x = rnla.ridge(A, b, alpha=10.0, seed=0).x
    >>> x_ref = np.linalg.solve(A.T @ A + 10.0 * np.eye(20), A.T @ b)
    >>> bool(np.allclose(x, x_ref, rtol=1e-10, atol=0))
    True
    """
    d = np.shape(A)[1] if np.ndim(A) == 2 else None
    if np.ndim(alpha) == 0:
        alpha = check_real(alpha, "alpha", 0.0, None)
        penalty = None if alpha == 0 or d is None else np.full(d, alpha)
    else:
        penalty = np.asarray(alpha, dtype=np.float64)
        if penalty.shape != (d,):
            raise ValueError(f"`alpha` must be a float or have shape ({d},) (A's columns); got "
                             f"shape {penalty.shape}")
        if not np.all(np.isfinite(penalty) & (penalty >= 0)):
            raise ValueError("`alpha` must contain only finite values >= 0")
        penalty = penalty if penalty.any() else None
    return _solve(A, b, penalty, method, sketch, sketch_size, solver, tol, maxiter, x0, seed,
                  rcond, refresh)
