r"""Iterative phases of the sketched least-squares solvers.

All of them solve ``min ||B - A X||^2 + sum_i alpha_i X_i^2`` column by column
for a preconditioner ``N`` (``rnla.lstsq._precondition``), starting from ``X0``
(the sketch-and-solve point), by **sketch-and-precondition with iterative
refinement** (SPIR; with the heavy-ball inner solver, FOSSILS; Epperly, Meier
and Nakatsukasa 2024).  Each refinement step recomputes the residual
``r = b - A x`` from x, solves the preconditioned correction equation

.. math:: N^T (A^T A + D) N \, \delta y = N^T (A^T r - D x)

from zero with an inner solver, and updates ``x += N \delta y``.  One plain
sketch-and-precondition run is not backward stable on ill-conditioned problems
(Meier, Nakatsukasa, Townsend and Webb 2024); refinement makes it so.

The stopping test is on the Karlson--Walden estimate of the normwise relative
backward error (``BackwardError``), computed from the sketch's spectrum at no
extra pass over A: ``converged`` means that x solves a nearby problem
``min ||(A + dA) x - (b + db)||`` with ``||[dA, theta db]||_F <= tol ||A||_F``,
as LAPACK's QR solver guarantees with tol of the order of the unit roundoff.

Inner solvers (same names as ``solver=`` and ``method=`` in ``rnla.lstsq``):

* ``cg``: conjugate gradients on the correction equation (CGLS), one fused
  pass ``A^T (A p)`` over A per iteration;
* ``lsqr`` / ``lsmr``: scipy.sparse.linalg on ``[A; diag(sqrt(alpha))] N`` with
  the residual as right-hand side (two passes per iteration);
* ``heavy_ball``: Polyak's momentum with the parameters that a Gaussian sketch's
  Marchenko--Pastur spectrum makes optimal (the fixed-sketch iterative Hessian
  sketch; FOSSILS), one fused pass per iteration;
* ``run_ihs_fresh``: the iterative Hessian sketch with a new sketch per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnla._status import Status
from rnla.lstsq._gram import CHECK_EVERY, BackwardError, GramOperator, norms
from rnla.lstsq._inner import INNER

__all__ = ["GramOperator", "BackwardError", "refine", "run_ihs_fresh", "CHECK_EVERY"]


class _Halving:
    """Counts the consecutive evaluations at which no unfinished column has at least
    halved its backward-error estimate since the previous one (a stall)."""

    def __init__(self):
        self.previous = None
        self.misses = 0

    def __call__(self, eta: np.ndarray, done: np.ndarray) -> int:
        if self.previous is not None and np.all(done | (eta > 0.5 * self.previous)):
            self.misses += 1
        else:
            self.misses = 0
        self.previous = eta
        return self.misses


@dataclass
class RefineOutcome:
    """What ``refine`` returns to the driver."""

    X: np.ndarray
    rr: np.ndarray
    eta: np.ndarray
    n_iter: int
    status: Status
    cond: float | None


def refine(op: GramOperator, pre, B: np.ndarray, X0: np.ndarray, tol: float, maxiter: int,
           inner: str, ratio: float = 0.25, start=None, notify=None,
           n_done: int = 0, min_steps: int = 2, bnorm: np.ndarray | None = None
           ) -> RefineOutcome:
    """Iterative refinement with an inner solver until the backward error is below ``tol``.

    The first step runs the inner solver until its updates fall below the
    attainable accuracy of ``A x`` (``tol/4 (||A|| ||x|| + 0.04 cond ||r||)``, as
    FOSSILS does with eps for tol/4; here with the O(d^2) estimates ``||R||_F`` and
    LAPACK's 1-norm condition estimate of R).  A second step always follows: even where
    the first one already meets ``tol`` it improves the forward error of
    consistent ill-conditioned problems several times (to within a small factor
    of LAPACK's).  Each later step recomputes the residual and runs the inner solver
    with a backward-error check every ``CHECK_EVERY`` iterations (one extra
    pass each), until the estimate is at most ``tol`` or two checks in a row
    fail to halve it.  The run stops ``"converged"`` when every column's
    estimate is at most ``tol``, ``"stalled"`` when two whole refinement steps in
    a row do not halve it (the arithmetic's floor lies above ``tol``), ``"maxiter"`` when
    the budget is spent, and ``"sketch_failed"`` when the heavy-ball iteration
    diverges.  ``start`` is ``op.residual_gradient(X0, B)`` when the caller has it.
    ``notify(X, rr, eta, n_iter)`` is called after every step; returning True stops
    the run (``"callback"``).  ``pre`` is the sketch's :class:`Preconditioner` or a
    :class:`ColumnScaling` of it (whose ``sketched`` then gives the backward-error
    estimates); ``n_done`` iterations were spent before this run (they count
    against ``maxiter``).  ``min_steps=1`` lets a first step that meets ``tol``
    end the run: right for a well-conditioned A, whose forward error the
    second step cannot improve.  ``bnorm`` holds the column norms of B when the caller
    has them.
    """
    bnorm = norms(B) if bnorm is None else bnorm
    sketched = getattr(pre, "sketched", pre)
    be = BackwardError(sketched, bnorm, tol)
    norm, kappa = be.norm_fro, sketched.condition_1norm()
    solve = INNER[inner]
    X = X0.copy()
    n_iter, step, cond, halving = n_done, 0, None, _Halving()
    G, rr = op.residual_gradient(X, B) if start is None else start
    eta = be(X, rr, G)
    while True:
        done = (eta <= tol) | (bnorm == 0)
        if step > 0 and notify is not None and notify(X, rr, eta, n_iter):
            status = Status.CALLBACK
            break
        if step >= min_steps and done.all():
            status = Status.CONVERGED
            break
        if n_iter >= maxiter:
            status = Status.CONVERGED if done.all() else Status.MAXITER
            break
        if step > 0 and halving(eta, done) >= 2:
            status = Status.STALLED
            break
        live = (~done if step > 1 else np.ones_like(done)) & (bnorm > 0)
        C = pre.apply_transpose(G)
        R0 = op.residual(X, B) if inner in ("lsqr", "lsmr") else None
        last = {}
        if step == 0:
            thresh = 0.25 * tol * (norm * norms(X) + 0.04 * kappa * np.sqrt(np.maximum(rr, 0.0)))
            check = None
        else:
            thresh = None
            check = _make_check(op, pre, be, B, X, tol, last)
        out = solve(op, pre, C, live, maxiter - n_iter, thresh, ratio=ratio, solver=inner,
                    R0=R0, check=check, on_iteration=_per_iteration(notify, pre, X, n_iter))
        cond = out.cond if cond is None else cond
        n_iter += out.n_iter
        step += 1
        if out.diverged:
            status = Status.SKETCH_FAILED
            break
        X = X + pre.apply(out.Y)
        if out.stopped:
            G, rr = op.residual_gradient(X, B)
            eta = be(X, rr, G)
            status = Status.CALLBACK
            break
        if out.checked:
            G, rr, eta = last["G"], last["rr"], last["eta"]
        else:
            G, rr = op.residual_gradient(X, B)
            eta = be(X, rr, G)
    return RefineOutcome(X, rr, eta, n_iter, status, cond)


def _per_iteration(notify, pre, X: np.ndarray, n_done: int):
    """``on_iteration(Y, k)`` for an inner solver when the user's callback asked for every
    iteration: the iterate ``X + N Y`` with NaN residual and backward error (they would
    cost a pass over A); None otherwise."""
    if notify is None or not getattr(notify, "every_iteration", False):
        return None
    missing = np.full(X.shape[1], np.nan)

    def on_iteration(Y: np.ndarray, k: int) -> bool:
        return notify(X + pre.apply(Y), missing, missing, n_done + k)

    return on_iteration


def _make_check(op: GramOperator, pre, be: BackwardError, B: np.ndarray, X: np.ndarray,
                tol: float, last: dict):
    """The periodic check of a refinement step: the backward error at ``X + N Y``
    (one pass over A); it asks to stop when every column meets ``tol`` or two checks
    in a row fail to halve the estimate.  The last evaluation is left in ``last``."""
    halving = _Halving()

    def check(Y: np.ndarray):
        Xh = X + pre.apply(Y)
        G, rr = op.residual_gradient(Xh, B)
        eta = be(Xh, rr, G)
        last.update(G=G, rr=rr, eta=eta)
        finished = eta <= tol
        return finished, bool(finished.all() or halving(eta, finished) >= 2)

    return check


def run_ihs_fresh(op: GramOperator, make_pre, pre0, B, X0: np.ndarray, tol: float,
                  maxiter: int, notify=None, bnorm: np.ndarray | None = None) -> RefineOutcome:
    r"""Iterative Hessian sketch with a new sketch at every step (Pilanci and Wainwright 2016).

    .. math:: x_{t+1} = x_t + (A^T S_t^T S_t A + D)^{-1} (A^T (b - A x_t) - D x_t)

    with :math:`D = \mathrm{diag}(\alpha)`.  ``make_pre()`` draws a sketch and
    returns its preconditioner ``N_t`` (so the inverse is ``N_t N_t^T``); the
    backward error is estimated with the first sketch ``pre0``.
    """
    be = BackwardError(pre0, norms(B) if bnorm is None else bnorm, tol)
    X = X0.copy()
    n_iter, rr0, halving = 0, None, _Halving()
    while True:
        G, rr = op.residual_gradient(X, B)
        rr0 = rr if rr0 is None else rr0
        eta = be(X, rr, G)
        done = eta <= tol
        if n_iter > 0 and notify is not None and notify(X, rr, eta, n_iter):
            status = Status.CALLBACK
            break
        if n_iter > 0 and done.all():
            status = Status.CONVERGED
            break
        if np.any(rr > 4.0 * rr0 + np.finfo(float).tiny):
            status = Status.SKETCH_FAILED
            break
        if n_iter >= maxiter:
            status = Status.CONVERGED if done.all() else Status.MAXITER
            break
        if halving(eta, done) >= 2 * CHECK_EVERY:
            status = Status.STALLED
            break
        pre = make_pre()
        X = X + np.where(done & (n_iter > 0), 0.0, pre.apply(pre.apply_transpose(G)))
        n_iter += 1
    return RefineOutcome(X, rr, eta, n_iter, status, None)
