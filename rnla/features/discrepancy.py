r"""Box discrepancy of a set of frequencies, in closed form, and its gradient.

For a box :math:`\square_b = \prod_j [-b_j, b_j]` and a density :math:`p`, the box
discrepancy of :math:`W = \{w_1, \dots, w_s\}` is the worst-case error of the
rule :math:`\frac1s\sum_l f(w_l)` for :math:`\int f p` over the unit ball of the
Paley--Wiener space of functions band-limited to :math:`\square_b` (reproducing
kernel :math:`\prod_j \sin(b_j(u_j - v_j))/(\pi(u_j - v_j))`).  For a product density

.. math::

    D_b(W)^2 = \prod_j A_j - \frac2s \sum_l \prod_j h_j(w_{lj})
               + \frac1{s^2} \sum_{l,m} \prod_j \frac{\sin(b_j(w_{lj} - w_{mj}))}
                 {\pi (w_{lj} - w_{mj})},

with :math:`h_j(x) = \frac1\pi\int_0^{b_j} \cos(tx)\varphi_j(t)\,dt` and
:math:`A_j = \frac1\pi\int_0^{b_j} \varphi_j(t)^2 dt` (:math:`\varphi_j` the
characteristic function of :math:`p_j`).  It measures the kernel approximation over
all shifts in the box:

.. math::

    \frac{1}{\mathrm{vol}\,\square_b}\int_{\square_b} |\varepsilon(u)|^2 du
    = \frac{\pi^d}{\prod_j b_j} D_b(W)^2,
    \quad \varepsilon(u) = \int e^{-iu^Tw}p(w)dw - \frac1s\sum_l e^{-iu^Tw_l},

the *normalised* squared discrepancy, which rnla computes internally (every
factor is then O(1) whatever d).  Closed forms exist for the Gaussian kernel
(normal density) and the ℓ1 Laplacian kernel (Cauchy density).  Cost: O(s² d).
"""

from __future__ import annotations

import numpy as np
import scipy.special as sc
from array_api_compat import device as array_device

from rnla._random import SeedLike, as_generator
from rnla._validation import (
    check_array,
    check_matrix,
    check_option,
    check_real,
)
from rnla.backend import engine_of, get_namespace, kernels, to_host

__all__ = ["BOX_KERNELS", "box_discrepancy", "box_discrepancy_squared", "data_box"]

BOX_KERNELS = ("gaussian", "laplacian")


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(32)


def _h_and_slope(x: np.ndarray, b: np.ndarray, scale: float, kernel: str):
    """h_j(x), h_j'(x) and A_j, for frequencies of scale ``scale`` = 1/bandwidth.

    The closed forms subtract two terms of size p_j(x) to leave h_j(x) <= b_j/pi, so
    for a narrow box (scale * b_j < 1) they lose the digits of h_j/b_j (all of them
    for a constant column of data, b_j ~ 0).  There, h_j = (1/pi) int_0^b cos(tx)
    phi(t) dt and h_j' = -(1/pi) int_0^b t sin(tx) phi(t) dt are integrated instead,
    by 32-point Gauss-Legendre, exact to rounding while b_j |x| < 20.
    """
    h, slope, A = _closed_forms(x, b, scale, kernel)
    narrow = (scale * b < 1.0) & (np.abs(b * x) < 20.0)
    if narrow.any():
        xm, bm = x[narrow][:, None], np.broadcast_to(b, x.shape)[narrow][:, None]
        t = 0.5 * bm * (_NODES + 1.0)
        w = 0.5 * bm * _WEIGHTS * (np.exp(-0.5 * (scale * t) ** 2) if kernel == "gaussian"
                                   else np.exp(-scale * t)) / np.pi
        h, slope = h.copy(), slope.copy()
        h[narrow] = (w * np.cos(t * xm)).sum(axis=1)
        slope[narrow] = -(w * t * np.sin(t * xm)).sum(axis=1)
    return h, slope, A


