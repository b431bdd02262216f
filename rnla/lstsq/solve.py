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

import contextlib
import logging
import math
import time
import warnings
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from rnla._deprecate import renamed_parameters
from rnla._random import SeedLike, as_generator
from rnla._status import Status
from rnla._threads import one_blas_thread
from rnla._validation import (
    check_host,
    check_int,
    check_linear_operator,
    check_matrix,
    check_namespace,
    check_option,
    check_real,
    extreme_scale,
    is_dask,
)
from rnla.backend import uses_cpu
from rnla.lstsq._iterate import GramOperator, refine, run_ihs_fresh
from rnla.lstsq._namespace import solve_namespace
from rnla.lstsq._precondition import ColumnScaling, Preconditioner
from rnla.lstsq._result import LstsqProgress, LstsqResult
from rnla.sketch import SKETCH_KINDS, LeverageSampling, SketchOperator, make_sketch

__all__ = ["lstsq", "ridge", "METHODS", "SOLVERS", "default_sketch_size", "choose_method"]

logger = logging.getLogger(__name__)

METHODS = ("auto", "direct", "precondition", "sketch_solve", "ihs")
SOLVERS = ("cg", "lsqr", "lsmr")

# Cost model, in seconds, fitted (relative least squares) to timings of both paths on
# 2 cores (docs/lstsq.md).  A pass over A costs _T_PASS per stored entry, plus _T_ROW per
# row for sparse A (CSR rows of few entries), plus _T_ITER per iteration; the R factor
# of a sketch of gamma d rows costs _T_QR gamma d^3 and the sketch _T_SKETCH per stored
# entry.  At the default tol a sketch of gamma d rows takes about _PASSES[gamma] passes,
# backward-error checks included.  LAPACK's gelsd costs n d (_T_DIRECT + _T_DIRECT_D d).
# Dense A with fewer than _MIN_SKETCH_ENTRIES entries is always solved directly: there
# the fixed costs of the parallel passes decide, and LAPACK measured as fast or faster.
_T_PASS = 0.156e-9
_T_ROW = 10e-9
_T_ITER = 0.117e-3
_T_QR = 0.25e-9
_T_SKETCH = 3.5e-9
_PASSES = {4: 49, 8: 39, 16: 32}
_T_DIRECT = 1.8e-8
_T_DIRECT_D = 0.065e-9
_MIN_SKETCH_ENTRIES = 2**20
#: sparse A is solved directly only if its dense copy has at most this many entries
_DENSE_LIMIT = 2**26
#: a preconditioned condition number above this means the sketch did not embed range(A)
#: (an embedding of distortion 0.8 gives 9; Gaussian m = 2d gives about 5.8)
_FAILED_CONDITION = 30.0
#: iterate on A itself when cond(R D^-1) is at most this times the sketch's distortion
_WELL_CONDITIONED = 1.1


def _sketched_cost(n: int, d: int, nnz: int | None, gamma: int) -> float:
    """Modelled seconds of the sketched solve with a sketch of gamma d rows (dense A
    when ``nnz`` is None)."""
    per_pass = _T_ITER + (_T_PASS * n * d if nnz is None else _T_PASS * nnz + _T_ROW * n)
    return (_PASSES[gamma] * per_pass + _T_QR * gamma * d**3
            + _T_SKETCH * (n * d if nnz is None else nnz))


def default_sketch_size(n: int, d: int, nnz: int | None = None) -> int:
    """Default rows of the sketch: ``min(gamma d, n)`` with gamma 4, 8 or 16.

    With m = gamma d rows a Gaussian-like sketch has preconditioned condition
    number about (1 + gamma^{-1/2}) / (1 - gamma^{-1/2}) (Marchenko-Pastur), so
    that each iteration gains a factor of about sqrt(gamma): reaching the unit
    roundoff takes about 49 passes over A at gamma = 4, 39 at 8 and 32 at 16
    (measured, backward-error checks included), against O(gamma d^3) to factor
    the sketch.  The gamma of least modelled cost wins (see :func:`choose_method`):
    16 when passes are expensive against the factorisation (dense A with n much
    larger than d^2), 4 when they are cheap (sparse A) or when d is large.

    Parameters
    ----------
    n, d : int
        Shape of A.
    nnz : int, optional
        Stored entries of A (default n d, dense).

    Returns
    -------
    int

    Examples
    --------
    >>> from rnla.lstsq import default_sketch_size
    >>> default_sketch_size(100_000, 50), default_sketch_size(2**18, 512)
    (800, 4096)
    >>> default_sketch_size(1_000_000, 1000, nnz=1_000_000)
    4000
    """
    gamma = min(_PASSES, key=lambda g: _sketched_cost(n, d, nnz, g))
    return min(gamma * d, n)


