"""The sketched paths of ``rnla.lstsq`` / ``rnla.ridge`` on any engine: sketch ``S A``
where A lives, factor the small sketch on the host, and iterate on d-sized host vectors
with the engine's fused normal-residual pass as the only product with A."""

from __future__ import annotations

import contextlib
import logging
import math
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from rnla._status import Status
from rnla._threads import one_blas_thread
from rnla._validation import column_powers_of_two, extreme_scale
from rnla.backend import Engine
from rnla.lstsq._gram import GramOperator
from rnla.lstsq._iterate import refine, run_ihs_fresh
from rnla.lstsq._precondition import ColumnScaling, Preconditioner
from rnla.lstsq._result import LstsqProgress, LstsqResult, make_result
from rnla.lstsq.cost import iteration_count, iteration_limit
from rnla.sketch import LeverageSampling, SketchOperator, make_sketch

__all__ = ["solve_sketched", "plain_lsqr", "sketch_kind"]

logger = logging.getLogger("rnla.lstsq.solve")

#: a preconditioned condition number above this means the sketch did not embed range(A)
#: (an embedding of distortion 0.8 gives 9; Gaussian m = 2d gives about 5.8)
_FAILED_CONDITION = 30.0
#: iterate on A itself when cond(R D^-1) is at most this times the sketch's distortion
_WELL_CONDITIONED = 1.1
#: a QR of the sketch of at least this many flops runs on BLAS's threads
_THREADED_FACTOR_FLOPS = 2**31

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


def _build_sketch(sketch, m: int, A, rng) -> SketchOperator:
    if isinstance(sketch, SketchOperator):
        return sketch
    if sketch == "leverage":
        return LeverageSampling.from_matrix(A, m, method="approx", rng=rng)
    return make_sketch(sketch, m, A.shape[0], rng=rng)


def sketch_kind(sketch) -> str:
    return sketch.kind if isinstance(sketch, SketchOperator) else sketch


def plain_lsqr(A, B: np.ndarray, alpha, tol: float, budget: int, X0):
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


def solve_sketched(engine: Engine, A, B, alpha, method, sketch, m, solver, tol, maxiter, X0,
                    rng, rcond, refresh, was_vector, dtype, callback) -> LstsqResult:
    """The sketched methods on any engine, after validation; ``X0`` is the caller's start
    (a host array) or None.  ``S A``, ``S B`` and the column norms of B come to the host
    together (one pass over a Dask A); everything after them is d-sized but the products
    of ``GramOperator``."""
    rng_sketch, rng_fresh = rng.spawn(2)
    t0 = time.perf_counter()
    S = _build_sketch(sketch, m, A, rng_sketch)
    SA, SB = engine.apply_sketch(S, A, "A"), engine.apply_sketch(S, B, "b")
    operator = isinstance(A, spla.LinearOperator)
    # the small results come to the host together (one pass over a Dask A)
    with np.errstate(over="ignore", under="ignore"):  # recomputed below if b is extreme
        SA, SB, bb, top = engine.compute(SA, SB, engine.xp.sum(B * B, axis=0),
                                         None if operator else engine.lazy_column_maxabs(A))
    if operator:
        top = engine.column_maxabs(SA)
    if not sp.issparse(SA):
        SA = np.asarray(SA, dtype=np.float64)
    SB, bb = np.asarray(SB, dtype=np.float64), np.asarray(bb, dtype=np.float64)
    # the iteration runs on y = c D^-1 x: D equilibrates A's columns by exact powers of
    # two (the sketch's for a LinearOperator), so the rank test and every later decision
    # do not depend on the units of A's columns, and c (a power of two) keeps squares of
    # b in range
    D = column_powers_of_two(np.asarray(top, dtype=np.float64))
    scale = extreme_scale(SB)
    SA = SA @ sp.diags_array(D) if sp.issparse(SA) else SA * D
    if scale != 1.0:  # b near overflow or underflow: its squares are taken again, scaled
        B, SB = B * scale, SB * scale
        bb = np.asarray(engine.compute(engine.xp.sum(B * B, axis=0))[0], dtype=np.float64)
    alpha = None if alpha is None else alpha * D**2
    if X0 is not None:
        X0 = X0 * (scale / D[:, None])
    t1 = time.perf_counter()
    # the iteration alternates small BLAS calls with numba passes over A: threaded BLAS
    # would spin against the numba threads (measured 1.3x to 3x slower on 2 cores).  The
    # sketch (the Gaussian GEMM) and a large factorisation keep BLAS's threads.
    big = 2 * SA.shape[0] * SA.shape[1] ** 2 >= _THREADED_FACTOR_FLOPS
    with contextlib.nullcontext() if big else one_blas_thread():
        pre = Preconditioner(SA, alpha, rcond, SB)
    t2 = time.perf_counter()
    normal_residual = engine.normal_residual(A)
    with one_blas_thread():
        op = GramOperator(A, alpha, normal_residual, D)
        if method == "sketch_solve":
            X = pre.sketch_solve()
            _, rr = op.residual_gradient(X, B)
            n_iter, status, eta, cond, fresh_time = 0, Status.CONVERGED, None, None, 0.0
        else:
            X, rr, n_iter, status, eta, cond, fresh_time = _iterate(
                op, pre, B, X0, method, solver, tol, maxiter, m,
                lambda rng: Preconditioner(
                    engine.compute(_build_sketch(sketch, m, A, rng) @ A)[0] * D, alpha, rcond),
                rng_fresh if method == "ihs" and refresh else None,
                _notifier(callback, was_vector, scale, D, t0), bb=bb)
        if pre.truncated and _sketch_lost_rank(op, pre, rcond):
            status = Status.SKETCH_FAILED
    t3 = time.perf_counter()
    times = (t1 - t0 + fresh_time, t2 - t1, t3 - t2 - fresh_time)
    resid = np.sqrt(np.maximum(rr, 0.0)) / scale
    X = (D[:, None] / scale) * X
    res = make_result(engine.from_host(X.astype(dtype, copy=False), A), resid, eta, n_iter,
                      status, method, sketch_kind(sketch), solver, was_vector, times, cond,
                      int(SA.shape[0]), pre.rank)
    passes = getattr(normal_residual, "passes", None)
    if passes is not None:  # the Dask pass counts its reads of A
        res.n_passes = 1 + passes
        res.time_per_pass = normal_residual.seconds / passes if passes else None
    return res


