r"""Packing and covering LPs by dynamically-bucketed selective coordinate descent.

Both solvers minimize the smoothed packing objective over the box
:math:`0 \le x_i \le 1/a_i` (:math:`a_i = \max_j A_{ji}`):

.. math::

    f(x) = \mu \sum_j \exp\Big(\frac{(Ax)_j - 1}{\mu}\Big) - 1^Tx,
    \qquad \mu = \frac{e}{4 \ln(nm/e)},\ e = \varepsilon/2,

whose gradient is :math:`A^Tp - 1` with penalties :math:`p_j = \exp(((Ax)_j-1)/\mu)`.
Every answer carries a certificate: :math:`x/\max(1, \max_j (Ax)_j)` is packing
feasible and :math:`y = p/\min_i (A^Tp)_i` is covering feasible, so by weak duality
:math:`1^Tx \le \mathrm{OPT} \le 1^Ty`, and the solver stops when the certified
relative gap :math:`1 - 1^Tx/1^Ty` is at most ε.

``method="pdhg"``: the primal-dual hybrid gradient method (Chambolle and Pock) on the
saddle problem :math:`\min_{x \ge 0} \max_{y \ge 0} -1^Tx + y^T(Ax - 1)`, with
Pock and Chambolle's diagonal steps :math:`\tau_i = 1/\sum_j A_{ji}`,
:math:`\sigma_j = 1/\sum_i A_{ji}`, accelerated by reflected Halpern iterations
(r2HPDHG, Lu and Yang 2024: :math:`z_{k+1} = \frac{k+1}{k+2}(2T(z_k) - z_k) +
\frac{1}{k+2}z_0` for the PDHG step T) and restarted at the last :math:`T(z_k)` when
its certified gap falls to 0.2 of the gap at the last restart, or to 0.8 of it and
rises again (cuPDLPx's rules, decided here by the certificate itself).  The primal
weight :math:`\omega` (:math:`\tau/\omega`, :math:`\sigma\omega`) follows PDLP's update at
each restart, :math:`\log\omega \leftarrow \frac12\log\omega + \frac12\log(\|\Delta y\|_
{\sigma^{-1}}/\|\Delta x\|_{\tau^{-1}})`, the moves since the last restart.  It is not
DB-SCD: it needs no smoothing and no step-size search, and it moves x and y
together, so the dual certificate improves as fast as the primal.  Its answers are
certified exactly as DB-SCD's: the certificate rescales whatever x and y the
iteration holds to exact feasibility.

``method="dbscd"`` (Wang, Mahoney, Mohan and Rao): each iteration buckets the
truncated gradient by powers of two and moves every coordinate of one randomly
chosen bucket by a common relative step, safe however many nonzeros a row holds
(width independence), with a per-bucket Armijo-adaptive step multiplier and
continuation in ε.  ``method="coordinate"``: Allen-Zhu and Orecchia's accelerated
randomized coordinate descent, with its theory parameters :math:`L = 4/\mu`,
:math:`\tau = 1/(3nL)`, :math:`T = \lceil 3nL\ln(1/e)\rceil`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rnla._random import SeedLike, as_generator
from rnla._status import Status, summary_repr
from rnla._validation import check_int, check_option, check_real
from rnla.backend import kernels
from rnla.lp._problem import (
    StandardForm,
    check_eps,
    check_nonnegative_matrix,
    check_positive_vector,
    standard_form,
)

__all__ = ["LPResult", "LPProgress", "solve_packing", "solve_covering", "solve_positive_lp",
           "METHODS"]

#: the algorithms of ``method=``
METHODS = ("dbscd", "pdhg", "coordinate")

_CHECK_EVERY = 10  # DB-SCD iterations between certificates
_PDHG_CHECK_EVERY = 32  # PDHG iterations between certificates
_PDHG_REFLECT = 1.0  # the reflection of r2HPDHG (0: plain Halpern)
# restart when the certified gap falls to 0.2 of the last restart's, or to 0.8 of it and
# rises again (cuPDLPx's rules, on the certified gap instead of the fixed-point residual)
_PDHG_RESTART_SUFFICIENT, _PDHG_RESTART_NECESSARY = 0.2, 0.8
_PDHG_WEIGHT_SMOOTHING = 0.5  # PDLP's theta: the primal weight's update at a restart
_REFRESH_EVERY = 10  # certificates between recomputations of Ax from scratch

logger = logging.getLogger(__name__)

@dataclass
class LPProgress:
    """What a ``callback`` sees at each certificate (standard-form units).

    Attributes
    ----------
    n_iter : int
        Iterations so far.
    primal, dual : float
        The certified lower and upper bounds on OPT.
    gap : float
        Their relative gap ``1 - primal/dual``.
    elapsed : float
        Seconds since the solver started.
    """

    n_iter: int
    primal: float
    dual: float
    gap: float
    elapsed: float


@dataclass(repr=False)
class LPResult:
    """Solution of a positive LP with a duality certificate.

    Attributes
    ----------
    x : ndarray
        The solution of the problem asked (packing x or covering y), exactly feasible
        in the user's data: it was rescaled after the last check if rounding left a
        violation.
    objective : float
        Its objective; a lower bound on OPT for packing, an upper bound for covering.
    dual : ndarray
        An exactly feasible solution of the dual problem (covering for packing and
        vice versa): the certificate.
    dual_objective : float
        Its objective, the other bound on OPT.
    gap : float
        Certified relative gap ``1 - lower/upper`` between the two bounds; OPT lies in
        ``[lower, upper]``, so ``objective`` is within ``gap`` of optimal.
    n_iter : int
        Iterations (PDHG steps, DB-SCD bucket updates, or coordinate steps).
    passes : float
        Work in passes over A: nonzeros read / nnz(A).
    status : Status
        ``"certified"`` when ``gap <= eps``; otherwise why it stopped first:
        ``"maxiter"``, ``"time_limit"``, ``"stalled"`` or ``"callback"``.
    message : str
        The status in words.
    time : float
        Seconds, validation and scaling included.
    method : str
        The algorithm that ran: ``"pdhg"``, ``"dbscd"`` or ``"coordinate"``.
    sense : str
        ``"packing"`` or ``"covering"``: the problem ``x`` solves.
    """

    x: np.ndarray
    objective: float
    dual: np.ndarray
    dual_objective: float
    gap: float
    n_iter: int
    passes: float
    status: Status
    message: str
    time: float
    method: str
    sense: str

    @property
    def converged(self) -> bool:
        """Whether the requested gap is certified (``status == "certified"``)."""
        return self.status == Status.CERTIFIED

    def __repr__(self) -> str:
        return summary_repr(self, ("x", "objective", "dual_objective", "gap", "status",
                                   "method", "sense", "n_iter", "passes", "time"))


@dataclass
class _Raw:
    """Best certificate pair in standard units."""

    x: np.ndarray
    y: np.ndarray
    n_iter: int
    passes: float
    status: str


def _start(sf: StandardForm, eps: float) -> np.ndarray:
    """Sparse-aware start x_i = (1 - eps/2)/max_j A_ji nnz(row j), so Ax <= 1 - eps/2."""
    A = sf.A
    row_nnz = np.diff(sf.csr.indptr).astype(np.float64)
    weighted = A.data * row_nnz[A.indices]
    return (1.0 - eps / 2) / np.maximum.reduceat(weighted, A.indptr[:-1])


def _smoothing(e: float, m: int, n: int) -> float:
    return e / (4.0 * math.log(n * m / e))


class _Certificates:
    """Best primal and dual bounds seen so far (``lp_certificates``), and the gap."""

    def __init__(self, sf: StandardForm):
        m, n = sf.A.shape
        self._csc, self._rows = sf.csc_arrays, sf.row_pattern
        self._x, self._y = np.empty(n), np.empty(m)
        self.P, self.x = 0.0, np.zeros(n)
        self.D, self.y = math.inf, np.full(m, math.inf)

    def offer(self, x: np.ndarray, r: np.ndarray, p: np.ndarray, q: np.ndarray) -> tuple:
        """Certify the iterate (x, r = Ax) and the penalties (p, q = A^T p)."""
        kernels().lp_certificates(*self._csc, *self._rows, x, r, p, q, self._x, self._y)
        P, D = float(self._x.sum()), float(self._y.sum())
        if P > self.P:
            self.P, self.x = P, self._x.copy()
        if D < self.D:
            self.D, self.y = D, self._y.copy()
        return P, D

    @property
    def gap(self) -> float:
        return 1.0 - self.P / self.D if math.isfinite(self.D) else 1.0

    def stop_reason(self, eps: float, n_iter: int, maxiter: int, time_limit: float | None,
                    callback, t0: float) -> str | None:
        """The status to stop with after this certificate, or None to go on."""
        elapsed = time.perf_counter() - t0
        logger.debug("lp: %d iterations, %.2f s, primal %.10g, dual %.10g, gap %.4g",
                     n_iter, elapsed, self.P, self.D, self.gap)
        if callback is not None and callback(LPProgress(n_iter, self.P, self.D, self.gap,
                                                         elapsed)):
            return Status.CALLBACK
        if self.gap <= eps:
            return Status.CERTIFIED
        if n_iter >= maxiter:
            return Status.MAXITER
        if time_limit is not None and elapsed > time_limit:
            return Status.TIME_LIMIT
        return None


def _dbscd(sf: StandardForm, eps: float, rng: np.random.Generator, maxiter: int,
           time_limit: float | None, callback, t0: float) -> _Raw:
    kern = kernels()
    A, csr = sf.A, sf.csr
    m, n = A.shape
    nnz = A.nnz
    indptr, indices, data = sf.csc_arrays
    ub = sf.upper
    x = _start(sf, eps)
    cert = _Certificates(sf)
    p, q, dr = np.empty(m), np.empty(n), np.zeros(m)
    bucket, members, dvals = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n)
    touched, mark = np.empty(m, np.int64), np.zeros(m, np.uint8)
    e_final, phases, e = eps / 2, [], 0.25
    while e > e_final:
        phases.append(e)
        e /= 2
    phases.append(e_final)
    n_iter, nnz_read, status = 0, 0, Status.MAXITER
    for e in phases:
        mu, kappa = _smoothing(e, m, n), e / 2
        K = math.ceil(math.log2(1 / kappa))
        r = csr @ x
        x *= (1 - e / 2) / max(1.0, float(r.max()))
        r = csr @ x
        kern.lp_penalties(indptr, indices, data, r, mu, p, q)
        scale = np.ones(K + 1)
        p_sum, phase_P, phase_D, checks = np.zeros(m), 0.0, math.inf, 0
        nnz_read += 2 * nnz
        while True:
            steps = min(_CHECK_EVERY, maxiter - n_iter)
            done, read, stationary = kern.dbscd_steps(
                indptr, indices, data, x, r, ub, scale, mu, kappa, rng.random(steps), p, q,
                bucket, members, dvals, dr, touched, mark)
            n_iter += done
            nnz_read += read
            checks += 1
            if checks % _REFRESH_EVERY == 0:
                r = csr @ x
                kern.lp_penalties(indptr, indices, data, r, mu, p, q)
                nnz_read += 2 * nnz
            P, D = cert.offer(x, r, p, q)
            p_sum += p
            D_avg = cert.offer(x, r, p_sum, A.T @ p_sum)[1]
            phase_P, phase_D = max(phase_P, P), min(phase_D, D, D_avg)
            nnz_read += 4 * nnz
            stop = cert.stop_reason(eps, n_iter, maxiter, time_limit, callback, t0)
            if stop is not None:
                return _Raw(cert.x, cert.y, n_iter, nnz_read / nnz, stop)
            if phase_P >= (1 - 2 * e) * phase_D and e > e_final:
                break
            if stationary:
                status = Status.STALLED
                break
        if status == Status.STALLED and e == e_final:
            break
        status = Status.MAXITER
    return _Raw(cert.x, cert.y, n_iter, nnz_read / nnz, status)


def _pdhg(sf: StandardForm, eps: float, maxiter: int, time_limit: float | None, callback,
          t0: float) -> _Raw:
    """Restarted reflected Halpern PDHG (see the module docstring)."""
    kern = kernels()
    A, csr = sf.A, sf.csr
    m, n = A.shape
    nnz = A.nnz
    indptr, indices, data = sf.csc_arrays
    row_indptr, row_indices = sf.row_pattern
    # Pock and Chambolle's diagonal steps (alpha = 1): ||diag(sigma)^1/2 A diag(tau)^1/2|| <= 1
    tau0 = 1.0 / np.add.reduceat(data, A.indptr[:-1])
    sigma0 = 1.0 / np.add.reduceat(csr.data, csr.indptr[:-1])
    weight = 1.0  # the primal weight: tau = tau0/weight, sigma = weight sigma0
    x, y, xt, yt = np.zeros(n), np.zeros(m), np.zeros(n), np.zeros(m)
    x0, y0, z = np.zeros(n), np.zeros(m), np.empty(n)
    # a 0/1 matrix: A_ji = r_j c_i, and the kernel reads no data arrays
    r, c = sf.pattern_scales if sf.pattern_scales is not None else (np.empty(0), np.empty(0))
    u = np.empty(m if r.size else 0)
    cert = _Certificates(sf)
    n_iter, nnz_read, since = 0, 0, 0
    restart_gap, last_gap = math.inf, math.inf
    while True:
        steps = min(_PDHG_CHECK_EVERY, maxiter - n_iter)
        kern.pdhg_steps(indptr, indices, data, row_indptr, row_indices, csr.data,
                        tau0 / weight, sigma0 * weight, since, steps, _PDHG_REFLECT, x, y,
                        x0, y0, xt, yt, z, r, c, u)
        n_iter += steps
        since += steps
        nnz_read += 2 * steps * nnz
        # a tiny floor on yt keeps every column of A^T yt positive: the dual bound rises by
        # at most 1e-12 of itself
        v = yt + 1e-12 * max(float(yt.max()), 1e-300)
        P, D = cert.offer(xt, csr @ xt, v, A.T @ v)
        gap = 1.0 - P / D if math.isfinite(D) else 1.0
        nnz_read += 4 * nnz
        stop = cert.stop_reason(eps, n_iter, maxiter, time_limit, callback, t0)
        if stop is not None:
            return _Raw(cert.x, cert.y, n_iter, nnz_read / nnz, stop)
        if gap <= _PDHG_RESTART_SUFFICIENT * restart_gap or (
                gap <= _PDHG_RESTART_NECESSARY * restart_gap and gap > last_gap):
            # PDLP's primal weight: the ratio of the dual and primal moves since the last
            # restart, in the norms of the diagonal steps, smoothed geometrically
            dx = math.sqrt(float(np.sum((xt - x0) ** 2 / tau0)))
            dy = math.sqrt(float(np.sum((yt - y0) ** 2 / sigma0)))
            if dx > 1e-10 and dy > 1e-10:
                weight = math.exp(_PDHG_WEIGHT_SMOOTHING * math.log(dy / dx)
                                  + (1 - _PDHG_WEIGHT_SMOOTHING) * math.log(weight))
            x[:], y[:], x0[:], y0[:] = xt, yt, xt, yt  # restart at T(z), the new anchor
            since, restart_gap = 0, gap
        last_gap = gap


def _coordinate(sf: StandardForm, eps: float, rng: np.random.Generator, maxiter: int | None,
                time_limit: float | None, callback, t0: float) -> _Raw:
    kern = kernels()
    A, csr = sf.A, sf.csr
    m, n = A.shape
    nnz = A.nnz
    indptr, indices, data = sf.csc_arrays
    ub = sf.upper
    e = eps / 2
    mu = _smoothing(e, m, n)
    L = 4.0 / mu
    tau = 1.0 / (3.0 * n * L)
    T = math.ceil(3.0 * n * L * math.log(1.0 / e))
    limit = T if maxiter is None else min(T, maxiter)
    z, v = np.zeros(n), _start(sf, eps)
    Az, Av = np.zeros(m), csr @ v
    cert = _Certificates(sf)
    p, q = np.empty(m), np.empty(n)
    k, nnz_read, epochs = 0, nnz, 0
    while True:
        steps = min(n, limit - k)
        nnz_read += kern.coordinate_steps(indptr, indices, data, ub, z, v, Az, Av,
                                          rng.integers(0, n, steps), k, tau, L, mu)
        k += steps
        epochs += 1
        c = math.exp(k * math.log1p(-tau))
        if epochs % _REFRESH_EVERY == 0:
            Az, Av = csr @ z, csr @ v
            nnz_read += 2 * nnz
        y = z + c * v
        r = Az + c * Av
        kern.lp_penalties(indptr, indices, data, r, mu, p, q)
        nnz_read += nnz
        cert.offer(y, r, p, q)
        nnz_read += 2 * nnz
        stop = cert.stop_reason(eps, k, limit, time_limit, callback, t0)
        if stop is not None:
            return _Raw(cert.x, cert.y, k, nnz_read / nnz, stop)


_MARGIN = 1e-12  # relative slack left in the constraints, so any summation order confirms them


def _feasible_packing(M, u: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Scale u >= 0 so that M u <= (1 - 1e-12) h, exactly feasible in any rounding."""
    u = np.maximum(u, 0.0)
    ratio = float(np.max((M @ u) / h))
    return u * ((1.0 - _MARGIN) / ratio) if ratio > 1.0 - _MARGIN else u


