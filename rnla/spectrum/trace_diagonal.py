r"""Trace and diagonal of a matrix seen only through its products.

Hutchinson's estimator averages :math:`\omega^T A \omega` over random sign vectors
(variance :math:`2(\|A\|_F^2 - \sum_i a_{ii}^2)/m` with m probes): relative error
:math:`\varepsilon` costs :math:`O(1/\varepsilon^2)` products.  Hutch++ (Meyer, Musco,
Musco and Woodruff 2021) spends a third of the products on a basis Q of the range of
:math:`A S`, takes :math:`\operatorname{tr}(Q^T A Q)` exactly and Hutchinson's estimate
of the rest: :math:`O(1/\varepsilon)` products for positive semidefinite A.  XTrace
(Epperly, Tropp and Webber 2024) uses every probe twice: for each probe
:math:`\omega_i`, the low-rank part is built from the other probes and
:math:`\omega_i` estimates the remainder, so the m/2 leave-one-out estimates are
exchangeable and their mean is unbiased with a standard error from their spread.
XNysTrace does the same with a Nystrom approximation, one product per probe, for
positive semidefinite A.  XDiag applies the leave-one-out idea to the diagonal.
"""

from __future__ import annotations

import math

import numpy as np

from rnla._random import SeedLike, as_generator
from rnla._status import Status
from rnla._validation import check_int, check_option
from rnla.backend import to_host
from rnla.lowrank._operator import Operand
from rnla.spectrum._operand import (
    ERROR_CONFIDENCE,
    ERROR_Z,
    check_symmetric_block,
    eps_of,
    probes,
    square_operand,
    times,
)
from rnla.spectrum._result import DiagonalResult, TraceResult

__all__ = ["trace", "diagonal", "TRACE_METHODS", "DIAGONAL_METHODS"]

TRACE_METHODS = ("xtrace", "xnystrace", "hutch++", "hutchinson")
DIAGONAL_METHODS = ("xdiag", "hutchinson")
#: the fewest products each method needs for an estimate with a standard error
MIN_MATVECS = {"xtrace": 4, "xnystrace": 2, "hutch++": 4, "hutchinson": 2, "xdiag": 4}


def _budget(matvecs, method: str, methods: tuple, default: str, what: str):
    method = check_option(method, "method", methods + ("auto",))
    if method == "auto":
        method = default
    matvecs = check_int(matvecs, "matvecs", low=1)
    if matvecs < MIN_MATVECS[method]:
        raise ValueError(f"`matvecs` must be at least {MIN_MATVECS[method]} for "
                         f"{what}(method={method!r}); got {matvecs}")
    return matvecs, method


def _dense(op: Operand):
    """A itself from n products with the identity (where n products are affordable)."""
    n = op.shape[0]
    xp = op.xp
    eye = xp.eye(n, dtype=op.dtype, **op._device())
    return times(op, eye)


def _mean_and_error(estimates: np.ndarray) -> tuple[float, float]:
    m = estimates.shape[0]
    return float(estimates.mean()), float(estimates.std(ddof=1) / math.sqrt(m))


def _column_dots(X, Y, xp):
    """:math:`\\operatorname{diag}(X^T Y)`."""
    return xp.sum(X * Y, axis=0)


def _unit_rows_inverse(R, xp):
    """The columns of :math:`R^{-T}`, each scaled to unit norm (R small, square)."""
    S = xp.linalg.inv(R).T
    return S / xp.linalg.vector_norm(S, axis=0)[None, :]


def _deficient(R, op) -> bool:
    r"""Whether the probes' image :math:`A\Omega = QR` is rank deficient: then range(A)
    lies in range(Q) (almost surely), and the low-rank part is exact."""
    d = np.abs(to_host(op.xp.linalg.diagonal(R)).astype(np.float64))
    return not d.min() > R.shape[0] * eps_of(op) * d.max()


def _sphere_scale(W, S, n: int, xp):
    """The normalization of the leave-one-out remainder for probes uniform on the
    sphere of radius sqrt(n) (XTrace's improved scaling)."""
    s = W.shape[1]
    return (n - s + 1) / (n - xp.sum(W * W, axis=0) + _column_dots(S, W, xp) ** 2)


def _hutchinson(op, m, rng):
    Omega = probes(op, m, "rademacher", rng)
    return to_host(_column_dots(Omega, times(op, Omega), op.xp)).astype(np.float64), 0.0