def _notifier(callback, was_vector: bool, scale: float, D: np.ndarray, t0: float):
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
        X = (D[:, None] / scale) * X  # the caller's x
        state = LstsqProgress(n_iter=int(n_iter), x=X[:, 0].copy() if was_vector else X,
                              residual_norm=float(resid[0]) if was_vector else resid,
                              backward_error=float(eta[0]) if was_vector else eta.copy(),
                              elapsed=time.perf_counter() - t0)
        return bool(callback(state))

    notify.every_iteration = getattr(callback, "every_iteration", False)
    return notify


def _iterate(op: GramOperator, pre: Preconditioner, B, X0, method: str,
             solver: str, tol: float, maxiter: int | None, m: int, fresh_preconditioner,
             rng_fresh, notify=None, bb: np.ndarray | None = None):
    """The iterative phase from ``X0`` (the sketch-and-solve point when None): refinement
    with ``solver`` or the heavy ball, or the iterative Hessian sketch with a fresh
    sketch per step when ``rng_fresh`` is given.  Returns ``(X, rr, n_iter, status,
    eta, condition_estimate, seconds spent drawing fresh sketches)``.  ``bb`` holds the
    squared column norms of B when the caller has them (B off the host)."""
    if maxiter is None:
        maxiter = iteration_limit(tol, m / pre.rank)
    bb = np.einsum("ij,ij->j", B, B) if bb is None else bb
    start = None
    if X0 is None:  # keep the sketched solution only if it beats x = 0 (PARLA's rule)
        X0 = pre.sketch_solve()
        start = op.residual_gradient(X0, B)
        keep = start[1] < bb
        if not keep.all():
            X0, start = np.where(keep, X0, 0.0), None
    spent = 0.0
    bnorm = np.sqrt(bb)
    if rng_fresh is not None:
        fresh_rngs = iter(rng_fresh.spawn(maxiter + 1))

        def make_pre():
            nonlocal spent
            ts = time.perf_counter()
            P = fresh_preconditioner(next(fresh_rngs))
            spent += time.perf_counter() - ts
            return P

        out = run_ihs_fresh(op, make_pre, pre, B, X0, tol, maxiter, notify, bnorm)
    else:
        inner = "heavy_ball" if method == "ihs" else solver
        out = None
        if method == "precondition" and solver == "cg" and _a_is_well_conditioned(pre, m):
            # iterate on A D^-1 for at most half the iterations the sketch's R^-1 would
            # take; if that does not converge, R^-1 continues from the point reached
            budget = min(maxiter, math.ceil(iteration_count(tol, m / pre.rank) / 2))
            out = refine(op, ColumnScaling(pre), B, X0, tol, budget, "cg", start=start,
                         notify=notify, min_steps=1, bnorm=bnorm)
            if out.status in (Status.CONVERGED, Status.CALLBACK):
                # the condition estimate means cond(A R^-1) on every path: here, where the
                # iteration ran on A D^-1 ~ orthogonal, cond(R D^-1) of the sketch estimates
                # it within the factor cond(A D^-1) (at most about 1.3 on this path)
                return (out.X, out.rr, out.n_iter, out.status, out.eta,
                        pre.scaled_condition(), spent)
            X0, start = out.X, None
        out = refine(op, pre, B, X0, tol, maxiter, inner, ratio=pre.rank / m, start=start,
                     notify=notify, n_done=0 if out is None else out.n_iter, bnorm=bnorm)
    status = out.status
    if (status not in (Status.CONVERGED, Status.CALLBACK) and out.cond is not None
            and out.cond > _FAILED_CONDITION):
        status = Status.SKETCH_FAILED
    return out.X, out.rr, out.n_iter, status, out.eta, out.cond, spent


def _sketch_lost_rank(op: GramOperator, pre: Preconditioner, rcond: float) -> bool:
    """Whether a direction the sketch annihilated is not in A's null space.

    For an embedding ``||A v|| <= ||S A v|| / (1 - eps)``, so a dropped direction
    has ``||A v||`` at rounding level; a sketch that missed rows carrying rank
    (uniform sampling of a coherent matrix) leaves ``||A v||`` large.  ``||A v||`` comes
    from the engine's pass (one product with A).
    """
    V = pre.dropped_directions()
    _, vv = op.normal_residual(V.sum(axis=1)[:, None])  # ||A D v||^2
    return float(np.sqrt(vv[0])) > 1e3 * rcond * pre.sigma_max * np.sqrt(V.shape[1])