def _closed_forms(x: np.ndarray, b: np.ndarray, scale: float, kernel: str):
    if kernel == "gaussian":
        tau = scale
        zeta = (x + 1j * tau**2 * b) / (tau * np.sqrt(2.0))
        damp = np.exp(-0.5 * (tau * b) ** 2)
        h = (np.exp(-0.5 * (x / tau) ** 2) - (damp * np.exp(1j * b * x) * sc.wofz(zeta)).real) / (
            tau * np.sqrt(2.0 * np.pi))
        slope = -(x / tau**2) * h + damp * np.sin(b * x) / (np.pi * tau**2)
        A = sc.erf(tau * b) / (2.0 * tau * np.sqrt(np.pi))
        return h, slope, A
    gamma = scale
    damp = np.exp(-gamma * b)
    sin, cos = np.sin(b * x), np.cos(b * x)
    denom = gamma**2 + x * x
    h = (gamma + damp * (x * sin - gamma * cos)) / (np.pi * denom)
    slope = damp * (sin + b * x * cos + gamma * b * sin) / (np.pi * denom) - h * 2.0 * x / denom
    A = -np.expm1(-2.0 * gamma * b) / (2.0 * np.pi * gamma)
    return h, slope, A


def _normalized_h(W: np.ndarray, b: np.ndarray, scale: float, kernel: str):
    """h_j, h_j' and A_j divided by b_j/pi (the sinc kernel's value at 0): all O(1)."""
    h, slope, A = _h_and_slope(W, b, scale, kernel)
    return h * (np.pi / b), slope * (np.pi / b), A * (np.pi / b)


def _products_but_one(F: np.ndarray) -> np.ndarray:
    """``out[l, j] = prod_{k != j} F[l, k]`` by prefix and suffix products (no division)."""
    ones = np.ones((F.shape[0], 1))
    prefix = np.cumprod(np.hstack([ones, F[:, :-1]]), axis=1)
    suffix = np.cumprod(np.hstack([ones, F[:, :0:-1]]), axis=1)[:, ::-1]
    return prefix * suffix


def _normalized_terms(W: np.ndarray, b: np.ndarray, scale: float, kernel: str,
                      gradient: bool):
    """Normalised D^2 (times pi^d / prod b) and its gradient in W (or None)."""
    s = W.shape[0]
    xp = get_namespace(W)
    # the per-point terms need scipy.special (Faddeeva, erf): computed on the host from
    # the s x d frequencies; the O(s^2 d) pair sum runs in W's namespace
    h, slope, A = _normalized_h(to_host(W), to_host(b), scale, kernel)
    pair_sum, pair_grad = kernels(xp).sinc_box_sum(W, W, b, gradient)
    value = np.prod(A) - 2.0 / s * np.prod(h, axis=1).sum() + pair_sum / s**2
    if not gradient:
        return value, None
    grad = -2.0 / s * slope * _products_but_one(h)
    if xp is not np:
        grad = xp.asarray(grad, device=array_device(W))
    return value, grad + 2.0 / s**2 * pair_grad


