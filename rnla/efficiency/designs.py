r"""Data models of the statistical-efficiency experiments.

Designs follow Ma, Mahoney and Yu (2015) and Raskutti and Mahoney (2016): rows of
X are i.i.d. with mean :math:`1_p` and scale matrix
:math:`\Sigma_{ij} = 2 \cdot 0.5^{|i-j|}`:

* ``"GA"``: Gaussian, :math:`N(1_p, \Sigma)`; leverage scores nearly uniform;
* ``"T3"``, ``"T2"``, ``"T1"``: multivariate t with 3, 2 and 1 degrees of freedom,
  :math:`1_p + \Sigma^{1/2} z / \sqrt{w/\nu}` with :math:`w \sim \chi^2_\nu`:
  heavier tails, increasingly non-uniform leverage (T1 is Cauchy-like);
* ``"coherent"``: the adversarial design :math:`[I_p; 10^{-3} G]` whose first p rows
  carry almost all the leverage, so uniform sampling misses them.

Responses are :math:`Y = X\beta + \varepsilon` with
:math:`\beta = (1_{p/5}, 0.1 \cdot 1_{3p/5}, 1_{p/5})` and
:math:`\varepsilon \sim N(0, 9 I)`, as in Ma, Mahoney and Yu's simulations.
"""

from __future__ import annotations

import numpy as np

from rnla._random import SeedLike, as_generator
from rnla._validation import check_int, check_option

__all__ = ["DESIGNS", "make_design", "make_response", "coherence"]

DESIGNS = ("GA", "T3", "T2", "T1", "coherent")


def _scale_factor(p: int) -> np.ndarray:
    i = np.arange(p)
    sigma = 2.0 * 0.5 ** np.abs(i[:, None] - i[None, :])
    return np.linalg.cholesky(sigma)


def make_design(design: str, n: int, p: int, *, rng: SeedLike = None) -> np.ndarray:
    """An n x p design matrix of the named model (see the module docstring).

    Parameters
    ----------
    design : {"GA", "T3", "T2", "T1", "coherent"}
        The model: Gaussian, multivariate t with 3, 2, 1 degrees of freedom, or
        p unit rows above tiny noise.
    n, p : int
        Shape, n > p.
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness.

    Returns
    -------
    ndarray of shape (n, p)
        The design X.

    Examples
    --------
    >>> from rnla.efficiency import make_design
    >>> make_design("T1", 1000, 10, rng=0).shape
    (1000, 10)
    """
    check_option(design, "design", DESIGNS)
    p = check_int(p, "p", low=1)
    n = check_int(n, "n", low=p + 1)
    rng = as_generator(rng, "rng")
    if design == "coherent":
        return np.vstack([np.eye(p), 1e-3 * rng.standard_normal((n - p, p))])
    Z = rng.standard_normal((n, p)) @ _scale_factor(p).T
    if design != "GA":
        nu = {"T3": 3, "T2": 2, "T1": 1}[design]
        Z /= np.sqrt(rng.chisquare(nu, size=(n, 1)) / nu)
    return 1.0 + Z


def make_response(X: np.ndarray, *, sigma: float = 3.0, rng: SeedLike = None):
    """``(Y, beta)`` with ``Y = X beta + N(0, sigma^2 I)`` and Ma-Mahoney-Yu's beta.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        The design.
    sigma : float, default=3.0
        Noise standard deviation.
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness.

    Returns
    -------
    Y : ndarray of shape (n,)
        The response.
    beta : ndarray of shape (p,)
        The true coefficients: 1 on the first and last p/5, 0.1 elsewhere.
    """
    n, p = X.shape
    k = max(1, p // 5)
    beta = np.full(p, 0.1)
    beta[:k] = 1.0
    beta[p - k:] = 1.0
    rng = as_generator(rng, "rng")
    return X @ beta + sigma * rng.standard_normal(n), beta


def coherence(X: np.ndarray) -> float:
    """(n/p) max_i h_i, with h the leverage scores: 1 for uniform leverage, n/p at worst.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        A design of rank p.

    Returns
    -------
    float
        The coherence, in [1, n/p].
    """
    Q = np.linalg.qr(X)[0]
    h = np.einsum("ij,ij->i", Q, Q)
    return float(X.shape[0] / X.shape[1] * h.max())