def choose_method(shape: tuple[int, int], nnz: int | None = None,
                  sketch_size: int | None = None) -> str:
    r"""The path ``method="auto"`` takes for an n x d problem: ``"direct"`` or ``"precondition"``.

    A sketch of m rows gains nothing unless m is well below n (m <= n/2).
    Otherwise the modelled times decide:

    .. math:: t_\mathrm{direct} = n d \, (a + b d), \qquad
              t_\mathrm{sketch} = p_\gamma (c \, \mathrm{nnz}(A) + e \, n_\mathrm{sparse} + f)
              + g \, m d^2 + h \, \mathrm{nnz}(A),

    with :math:`p_\gamma` the passes over A a sketch of m = gamma d rows needs and
    constants fitted to timings of both paths on 2 cores (docs/lstsq.md).  Dense A
    with fewer than 2^20 entries is always solved directly (the fixed costs of
    parallel passes decide there); above, the sketch pays for nearly every shape
    with n >= 8 d.  A sparse A whose dense copy would exceed 2^26 entries is never
    densified.

    Parameters
    ----------
    shape : tuple of int
        ``(n, d)``.
    nnz : int, optional
        Stored entries of A (default n d, dense).
    sketch_size : int, optional
        Rows of the sketch (default ``default_sketch_size(n, d, nnz)``).

    Returns
    -------
    str

    Examples
    --------
    >>> from rnla.lstsq import choose_method
    >>> choose_method((2000, 20)), choose_method((10_000, 50)), choose_method((200_000, 500))
    ('direct', 'direct', 'precondition')
    >>> choose_method((100_000, 50), nnz=500_000)
    'precondition'
    """
    n, d = shape
    m = default_sketch_size(n, d, nnz) if sketch_size is None else sketch_size
    if 2 * m > n:
        return "direct"
    if nnz is None and n * d < _MIN_SKETCH_ENTRIES:
        return "direct"
    if nnz is not None and n * d > _DENSE_LIMIT:
        return "precondition"
    gamma = min(_PASSES, key=lambda g: abs(g * d - m))
    t_direct = n * d * (_T_DIRECT + _T_DIRECT_D * d)
    t_sketch = _sketched_cost(n, d, nnz, gamma) + _T_QR * (m - gamma * d) * d * d
    return "direct" if t_direct <= t_sketch else "precondition"


def _iteration_count(tol: float, gamma: float) -> float:
    """k(tol) = 2 ln(2/tol) / ln(gamma), the LSQR count for a Gaussian sketch of
    gamma d rows, whose preconditioned condition number is about
    (sqrt(gamma) + 1)/(sqrt(gamma) - 1) (Meng, Saunders and Mahoney 2014, LSRN);
    gamma is floored at 1.5."""
    return 2.0 * math.log(2.0 / tol) / math.log(max(gamma, 1.5))


def _iteration_limit(tol: float, gamma: float) -> int:
    """2 k(tol) + 10 iterations, k(tol) from :func:`_iteration_count`."""
    return int(2 * math.ceil(_iteration_count(tol, gamma)) + 10)


def _a_is_well_conditioned(pre: Preconditioner, m: int) -> bool:
    r"""Whether iterating on ``A D^{-1}`` (D: column scaling) should beat ``A R^{-1}``.

    An embedding of m = gamma d rows has distortion :math:`\kappa_S \approx (1 +
    \gamma^{-1/2})/(1 - \gamma^{-1/2})`, which is also about the condition number of
    ``A R^{-1}``.  Measured over Gaussian designs with cond(A D^{-1}) from 1.09 to 3,
    ``cond(R D^{-1})`` is within 10% of :math:`\kappa_S` exactly when cond(A D^{-1})
    is at most about 1.3, where CG on A converges at a rate (cond - 1)/(cond + 1)
    <= 0.13, against :math:`\gamma^{-1/2}` (0.35 at gamma = 8) on ``A R^{-1}``.
    """
    if pre.truncated:
        return False
    gamma = m / pre.rank
    kappa_s = (1.0 + gamma**-0.5) / (1.0 - gamma**-0.5) if gamma > 1.0 else math.inf
    return pre.scaled_condition() <= _WELL_CONDITIONED * kappa_s


def _check_rhs(b, n: int, name: str = "b") -> tuple[np.ndarray, bool]:
    check_host(b, name)
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


def _checked_matrix(A):
    A = check_matrix(A, "A")
    return A, A.dtype


def _build_sketch(sketch, m: int, A, rng) -> SketchOperator:
    n = A.shape[0]
    if isinstance(sketch, SketchOperator):
        return sketch
    if sketch == "leverage":
        return LeverageSampling.from_matrix(A, m, method="approx", rng=rng)
    return make_sketch(sketch, m, n, rng=rng)


def _remedy(sketch) -> str:
    """What to try after ``sketch`` failed to embed range(A): something else."""
    used = sketch.kind if isinstance(sketch, SketchOperator) else sketch
    others = [k for k in ("sparse_sign", "srht", "leverage") if k != used]
    return (f"use sketch={others[0]!r} or {others[1]!r}, a larger `sketch_size`, or "
            "method='direct'")