def _check_box(W, b, bandwidth, kernel):
    kernel = check_option(kernel, "kernel", BOX_KERNELS)
    scale = 1.0 / check_real(bandwidth, "bandwidth", 0.0, low_open=True)
    engine = engine_of(serves=("host", "xp"), what="box_discrepancy", W=W, b=b)
    xp = engine.xp
    if engine.kind == "xp":
        W = xp.astype(check_array(W, xp, "W"), xp.float64)
        b = xp.asarray(b, dtype=xp.float64, device=array_device(W))
        if b.ndim == 0:
            b = xp.full(W.shape[1], float(b), dtype=xp.float64, device=array_device(W))
        if b.shape != (W.shape[1],) or not bool(xp.all(xp.isfinite(b) & (b > 0))):
            raise ValueError(f"`b` must hold {W.shape[1]} finite positive half-widths (one per "
                             f"column of W); got shape {tuple(b.shape)}")
        return W, b, scale, kernel
    W = np.asarray(check_matrix(W, "W", allow_sparse=False), dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if b.ndim == 0:
        b = np.full(W.shape[1], float(b))
    if b.shape != (W.shape[1],):
        raise ValueError(f"`b` must be a scalar or a vector of length {W.shape[1]} (the columns "
                         f"of W); got shape {b.shape}")
    if not (np.isfinite(b).all() and (b > 0).all()):
        raise ValueError("`b` must hold finite positive half-widths of the box")
    return np.ascontiguousarray(W), b, scale, kernel


def box_discrepancy_squared(W, b, bandwidth: float = 1.0, kernel: str = "gaussian", *,
                            normalized: bool = False, gradient: bool = False):
    r"""Squared box discrepancy :math:`D_b(W)^2` of frequencies ``W`` (closed form).

    Parameters
    ----------
    W : array of shape (s, d)
        Frequencies (rows), in the units of the data (``FourierFeatureMap.frequencies_``).
    b : float or array of shape (d,)
        Half-widths of the box of shifts :math:`x - y` (see ``data_box``).
    bandwidth : float
        :math:`\sigma` of the kernel: the frequencies' density is :math:`N(0,\sigma^{-2}I)`
        (``"gaussian"``) or :math:`\prod_j` Cauchy(0, 1/σ) (``"laplacian"``).
    kernel : {"gaussian", "laplacian"}
    normalized : bool
        Return :math:`\pi^d/\prod_j b_j \cdot D^2`, the mean of :math:`|\varepsilon(u)|^2`
        over the box, instead of :math:`D^2`.
    gradient : bool
        Also return :math:`\partial D^2/\partial W` (same normalisation), shape (s, d).

    Returns
    -------
    float, or (float, ndarray) with ``gradient=True``.

    Examples
    --------
    >>> from rnla.features import box_discrepancy_squared
    >>> round(box_discrepancy_squared([[0.0]], b=1.0), 12)  # one point at the mode of N(0, 1)
    0.0113239853
    """
    W, b, scale, kernel = _check_box(W, b, bandwidth, kernel)
    value, grad = _normalized_terms(W, b, scale, kernel, gradient)
    factor = 1.0 if normalized else float(np.prod(b / np.pi))
    value = float(value * factor)
    return (value, grad * factor) if gradient else value


def box_discrepancy(W, b, bandwidth: float = 1.0, kernel: str = "gaussian") -> float:
    r"""Box discrepancy :math:`D_b(W)` (the square root of ``box_discrepancy_squared``).

    Parameters
    ----------
    W : array_like of shape (s, d)
        Frequencies, of any Array-API namespace (the O(s^2 d) pair sum runs there;
        the per-point terms need scipy.special and run on the host).
    b : float or array_like of shape (d,)
        Half-widths of the box.
    bandwidth : float, default=1.0
        Kernel bandwidth sigma.
    kernel : str, default="gaussian"
        One of ``BOX_KERNELS``.

    Returns
    -------
    float
        :math:`D_b(W) \ge 0`.

    Examples
    --------
    >>> from rnla.features import box_discrepancy
    >>> round(box_discrepancy([[-0.5], [0.5]], b=2.0), 6)
    0.230499
    """
    return float(np.sqrt(max(box_discrepancy_squared(W, b, bandwidth, kernel), 0.0)))


def data_box(X, method: str = "range", quantile: float = 0.99, n_pairs: int = 100_000,
             rng: SeedLike = None) -> np.ndarray:
    r"""Half-widths :math:`b` of a box that holds the pairwise differences of the rows of ``X``.

    ``"range"``: :math:`b_j = \max_i x_{ij} - \min_i x_{ij}`, so that every
    :math:`x - y` lies in :math:`\square_b`.  ``"quantile"``: the ``quantile`` of
    :math:`|x_{ij} - x_{kj}|` over ``n_pairs`` random pairs, less sensitive to
    outliers.  Constant columns get a tiny positive width.

    Parameters
    ----------
    X : array_like of shape (n, d)
        The data.
    method : {"range", "quantile"}, default="range"
        How the box is measured.
    quantile : float in (0, 1], default=0.99
        For ``method="quantile"``.
    n_pairs : int, default=100000
        Random pairs of rows for ``method="quantile"``.
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness of the pairs.

    Returns
    -------
    ndarray of shape (d,)
        The half-widths b, positive.

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.features import data_box
    >>> data_box(np.array([[0.0, 1.0], [2.0, 1.5]]))
    array([2. , 0.5])
    """
    method = check_option(method, "method", ("range", "quantile"))
    X = np.asarray(check_matrix(X, "X", allow_sparse=False), dtype=np.float64)
    if method == "range":
        b = X.max(axis=0) - X.min(axis=0)
    else:
        q = check_real(quantile, "quantile", 0.0, 1.0, low_open=True)
        rng = as_generator(rng, "rng")
        i, k = rng.integers(0, X.shape[0], size=(2, n_pairs))
        b = np.quantile(np.abs(X[i] - X[k]), q, axis=0)
    tiny = 1e-12 * max(float(np.abs(X).max()), 1.0)
    return np.maximum(b, tiny)