def _hutch_plus_plus(op, m, rng):
    xp = op.xp
    k = m // 3
    rest = m - 2 * k
    S = probes(op, k, "rademacher", rng)
    Q = xp.linalg.qr(times(op, S), mode="reduced")[0]
    exact = float(to_host(xp.sum(_column_dots(Q, times(op, Q), xp))))
    G = probes(op, rest, "rademacher", rng)
    G = G - Q @ (Q.T @ G)
    rest = to_host(_column_dots(G, times(op, G), xp)).astype(np.float64)
    return rest, exact


def _xtrace(op, m, rng):
    xp = op.xp
    n = op.shape[0]
    s = m // 2
    Omega = probes(op, s, "sphere", rng)
    Y = times(op, Omega)
    Q, R = xp.linalg.qr(Y, mode="reduced")
    Z = times(op, Q)
    H = Q.T @ Z
    if _deficient(R, op):  # tr A = tr(Q^T A Q) when range(A) lies in range(Q)
        return np.zeros(s), float(to_host(xp.sum(xp.linalg.diagonal(H))))
    W = Q.T @ Omega
    S = _unit_rows_inverse(R, xp)
    scale = _sphere_scale(W, S, n, xp)
    HW = H @ W
    T = Z.T @ Omega
    dSW = _column_dots(S, W, xp)
    dSHS = _column_dots(S, H @ S, xp)
    dTW = _column_dots(T, W, xp)
    dWHW = _column_dots(W, HW, xp)
    dSRmHW = _column_dots(S, R - HW, xp)
    dTmHRS = _column_dots(T - H.T @ W, S, xp)
    estimates = (xp.sum(xp.linalg.diagonal(H)) - dSHS
                 + (-dTW + dWHW + dSW * dSRmHW + dSW ** 2 * dSHS + dTmHRS * dSW) * scale)
    return to_host(estimates).astype(np.float64), 0.0


def _xnystrace(op, m, rng):
    xp = op.xp
    n = op.shape[0]
    Omega = probes(op, m, "sphere", rng)
    Y = times(op, Omega)
    check_symmetric_block(op, Omega, Y, "method='xnystrace'")
    shift = eps_of(op) * float(to_host(xp.linalg.vector_norm(Y))) / math.sqrt(n)
    Y = Y + shift * Omega
    Q, R = xp.linalg.qr(Y, mode="reduced")
    H = Omega.T @ Y
    H = (H + H.T) / 2
    try:
        L = xp.linalg.cholesky(H)
    except Exception:  # LinAlgError and its equivalents in other namespaces
        L = None
    if L is None or not bool(xp.all(xp.isfinite(L))):
        lowest = float(np.linalg.eigvalsh(to_host(H).astype(np.float64)).min())
        raise ValueError("`A` must be positive semidefinite for method='xnystrace'; the "
                         f"probes give Omega^T A Omega an eigenvalue {lowest:.3g}: use "
                         "method='xtrace'")
    Linv = xp.linalg.inv(L)
    B = R @ Linv.T                        # the Nystrom approximation is Q B B^T Q^T
    Hinv = Linv.T @ Linv
    S = (R @ Hinv) / xp.sqrt(xp.linalg.diagonal(Hinv))[None, :]
    Qo, Ro = xp.linalg.qr(Omega, mode="reduced")
    scale = _sphere_scale(Qo.T @ Omega, _unit_rows_inverse(Ro, xp), n, xp)
    W = Q.T @ Omega
    estimates = (xp.sum(B * B) - xp.sum(S * S, axis=0)
                 + _column_dots(S, W, xp) ** 2 * scale - shift * n)
    return to_host(estimates).astype(np.float64), 0.0


_TRACE = {"xtrace": _xtrace, "xnystrace": _xnystrace, "hutch++": _hutch_plus_plus,
          "hutchinson": _hutchinson}