_MESSAGES = {
    Status.CONVERGED: "converged: the backward-error estimate is at most `tol`",
    Status.MAXITER: "not converged: the iteration limit `maxiter` was reached with the "
                    "backward-error estimate above `tol`; raise `maxiter` or `sketch_size`",
    Status.STALLED: "not converged: the backward-error estimate stopped decreasing above "
                    "`tol`, which lies below what this problem allows in floating point; "
                    "raise `tol`",
    Status.CALLBACK: "not converged: stopped by the callback",
}


def _message(status: Status, method: str, sketch, eta: np.ndarray | None) -> str:
    if method == "direct":
        return "solved directly by LAPACK (gelsd): the sketch would not pay for this shape"
    if method == "sketch_solve":
        return ("sketch-and-solve: no iteration; ||b - A x|| <= (1 + eps)/(1 - eps) "
                "min ||b - A x|| when the sketch embeds span([A, b]) with distortion eps")
    if status == Status.SKETCH_FAILED:
        return ("not converged: the sketch is not a subspace embedding of range(A) (the "
                f"preconditioned matrix is ill-conditioned); {_remedy(sketch)}")
    eta = float(np.max(eta))
    return f"{_MESSAGES[status]} (estimate {eta:.2e})"


#: entries of A up to which the direct solve runs LAPACK on one BLAS thread: OpenBLAS's
#: threads made gelsd 3x slower on 2000 x 20 and 10000 x 50 even on a quiet machine
#: (1.06 vs 0.36 ms, 26 vs 7.4 ms) and 18x slower at 10000 x 50 with the cores busy
#: (132 vs 7.3 ms); from 100000 x 50 two threads pay when the machine is quiet
_ONE_BLAS_THREAD_ENTRIES = 2**20
#: a QR of the sketch of at least this many flops runs on BLAS's threads
_THREADED_FACTOR_FLOPS = 2**31


def _solve_direct(A, B: np.ndarray, alpha, rcond: float | None):
    """LAPACK's SVD-based solver through ``numpy.linalg.lstsq`` (gelsd), minimum norm.

    numpy's LAPACK measured faster than scipy's ``lstsq`` with the same driver here."""
    M = A.toarray() if sp.issparse(A) else A
    M = np.asarray(M, dtype=np.float64)
    rhs = B
    if alpha is not None:
        M = np.vstack([M, np.diag(np.sqrt(alpha))])
        rhs = np.vstack([B, np.zeros((alpha.shape[0], B.shape[1]))])
    small = M.size <= _ONE_BLAS_THREAD_ENTRIES
    with one_blas_thread() if small else contextlib.nullcontext():
        X, _, rank, _ = np.linalg.lstsq(M, rhs, rcond=rcond)
    return X, _column_norms(rhs - M @ X), int(rank)


def _column_norms(R: np.ndarray) -> np.ndarray:
    """2-norms of the columns of R, scaled so that entries near 1e300 do not overflow."""
    top = np.max(np.abs(R), axis=0)
    top = np.where(top > 0, top, 1.0)
    return top * np.sqrt(np.einsum("ij,ij->j", R / top, R / top))


