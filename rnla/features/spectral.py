r"""Shift-invariant kernels, their spectral densities and the map from the cube to frequencies.

A continuous positive-definite :math:`k(x, y) = \psi(x - y)` with :math:`\psi(0) = 1`
is, by Bochner's theorem, :math:`k(x, y) = E_{w \sim p}[\cos((x - y)^T w)]`.  With
bandwidth :math:`\sigma`:

============  ================================================  =============================
kernel        :math:`k(x, y)`                                   density :math:`p(w)`
============  ================================================  =============================
gaussian      :math:`\exp(-\|x - y\|_2^2 / (2\sigma^2))`        :math:`N(0, \sigma^{-2} I)`
laplacian     :math:`\exp(-\|x - y\|_1 / \sigma)`               :math:`\prod_j` Cauchy(0, 1/σ)
cauchy        :math:`\prod_j 1 / (1 + (x_j - y_j)^2/\sigma^2)`  :math:`\prod_j` Laplace(0, 1/σ)
matern        Matérn(ν) with length scale σ                     multivariate t, 2ν d.o.f.,
                                                                scale 1/σ
============  ================================================  =============================

Product densities map a point :math:`t \in (0,1)^d` coordinatewise through the
inverse CDF.  The Matérn density is not a product: it is the scale mixture
:math:`w = z \sqrt{2\nu/g}/\sigma` with :math:`z_j = \Phi^{-1}(t_j)` and
:math:`g = F^{-1}_{\chi^2(2\nu)}(t_{d+1})`, which consumes one extra coordinate of the
point set and keeps its structure.
"""

from __future__ import annotations

import numpy as np
import scipy.special as sc
from scipy.stats import chi2

from rnla._validation import check_option, check_real
from rnla.kernel_functions import KERNELS, kernel_matrix

__all__ = [
    "KERNELS",
    "kernel_matrix",
    "sequence_dimension",
    "spectral_frequencies",
    "spectral_cdf",
    "spectral_pdf",
]

_PRODUCT = ("gaussian", "laplacian", "cauchy")


def sequence_dimension(d: int, kernel: str) -> int:
    """Coordinates of a point set needed for ``d``-dimensional frequencies of ``kernel``.

    Parameters
    ----------
    d : int
        Dimension of the data.
    kernel : str
        One of ``KERNELS``.

    Returns
    -------
    int
        ``d + 1`` for the Matérn kernel (one coordinate for the radius), else ``d``.
    """
    kernel = check_option(kernel, "kernel", KERNELS)
    return d + 1 if kernel == "matern" else d


def _clip(t: np.ndarray) -> np.ndarray:
    """Keep points off 0 and 1, where inverse CDFs are infinite: [eps, 1 - eps], eps = 2^-53 s."""
    eps = 2.0**-53 * max(t.shape[0], 2)
    return np.clip(t, eps, 1.0 - eps)


def spectral_frequencies(points, d: int, kernel: str = "gaussian", bandwidth: float = 1.0,
                         nu: float = 1.5) -> np.ndarray:
    r"""Map points of the unit cube to frequencies distributed as ``kernel``'s spectral density.

    Parameters
    ----------
    points : array of shape (s, sequence_dimension(d, kernel))
        Points in [0, 1] (clipped to :math:`[\epsilon, 1-\epsilon]`, :math:`\epsilon = 2^{-53} s`).
    d : int
        Dimension of the frequencies (of the data).
    kernel : {"gaussian", "laplacian", "cauchy", "matern"}
    bandwidth : float
        :math:`\sigma > 0` (length scale for Matérn).
    nu : float
        Matérn smoothness :math:`\nu > 0` (``"matern"`` only).

    Returns
    -------
    ndarray of shape (s, d): uniform points give i.i.d. frequencies :math:`w \sim p`.

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.features import spectral_frequencies
    >>> spectral_frequencies(np.array([[0.5, 0.975]]), 2, "gaussian", bandwidth=2.0).round(3)
    array([[0.  , 0.98]])
    """
    kernel = check_option(kernel, "kernel", KERNELS)
    sigma = check_real(bandwidth, "bandwidth", 0.0, low_open=True)
    t = np.asarray(points, dtype=np.float64)
    D = sequence_dimension(d, kernel)
    if t.ndim != 2 or t.shape[1] != D:
        raise ValueError(f"`points` must have shape (s, {D}) for {d}-dimensional {kernel} "
                         f"frequencies; got {t.shape}")
    t = _clip(t)
    if kernel == "gaussian":
        return sc.ndtri(t) / sigma
    if kernel == "laplacian":
        return np.tan(np.pi * (t - 0.5)) / sigma
    if kernel == "cauchy":
        u = t - 0.5
        return -np.sign(u) * np.log1p(-2.0 * np.abs(u)) / sigma
    nu = check_real(nu, "nu", 0.0, low_open=True)
    g = chi2.ppf(t[:, d], 2.0 * nu)
    return sc.ndtri(t[:, :d]) * np.sqrt(2.0 * nu / g)[:, None] / sigma


def spectral_cdf(W, kernel: str = "gaussian", bandwidth: float = 1.0) -> np.ndarray:
    """Per-coordinate CDF of a product density: the inverse of ``spectral_frequencies``.

    Parameters
    ----------
    W : array_like of shape (s, d)
        Frequencies.
    kernel : {"gaussian", "laplacian", "cauchy"}, default="gaussian"
        A product kernel.
    bandwidth : float, default=1.0
        Sigma.

    Returns
    -------
    ndarray of shape (s, d)
        The CDF of each coordinate, in [0, 1].
    """
    kernel = check_option(kernel, "kernel", _PRODUCT)
    sigma = check_real(bandwidth, "bandwidth", 0.0, low_open=True)
    x = np.asarray(W, dtype=np.float64) * sigma
    if kernel == "gaussian":
        return sc.ndtr(x)
    if kernel == "laplacian":
        return 0.5 + np.arctan(x) / np.pi
    return 0.5 + 0.5 * np.sign(x) * -np.expm1(-np.abs(x))


def spectral_pdf(W, kernel: str = "gaussian", bandwidth: float = 1.0) -> np.ndarray:
    """Per-coordinate density :math:`p_j(w_{lj})` of a product density.

    Parameters
    ----------
    W : array_like of shape (s, d)
        Frequencies.
    kernel : {"gaussian", "laplacian", "cauchy"}, default="gaussian"
        A product kernel.
    bandwidth : float, default=1.0
        Sigma.

    Returns
    -------
    ndarray of shape (s, d)
        The density of each coordinate.
    """
    kernel = check_option(kernel, "kernel", _PRODUCT)
    sigma = check_real(bandwidth, "bandwidth", 0.0, low_open=True)
    x = np.asarray(W, dtype=np.float64) * sigma
    if kernel == "gaussian":
        return sigma * np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)
    if kernel == "laplacian":
        return sigma / (np.pi * (1.0 + x * x))
    return 0.5 * sigma * np.exp(-np.abs(x))
