r"""The spectral density of a symmetric matrix: stochastic Lanczos quadrature with
Gaussian broadening (as PyHessian), or the kernel polynomial method.

SLQ: the (deflated) quadrature measure of :mod:`rnla.spectrum.lanczos`,
:math:`\hat\phi = \sum_j w_j \delta_{t_j}`, smoothed by a Gaussian of standard
deviation :math:`\sigma`.  Its moments up to degree 2s - 1 (s Lanczos steps) are the
unbiased trace estimates of :math:`\operatorname{tr}(A^p)/n`.

KPM (Weisse, Wellein, Alvermann and Fehske 2006): with A mapped into [-1, 1] by
:math:`\tilde A = (A - c)/h`, the Chebyshev moments
:math:`\mu_k = \operatorname{tr} T_k(\tilde A)/n` are estimated with sign probes and the
three-term recurrence (one product per degree), damped by the Jackson kernel
:math:`g_k`, and summed: :math:`\phi(x) = \frac{g_0\mu_0 + 2\sum_k g_k\mu_k T_k(x)}
{\pi\sqrt{1 - x^2}}`.  The interval comes from a short Lanczos run, widened by 5%.
"""

from __future__ import annotations

import math

import numpy as np

from rnla._random import SeedLike, as_generator
from rnla._status import Status
from rnla._validation import check_int, check_option, check_real
from rnla.backend import to_host
from rnla.spectrum._operand import ERROR_CONFIDENCE, ERROR_Z, probes, square_operand, times
from rnla.spectrum._result import SpectralDensity
from rnla.spectrum.lanczos import lanczos_runs, quadrature

__all__ = ["spectral_density"]

#: grid points by default
GRID_POINTS = 1000
#: the Gaussian broadening by default, as a fraction of the spectrum's width
BROADENING = 0.01
#: Lanczos steps of the run that bounds the spectrum for KPM
BOUND_STEPS = 20


def _grid(grid, low: float, high: float, pad: float) -> np.ndarray:
    if grid is None:
        return np.linspace(low - pad, high + pad, GRID_POINTS)
    grid = np.asarray(grid, dtype=np.float64)
    if grid.ndim != 1 or grid.size < 2 or not np.all(np.isfinite(grid)):
        raise ValueError(f"`grid` must be a finite 1-D array of at least 2 points; got "
                         f"shape {grid.shape}")
    return grid


def _kpm(op, n_probes: int, degree: int, grid, rng, what: str):
    xp = op.xp
    n = op.shape[0]
    start = probes(op, 1, "gaussian", rng)
    nodes, weights = lanczos_runs(op, start / xp.linalg.vector_norm(start), min(BOUND_STEPS, n),
                              what)
    used = nodes[weights[:, 0] > 0, 0]
    low, high = float(used.min()), float(used.max())
    width = max(high - low, abs(high), 1e-300)
    low, high = low - 0.05 * width, high + 0.05 * width
    c, h = (high + low) / 2, (high - low) / 2
    V = probes(op, n_probes, "rademacher", rng)
    previous, current = V, (times(op, V) - c * V) / h
    moments = np.zeros((degree + 1, n_probes))
    moments[0] = n
    moments[1] = to_host(xp.sum(V * current, axis=0))
    for k in range(2, degree + 1):
        previous, current = current, 2 * (times(op, current) - c * current) / h - previous
        moments[k] = to_host(xp.sum(V * current, axis=0))
    mu = moments.mean(axis=1) / n
    k = np.arange(degree + 1)
    N = degree + 1
    jackson = ((N - k + 1) * np.cos(np.pi * k / (N + 1))
               + np.sin(np.pi * k / (N + 1)) / np.tan(np.pi / (N + 1))) / (N + 1)
    if grid is None:  # interior points: the weight 1/sqrt(1 - x^2) is singular at the ends
        grid = np.linspace(low, high, GRID_POINTS + 2)[1:-1]
    grid = _grid(grid, low, high, 0.0)
    x = (grid - c) / h
    inside = np.abs(x) < 1
    density = np.zeros_like(grid)
    T = np.polynomial.chebyshev.chebval(x[inside], jackson * mu * np.where(k == 0, 1.0, 2.0))
    density[inside] = T / (np.pi * np.sqrt(1 - x[inside] ** 2)) / h
    return grid, np.maximum(density, 0.0), float(mu[1] * h + c), math.pi * h / N


