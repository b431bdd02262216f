r"""A posteriori bound on the spectral norm of a residual, from a few products with it.

For any fixed matrix M and r independent standard Gaussian vectors :math:`\omega_i`
(Halko, Martinsson and Tropp 2011, Lemma 4.1),

.. math:: P\Big(\|M\|_2 \le \alpha \sqrt{2/\pi}\, \max_i \|M \omega_i\|\Big) \ge 1 - \alpha^{-r}.

Applied to :math:`M_j = E (E^T E)^{\dots}`, the product of j alternating factors E and
:math:`E^T` (so :math:`\|M_j\| = \|E\|^j`), it bounds
:math:`\|E\|_2 \le (\alpha \sqrt{2/\pi} \max_i \|M_j \omega_i\|)^{1/j}`.  For j = 1 the
bound is about the Frobenius norm of E, loose when E's spectrum is flat; every extra
product tightens it towards :math:`\|E\|_2` (a Schatten-2j norm).  The bounds for
j = 1..J hold together with probability :math:`1 - J \alpha^{-r}` (a union bound),
so :math:`\alpha = (J / (1 - \text{confidence}))^{1/r}`.  The iteration stops early
once the bound is within 10% of the lower bound :math:`\max_i \|M_j \omega_i\| /
\|M_{j-1} \omega_i\| \le \|E\|_2`.
"""

from __future__ import annotations

import math

import numpy as np

from rnla.backend import to_host

__all__ = ["residual_bound", "CONFIDENCE", "N_PROBES"]

#: the probability of the reported bounds, and the probes that buy it
CONFIDENCE = 0.99
N_PROBES = 10
#: at most this many products with the residual (three with E^T E)
MAX_PRODUCTS = 6
#: stop once the upper bound is within this factor of the lower bound
TIGHT = 1.1


def residual_bound(times, times_transpose, start, xp, *, confidence: float = CONFIDENCE,
                   max_products: int = MAX_PRODUCTS,
                   give_up_above: float = math.inf) -> tuple[float, float]:
    """``(upper, lower)``: ``||E||_2 <= upper`` with probability ``confidence``, and
    ``lower <= ||E||_2`` always.

    Parameters
    ----------
    times, times_transpose : callable
        ``X -> E X`` and ``Y -> E^T Y`` on blocks of columns.
    start : array of shape (n, r)
        Standard Gaussian probes, independent of E.
    xp : namespace
    confidence : float
    max_products : int
    give_up_above : float
        Return ``(inf, lower)`` as soon as the lower bound exceeds it (the caller only
        needs to know that ``||E||_2`` is larger).

    Returns
    -------
    (float, float)
    """
    r = start.shape[1]
    c = (max_products / (1.0 - confidence)) ** (1.0 / r) * math.sqrt(2.0 / math.pi)
    Y = start
    previous = to_host(xp.linalg.vector_norm(Y, axis=0)).astype(np.float64)
    log_scale = 0.0  # Y holds M_j omega / exp(log_scale), renormalized against overflow
    upper, lower = math.inf, 0.0
    for j in range(1, max_products + 1):
        Y = times(Y) if j % 2 else times_transpose(Y)
        norms = to_host(xp.linalg.vector_norm(Y, axis=0)).astype(np.float64)
        top = float(norms.max())
        if top == 0.0:
            return 0.0, 0.0
        lower = max(lower, float(np.max(norms / np.maximum(previous, np.finfo(float).tiny))))
        upper = min(upper, math.exp((math.log(c * top) + log_scale) / j))
        if lower > give_up_above:
            return math.inf, lower
        if upper <= TIGHT * lower:
            break
        Y = Y / top
        log_scale += math.log(top)
        previous = norms / top
    return upper, lower
