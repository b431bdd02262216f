r"""The inner solvers of the refinement (``refine``): each solves the preconditioned
correction equation

.. math:: N^T (A^T A + D) N \, \delta y = N^T (A^T r - D x)

from zero for a live set of columns, within a budget of iterations, and returns the
correction, its iterations and (where its coefficients allow) an estimate of the
preconditioned condition number:

* ``cg``: conjugate gradients (CGLS), one fused pass ``A^T (A p)`` per iteration;
* ``lsqr`` / ``lsmr``: scipy.sparse.linalg on ``[A; diag(sqrt(alpha))] N`` with the
  residual as right-hand side (two passes per iteration; host engine only);
* ``heavy_ball``: Polyak's momentum with the parameters that a Gaussian sketch's
  Marchenko--Pastur spectrum makes optimal (the fixed-sketch iterative Hessian sketch;
  FOSSILS), one fused pass per iteration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse.linalg as spla

from rnla.lstsq._gram import CHECK_EVERY, GramOperator, norms

__all__ = ["INNER"]

_EPS = np.finfo(np.float64).eps

@dataclass
class _Inner:
    """What an inner solve returns: the correction in y coordinates, iterations, and the
    coefficients that estimate the preconditioned condition number (or None)."""

    Y: np.ndarray
    n_iter: int
    cond: float | None = None
    diverged: bool = False
    checked: bool = False  # the last check saw exactly this Y
    stopped: bool = False  # the per-iteration callback asked to stop


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


def _cg(op: GramOperator, pre, C: np.ndarray, live: np.ndarray, budget: int,
        thresh: np.ndarray | None, check=None, on_iteration=None, **_) -> _Inner:
    """CG on ``N^T (A^T A + D) N Y = C`` from Y = 0, one fused pass per iteration.

    Column j stops when its update ``||a_j p_j||`` falls below ``thresh[j]`` (the
    first refinement step), when ``check(Y)`` (called every ``CHECK_EVERY``
    iterations) says so, or after ``budget`` iterations.
    """
    Y = np.zeros_like(C)
    S = np.where(live, C, 0.0)
    P = S.copy()
    gamma = np.einsum("ij,ij->j", S, S)
    done = ~live | (gamma <= 0.0)
    alphas, betas, k = [], [], 0
    while k < budget and not done.all():
        T, qq = op.gram(pre.apply(P))
        Q = pre.apply_transpose(T)
        ok = (~done) & (qq > 0)
        a = np.where(ok, gamma / np.where(ok, qq, 1.0), 0.0)
        Y += a * P
        S -= a * Q
        gamma_new = np.einsum("ij,ij->j", S, S)
        b = np.where(ok, gamma_new / np.where(ok, gamma, 1.0), 0.0)
        if ok[0]:
            alphas.append(a[0])
            betas.append(b[0])
        step = a * np.sqrt(np.einsum("ij,ij->j", P, P))
        P = np.where(ok, S + b * P, 0.0)
        gamma = gamma_new
        k += 1
        done |= ~ok | (gamma <= 0.0)
        if thresh is not None:
            done |= step <= thresh
        if on_iteration is not None and on_iteration(Y, k):
            return _Inner(Y, k, _lanczos_condition(alphas, betas), stopped=True)
        if check is not None and k % CHECK_EVERY == 0:
            finished, stop = check(Y)
            done |= finished
            if stop or done.all():
                return _Inner(Y, k, _lanczos_condition(alphas, betas), checked=True)
    return _Inner(Y, k, _lanczos_condition(alphas, betas))


def _heavy_ball(op: GramOperator, pre, C: np.ndarray, live: np.ndarray, budget: int,
                thresh: np.ndarray | None, ratio: float, check=None, on_iteration=None,
                **_) -> _Inner:
    r"""Polyak's heavy ball on the correction equation from Y = 0 (FOSSILS' inner solver).

    .. math:: y_{k+1} = y_k + (1 - \rho^2)^2 (c - N^T M N y_k) + \rho^2 (y_k - y_{k-1})

    with :math:`\rho^2 = d/m`, the optimal parameters for the spectrum of a
    Gaussian sketch of m rows, whose preconditioned singular values lie in
    [1/(1+rho), 1/(1-rho)] (Marchenko--Pastur): the error contracts by rho per step.
    """
    step, beta = (1.0 - ratio) ** 2, ratio
    Y = np.zeros_like(C)
    Y_prev = np.zeros_like(C)
    done = ~live
    c_norm = norms(C)
    k, diverged = 0, False
    while k < budget and not done.all():
        T, _ = op.gram(pre.apply(Y))
        R = C - pre.apply_transpose(T)
        if np.any(norms(R) > 4.0 * c_norm + np.finfo(float).tiny):
            diverged = True
            break
        update = np.where(done, 0.0, step * R + beta * (Y - Y_prev))
        Y_prev, Y = Y, Y + update
        k += 1
        if thresh is not None:
            done |= norms(update) <= thresh
        if on_iteration is not None and on_iteration(Y, k):
            return _Inner(Y, k, None, stopped=True)
        if check is not None and k % CHECK_EVERY == 0:
            finished, stop = check(Y)
            done |= finished
            if stop or done.all():
                return _Inner(Y, k, None, checked=True)
    return _Inner(Y, k, None, diverged)


class _BidiagonalRecorder:
    """Reads the Golub--Kahan coefficients off the products LSQR and LSMR ask for.

    Both call ``rmatvec(u_k)`` and then ``matvec(v_k)`` with unit vectors, where
    ``alpha_k v_k = (AN)^T u_k - beta_k v_{k-1}`` and ``beta_{k+1} u_{k+1} = AN v_k
    - alpha_k u_k``; so ``alpha_k = <(AN)^T u_k, v_k>`` and ``beta_{k+1} = <AN v_k,
    u_{k+1}>``, O(n + d) work, no extra pass over A.  The singular values of the
    lower bidiagonal matrix they form estimate those of A N from inside.
    """

    def __init__(self, matvec, rmatvec):
        self._matvec, self._rmatvec = matvec, rmatvec
        self.alphas, self.betas = [], []
        self._w = self._z = None

    def matvec(self, v):
        v = np.asarray(v).reshape(-1)
        if self._w is not None:
            self.alphas.append(float(self._w @ v))
        self._z = self._matvec(v)
        return self._z

    def rmatvec(self, u):
        u = np.asarray(u).reshape(-1)
        if self._z is not None:
            self.betas.append(float(self._z @ u))
        self._w = self._rmatvec(u)
        return self._w

    def condition(self) -> float | None:
        k = min(len(self.alphas), len(self.betas))
        if k < 2:
            return None
        Bk = np.zeros((k + 1, k))  # lower bidiagonal: alpha_i on the diagonal, beta_{i+1} below
        Bk[np.arange(k), np.arange(k)] = self.alphas[:k]
        Bk[np.arange(1, k + 1), np.arange(k)] = self.betas[:k]
        s = sla.svdvals(Bk, check_finite=False)
        return float(s[0] / s[-1]) if s[-1] > 0 else float("inf")


def _scipy_solver(op: GramOperator, pre, C: np.ndarray, live: np.ndarray, budget: int,
                  thresh: np.ndarray | None, solver: str, R0: np.ndarray, check=None,
                  **_) -> _Inner:
    """scipy's LSQR or LSMR on ``min ||[A; diag(sqrt(alpha))] N y - r||`` per column.

    ``R0`` holds the residuals ``[b - A x; -sqrt(alpha) x]``.  The first refinement
    step runs to scipy's tests at the unit roundoff.  scipy's solvers cannot be
    paused, so later steps run ``CHECK_EVERY`` iterations, then twice as many
    from the start (the same iterates), and so on, calling ``check`` after each;
    the count returned is that of the last run, the iterate's.
    """
    alpha = op.alpha
    n, k = op.A.shape[0], pre.rank
    root = None if alpha is None else np.sqrt(alpha)

    def matvec(y):
        z = pre.apply(np.asarray(y).reshape(-1))
        out = op.times(z)
        return np.concatenate([out, root * z]) if root is not None else out

    def rmatvec(u):
        u = np.asarray(u).reshape(-1)
        g = op.times_transpose(u[:n])
        if root is not None:
            g = g + root * u[n:]
        return pre.apply_transpose(g)

    shape = (R0.shape[0], k)

    def run(j, iter_lim, tol):
        rec = _BidiagonalRecorder(matvec, rmatvec)
        lin = spla.LinearOperator(shape, matvec=rec.matvec, rmatvec=rec.rmatvec,
                                  dtype=np.float64)
        if solver == "lsqr":
            out = spla.lsqr(lin, R0[:, j], atol=tol, btol=tol, conlim=1 / _EPS,
                            iter_lim=iter_lim)
        else:
            out = spla.lsmr(lin, R0[:, j], atol=tol, btol=tol, conlim=1 / _EPS,
                            maxiter=iter_lim)
        return out[0], int(out[2]), rec.condition()

    Y = np.zeros_like(C)
    cond = None
    if check is None:
        n_iter = 0
        for j in np.flatnonzero(live):
            Y[:, j], its, c = run(j, budget, _EPS)
            n_iter = max(n_iter, its)
            cond = c if cond is None else cond
        return _Inner(Y, n_iter, cond)
    done, chunk, ran = ~live, min(CHECK_EVERY, budget), 0
    while not done.all() and chunk > ran:
        for j in np.flatnonzero(~done):
            Y[:, j], _, c = run(j, chunk, 0.0)
            cond = c if cond is None else cond
        ran = chunk
        finished, stop = check(Y)
        done |= finished
        if stop:
            break
        chunk = min(2 * chunk, budget)
    return _Inner(Y, ran, cond, checked=True)


INNER = {"cg": _cg, "heavy_ball": _heavy_ball, "lsqr": _scipy_solver, "lsmr": _scipy_solver}