def _solve(A, b, alpha, method, sketch, sketch_size, solver, tol, maxiter, x0, rng, rcond,
           refresh, callback) -> LstsqResult:
    operator = isinstance(A, spla.LinearOperator)
    A, dtype = check_linear_operator(A, None, "A") if operator else _checked_matrix(A)
    n, d = A.shape
    B, was_vector = _check_rhs(b, n)
    check_option(method, "method", METHODS)
    check_option(solver, "solver", SOLVERS)
    if not isinstance(sketch, SketchOperator):
        check_option(sketch, "sketch", SKETCH_KINDS)
    elif sketch.n != n:
        raise ValueError(f"`sketch` must have n = {n} (A's rows); got shape {sketch.shape}")
    if callback is not None and not callable(callback):
        raise TypeError(f"`callback` must be callable; got {type(callback).__name__}")
    if not isinstance(refresh, (bool, np.bool_)):
        raise TypeError(f"`refresh` must be a bool; got {type(refresh).__name__}")
    if operator and sketch == "leverage":
        raise ValueError("sketch='leverage' needs the rows of A: pass A as an array, or use "
                         "another sketch for a LinearOperator")
    eps = np.finfo(dtype).eps
    if tol is None:
        tol = 4.0 * eps
    tol = check_real(tol, "tol", 0.0, 1.0, low_open=True, high_open=True)
    if maxiter is not None:
        maxiter = check_int(maxiter, "maxiter", low=0)
    if rcond is not None:
        rcond = check_real(rcond, "rcond", 0.0, 1.0)
    rng = as_generator(rng, "rng")
    if isinstance(sketch, SketchOperator):
        if sketch_size is not None and sketch_size != sketch.k:
            raise ValueError(f"`sketch_size` ({sketch_size}) disagrees with the given "
                             f"sketch's k ({sketch.k})")
        m = sketch.k
        if refresh:
            raise ValueError("`refresh=True` draws a new sketch per step: pass `sketch` as a "
                             f"kind name {tuple(SKETCH_KINDS)}, not an operator")
    elif sketch_size is None:
        m = default_sketch_size(n, d, A.nnz if sp.issparse(A) else None)
    else:
        m = check_int(sketch_size, "sketch_size", low=1)
    if x0 is not None:
        X0, _ = _check_rhs(x0, d, "x0")
        if X0.shape[1] != B.shape[1]:
            raise ValueError(f"`x0` must have shape ({d},) or ({d}, {B.shape[1]}) like b; "
                             f"got {np.shape(x0)}")
    hedge = False
    if method == "auto":
        method = (("precondition" if m < n else "direct") if operator else
                  choose_method((n, d), A.nnz if sp.issparse(A) else None, m))
        # an operator may be well-conditioned, where plain LSQR beats paying m products
        # with A^T for the sketch: LSQR goes first, for as many iterations as the
        # preconditioned solve would take; if that does not reach tol, A is not
        # well-conditioned and the sketch pays
        hedge = (operator and method == "precondition" and maxiter is None
                 and (alpha is None or np.all(alpha == alpha[0])))
    logger.debug("lstsq: %d x %d %s, method %r, sketch size %d", n, d,
                 "operator" if operator else type(A).__name__, method, m)
    if method == "direct":
        if operator:  # d products with A form it; LAPACK then solves
            A = np.asarray(A.matmat(np.eye(d, dtype=dtype)), dtype=dtype)
            A = check_matrix(A, "A")
        t0 = time.perf_counter()
        X, resid, rank = _solve_direct(A, B, alpha, rcond)
        return _result(X, resid, None, 0, Status.CONVERGED, "direct", sketch, solver, was_vector,
                       dtype, (0.0, time.perf_counter() - t0, 0.0), None, 0, rank)
    if m >= n:
        raise ValueError(
            f"`sketch_size` must be less than n = {n} (A's rows) for a sketched method; got "
            f"{m}: a sketch as large as A cannot pay (and an SRHT of that size loses rank). "
            "Use method='direct' or method='auto'"
        )
    if m < d:
        raise ValueError(f"`sketch_size` must be at least d = {d} (A's columns), or the "
                         f"sketched matrix cannot have full rank; got {m}")
    if method == "sketch_solve" and (maxiter is not None or x0 is not None):
        warnings.warn("method='sketch_solve' does not iterate: `maxiter` and `x0` are ignored",
                      UserWarning, stacklevel=3)
    rcond = max(m, d) * eps if rcond is None else rcond
    out_dtype = dtype
    if (solver in ("lsqr", "lsmr") and method == "precondition" and dtype != np.float64
            and not operator):
        A = A.astype(np.float64)  # scipy's iterations would convert A at every product

    X0 = X0 if x0 is not None else None
    if hedge:
        t0 = time.perf_counter()
        X, eta, iters, cond = _plain_lsqr(A, B, alpha, tol, _iteration_limit(tol, m / d), X0)
        seconds = time.perf_counter() - t0
        if np.all(eta <= tol):
            rr = GramOperator(A, alpha).residual_gradient(X, B)[1]
            return _result(X, np.sqrt(rr), eta, iters, Status.CONVERGED, "lsqr", sketch, solver,
                           was_vector, out_dtype, (0.0, 0.0, seconds), cond, 0, None)
        logger.debug("lstsq: plain LSQR did not reach tol in %d iterations; sketching", iters)
        X0 = X
    res = _solve_sketched(A, B, alpha, method, sketch, m, solver, tol, maxiter, X0, rng, rcond,
                          refresh, was_vector, out_dtype, callback)
    if hedge:
        res.n_iter += iters
        res.time_iterate += seconds
    return res


def _plain_lsqr(A, B: np.ndarray, alpha, tol: float, budget: int, X0):
    r"""scipy's LSQR without a preconditioner, per column, for at most ``budget``
    iterations.  Returns ``(X, eta, iterations, condition estimate)`` where ``eta``
    bounds the normwise backward error by the two perturbations that make x exact,
    :math:`\min(\|r\|/\|x\|, \|A^T r\|/\|r\|) / \|A\|_F`, with LSQR's running
    estimate of :math:`\|A\|_F` (infinite when LSQR's own tests at ``tol`` failed)."""
    d, k = A.shape[1], B.shape[1]
    damp = 0.0 if alpha is None else float(np.sqrt(alpha[0]))
    X, eta = np.zeros((d, k)), np.full(k, np.inf)
    iters, cond = 0, None
    for j in range(k):
        out = spla.lsqr(A, B[:, j], damp=damp, atol=tol, btol=tol, iter_lim=budget,
                        x0=None if X0 is None else X0[:, j])
        x, istop, itn, _, rnorm, anorm, acond, arnorm, xnorm = out[:9]
        X[:, j] = x
        iters, cond = max(iters, itn), max(cond or 0.0, float(acond))
        if istop in (1, 2) and anorm > 0:
            eta[j] = min(rnorm / xnorm if xnorm > 0 else np.inf,
                         arnorm / rnorm if rnorm > 0 else 0.0) / anorm
    return X, eta, iters, cond