def trace(A, *, matvecs: int, method: str = "auto", psd: bool = False,
          rng: SeedLike = None) -> TraceResult:
    r"""Estimate :math:`\operatorname{tr} A` from ``matvecs`` products with A.

    Parameters
    ----------
    A : array, scipy.sparse matrix, LinearOperator, MatrixFreeOperator, Array-API or Dask array
        Square, shape (n, n); ``"xnystrace"`` needs A symmetric positive semidefinite
        (checked on its probes).
    matvecs : int
        Columns multiplied by A, all together (at least 4; 2 for ``"hutchinson"`` and
        ``"xnystrace"``).  With ``matvecs >= n`` the trace is computed exactly from
        ``A @ I``.
    method : {"auto", "xtrace", "xnystrace", "hutch++", "hutchinson"}, default="auto"
        ``"auto"`` is ``"xnystrace"`` with ``psd=True`` and ``"xtrace"`` otherwise: in
        the benchmark (docs/spectrum.md) each has the smallest error at equal products
        of the methods valid for its matrices on every decaying spectrum.  On a
        diagonally dominant A (a graph Laplacian) Hutchinson's sign probes are nearly
        exact and beat every low-rank method (2.4x below XTrace in the benchmark).
    psd : bool, default=False
        Declare A symmetric positive semidefinite (a kernel, a covariance, a Hessian at
        a minimum), which ``"auto"`` exploits.  It cannot be checked from a few
        products: an indefinite A declared PSD gives a wrong estimate.
    rng : int, Generator, SeedSequence, RandomState or None

    Returns
    -------
    TraceResult
        ``estimate``, ``standard_error``, ``error_estimate`` (``ERROR_Z = 2``
        standard errors) with its ``confidence``, ``n_matvecs``, ``method``.

    Notes
    -----
    Cost: ``matvecs`` columns in two products (one for Hutchinson and XNysTrace,
    three for Hutch++), plus :math:`O(n\,\mathrm{matvecs}^2)` for the QR
    factorizations.  XTrace's m/2 leave-one-out estimates are exchangeable, so their
    mean is unbiased and ``standard_error`` is their standard deviation over
    :math:`\sqrt{m/2}`; Hutch++'s covers its Hutchinson part (the rest is exact).

    Examples
    --------
    >>> import numpy as np, rnla
    >>> rng = np.random.default_rng(0)
    >>> Q, _ = np.linalg.qr(rng.standard_normal((1000, 1000)))
    >>> A = (Q * np.arange(1, 1001.0) ** -2.0) @ Q.T     # eigenvalues i^-2
    >>> res = rnla.spectrum.trace(A, matvecs=100, rng=0)
    >>> bool(abs(res.estimate - np.trace(A)) < res.error_estimate)
    True
    >>> bool(abs(res.estimate - np.trace(A)) < 1e-3 * np.trace(A))
    True
    """
    op = square_operand(A, "rnla.spectrum.trace", serves=("host", "xp", "dask"))
    matvecs, method = _budget(matvecs, method, TRACE_METHODS,
                              "xnystrace" if psd else "xtrace", "trace")
    rng = as_generator(rng)
    n = op.shape[0]
    if matvecs >= n:
        value = float(to_host(op.xp.sum(op.xp.linalg.diagonal(_dense(op)))))
        return TraceResult(estimate=value, standard_error=0.0, error_estimate=0.0,
                           confidence=1.0, n_passes=op.n_passes, n_matvecs=op.n_matvecs,
                           method="exact", status=Status.CONVERGED,
                           message=f"exact: matvecs={matvecs} >= n={n}, computed from A @ I")
    estimates, exact = _TRACE[method](op, matvecs, rng)
    mean, error = _mean_and_error(estimates)
    if not (math.isfinite(mean) and math.isfinite(error)):
        raise ValueError(f"method={method!r} gave a non-finite estimate: A's products are "
                         "too large for its dtype or its probes' range is numerically "
                         "singular; use method='hutchinson'")
    estimate = exact + mean
    return TraceResult(estimate=estimate, standard_error=error,
                       error_estimate=ERROR_Z * error, confidence=ERROR_CONFIDENCE,
                       n_passes=op.n_passes, n_matvecs=op.n_matvecs, method=method,
                       status=Status.CONVERGED,
                       message=f"trace {estimate:.6g} +- {ERROR_Z * error:.2g} from "
                               f"{op.n_matvecs} products ({method})")


def _hutchinson_diagonal(op, m, rng):
    Omega = probes(op, m, "rademacher", rng)
    return Omega * times(op, Omega)


def _xdiag(op, m, rng):
    xp = op.xp
    s = m // 2
    Omega = probes(op, s, "rademacher", rng)
    Y = times(op, Omega)
    Q, R = xp.linalg.qr(Y, mode="reduced")
    Z = op.rmatmat(Q)
    if op.engine.kind == "dask":
        Z = np.asarray(op.engine.compute(Z)[0])
    base = xp.sum(Q * Z, axis=1)
    if _deficient(R, op):  # diag A = diag(Q Q^T A) when range(A) lies in range(Q)
        return xp.stack([base] * s, axis=1)
    T = Z.T @ Omega
    S = _unit_rows_inverse(R, xp)
    QS, ZS = Q @ S, Z @ S
    return (base[:, None] - QS * ZS + Omega * Y - Omega * (Q @ T)
            + Omega * QS * _column_dots(S, T, xp)[None, :])


