r"""Raskutti and Mahoney's efficiency criteria of a sketched least-squares estimator.

For the model :math:`Y = X\beta + \varepsilon` (X fixed, n x p, rank p;
:math:`\mathrm{Cov}\,\varepsilon = \sigma^2 I`) and a sketch S, the sketched estimator
:math:`\beta_S = \arg\min \|S(Y - X\beta)\|` is compared with OLS by

* worst-case efficiency :math:`C_{WC} = \|Y - X\beta_S\|^2 / \|Y - X\beta_{OLS}\|^2`
  for the fixed data (X, Y), no expectation over noise (the algorithmic criterion);
* prediction efficiency :math:`C_{PE} = E\|X(\beta_S - \beta)\|^2 / E\|X(\beta_{OLS} - \beta)\|^2`;
* residual efficiency :math:`C_{RE} = E\|Y - X\beta_S\|^2 / E\|Y - X\beta_{OLS}\|^2`,

expectations over the noise, S fixed.  With :math:`X = U\Sigma V^T` and
:math:`M = (U^T S^T S U)^{-1} U^T S^T S` (p x n, so that :math:`MU = I`), the noise
integrates out exactly:

.. math::

    C_{PE} = \frac{\|M\|_F^2}{p}, \qquad
    C_{RE} = 1 + \frac{\|M\|_F^2 - p}{n - p}, \qquad
    C_{WC} = 1 + \frac{\|M \hat e\|^2}{\|\hat e\|^2},

with :math:`\hat e = Y - X\beta_{OLS}`, the last because
:math:`Y - X\beta_S = \hat e - U M \hat e` and :math:`U^T \hat e = 0`.  C_PE and C_RE
depend on neither beta nor sigma, and :math:`C_{RE} - 1 = p (C_{PE} - 1)/(n - p)` for
every draw.  So the Monte Carlo runs over sketches only, each draw costing O(n p^2):
for a projection :math:`M = R^{-1} (S^T Q)^T` with :math:`SU = QR`; for row sampling,
whose :math:`S^T S = \mathrm{diag}(c)` is diagonal,
:math:`M = G^{-1} U_s^T \mathrm{diag}(c_s)` with :math:`G = U_s^T \mathrm{diag}(c_s) U_s`
over the sampled rows s only.  (The supremum of the residual ratio over all Y,
:math:`1 + \|M\|_2^2 - 1`, grows like n/r and is not what the framework bounds.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from rnla._random import SeedLike, spawn
from rnla._threads import one_blas_thread
from rnla._validation import check_host, check_int, check_matrix, check_option
from rnla.efficiency.designs import make_response
from rnla.sketch import (
    GaussianSketch,
    LeverageSampling,
    UniformSampling,
    leverage_scores,
    make_sketch,
)

__all__ = ["SKETCHES", "Efficiency", "efficiency_draws", "estimate_efficiency"]

#: sketches of the suite; the sampling ones take ``replace``
PROJECTIONS = ("gaussian", "srht", "countsketch", "sparse_sign")
SAMPLINGS = ("uniform", "leverage", "leverage_approx", "shrinkage")
SKETCHES = PROJECTIONS + SAMPLINGS
#: alpha of shrinkage leveraging (SLEV), Ma, Mahoney and Yu's choice
SHRINKAGE = 0.9
_SINGULAR = 1e12  # cond(S U) above which S X counts as rank-deficient


@dataclass
class Efficiency:
    """Monte Carlo estimate of the three criteria for one (X, sketch, r).

    ``*_mean`` and ``*_se`` are the mean over draws and its standard error
    (sample standard deviation / sqrt(draws)); ``*_mom`` is the median of the means
    of 10 blocks, robust to the heavy tails of sampling near the coherence
    threshold.  ``singular_fraction`` is the share of draws where S X lost rank;
    when it is positive the criteria are infinite.

    Attributes
    ----------
    sketch : str
        The sketch kind.
    replace : bool
        Sampling with replacement.
    n, p, r, n_draws : int
        Design shape, sketch size and number of draws.
    wc_mean, wc_se, wc_mom : float
        C_WC (worst-case efficiency): mean, standard error, median of block means.
    pe_mean, pe_se, pe_mom : float
        C_PE (prediction efficiency), likewise.
    re_mean, re_se, re_mom : float
        C_RE (residual efficiency), likewise.
    singular_fraction : float
        Share of draws where S X lost rank.
    """

    sketch: str
    replace: bool
    n: int
    p: int
    r: int
    n_draws: int
    wc_mean: float
    wc_se: float
    wc_mom: float
    pe_mean: float
    pe_se: float
    pe_mom: float
    re_mean: float
    re_se: float
    re_mom: float
    singular_fraction: float


def _check_sizes(n: int, p: int, r: int, sketch: str, replace: bool) -> None:
    if r <= p:
        raise ValueError(f"`r` must exceed p = {p} (X's columns), or S X cannot have rank p; "
                         f"got {r}")
    if r > n and (sketch in SAMPLINGS and not replace):
        raise ValueError(f"`r` must be at most n = {n} for sampling without replacement; "
                         f"got {r}")


def _probabilities(X: np.ndarray, U: np.ndarray, sketch: str, rng) -> np.ndarray | None:
    if sketch == "uniform":
        return None
    if sketch == "leverage_approx":
        h = leverage_scores(X, method="approx", rng=rng)
    else:
        h = np.einsum("ij,ij->i", U, U)
    p = h / h.sum()
    if sketch == "shrinkage":
        p = SHRINKAGE * p + (1 - SHRINKAGE) / X.shape[0]
    return p


def _draw_sampling(U: np.ndarray, e: np.ndarray, S) -> tuple[float, float] | None:
    """(||M||_F^2, ||M e||^2) for a row-sampling sketch (None when S U lost rank)."""
    c = np.bincount(S.indices, weights=S.weights.astype(np.float64) ** 2, minlength=U.shape[0])
    rows = np.flatnonzero(c)
    if rows.size < U.shape[1]:
        return None
    Us, cs = U[rows], c[rows]
    G = Us.T @ (cs[:, None] * Us)
    if np.linalg.cond(G) > _SINGULAR:
        return None
    M = sla.solve(G, Us.T * cs, assume_a="pos", check_finite=False)
    return float(np.sum(M * M)), float(np.sum((M @ e[rows]) ** 2))


def _draw_projection(U: np.ndarray, e: np.ndarray, S) -> tuple[float, float] | None:
    """(||M||_F^2, ||M e||^2) for a mixing sketch: M = R^{-1} (S^T Q)^T with S U = Q R."""
    if isinstance(S, GaussianSketch):
        S = S.to_dense()  # generated once, not once per product
    Q, R = np.linalg.qr(S @ U)
    d = np.abs(np.diag(R))
    if d.min() * _SINGULAR < d.max():
        return None
    StQ = S.T @ Q if isinstance(S, np.ndarray) else S.apply_transpose(Q)
    M = sla.solve_triangular(R, StQ.T, check_finite=False)
    Me = sla.solve_triangular(R, Q.T @ (S @ e), check_finite=False)
    return float(np.sum(M * M)), float(np.sum(Me * Me))


def efficiency_draws(X, sketch: str, r: int, n_draws: int, *, y=None, replace: bool = False,
                     rng: SeedLike = None) -> dict[str, np.ndarray]:
    """Per-draw C_WC, C_PE and C_RE for ``n_draws`` independent sketches of size r.

    Parameters
    ----------
    X : array_like of shape (n, p)
        Design of rank p.
    y : array_like of shape (n,), optional
        The data for C_WC; default one draw of ``make_response(X)``.
    sketch : str
        One of ``SKETCHES``: "gaussian", "srht", "countsketch", "sparse_sign",
        "uniform", "leverage", "leverage_approx", "shrinkage".  ``"leverage"``
        samples by exact leverage scores, ``"leverage_approx"`` by fast approximate
        ones, ``"shrinkage"`` by 0.9 leverage + 0.1 uniform (SLEV).
    r : int
        Sketch size (rows of S), p < r (and r <= n without replacement).
    replace : bool
        Sampling (and SRHT rows) with replacement; sampling without replacement is
        Poisson sampling with inclusion probabilities min(1, r p_i), exactly r rows for
        uniform sampling.
    n_draws : int
        Independent sketches.
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness.

    Returns
    -------
    dict of str to ndarray of shape (n_draws,)
        ``wc``, ``pe``, ``re``: the criteria per draw (``inf`` where S X lost rank).
    """
    check_host(X, "X", "rnla.efficiency (host-only)")
    X = check_matrix(X, "X", allow_sparse=False).astype(np.float64)
    n, p = X.shape
    check_option(sketch, "sketch", SKETCHES)
    r = check_int(r, "r", low=1)
    n_draws = check_int(n_draws, "n_draws", low=1)
    _check_sizes(n, p, r, sketch, replace)
    U, s, _ = np.linalg.svd(X, full_matrices=False)
    if s[-1] <= s[0] * n * np.finfo(float).eps:
        raise ValueError("`X` must have full column rank p")
    rng_probs, rng_y, *rngs = spawn(rng, n_draws + 2)
    if y is None:
        y = make_response(X, rng=rng_y)[0]
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (n,):
        raise ValueError(f"`y` must have shape ({n},); got {y.shape}")
    e = y - U @ (U.T @ y)
    enorm2 = float(e @ e)
    if enorm2 == 0.0:
        raise ValueError("`y` lies in the column space of X: C_WC is undefined")
    probs = _probabilities(X, U, sketch, rng_probs) if sketch in SAMPLINGS else None
    wc, F = np.full(n_draws, np.inf), np.full(n_draws, np.inf)
    # each draw is O(n p^2) on small blocks: threaded BLAS only adds wake-up latency
    # between its calls and the sketch kernels' own threads (measured 50x slower)
    with one_blas_thread():
        for t, rng in enumerate(rngs):
            S = _draw_sketch(sketch, r, n, probs, replace, rng)
            out = _draw_sampling(U, e, S) if sketch in SAMPLINGS else _draw_projection(U, e, S)
            if out is not None:
                F[t], wc[t] = out[0], 1.0 + out[1] / enorm2
    return {"wc": wc, "pe": F / p, "re": 1.0 + (F - p) / (n - p)}


def _draw_sketch(sketch: str, r: int, n: int, probs, replace: bool, rng):
    if sketch == "uniform":
        return UniformSampling(r, n, replace=replace, rng=rng)
    if sketch in SAMPLINGS:
        return LeverageSampling(r, n, probabilities=probs, replace=replace, rng=rng)
    if sketch == "srht":
        return make_sketch("srht", r, n, rng=rng, replace=replace)
    return make_sketch(sketch, r, n, rng=rng)


def _summary(values: np.ndarray) -> tuple[float, float, float]:
    if not np.all(np.isfinite(values)):
        return float("inf"), float("nan"), float("inf")
    se = float(values.std(ddof=1) / np.sqrt(values.size)) if values.size > 1 else float("nan")
    blocks = np.array_split(values, min(10, values.size))
    return float(values.mean()), se, float(np.median([b.mean() for b in blocks]))


def estimate_efficiency(X, sketch: str, r: int, *, n_draws: int = 500, replace: bool = False,
                        rng: SeedLike = None) -> Efficiency:
    """Means and standard errors of C_WC, C_PE, C_RE over ``n_draws`` sketches.

    Parameters
    ----------
    X : array_like of shape (n, p)
        Design of rank p.
    sketch : str
        One of ``SKETCHES`` (see :func:`efficiency_draws`).
    r : int
        Sketch size.
    n_draws : int, default=500
        Independent sketches, at least 2.
    replace : bool, default=False
        Sampling with replacement.
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness.

    Returns
    -------
    Efficiency
        Means, standard errors and the other moments of the three criteria.

    Examples
    --------
    >>> from rnla.efficiency import make_design, estimate_efficiency
    >>> X = make_design("GA", 512, 10, rng=0)
    >>> e = estimate_efficiency(X, "gaussian", 60, n_draws=200, rng=1)
    >>> expected = 1 + (512 - 10) / (60 - 10 - 1)   # exact: 1 + (n-p)/(r-p-1)
    >>> bool(abs(e.pe_mean - expected) < 5 * e.pe_se)
    True
    """
    n_draws = check_int(n_draws, "n_draws", low=2)
    draws = efficiency_draws(X, sketch, r, n_draws, replace=replace, rng=rng)
    n, p = np.shape(X)
    wc, pe, re = (_summary(draws[k]) for k in ("wc", "pe", "re"))
    return Efficiency(sketch=sketch, replace=replace, n=n, p=p, r=r, n_draws=n_draws,
                      wc_mean=wc[0], wc_se=wc[1], wc_mom=wc[2],
                      pe_mean=pe[0], pe_se=pe[1], pe_mom=pe[2],
                      re_mean=re[0], re_se=re[1], re_mom=re[2],
                      singular_fraction=float(np.mean(~np.isfinite(draws["pe"]))))
