r"""Iterative phases of the sketched least-squares solvers.

All of them solve ``min ||B - A X||^2 + sum_i alpha_i X_i^2`` column by column for a
preconditioner ``N`` (``rnla.lstsq._precondition``), starting from ``X0``:

* ``lsqr`` / ``lsmr``: scipy.sparse.linalg on the LinearOperator ``[A; diag(sqrt(alpha))] N``
  with the warm start folded into the right-hand side (two passes over A per
  iteration);
* ``cg``: conjugate gradients on the preconditioned normal equations
  ``N^T (A^T A + diag(alpha)) N y = N^T (A^T b - ...)`` (CGLS), whose one
  product ``A^T (A p)`` per iteration is a single fused pass over A;
* ``heavy_ball``: iterative sketching with momentum (Pilanci and Wainwright's
  iterative Hessian sketch with a fixed sketch, accelerated), one fused pass
  that recomputes the residual exactly at every step;
* ``ihs_fresh``: the iterative Hessian sketch with a new sketch per step.

Every stopping test is LSQR's: column j stops when ``||r_j|| <= tol ||b_j||``
(consistent systems) or ``||(A N)^T r_j|| <= tol ||A N|| ||r_j||`` (the
backward-error test for inconsistent systems).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
import scipy.sparse.linalg as spla

from rnla.backend import kernels

__all__ = ["GramOperator", "run_lsqr", "run_cg", "run_heavy_ball", "run_ihs_fresh", "stopped"]

#: status codes shared by LstsqResult
CONVERGED, MAXITER, ILL_CONDITIONED, DIVERGED, NO_ITERATION, ATTAINED = 0, 1, 2, 3, 4, 5


class GramOperator:
    """``A`` with ridge penalties ``alpha`` (shape (d,), or None): the two products the
    iterations need, fused."""

    def __init__(self, A, alpha: np.ndarray | None):
        self.A = A
        self.alpha = alpha
        self._normal_residual = kernels(np).normal_residual

    def residual_gradient(self, X: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``A^T (B - A X) - alpha X`` and ``||B - A X||^2 + alpha ||X||^2`` per column."""
        G, rr = self._normal_residual(self.A, X, B)
        if self.alpha is not None:
            aX = self.alpha[:, None] * X
            G -= aX
            rr += np.einsum("ij,ij->j", aX, X)
        return G, rr

    def gram(self, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(A^T A + alpha I) P`` and ``||A P||^2 + alpha ||P||^2`` per column."""
        G, qq = self._normal_residual(self.A, P)
        G = -G
        if self.alpha is not None:
            aP = self.alpha[:, None] * P
            G += aP
            qq += np.einsum("ij,ij->j", aP, P)
        return G, qq


def stopped(S: np.ndarray, rr: np.ndarray, norm_AN: float, bnorm: np.ndarray,
            tol: float) -> np.ndarray:
    """LSQR's tests S1 and S2 per column (S: preconditioned gradient, rr: ||r||^2)."""
    rnorm = np.sqrt(np.maximum(rr, 0.0))
    return (rnorm <= tol * bnorm) | (_norms(S) <= tol * norm_AN * rnorm)


def _norms(S: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("ij,ij->j", S, S))


class _Stagnation:
    """Detects that a gradient recomputed from x has stopped decreasing.

    ``N^T A^T (b - A x)`` cannot be computed more accurately than about
    u cond(A) (||r|| + ||A|| ||x||), which for an ill-conditioned A lies above
    ``tol``.  An iteration whose best gradient norm has not halved within
    ``window`` steps has reached that floor: its x is as accurate as the
    arithmetic allows (status ``ATTAINED``).
    """

    def __init__(self, window: int):
        self.window = window
        self.best = None
        self.since = 0

    def __call__(self, snorm: np.ndarray, done: np.ndarray) -> bool:
        snorm = np.where(done, 0.0, snorm)
        if self.best is None or np.all(snorm <= 0.5 * self.best):
            self.best, self.since = snorm, 0
            return False
        self.since += 1
        return self.since >= self.window


def run_lsqr(A, pre, alpha: np.ndarray | None, B: np.ndarray, X0: np.ndarray, tol: float,
             maxiter: int, solver: str):
    """scipy's LSQR or LSMR on ``[A; diag(sqrt(alpha))] N`` per column of B.

    The warm start enters as the shifted right-hand side ``r0 = b - A x0``, and
    ``btol`` is rescaled by ``||b|| / ||r0||`` so that the test still reads
    ``||b - A x|| <= tol ||b||`` (as RandLAPACK's Blendenpik driver does).
    Returns ``(X, n_iter, status, condition_estimate, None)``.
    """
    n, d = A.shape
    k = pre.rank
    ridge = alpha is not None
    root = np.sqrt(alpha) if ridge else None

    def matvec(y):
        z = pre.apply(np.asarray(y).reshape(-1))
        out = A @ z
        return np.concatenate([out, root * z]) if ridge else out

    def rmatvec(u):
        u = np.asarray(u).reshape(-1)
        g = A.T @ u[:n]
        if ridge:
            g = g + root * u[n:]
        return pre.apply_transpose(g)

    op = spla.LinearOperator((n + (d if ridge else 0), k), matvec=matvec, rmatvec=rmatvec,
                             dtype=np.float64)
    X = X0.copy()
    n_iter, status, conds = 0, CONVERGED, []
    for j in range(B.shape[1]):
        r0 = B[:, j] - A @ X0[:, j]
        if ridge:
            r0 = np.concatenate([r0, -root * X0[:, j]])
        bnorm, r0norm = np.linalg.norm(B[:, j]), np.linalg.norm(r0)
        if r0norm <= tol * bnorm or r0norm == 0.0:
            continue
        btol = min(tol * bnorm / r0norm, 0.5)
        if solver == "lsqr":
            out = spla.lsqr(op, r0, atol=tol, btol=btol, conlim=1 / np.finfo(float).eps,
                            iter_lim=maxiter)
            y, istop, itn, acond = out[0], out[1], out[2], out[6]
        else:
            out = spla.lsmr(op, r0, atol=tol, btol=btol, conlim=1 / np.finfo(float).eps,
                            maxiter=maxiter)
            y, istop, itn, acond = out[0], out[1], out[2], out[6]
        X[:, j] += pre.apply(y)
        n_iter = max(n_iter, itn)
        conds.append(acond)
        if istop in (3, 6):
            status = max(status, ILL_CONDITIONED)
        elif istop == 7 or itn >= maxiter:
            status = max(status, MAXITER)
    return X, n_iter, status, (max(conds) if conds else None), None


def _lanczos_condition(alphas: list[float], betas: list[float]) -> float | None:
    """sqrt(lambda_max / lambda_min) of the CG Lanczos tridiagonal (Golub and Van Loan 11.3)."""
    if len(alphas) < 2:
        return None
    a = np.asarray(alphas)
    b = np.asarray(betas[: len(alphas) - 1])
    diag = 1.0 / a
    diag[1:] += b / a[:-1]
    off = np.sqrt(b) / a[:-1]
    ev = sla.eigvalsh_tridiagonal(diag, off)
    return float(np.sqrt(ev[-1] / ev[0])) if ev[0] > 0 else float("inf")


def run_cg(op: GramOperator, pre, B: np.ndarray, X0: np.ndarray, tol: float, maxiter: int,
           start=None):
    """Preconditioned CG on the normal equations, one fused pass over A per iteration.

    In y = N^{-1}(x - x0) coordinates: ``s = N^T A^T r`` is updated by the
    recurrence ``s -= a N^T A^T A N p``, so each iteration needs only the fused
    product ``A^T (A N p)``.  Because recurrences drift, convergence is
    confirmed on the gradient recomputed from x.  If the confirmation fails, CG
    restarts from x, and each restart must cut the recomputed gradient by 100
    (or reach ``tol``); a restart that does not even halve it has met the
    rounding floor u cond(A) (status ``ATTAINED``).
    ``start`` is ``op.residual_gradient(X0, B)`` when the caller has it.
    Returns ``(X, n_iter, status, condition_estimate, rr)`` with rr the squared
    residual norms at X.
    """
    bnorm = np.linalg.norm(B, axis=0)
    X = X0.copy()
    n_iter, norm_AN, cond, status = 0, 1.0, None, MAXITER
    previous = None  # recomputed gradient norms at the previous restart
    while True:
        G, rr = op.residual_gradient(X, B) if start is None else start
        start = None
        S = pre.apply_transpose(G)
        snorm = _norms(S)
        done = stopped(S, rr, norm_AN, bnorm, tol)
        if done.all():
            status = CONVERGED
            break
        if previous is not None and np.all(done | (snorm > 0.5 * previous)):
            status = ATTAINED
            break
        if n_iter >= maxiter:
            break
        # the first cycle runs to tol; restarts only need to show progress
        target = 0.0 if previous is None else 1e-2 * snorm
        previous = snorm
        Y = np.zeros_like(S)
        P = np.where(done, 0.0, S)
        gamma = np.einsum("ij,ij->j", P, P)
        alphas, betas = [], []
        while n_iter < maxiter and not done.all():
            NP = pre.apply(P)
            T, qq = op.gram(NP)
            Q = pre.apply_transpose(T)
            pp = np.einsum("ij,ij->j", P, P)
            live = (~done) & (qq > 0)
            a = np.where(live, gamma / np.where(live, qq, 1.0), 0.0)
            if live.any():
                norm_AN = max(norm_AN, float(np.sqrt(np.max(qq[live] / pp[live]))))
            Y += a * P
            S -= a * Q
            rr = np.maximum(rr - a * gamma, 0.0)
            gamma_new = np.einsum("ij,ij->j", S, S)
            b = np.where(live, gamma_new / np.where(live, gamma, 1.0), 0.0)
            alphas.append(a[0])
            betas.append(b[0])
            P = np.where(live, S + b * P, 0.0)
            gamma = gamma_new
            n_iter += 1
            done = (done | stopped(S, rr, norm_AN, bnorm, tol) | ~live
                    | (np.sqrt(gamma) <= target))
        X = X + pre.apply(Y)
        if alphas and alphas[0] > 0:
            cond = _lanczos_condition([v for v in alphas if v > 0], betas) or cond
    return X, n_iter, status, cond, rr


def run_heavy_ball(op: GramOperator, pre, B: np.ndarray, X0: np.ndarray, tol: float,
                   maxiter: int, ratio: float, start=None):
    r"""Iterative sketching with momentum (fixed sketch), one fused pass per step.

    .. math:: x_{t+1} = x_t + a N N^T A^T (b - A x_t) + \beta (x_t - x_{t-1})

    with :math:`a = (1 - \rho^2)^2`, :math:`\beta = \rho^2`, :math:`\rho^2 = d/m`:
    Polyak's optimal parameters for the spectrum of a Gaussian sketch of m rows,
    whose preconditioned singular values lie in [1/(1+rho), 1/(1-rho)]
    (Marchenko-Pastur).  The error contracts by rho per step (Lacotte and
    Pilanci 2020; Epperly, Meier and Nakatsukasa 2024, who show this iteration is
    forward stable).  The residual is recomputed from x at every step.
    Returns ``(X, n_iter, status, None, rr)``.
    """
    rho = np.sqrt(ratio)
    step, beta = (1.0 - ratio) ** 2, ratio
    norm_AN = 1.0 / (1.0 - rho)
    bnorm = np.linalg.norm(B, axis=0)
    X, X_prev = X0.copy(), X0.copy()
    n_iter, status, rr0 = 0, MAXITER, None
    stagnated = _Stagnation(window=int(np.ceil(3 * np.log(2) / -np.log(rho))) + 5)
    while True:
        G, rr = op.residual_gradient(X, B) if start is None else start
        start = None
        rr0 = rr if rr0 is None else rr0
        S = pre.apply_transpose(G)
        done = stopped(S, rr, norm_AN, bnorm, tol)
        if done.all():
            status = CONVERGED
            break
        if stagnated(_norms(S), done):
            status = ATTAINED
            break
        if np.any(rr > 4.0 * rr0 + np.finfo(float).tiny):
            status = DIVERGED
            break
        if n_iter >= maxiter:
            break
        X_new = X + step * pre.apply(S) + beta * (X - X_prev)
        X_prev, X = X, np.where(done, X, X_new)
        n_iter += 1
    return X, n_iter, status, None, rr


def run_ihs_fresh(op: GramOperator, make_pre, B: np.ndarray, X0: np.ndarray, tol: float,
                  maxiter: int):
    r"""Iterative Hessian sketch with a new sketch at every step (Pilanci and Wainwright 2016).

    .. math:: x_{t+1} = x_t + (A^T S_t^T S_t A + D)^{-1} (A^T (b - A x_t) - D x_t)

    with :math:`D = \mathrm{diag}(\alpha)`.

    ``make_pre()`` draws a sketch and returns its preconditioner ``N_t`` (so the
    inverse is ``N_t N_t^T``).
    Returns ``(X, n_iter, status, None, rr)``.
    """
    bnorm = np.linalg.norm(B, axis=0)
    X = X0.copy()
    n_iter, status = 0, MAXITER
    rr0, pre = None, None
    stagnated = _Stagnation(window=8)
    while True:
        G, rr = op.residual_gradient(X, B)
        rr0 = rr if rr0 is None else rr0
        if n_iter > 0:
            S = pre.apply_transpose(G)
            done = stopped(S, rr, 1.0, bnorm, tol)
            if done.all():
                status = CONVERGED
                break
            if stagnated(_norms(S), done):
                status = ATTAINED
                break
        if np.any(rr > 4.0 * rr0 + np.finfo(float).tiny):
            status = DIVERGED
            break
        if n_iter >= maxiter:
            break
        pre = make_pre()
        X = X + pre.apply(pre.apply_transpose(G))
        n_iter += 1
    return X, n_iter, status, None, rr