def _feasible_covering(M, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Scale v >= 0 so that M^T v >= (1 + 1e-12) w, exactly feasible in any rounding."""
    v = np.maximum(v, 0.0)
    ratio = float(np.min((M.T @ v) / w))
    return v * ((1.0 + _MARGIN) / ratio) if ratio < 1.0 + _MARGIN else v


_MESSAGES = {
    Status.CERTIFIED: "the relative gap between the primal and dual bounds is at most eps",
    Status.MAXITER: "stopped at maxiter before the certified gap reached eps",
    Status.TIME_LIMIT: "stopped at time_limit before the certified gap reached eps",
    Status.STALLED: "every coordinate is stationary for the smoothed objective, but the certified "
               "gap is above eps",
    Status.CALLBACK: "stopped by the callback",
}


def _solve(M: sp.csc_array, w, h, eps, method, maxiter, rng, callback, time_limit,
           sense: str, zero_column_error: str, t0: float) -> LPResult:
    """Packing max w^T u s.t. M u <= h; the covering answer is its certificate."""
    eps = check_eps(eps)
    check_option(method, "method", METHODS)
    if maxiter is not None:
        maxiter = check_int(maxiter, "maxiter", low=1)
    if time_limit is not None:
        time_limit = check_real(time_limit, "time_limit", 0.0, None, low_open=True)
    if callback is not None and not callable(callback):
        raise TypeError(f"`callback` must be callable; got {type(callback).__name__}")
    m_all = M.shape[0]
    kept = np.flatnonzero(np.bincount(M.indices, minlength=m_all))
    if kept.size < m_all:
        # an all-zero row of the packing LP is a constraint 0 <= h_j that always holds: it
        # is dropped, and its dual entry is 0 (every per-row quantity below, a step size,
        # a bound or a certificate, is then computed from a nonempty row)
        M = sp.csc_array(M[kept])
        h = None if h is None else h[kept]
    sf = standard_form(M, w, h, zero_column_error)
    rng = as_generator(rng, "rng")
    if method == "dbscd":
        raw = _dbscd(sf, eps, rng, 10**6 if maxiter is None else maxiter, time_limit,
                     callback, t0)
    elif method == "pdhg":
        raw = _pdhg(sf, eps, 10**7 if maxiter is None else maxiter, time_limit, callback, t0)
    else:
        raw = _coordinate(sf, eps, rng, maxiter, time_limit, callback, t0)
    w_ = np.ones(M.shape[1]) if w is None else w
    h_ = np.ones(M.shape[0]) if h is None else h
    u = _feasible_packing(M, raw.x * sf.col_factor, h_)
    lower = float(w_ @ u)
    if np.isfinite(raw.y).all():
        v = _feasible_covering(M, raw.y * sf.row_factor, w_)
        upper = float(h_ @ v)
    else:
        v, upper = np.full(M.shape[0], np.nan), math.inf
    gap = 1.0 - lower / upper if math.isfinite(upper) else 1.0
    if kept.size < m_all:
        full = np.zeros(m_all)  # NaN stays NaN when no dual bound was found
        full[kept] = v
        v = full
    if gap <= eps:
        status = Status.CERTIFIED
    else:
        status = raw.status if raw.status != Status.CERTIFIED else Status.MAXITER
    if sense == "packing":
        x, obj, dual, dual_obj = u, lower, v, upper
    else:
        x, obj, dual, dual_obj = v, upper, u, lower
    return LPResult(x=x, objective=obj, dual=dual, dual_objective=dual_obj, gap=gap,
                    n_iter=raw.n_iter, passes=raw.passes, status=status,
                    message=_MESSAGES[status], time=time.perf_counter() - t0, method=method,
                    sense=sense)


def solve_packing(A, eps: float = 0.01, *, method: str = "pdhg", maxiter: int | None = None,
                  rng: SeedLike = None, callback: Callable[[LPProgress], bool] | None = None,
                  time_limit: float | None = None) -> LPResult:
    r"""Maximize :math:`1^Tx` subject to :math:`Ax \le 1`, :math:`x \ge 0`, for A >= 0.

    Parameters
    ----------
    A : array_like or scipy.sparse matrix of shape (m, n)
        Nonnegative, finite, no all-zero column (that x_i would be unbounded).
        numpy or scipy.sparse only: arrays of other libraries get a ``TypeError``.
    eps : float in (0, 0.5]
        Target certified relative gap: on success ``objective >= (1 - eps) OPT``.
    method : {"pdhg", "dbscd", "coordinate"}, default="pdhg"
        Restarted PDHG (the fastest measured, deterministic), DB-SCD (the paper's
        algorithm) or the accelerated coordinate-descent baseline; all are certified
        the same way.
    maxiter : int, optional
        Iteration cap (default 10**7 for PDHG, 10**6 for DB-SCD; the theory bound T for
        coordinate).
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness of the bucket (or coordinate) choices; PDHG draws none.
    callback : callable, optional
        Called with an :class:`LPProgress` at every certificate; returning True stops.
    time_limit : float, optional
        Seconds after which the best certified pair so far is returned.

    Returns
    -------
    LPResult
        ``x`` packing feasible, ``dual`` a feasible covering vector y; check
        ``A @ x <= 1``, ``A.T @ dual >= 1`` and ``1 - x.sum()/dual.sum() == gap``.

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.lp import solve_packing
    >>> A = np.array([[1., 1., 0.], [0., 1., 1.], [1., 0., 1.]])   # a triangle's edges
    >>> res = solve_packing(A, eps=0.01, rng=0)                     # OPT = 3/2
    >>> bool(res.converged and (A @ res.x <= 1).all() and (A.T @ res.dual >= 1).all())
    True
    >>> bool(res.objective <= 1.5 <= res.dual_objective and res.gap <= 0.01)
    True
    """
    t0 = time.perf_counter()
    M = check_nonnegative_matrix(A, "A")
    return _solve(M, None, None, eps, method, maxiter, rng, callback, time_limit, "packing",
                  "`A` has an all-zero column ({i}): the packing LP is unbounded in x[{i}]", t0)


def solve_covering(A, eps: float = 0.01, *, method: str = "pdhg", maxiter: int | None = None,
                   rng: SeedLike = None, callback: Callable[[LPProgress], bool] | None = None,
                   time_limit: float | None = None) -> LPResult:
    r"""Minimize :math:`1^Ty` subject to :math:`A^Ty \ge 1`, :math:`y \ge 0`, for A >= 0.

    The dual of :func:`solve_packing` on the same m x n matrix (y has length m); solved
    through the packing problem, whose certificate is the covering solution.  Same
    parameters; ``x`` is the covering y (exactly feasible), ``dual`` the packing
    certificate, and ``objective <= (1 + eps') OPT`` with ``eps' = gap/(1 - gap)``.

    Parameters
    ----------
    A : array_like or scipy.sparse matrix of shape (m, n)
        Nonnegative, finite, no all-zero column (that constraint could never be met).
    eps, method, maxiter, rng, callback, time_limit
        As in :func:`solve_packing`.

    Returns
    -------
    LPResult
        ``x`` covering feasible (``A.T @ x >= 1``), ``dual`` a feasible packing vector.

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.lp import solve_covering
    >>> A = np.array([[1., 1., 0.], [0., 1., 1.]])  # two sets covering three elements
    >>> res = solve_covering(A, eps=0.01, rng=0)    # both sets are needed: OPT = 2
    >>> bool(res.converged and (A.T @ res.x >= 1).all() and abs(res.objective - 2) < 0.03)
    True
    """
    t0 = time.perf_counter()
    M = check_nonnegative_matrix(A, "A")
    return _solve(M, None, None, eps, method, maxiter, rng, callback, time_limit, "covering",
                  "`A` has an all-zero column ({i}): the covering constraint (A^T y)[{i}] >= 1 "
                  "can never be met, so the LP is infeasible", t0)


def solve_positive_lp(c, A, b, sense: str = "packing", eps: float = 0.01, *,
                      method: str = "pdhg", maxiter: int | None = None,
                      rng: SeedLike = None, callback: Callable[[LPProgress], bool] | None = None,
                      time_limit: float | None = None) -> LPResult:
    r"""A general positive LP, reduced to standard form by exact scaling.

    * ``sense="packing"``: maximize :math:`c^Tx` s.t. :math:`Ax \le b`, :math:`x \ge 0`;
    * ``sense="covering"``: minimize :math:`c^Tx` s.t. :math:`Ax \ge b`, :math:`x \ge 0`,

    with A >= 0 (m x n), b > 0 (m,), c > 0 (n,).  A covering LP is solved through its
    packing dual, max :math:`b^Ty` s.t. :math:`A^Ty \le c`.  ``x`` is exactly feasible
    for the problem asked and ``dual`` for its dual; the scaling
    :math:`\hat A_{ji} = A_{ji}/(b_j c_i)` (packing) is undone before the final check.

    Parameters
    ----------
    c : array_like of shape (n,)
        Positive objective coefficients.
    A : array_like or scipy.sparse matrix of shape (m, n)
        Nonnegative constraint matrix.
    b : array_like of shape (m,)
        Positive right-hand side.
    sense : {"packing", "covering"}, default="packing"
        The problem.
    eps, method, maxiter, rng, callback, time_limit
        As in :func:`solve_packing`.

    Returns
    -------
    LPResult
        ``x`` exactly feasible for the problem asked, ``dual`` for its dual.

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.lp import solve_positive_lp
    >>> A = np.array([[2., 1.], [1., 3.]])
    >>> res = solve_positive_lp([3., 2.], A, [4., 6.], "packing", eps=0.01, rng=0)
    >>> bool((A @ res.x <= [4., 6.]).all() and res.objective >= 0.99 * 6.8)   # OPT = 6.8
    True
    """
    t0 = time.perf_counter()
    check_option(sense, "sense", ("packing", "covering"))
    M = check_nonnegative_matrix(A, "A")
    m, n = M.shape
    c = check_positive_vector(c, n, "c", "one cost per column of A")
    b = check_positive_vector(b, m, "b", "one right-hand side per row of A")
    if sense == "packing":
        return _solve(M, c, b, eps, method, maxiter, rng, callback, time_limit, "packing",
                      "`A` has an all-zero column ({i}): the packing LP is unbounded in x[{i}]",
                      t0)
    return _solve(sp.csc_array(M.T), b, c, eps, method, maxiter, rng, callback, time_limit,
                  "covering", "`A` has an all-zero row ({i}): the covering constraint "
                  "(A x)[{i}] >= b[{i}] can never be met, so the LP is infeasible", t0)