def _solve_sketched(A, B, alpha, method, sketch, m, solver, tol, maxiter, X0, rng, rcond,
                    refresh, was_vector, out_dtype, callback) -> LstsqResult:
    """The sketched methods, after validation; ``X0`` is the caller's start or None."""
    rng_sketch, rng_fresh = rng.spawn(2)
    t0 = time.perf_counter()
    S = _build_sketch(sketch, m, A, rng_sketch)
    SA, SB = S @ A, S @ B
    scale = extreme_scale(SA)
    if scale != 1.0:  # entries near overflow or underflow: squares in the iteration must fit
        A, B, SA, SB = A * scale, B * scale, SA * scale, SB * scale
        alpha = None if alpha is None else alpha * scale**2
    t1 = time.perf_counter()
    # the iteration alternates small BLAS calls with numba passes over A: threaded BLAS
    # would spin against the numba threads (measured 1.3x to 3x slower on 2 cores).  The
    # sketch (the Gaussian GEMM) and a large factorisation keep BLAS's threads.
    big = 2 * SA.shape[0] * SA.shape[1] ** 2 >= _THREADED_FACTOR_FLOPS
    with contextlib.nullcontext() if big else one_blas_thread():
        pre = Preconditioner(SA, alpha, rcond, SB)
    t2 = time.perf_counter()
    with one_blas_thread():
        op = GramOperator(A, alpha)
        if method == "sketch_solve":
            X = pre.sketch_solve()
            _, rr = op.residual_gradient(X, B)
            n_iter, status, eta, cond, fresh_time = 0, Status.CONVERGED, None, None, 0.0
        else:
            X, rr, n_iter, status, eta, cond, fresh_time = _iterate(
                op, pre, B, X0, method, solver, tol, maxiter, m,
                lambda rng: Preconditioner(_build_sketch(sketch, m, A, rng) @ A, alpha, rcond),
                rng_fresh if method == "ihs" and refresh else None,
                _notifier(callback, was_vector, scale, t0))
        if pre.truncated and _sketch_lost_rank(A, pre, rcond):
            status = Status.SKETCH_FAILED
    t3 = time.perf_counter()
    times = (t1 - t0 + fresh_time, t2 - t1, t3 - t2 - fresh_time)
    resid = np.sqrt(np.maximum(rr, 0.0)) / scale
    return _result(X, resid, eta, n_iter, status, method, sketch, solver, was_vector, out_dtype,
                   times, cond, int(SA.shape[0]), pre.rank)


def _notifier(callback, was_vector: bool, scale: float, t0: float):
    """``notify(X, rr, eta, n_iter)`` for the iterations: logs the step (DEBUG) and calls
    ``callback`` with an :class:`LstsqProgress` in the caller's units; returns whether
    the callback asked to stop.  None when there is nobody to tell."""
    if callback is None and not logger.isEnabledFor(logging.DEBUG):
        return None

    def notify(X, rr, eta, n_iter) -> bool:
        resid = np.sqrt(np.maximum(rr, 0.0)) / scale
        logger.debug("lstsq: %d iterations, backward error %.3e, residual %.6e",
                     n_iter, float(np.max(eta)), float(np.max(resid)))
        if callback is None:
            return False
        state = LstsqProgress(n_iter=int(n_iter), x=X[:, 0].copy() if was_vector else X.copy(),
                              residual_norm=float(resid[0]) if was_vector else resid,
                              backward_error=float(eta[0]) if was_vector else eta.copy(),
                              elapsed=time.perf_counter() - t0)
        return bool(callback(state))

    return notify