def spectral_density(A, *, n_probes: int = 10, lanczos_steps: int = 50, method: str = "slq",
                     deflation: int = 5, broadening: float | None = None, grid=None,
                     rng: SeedLike = None) -> SpectralDensity:
    r"""Estimate the spectral density (the eigenvalue histogram) of a symmetric A.

    Parameters
    ----------
    A : array, scipy.sparse matrix, LinearOperator, MatrixFreeOperator or Array-API array
        Symmetric, shape (n, n) (checked on the first product).
    n_probes : int, default=10
        Random probes (at least 2).
    lanczos_steps : int, default=50
        Lanczos steps per probe (SLQ) or the Chebyshev degree (KPM).
    method : {"slq", "kpm"}, default="slq"
        SLQ resolves isolated outliers (a Hessian's top eigenvalues) exactly and gives
        moments with standard errors; KPM gives a smooth density of the bulk at one
        product per degree.
    deflation : int, default=5
        SLQ: the block size of a block Krylov space of ``lanczos_steps`` blocks whose
        first half is taken exactly (0: plain SLQ with sign probes); it removes the
        top eigenvalues' share of the probes' variance.
    broadening : float, optional
        The Gaussian's standard deviation (SLQ); default 1% of the spectrum's width.
    grid : array, optional
        Where to evaluate the density; default 1000 points over the spectrum.
    rng : int, Generator, SeedSequence, RandomState or None

    Returns
    -------
    SpectralDensity
        ``grid``, ``density``, the measure ``nodes`` and ``weights``, ``moments()``
        with standard errors, ``plot()``; ``estimate`` is the mean eigenvalue.

    Notes
    -----
    Cost: ``n_probes * lanczos_steps`` columns, plus ``deflation * lanczos_steps``
    for the block space (SLQ) or 20 for the bounds (KPM); :math:`O(n m s^2)` for the
    reorthogonalization.

    Examples
    --------
    >>> import numpy as np, rnla
    >>> rng = np.random.default_rng(0)
    >>> Q, _ = np.linalg.qr(rng.standard_normal((400, 400)))
    >>> w = np.concatenate([rng.uniform(0, 1, 395), [5, 6, 7, 8, 9]])
    >>> A = (Q * w) @ Q.T
    >>> rho = rnla.spectrum.spectral_density(A, rng=0)
    >>> moments, errors = rho.moments([1, 2])
    >>> bool(np.all(np.abs(moments - [w.mean(), (w ** 2).mean()]) < 4 * errors))
    True
    """
    op = square_operand(A, "rnla.spectrum.spectral_density")
    n = op.shape[0]
    n_probes = check_int(n_probes, "n_probes", low=2)
    steps = min(check_int(lanczos_steps, "lanczos_steps", low=2), n)
    method = check_option(method, "method", ("slq", "kpm"))
    deflation = check_int(deflation, "deflation", low=0, high=n)
    if broadening is not None:
        broadening = check_real(broadening, "broadening", low=0.0, low_open=True)
    rng = as_generator(rng)
    what = "spectral_density"
    if method == "kpm":
        grid, density, mean, resolution = _kpm(op, n_probes, steps, grid, rng, what)
        return SpectralDensity(grid=grid, density=density, nodes=np.zeros(0),
                               weights=np.zeros(0), broadening=resolution, estimate=mean,
                               error_estimate=math.nan, confidence=math.nan,
                               n_passes=op.n_passes, n_matvecs=op.n_matvecs, method="kpm",
                               status=Status.CONVERGED,
                               message=f"KPM of degree {steps} from {n_probes} probes")
    depth = max(2, min(steps, n // max(2 * deflation, 1)))
    measure = quadrature(op, n_probes=n_probes, steps=steps, block=deflation, depth=depth,
                         rng=rng, what=what)
    nodes, weights = measure.nodes, measure.weights
    used = nodes[weights > 0]
    low, high = float(used.min()), float(used.max())
    sigma = broadening or BROADENING * max(high - low, abs(high), 1e-300)
    grid = _grid(grid, low, high, 3 * sigma)
    density = np.zeros_like(grid)
    for start in range(0, nodes.size, 256):  # blocks of nodes: memory grid x 256
        t, w = nodes[start:start + 256], weights[start:start + 256]
        density += (w[None, :] * np.exp(-0.5 * ((grid[:, None] - t[None, :]) / sigma) ** 2)
                    ).sum(axis=1)
    density /= sigma * math.sqrt(2 * math.pi)
    per_probe = measure.per_probe(lambda t: t)
    mean = float(per_probe.mean())
    error = float(per_probe.std(ddof=1) / math.sqrt(per_probe.size))
    return SpectralDensity(grid=grid, density=density, nodes=nodes, weights=weights,
                           broadening=sigma, estimate=mean, error_estimate=ERROR_Z * error,
                           confidence=ERROR_CONFIDENCE, n_passes=op.n_passes,
                           n_matvecs=op.n_matvecs,
                           method="deflated_slq" if deflation else "slq",
                           status=Status.CONVERGED,
                           message=f"SLQ from {n_probes} probes x {steps} Lanczos steps"
                                   + (f", {deflation} x {depth} block space"
                                      if deflation else ""),
                           _probe_nodes=measure.probe_nodes,
                           _probe_weights=measure.probe_weights,
                           _fixed_nodes=measure.fixed_nodes,
                           _fixed_weights=measure.fixed_weights)
