r"""Shift-invariant kernels evaluated exactly, in blocks: the one place where rnla
computes :math:`k(x, y)`, for the Fourier features (their reference) and the
column-sampling approximations of ``rnla.lowrank`` (RPCholesky, Nystrom).

With bandwidth :math:`\sigma` (functions take ``bandwidth``; estimators take
``gamma``, :math:`\gamma = 1/(2\sigma^2)` for the Gaussian as in scikit-learn):

============  ================================================
kernel        :math:`k(x, y)`
============  ================================================
gaussian      :math:`\exp(-\|x - y\|_2^2 / (2\sigma^2))`
laplacian     :math:`\exp(-\|x - y\|_1 / \sigma)`
cauchy        :math:`\prod_j 1 / (1 + (x_j - y_j)^2/\sigma^2)`
matern        Matérn(ν) with length scale σ
============  ================================================

Every kernel has :math:`k(x, x) = 1`.  With more than ``GRAM_FROM_FEATURES``
features the Gaussian block is computed from one matrix product,
:math:`\|x\|^2 + \|y\|^2 - 2 x^T y` (BLAS), clipped at zero and exponentiated in place by
a parallel numba kernel, on rows centred first (``centre``) so that data far from the
origin lose no accuracy; with fewer, and for the Laplacian and Cauchy kernels, one
parallel numba pass over the differences.
"""

from __future__ import annotations

import numpy as np
import scipy.special as sc
from scipy.spatial.distance import cdist

from rnla._validation import check_matrix, check_option, check_real
from rnla.backend import kernels

__all__ = ["KERNELS", "kernel_matrix", "kernel_columns", "kernel_block", "centre"]

KERNELS = ("gaussian", "laplacian", "cauchy", "matern")
#: the Gaussian block goes through the Gram product X Y^T (BLAS) above this many
#: features, and through the differences below (fused, one pass: faster for few features)
GRAM_FROM_FEATURES = 16


def _scaled(X, name: str, sigma: float) -> np.ndarray:
    return np.asarray(check_matrix(X, name, allow_sparse=False), dtype=np.float64) / sigma


def kernel_block(X: np.ndarray, Y: np.ndarray, kernel: str, nu: float = 1.5) -> np.ndarray:
    """:math:`k(x_i, y_j)` of rows already validated and divided by the bandwidth.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    Y : ndarray of shape (m, d)
    kernel : str
        One of ``KERNELS``.
    nu : float
        Matérn smoothness.

    Returns
    -------
    ndarray of shape (n, m)
    """
    if kernel == "gaussian" and X.shape[1] > GRAM_FROM_FEATURES:
        X, Y = np.ascontiguousarray(X), np.ascontiguousarray(Y)
        return kernels().gaussian_from_gram(X @ Y.T, np.einsum("ij,ij->i", X, X),
                                            np.einsum("ij,ij->i", Y, Y))
    if kernel != "matern":
        return kernels().distance_kernel(np.ascontiguousarray(X), np.ascontiguousarray(Y),
                                         kernel)
    r = np.sqrt(2.0 * nu) * cdist(X, Y)
    with np.errstate(invalid="ignore"):
        K = 2.0 ** (1.0 - nu) / sc.gamma(nu) * r**nu * sc.kv(nu, r)
    K[r == 0] = 1.0
    return K


def kernel_matrix(X, Y=None, kernel: str = "gaussian", bandwidth: float = 1.0,
                  nu: float = 1.5) -> np.ndarray:
    r"""Exact kernel matrix :math:`K_{ij} = k(x_i, y_j)`.

    Matérn: :math:`k(r) = \frac{2^{1-\nu}}{\Gamma(\nu)} (\sqrt{2\nu} r/\sigma)^\nu
    K_\nu(\sqrt{2\nu} r/\sigma)`, :math:`r = \|x - y\|_2`.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Rows x_i.
    Y : array_like of shape (m, d), optional
        Rows y_j (default: X).
    kernel : str, default="gaussian"
        One of ``KERNELS``.
    bandwidth : float, default=1.0
        Sigma.
    nu : float, default=1.5
        Matérn smoothness.

    Returns
    -------
    ndarray of shape (n, m)
        The kernel matrix.

    Notes
    -----
    Cost: :math:`O(nmd)`; the Gaussian through one matrix product.

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.features import kernel_matrix
    >>> kernel_matrix(np.array([[0.0, 0.0]]), np.array([[1.0, 1.0]]), "laplacian")
    array([[0.13533528]])
    """
    kernel = check_option(kernel, "kernel", KERNELS)
    sigma = check_real(bandwidth, "bandwidth", 0.0, low_open=True)
    if kernel == "matern":
        nu = check_real(nu, "nu", 0.0, low_open=True)
    X = _scaled(X, "X", sigma)
    Y = X if Y is None else _scaled(Y, "Y", sigma)
    if Y.shape[1] != X.shape[1]:
        raise ValueError(f"`Y` must have {X.shape[1]} columns like `X`; got {Y.shape[1]}")
    shift = centre(X)
    return kernel_block(X - shift, Y - shift, kernel, nu)


def centre(X: np.ndarray) -> np.ndarray:
    r"""The column means of X: subtracting them from both arguments leaves a
    shift-invariant kernel unchanged and keeps :math:`\|x\|^2 + \|y\|^2 - 2x^Ty` free of
    cancellation for data far from the origin.

    Parameters
    ----------
    X : ndarray of shape (n, d)

    Returns
    -------
    ndarray of shape (d,)
    """
    return X.mean(axis=0) if X.shape[0] else np.zeros(X.shape[1])


def kernel_columns(X: np.ndarray, columns: np.ndarray, kernel: str, nu: float = 1.5,
                   block_rows: int = 8192) -> np.ndarray:
    """``K[:, columns]`` of already validated and bandwidth-scaled rows X, computed in
    blocks of ``block_rows`` rows (memory ``block_rows x len(columns)``).

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Rows divided by the bandwidth.
    columns : int array
    kernel : str
    nu : float
    block_rows : int

    Returns
    -------
    ndarray of shape (n, len(columns))
    """
    Y = X[columns]
    out = np.empty((X.shape[0], Y.shape[0]))
    for start in range(0, X.shape[0], block_rows):
        out[start:start + block_rows] = kernel_block(X[start:start + block_rows], Y, kernel, nu)
    return out