def _iterate(op: GramOperator, pre: Preconditioner, B: np.ndarray, X0, method: str,
             solver: str, tol: float, maxiter: int | None, m: int, fresh_preconditioner,
             rng_fresh, notify=None, bb: np.ndarray | None = None):
    """The iterative phase from ``X0`` (the sketch-and-solve point when None): refinement
    with ``solver`` or the heavy ball, or the iterative Hessian sketch with a fresh
    sketch per step when ``rng_fresh`` is given.  Returns ``(X, rr, n_iter, status,
    eta, condition_estimate, seconds spent drawing fresh sketches)``.  ``bb`` holds the
    squared column norms of B when the caller has them (B chunked: no pass for them)."""
    if maxiter is None:
        maxiter = _iteration_limit(tol, m / pre.rank)
    start = None
    if X0 is None:  # keep the sketched solution only if it beats x = 0 (PARLA's rule)
        X0 = pre.sketch_solve()
        start = op.residual_gradient(X0, B)
        bb = np.einsum("ij,ij->j", B, B) if bb is None else bb
        keep = start[1] < bb
        if not keep.all():
            X0, start = np.where(keep, X0, 0.0), None
    spent = 0.0
    bnorm = None if bb is None else np.sqrt(bb)
    if rng_fresh is not None:
        fresh_rngs = iter(rng_fresh.spawn(maxiter + 1))

        def make_pre():
            nonlocal spent
            ts = time.perf_counter()
            P = fresh_preconditioner(next(fresh_rngs))
            spent += time.perf_counter() - ts
            return P

        out = run_ihs_fresh(op, make_pre, pre, B, X0, tol, maxiter, notify)
    else:
        inner = "heavy_ball" if method == "ihs" else solver
        out = None
        if method == "precondition" and solver == "cg" and _a_is_well_conditioned(pre, m):
            # iterate on A D^-1 for at most half the iterations the sketch's R^-1 would
            # take; if that does not converge, R^-1 continues from the point reached
            budget = min(maxiter, math.ceil(_iteration_count(tol, m / pre.rank) / 2))
            out = refine(op, ColumnScaling(pre), B, X0, tol, budget, "cg", start=start,
                         notify=notify, min_steps=1, bnorm=bnorm)
            if out.status in (Status.CONVERGED, Status.CALLBACK):
                return out.X, out.rr, out.n_iter, out.status, out.eta, out.cond, spent
            X0, start = out.X, None
        out = refine(op, pre, B, X0, tol, maxiter, inner, ratio=pre.rank / m, start=start,
                     notify=notify, n_done=0 if out is None else out.n_iter, bnorm=bnorm)
    status = out.status
    if (status not in (Status.CONVERGED, Status.CALLBACK) and out.cond is not None
            and out.cond > _FAILED_CONDITION):
        status = Status.SKETCH_FAILED
    return out.X, out.rr, out.n_iter, status, out.eta, out.cond, spent


