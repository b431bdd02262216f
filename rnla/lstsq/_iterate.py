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
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from rnla._status import Status
from rnla.backend import kernels
from rnla.backend.cpu._threads import AdaptiveThreads

__all__ = ["GramOperator", "BackwardError", "refine", "run_ihs_fresh", "CHECK_EVERY"]

_EPS = np.finfo(np.float64).eps

#: iterations between two backward-error checks after the first refinement step
CHECK_EVERY = 5


class GramOperator:
    """``A`` with ridge penalties ``alpha`` (shape (d,), or None): the two products the
    iterations need, fused."""

    def __init__(self, A, alpha: np.ndarray | None):
        self.A = A
        self.alpha = alpha
        self._normal_residual = _normal_residual_for(A)

    def residual_gradient(self, X: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``A^T (B - A X) - alpha X`` and ``||B - A X||^2 + alpha ||X||^2`` per column."""
        G, rr = self._normal_residual(self.A, X, B)
        if self.alpha is not None:
            aX = self.alpha[:, None] * X
            G -= aX
            rr += np.einsum("ij,ij->j", aX, X)
        return G, rr

    def residual(self, X: np.ndarray, B: np.ndarray) -> np.ndarray:
        """The augmented residuals ``[B - A X; -diag(sqrt(alpha)) X]``."""
        R = B - np.asarray(self.A @ X, dtype=np.float64)
        if self.alpha is not None:
            R = np.vstack([R, -np.sqrt(self.alpha)[:, None] * X])
        return R

    def gram(self, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(A^T A + alpha I) P`` and ``||A P||^2 + alpha ||P||^2`` per column."""
        G, qq = self._normal_residual(self.A, P)
        G = -G
        if self.alpha is not None:
            aP = self.alpha[:, None] * P
            G += aP
            qq += np.einsum("ij,ij->j", aP, P)
        return G, qq


def _normal_residual_for(A):
    """The function ``(A, X, B) -> (A^T (B - A X), ||B - A X||^2 per column)`` for A.

    C-order arrays and CSR matrices take the one-pass kernel, on the thread count
    measured faster during the solve (``AdaptiveThreads``); F-order arrays, CSC
    matrices and LinearOperators two products (BLAS / scipy.sparse / the operator).
    """
    cpu = kernels(np)
    if isinstance(A, np.ndarray) and A.flags.c_contiguous:
        return AdaptiveThreads(cpu.normal_residual)
    if sp.issparse(A) and A.format == "csr":
        return AdaptiveThreads(lambda A, X, B=None: cpu.normal_residual_csr(
            A.indptr, A.indices, A.data, A.shape[1], X, B))
    return _two_products


def _two_products(A, X: np.ndarray, B: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``A^T (B - A X)`` and the squared column norms of ``B - A X`` with one product by A
    and one by A^T (``B=None`` means zero)."""
    operator = isinstance(A, spla.LinearOperator)
    AX = np.asarray(A.matmat(X) if operator else A @ X, dtype=np.float64)
    R = -AX if B is None else B - AX
    G = A.rmatmat(R) if operator else A.T @ R
    return np.asarray(G, dtype=np.float64), np.einsum("ij,ij->j", R, R)


def _norms(S: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("ij,ij->j", S, S))


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


class BackwardError:
    r"""Karlson--Walden estimate of the normwise relative backward error, per column.

    For the weight :math:`\theta = \|A\|_F / \|b\|` (perturbations of A and b
    count alike, relative to their size) and :math:`\mu = \theta^2 / (1 + \theta^2
    \|x\|^2)`,

    .. math:: \eta(x) = \frac{\sqrt{\mu}}{\|A\|_F}
              \left\| (A^T A + \mu \|r\|^2 I)^{-1/2} A^T r \right\|,

    within a factor :math:`\sqrt 2` of the smallest :math:`\|[\Delta A, \theta
    \Delta b]\|_F / \|A\|_F` for which x solves the perturbed problem (Karlson and
    Walden 1997; Gratton 1996).  ``A^T A`` is replaced by the sketch's ``R^T R``,
    which an embedding with distortion eps matches within a factor
    ``((1 + eps)/(1 - eps))^2``; for ridge, A is the augmented matrix.

    The exact form needs the SVD of R (O(d^3)).  Until a column's estimate could
    be on either side of ``tol``, the two O(d^2) bounds

    .. math:: \frac{\sqrt{\mu} \|g\|}{\sqrt{\|R\|_F^2 + \mu \|r\|^2}}
              \le \eta \|A\|_F \le
              \sqrt{\mu} \min(\|R^{-T} g\|, \|g\| / \sqrt{\mu \|r\|^2})

    (``g = A^T r``) decide, and the upper one is returned.
    """

    def __init__(self, pre, bnorm: np.ndarray, tol: float):
        self._pre = pre
        self.tol = tol
        self.norm_fro = pre.norm_fro()
        with np.errstate(divide="ignore"):
            self._theta2 = (self.norm_fro / bnorm) ** 2

    def __call__(self, X: np.ndarray, rr: np.ndarray, G: np.ndarray) -> np.ndarray:
        xx = np.einsum("ij,ij->j", X, X)
        t2 = self._theta2
        rr = np.maximum(rr, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            mu = np.where(np.isinf(t2), 1.0 / xx, t2 / (1.0 + t2 * xx))
            scale = np.sqrt(mu) / self.norm_fro
            if self._pre.has_spectrum:
                eta = scale * self._exact(G, mu * rr)
            else:
                g = _norms(G)
                upper = scale * np.minimum(_norms(self._pre.apply_transpose(G)),
                                           g / np.sqrt(mu * rr))
                lower = scale * g / np.sqrt(self.norm_fro**2 + mu * rr)
                eta = upper
                if np.any((lower <= self.tol) & (upper > self.tol)):
                    eta = scale * self._exact(G, mu * rr)
        # an exact solution (r = 0) has no backward error; a NaN never counts as converged
        return np.where(rr <= 0.0, 0.0, np.where(np.isnan(eta), np.inf, eta))

    def _exact(self, G: np.ndarray, shift: np.ndarray) -> np.ndarray:
        s, Vt = self._pre.spectrum()
        return _norms((Vt @ G) / np.sqrt(s[:, None] ** 2 + shift))


@dataclass
class _Inner:
    """What an inner solve returns: the correction in y coordinates, iterations, and the
    coefficients that estimate the preconditioned condition number (or None)."""

    Y: np.ndarray
    n_iter: int
    cond: float | None = None
    diverged: bool = False
    checked: bool = False  # the last check saw exactly this Y


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
        thresh: np.ndarray | None, check=None, **_) -> _Inner:
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
        if check is not None and k % CHECK_EVERY == 0:
            finished, stop = check(Y)
            done |= finished
            if stop or done.all():
                return _Inner(Y, k, _lanczos_condition(alphas, betas), checked=True)
    return _Inner(Y, k, _lanczos_condition(alphas, betas))


def _heavy_ball(op: GramOperator, pre, C: np.ndarray, live: np.ndarray, budget: int,
                thresh: np.ndarray | None, ratio: float, check=None, **_) -> _Inner:
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
    c_norm = _norms(C)
    k, diverged = 0, False
    while k < budget and not done.all():
        T, _ = op.gram(pre.apply(Y))
        R = C - pre.apply_transpose(T)
        if np.any(_norms(R) > 4.0 * c_norm + np.finfo(float).tiny):
            diverged = True
            break
        update = np.where(done, 0.0, step * R + beta * (Y - Y_prev))
        Y_prev, Y = Y, Y + update
        k += 1
        if thresh is not None:
            done |= _norms(update) <= thresh
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
    A, alpha = op.A, op.alpha
    n, k = A.shape[0], pre.rank
    root = None if alpha is None else np.sqrt(alpha)

    def matvec(y):
        z = pre.apply(np.asarray(y).reshape(-1))
        out = A @ z
        return np.concatenate([out, root * z]) if root is not None else out

    def rmatvec(u):
        u = np.asarray(u).reshape(-1)
        g = A.T @ u[:n]
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


_INNER = {"cg": _cg, "heavy_ball": _heavy_ball, "lsqr": _scipy_solver, "lsmr": _scipy_solver}


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
    bnorm = _norms(B) if bnorm is None else bnorm
    sketched = getattr(pre, "sketched", pre)
    be = BackwardError(sketched, bnorm, tol)
    norm, kappa = be.norm_fro, sketched.condition_1norm()
    solve = _INNER[inner]
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
            thresh = 0.25 * tol * (norm * _norms(X) + 0.04 * kappa * np.sqrt(np.maximum(rr, 0.0)))
            check = None
        else:
            thresh = None
            check = _make_check(op, pre, be, B, X, tol, last)
        out = solve(op, pre, C, live, maxiter - n_iter, thresh, ratio=ratio, solver=inner,
                    R0=R0, check=check)
        cond = out.cond if cond is None else cond
        n_iter += out.n_iter
        step += 1
        if out.diverged:
            status = Status.SKETCH_FAILED
            break
        X = X + pre.apply(out.Y)
        if out.checked:
            G, rr, eta = last["G"], last["rr"], last["eta"]
        else:
            G, rr = op.residual_gradient(X, B)
            eta = be(X, rr, G)
    return RefineOutcome(X, rr, eta, n_iter, status, cond)


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


def run_ihs_fresh(op: GramOperator, make_pre, pre0, B: np.ndarray, X0: np.ndarray, tol: float,
                  maxiter: int, notify=None) -> RefineOutcome:
    r"""Iterative Hessian sketch with a new sketch at every step (Pilanci and Wainwright 2016).

    .. math:: x_{t+1} = x_t + (A^T S_t^T S_t A + D)^{-1} (A^T (b - A x_t) - D x_t)

    with :math:`D = \mathrm{diag}(\alpha)`.  ``make_pre()`` draws a sketch and
    returns its preconditioner ``N_t`` (so the inverse is ``N_t N_t^T``); the
    backward error is estimated with the first sketch ``pre0``.
    """
    be = BackwardError(pre0, _norms(B), tol)
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