_DIAGONAL = {"xdiag": _xdiag, "hutchinson": _hutchinson_diagonal}


def diagonal(A, *, matvecs: int, method: str = "auto", rng: SeedLike = None) -> DiagonalResult:
    r"""Estimate :math:`\operatorname{diag} A` from ``matvecs`` products.

    Parameters
    ----------
    A : array, scipy.sparse matrix, LinearOperator, MatrixFreeOperator, Array-API or Dask array
        Square, shape (n, n).  ``"xdiag"`` also multiplies by :math:`A^T` (a
        ``MatrixFreeOperator`` needs ``rmatmat`` or ``symmetric=True``).
    matvecs : int
        Columns multiplied, all together (at least 4 for ``"xdiag"``, 2 for
        ``"hutchinson"``); ``matvecs >= n`` reads the diagonal off ``A @ I``.
    method : {"auto", "xdiag", "hutchinson"}, default="auto"
        ``"auto"`` is ``"xdiag"``: exact on the low-rank part it captures, the better
        choice for a decaying spectrum; on a diagonally dominant A Hutchinson's sign
        probes are better (exact on a diagonal matrix).
    rng : int, Generator, SeedSequence, RandomState or None

    Returns
    -------
    DiagonalResult
        ``estimate`` (n,), ``standard_error`` per entry, ``error_estimate`` on the
        Euclidean norm of the error.

    Notes
    -----
    Hutchinson: :math:`\hat d = \frac1m\sum_i \omega_i \circ A\omega_i` with signs
    :math:`\omega_i`.  XDiag (Epperly, Tropp and Webber 2024): the mean of m/2
    leave-one-out estimates :math:`\operatorname{diag}(Q_{(i)}Q_{(i)}^T A) +
    \omega_i \circ (I - Q_{(i)}Q_{(i)}^T)A\omega_i`, :math:`Q_{(i)}` the basis of
    :math:`A\Omega` without column i.  Cost: two products with m/2 columns and
    :math:`O(n m^2)`.

    Examples
    --------
    >>> import numpy as np, rnla
    >>> rng = np.random.default_rng(0)
    >>> G = rng.standard_normal((500, 10))
    >>> A = G @ G.T + np.diag(rng.uniform(0, 0.01, 500))   # low rank plus a small diagonal
    >>> res = rnla.spectrum.diagonal(A, matvecs=60, rng=0)
    >>> err = np.linalg.norm(res.estimate - np.diag(A)) / np.linalg.norm(np.diag(A))
    >>> bool(err < 1e-2)
    True
    """
    op = square_operand(A, "rnla.spectrum.diagonal", serves=("host", "xp", "dask"))
    matvecs, method = _budget(matvecs, method, DIAGONAL_METHODS, "xdiag", "diagonal")
    rng = as_generator(rng)
    n = op.shape[0]
    xp = op.xp
    if matvecs >= n:
        d = xp.linalg.diagonal(_dense(op))
        return DiagonalResult(estimate=d, standard_error=np.zeros(n), error_estimate=0.0,
                              confidence=1.0, n_passes=op.n_passes, n_matvecs=op.n_matvecs,
                              method="exact", status=Status.CONVERGED,
                              message=f"exact: matvecs={matvecs} >= n={n}, read off A @ I")
    estimates = _DIAGONAL[method](op, matvecs, rng)
    m = estimates.shape[1]
    d = xp.mean(estimates, axis=1)
    spread = to_host(xp.std(estimates, axis=1, correction=1)).astype(np.float64)
    error = spread / math.sqrt(m)
    if not (bool(xp.all(xp.isfinite(d))) and np.all(np.isfinite(error))):
        raise ValueError(f"method={method!r} gave a non-finite estimate: A's products are "
                         "too large for its dtype or its probes' range is numerically "
                         "singular; use method='hutchinson'")
    bound = ERROR_Z * float(np.sqrt(np.sum(error ** 2)))
    return DiagonalResult(estimate=d, standard_error=error, error_estimate=bound,
                          confidence=ERROR_CONFIDENCE, n_passes=op.n_passes,
                          n_matvecs=op.n_matvecs, method=method, status=Status.CONVERGED,
                          message=f"diagonal from {op.n_matvecs} products ({method}); "
                                  f"error norm about {bound:.2g}")