def _result(X, resid, eta, n_iter, status, method, sketch, solver, was_vector, dtype, times,
            cond, sketch_size, rank) -> LstsqResult:
    x = X.astype(dtype, copy=False)
    eta_out = None
    if eta is not None:
        eta_out = float(eta[0]) if was_vector else np.asarray(eta)
    return LstsqResult(
        x=x[:, 0] if was_vector else x,
        residual_norm=float(resid[0]) if was_vector else resid,
        n_iter=int(n_iter),
        status=status,
        message=_message(status, method, sketch, eta),
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


def _sketch_lost_rank(A, pre: Preconditioner, rcond: float) -> bool:
    """Whether a direction the sketch annihilated is not in A's null space.

    For an embedding ``||A v|| <= ||S A v|| / (1 - eps)``, so a dropped direction
    has ``||A v||`` at rounding level; a sketch that missed rows carrying rank
    (uniform sampling of a coherent matrix) leaves ``||A v||`` large.
    """
    V = pre.dropped_directions()
    w = A @ V.sum(axis=1)
    return float(np.linalg.norm(w)) > 1e3 * rcond * pre.sigma_max * np.sqrt(V.shape[1])


@renamed_parameters(seed="rng")
def lstsq(A, b, *, method: str = "auto", sketch: str | SketchOperator = "sparse_sign",
          sketch_size: int | None = None, solver: str = "cg", tol: float | None = None,
          maxiter: int | None = None, x0=None, rng: SeedLike = None,
          rcond: float | None = None, refresh: bool = False,
          callback: Callable[[LstsqProgress], bool] | None = None) -> LstsqResult:
    r"""Solve the least-squares problem :math:`\min_x \|A x - b\|_2`, by sketching where it pays.

    Parameters
    ----------
    A : array_like, scipy.sparse matrix or LinearOperator of shape (n, d)
        The matrix; float32 and float64 are kept (the computation runs in float64,
        and x is returned in A's dtype).  A ``scipy.sparse.linalg.LinearOperator``
        is used matrix-free: the sketch costs m products with A^T (``rmatmat``),
        each iteration one ``matmat`` and one ``rmatmat``.  Arrays of another
        Array-API library (CuPy, torch, ...) are solved in that namespace, on their
        device, by ``"direct"`` (SVD) or ``"precondition"``; x comes back there
        (docs/backend.md).
    b : array_like of shape (n,) or (n, k)
        Right-hand side(s); k columns share one sketch and one factorisation.  Of A's
        namespace.
    method : {"auto", "direct", "precondition", "sketch_solve", "ihs"}, default="auto"
        * ``"auto"``: ``"precondition"`` where the cost model of
          :func:`choose_method` says the sketch pays, else ``"direct"``
          (square, wide, nearly square and small problems).  For a LinearOperator,
          plain LSQR for as many iterations as the preconditioned solve would take
          (``result.method == "lsqr"`` when that reaches ``tol``: a well-conditioned
          A), then ``"precondition"`` from LSQR's iterate; ``"direct"`` when the
          sketch would have n rows or more.
        * ``"direct"``: LAPACK's SVD-based solver (gelsd, as ``numpy.linalg.lstsq``):
          the minimum-norm solution, singular values below ``rcond`` times the
          largest treated as zero.  A LinearOperator is formed first (d products).
        * ``"precondition"``: sketch ``S A = Q R``, start from the sketch-and-solve
          point, and refine with ``solver`` on ``A R^{-1}`` until the estimated
          backward error is at most ``tol`` (SPIR; backward stable like LAPACK).
          A numerically rank-deficient ``S A`` is factored by a truncated SVD,
          which gives the minimum-norm solution.
        * ``"sketch_solve"``: return ``argmin ||S (A x - b)||``.  If S embeds
          span([A, b]) with distortion eps, the residual is within a factor
          (1 + eps)/(1 - eps) of the optimum; a low-accuracy method.
        * ``"ihs"``: the iterative Hessian sketch: with a fixed sketch, Polyak's
          heavy ball as the inner solver of the same refinement (FOSSILS); with
          ``refresh=True``, a new sketch every step (Pilanci and Wainwright 2016).
    sketch : str or SketchOperator, default="sparse_sign"
        The sketch of the sketched methods: a kind ("sparse_sign", "srht",
        "gaussian", "countsketch", "uniform", "leverage") or an operator of shape
        (m, n); ``"leverage"`` samples by fast approximate leverage scores.
        Ignored by ``method="direct"``.
    sketch_size : int, optional
        Rows of the sketch, in [d, n); default ``default_sketch_size(n, d)`` = min(4d, n).
    solver : {"cg", "lsqr", "lsmr"}, default="cg"
        Inner solver of ``method="precondition"``.  ``"cg"`` is conjugate gradients
        on the preconditioned normal equations (CGLS: in exact arithmetic LSQR's
        iterates), one fused pass over A per iteration; ``"lsqr"`` and ``"lsmr"``
        are scipy's, two passes per iteration.
    tol : float in (0, 1), optional
        Tolerance on the estimated normwise relative backward error (Karlson--Walden):
        stop when x solves ``min ||(A + dA) x - (b + db)||`` for some
        ``||[dA, theta db]||_F <= tol ||A||_F`` with ``theta = ||A||_F / ||b||``.
        Default ``4 eps`` of A's dtype: the accuracy of LAPACK.
    maxiter : int >= 0, optional
        Limit on inner iterations, all refinement steps together; default ``2 k + 10``
        with ``k = 2 ln(2/tol) / ln(m/d)``.  ``maxiter=0`` returns the sketch-and-solve
        point with its residual and backward error.
    x0 : array_like of shape (d,) or (d, k), optional
        Starting point instead of the sketch-and-solve solution.
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness of the sketch (SPEC 7).  ``seed`` is its deprecated alias.
    rcond : float, optional
        Relative rank cutoff: ``max(m, d) * eps`` for the sketch ``S A``,
        ``max(n, d) * eps`` for the direct solver (numpy's default).
    refresh : bool, default=False
        ``method="ihs"`` only: draw a new sketch at every step.
    callback : callable, optional
        Called as ``callback(progress)`` with an :class:`LstsqProgress` after every
        refinement step (every iteration for ``refresh=True``); returning True stops
        the solver with status ``"callback"`` and the current iterate.

    Returns
    -------
    LstsqResult
        ``x``, ``residual_norm``, ``status`` (``converged`` tells whether it is
        ``"converged"``), ``method`` (the path that ran), ``message``,
        ``backward_error``, ``n_iter``, per-phase times and ``condition_estimate``.

    Notes
    -----
    Cost of the sketched path for dense A: one pass over A for the sketch
    (sparse sign: O(s n d)), O(m d^2 + d^3) to factor it and take its spectrum,
    then one pass over A per iteration (two for LSQR/LSMR) plus one per
    backward-error check.  The number of iterations depends on m/d, not on cond(A):
    about 15 for a consistent or nearly consistent system and 30 to 45 for a large
    residual at the default tol.

    References
    ----------
    .. [1] H. Avron, P. Maymounkov, S. Toledo, "Blendenpik: Supercharging LAPACK's
       least-squares solver", SIAM J. Sci. Comput. 32(3), 2010.
    .. [2] X. Meng, M. Saunders, M. Mahoney, "LSRN: A parallel iterative solver for
       strongly over- or underdetermined systems", SIAM J. Sci. Comput. 36(2), 2014.
    .. [3] M. Pilanci, M. Wainwright, "Iterative Hessian sketch", JMLR 17, 2016.
    .. [4] M. Meier, Y. Nakatsukasa, A. Townsend, M. Webb, "Are sketch-and-precondition
       least squares solvers numerically stable?", SIAM J. Matrix Anal. Appl. 45(2), 2024.
    .. [5] E. Epperly, M. Meier, Y. Nakatsukasa, "Fast randomized least-squares
       solvers can be just as accurate and stable as classical direct solvers",
       arXiv:2406.03468.
    .. [6] R. Karlson, B. Walden, "Estimation of optimal backward perturbation bounds
       for the linear least squares problem", BIT 37(4), 1997.

    Examples
    --------
    >>> import numpy as np
    >>> import rnla
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((60000, 300)); b = rng.standard_normal(60000)
    >>> res = rnla.lstsq(A, b, rng=0)
    >>> res.method, res.converged
    ('precondition', True)
    >>> x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
    >>> bool(np.linalg.norm(res.x - x_ref) <= 1e-13 * np.linalg.norm(x_ref))
    True
    >>> rnla.lstsq(A[:2000, :20], b[:2000]).method
    'direct'
    """
    if is_dask(A):
        from rnla.distributed import solve_dask

        return solve_dask(A, b, None, method, sketch, sketch_size, solver, tol, maxiter, x0,
                          as_generator(rng, "rng"), rcond, refresh, callback)
    xp = check_namespace(A=A, b=b, x0=x0)
    if not uses_cpu(xp):
        return solve_namespace(A, b, None, xp, method, sketch, sketch_size, tol, maxiter, rng,
                               rcond, solver=solver, x0=x0, refresh=refresh, callback=callback)
    return _solve(A, b, None, method, sketch, sketch_size, solver, tol, maxiter, x0, rng,
                  rcond, refresh, callback)


@renamed_parameters(seed="rng")
def ridge(A, b, alpha: float | np.ndarray, *, method: str = "auto",
          sketch: str | SketchOperator = "sparse_sign", sketch_size: int | None = None,
          solver: str = "cg", tol: float | None = None, maxiter: int | None = None, x0=None,
          rng: SeedLike = None, rcond: float | None = None, refresh: bool = False,
          callback: Callable[[LstsqProgress], bool] | None = None) -> LstsqResult:
    r"""Solve ridge regression :math:`\min_x \|A x - b\|_2^2 + \alpha \|x\|_2^2`.

    ``alpha`` is a float >= 0 or an array of d penalties, one per coefficient
    (zero leaves a coefficient, such as an intercept column, unpenalised).  The
    problem is least squares with the augmented matrix
    :math:`[A; \sqrt{\alpha} I]`: the direct path solves it by LAPACK, the
    sketched path factors :math:`[S A; \sqrt{\alpha} I]` (as PARLA does) and
    refines on :math:`[A; \sqrt{\alpha} I] R^{-1}`; ``residual_norm`` is
    :math:`\sqrt{\|b - A x\|^2 + \sum_i \alpha_i x_i^2}`.  Every other argument
    is as in :func:`lstsq`.

    Parameters
    ----------
    A : array_like or scipy.sparse matrix of shape (n, d)
        As in :func:`lstsq` (arrays of other namespaces included).
    b : array_like of shape (n,) or (n, k)
        Right-hand side(s), of A's namespace.
    alpha : float or ndarray of shape (d,)
        Penalty, >= 0 (a float for arrays of namespaces other than numpy).
    method, sketch, sketch_size, solver, tol, maxiter, x0, rng, rcond, refresh, callback
        As in :func:`lstsq`.

    Returns
    -------
    LstsqResult

    Examples
    --------
    >>> import numpy as np
    >>> import rnla
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((5000, 20)); b = rng.standard_normal(5000)
    >>> x = rnla.ridge(A, b, alpha=10.0, rng=0).x
    >>> x_ref = np.linalg.solve(A.T @ A + 10.0 * np.eye(20), A.T @ b)
    >>> bool(np.allclose(x, x_ref, rtol=1e-10, atol=0))
    True
    """
    dask_a = is_dask(A)
    xp = check_namespace(A=None if dask_a else A, b=None if dask_a else b, alpha=alpha, x0=x0)
    if not uses_cpu(xp):
        alpha = check_real(alpha, "alpha", 0.0, None)  # a scalar here: penalty vectors on numpy
        return solve_namespace(A, b, alpha, xp, method, sketch, sketch_size, tol, maxiter, rng,
                               rcond, solver=solver, x0=x0, refresh=refresh, callback=callback)
    d = np.shape(A)[1] if np.ndim(A) == 2 or sp.issparse(A) else None
    if np.ndim(alpha) == 0:
        alpha = check_real(alpha, "alpha", 0.0, None)
        penalty = None if alpha == 0 or d is None else np.full(d, alpha)
    else:
        check_host(alpha, "alpha")
        penalty = np.asarray(alpha)
        if penalty.dtype == object or not np.issubdtype(penalty.dtype, np.number) \
                or np.iscomplexobj(penalty):
            raise TypeError(f"`alpha` must be real; got dtype {penalty.dtype}")
        penalty = penalty.astype(np.float64)
        if penalty.shape != (d,):
            raise ValueError(f"`alpha` must be a float or have shape ({d},) (A's columns); got "
                             f"shape {penalty.shape}")
        if not np.all(np.isfinite(penalty) & (penalty >= 0)):
            raise ValueError("`alpha` must contain only finite values >= 0")
        penalty = penalty if penalty.any() else None
    if dask_a:
        from rnla.distributed import solve_dask

        return solve_dask(A, b, penalty, method, sketch, sketch_size, solver, tol, maxiter, x0,
                          as_generator(rng, "rng"), rcond, refresh, callback)
    return _solve(A, b, penalty, method, sketch, sketch_size, solver, tol, maxiter, x0, rng,
                  rcond, refresh, callback)
