r"""Traces of matrix functions: :math:`\operatorname{tr} f(A)`, log-determinants and the
trace of the inverse, by stochastic Lanczos quadrature deflated by a block Krylov
space (:mod:`rnla.spectrum.lanczos`)."""

from __future__ import annotations

import math

import numpy as np

from rnla._random import SeedLike, as_generator
from rnla._status import Status
from rnla._validation import check_int, check_real
from rnla.spectrum._operand import ERROR_CONFIDENCE, ERROR_Z, square_operand
from rnla.spectrum._result import TraceResult
from rnla.spectrum.lanczos import quadrature

__all__ = ["trace_function", "logdet", "trace_inverse", "plan"]

#: Lanczos steps per probe by default
LANCZOS_STEPS = 30
#: the share of the products the deflating block space takes by default
DEFLATION_SHARE = 0.5


def plan(matvecs: int, n: int, steps: int, deflation) -> tuple[int, int, int]:
    """``(block, depth, n_probes)`` for a budget of ``matvecs`` columns: the block space
    takes ``DEFLATION_SHARE`` of them in ``depth = steps`` blocks (its first half is
    deflated, the second half makes its quadrature as accurate as a probe's), the
    probes the rest.  ``deflation=0`` is plain SLQ; an int is the block size."""
    depth = max(2, min(steps, n // 2))
    if deflation == "auto":
        block = int(DEFLATION_SHARE * matvecs) // (depth + 1)
        block = max(0, min(block, n // (2 * depth)))
    else:
        block = deflation
    n_probes = (matvecs - block * depth) // steps
    return block, depth, n_probes


def _estimate(A, f, *, matvecs, lanczos_steps, deflation, rng, what, name, check):
    op = square_operand(A, what)
    n = op.shape[0]
    matvecs = check_int(matvecs, "matvecs", low=1)
    steps = check_int(lanczos_steps, "lanczos_steps", low=1)
    steps = min(steps, n)
    if deflation != "auto":
        deflation = check_int(deflation, "deflation", low=0, high=n)
    block, depth, n_probes = plan(matvecs, n, steps, deflation)
    if n_probes < 2:
        need = 2 * steps + block * depth
        raise ValueError(f"`matvecs` must be at least {need} for {name} with "
                         f"lanczos_steps={steps} and a block space of {block * depth} "
                         f"columns (two probes for a standard error); got {matvecs}")
    rng = as_generator(rng)
    measure = quadrature(op, n_probes=n_probes, steps=steps, block=block, depth=depth,
                         rng=rng, what=name)
    check(measure)
    per_probe = n * measure.per_probe(f)
    if not np.all(np.isfinite(per_probe)):
        raise ValueError(f"`f` is not finite on the estimated spectrum of A (nodes in "
                         f"[{measure.nodes.min():.3g}, {measure.nodes.max():.3g}])")
    estimate = float(per_probe.mean())
    error = float(per_probe.std(ddof=1) / math.sqrt(per_probe.size))
    method = "deflated_slq" if block else "slq"
    return TraceResult(estimate=estimate, standard_error=error,
                       error_estimate=ERROR_Z * error, confidence=ERROR_CONFIDENCE,
                       n_passes=op.n_passes, n_matvecs=op.n_matvecs, method=method,
                       status=Status.CONVERGED,
                       message=f"{name} {estimate:.6g} +- {ERROR_Z * error:.2g}: {n_probes} "
                               f"probes x {steps} Lanczos steps"
                               + (f", {block} x {depth} block space" if block else ""))


def _any(measure) -> None:
    return None


def trace_function(A, f, *, matvecs: int, lanczos_steps: int = LANCZOS_STEPS,
                   deflation="auto", rng: SeedLike = None) -> TraceResult:
    r"""Estimate :math:`\operatorname{tr} f(A)` of a symmetric A by stochastic Lanczos
    quadrature.

    Parameters
    ----------
    A : array, scipy.sparse matrix, LinearOperator, MatrixFreeOperator or Array-API array
        Symmetric, shape (n, n) (checked on the first product).
    f : callable
        A function on the real line, applied elementwise to a host float64 array of
        nodes (in the spectrum's hull), for example ``np.exp``.
    matvecs : int
        Columns multiplied by A, all together.
    lanczos_steps : int, default=30
        Lanczos steps per probe: the quadrature is exact for polynomials of degree below
        2 ``lanczos_steps``; raise it for f with a singularity near the spectrum.
    deflation : "auto" or int, default="auto"
        The block size of the deflating Krylov space, whose first half of
        ``lanczos_steps`` blocks is taken exactly (0: plain SLQ with sign probes).
        ``"auto"`` gives it half the products.
    rng : int, Generator, SeedSequence, RandomState or None

    Returns
    -------
    TraceResult
        ``estimate``, ``standard_error`` (over the probes), ``error_estimate``,
        ``method`` ``"deflated_slq"`` or ``"slq"``.

    Notes
    -----
    Cost: ``matvecs`` columns; :math:`O(n\,b^2 q^2)` to orthonormalize the block space
    (b columns, q blocks) and :math:`O(n\,m\,s^2)` to reorthogonalize m probes' runs of
    s steps.  The standard error covers the probes' variance; the quadrature error,
    :math:`O(\rho^{-2s})` for f analytic inside the Bernstein ellipse of parameter
    :math:`\rho` around the spectrum, is not in it.

    Examples
    --------
    >>> import numpy as np, rnla
    >>> rng = np.random.default_rng(0)
    >>> Q, _ = np.linalg.qr(rng.standard_normal((500, 500)))
    >>> w = np.linspace(0.1, 2.0, 500)
    >>> A = (Q * w) @ Q.T
    >>> res = rnla.spectrum.trace_function(A, np.exp, matvecs=400, rng=0)
    >>> bool(abs(res.estimate - np.exp(w).sum()) < res.error_estimate)
    True
    """
    if not callable(f):
        raise TypeError(f"`f` must be callable on an array of eigenvalues; got "
                        f"{type(f).__name__}")
    return _estimate(A, f, matvecs=matvecs, lanczos_steps=lanczos_steps,
                     deflation=deflation, rng=rng, what="rnla.spectrum.trace_function",
                     name="trace_function", check=_any)


def _positive(shift: float, what: str):
    def check(measure) -> None:
        lowest = float(measure.nodes[measure.weights > 0].min()) + shift
        if lowest <= 0:
            raise ValueError(f"`A` + shift I must be positive definite for {what}; its "
                             f"estimated spectrum reaches {lowest:.3g}")
    return check


def logdet(A, *, shift: float = 0.0, matvecs: int, lanczos_steps: int = LANCZOS_STEPS,
           deflation="auto", rng: SeedLike = None) -> TraceResult:
    r"""Estimate :math:`\log\det(A + \mu I)` of a symmetric positive definite
    :math:`A + \mu I`, as :math:`\operatorname{tr}\log(A + \mu I)`.

    Parameters
    ----------
    A : array, scipy.sparse matrix, LinearOperator, MatrixFreeOperator or Array-API array
        Symmetric, shape (n, n).
    shift : float, default=0
        :math:`\mu \ge 0`, added to every eigenvalue (a ridge, a nugget).
    matvecs, lanczos_steps, deflation, rng
        As :func:`trace_function`.

    Returns
    -------
    TraceResult

    Examples
    --------
    >>> import numpy as np, rnla
    >>> X = np.random.default_rng(0).standard_normal((400, 3))
    >>> K = np.exp(-0.5 * ((X[:, None] - X[None]) ** 2).sum(-1))   # a Gaussian kernel
    >>> exact = np.linalg.slogdet(K + 1e-2 * np.eye(400))[1]
    >>> res = rnla.spectrum.logdet(K, shift=1e-2, matvecs=600, rng=0)
    >>> bool(abs(res.estimate - exact) < 1e-2 * abs(exact))
    True
    """
    shift = check_real(shift, "shift", low=0.0)
    return _estimate(A, lambda t: np.log(t + shift), matvecs=matvecs,
                     lanczos_steps=lanczos_steps, deflation=deflation, rng=rng,
                     what="rnla.spectrum.logdet", name="logdet",
                     check=_positive(shift, "logdet"))


def trace_inverse(A, *, shift: float = 0.0, matvecs: int,
                  lanczos_steps: int = LANCZOS_STEPS, deflation="auto",
                  rng: SeedLike = None) -> TraceResult:
    r"""Estimate :math:`\operatorname{tr}(A + \mu I)^{-1}` of a symmetric positive
    definite :math:`A + \mu I` (for example the effective dimension of a ridge).

    Parameters
    ----------
    A : array, scipy.sparse matrix, LinearOperator, MatrixFreeOperator or Array-API array
        Symmetric, shape (n, n).
    shift : float, default=0
        :math:`\mu \ge 0`.
    matvecs, lanczos_steps, deflation, rng
        As :func:`trace_function`.

    Returns
    -------
    TraceResult

    Examples
    --------
    >>> import numpy as np, rnla
    >>> w = np.linspace(1.0, 4.0, 300)
    >>> res = rnla.spectrum.trace_inverse(np.diag(w), matvecs=300, rng=0)
    >>> bool(abs(res.estimate - (1 / w).sum()) < 1e-2 * (1 / w).sum())
    True
    """
    shift = check_real(shift, "shift", low=0.0)
    return _estimate(A, lambda t: 1.0 / (t + shift), matvecs=matvecs,
                     lanczos_steps=lanczos_steps, deflation=deflation, rng=rng,
                     what="rnla.spectrum.trace_inverse", name="trace_inverse",
                     check=_positive(shift, "trace_inverse"))
