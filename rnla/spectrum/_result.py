"""The result objects of the spectral estimators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rnla.lowrank._result import _Cost

__all__ = ["TraceResult", "DiagonalResult", "NormResult", "SpectralDensity"]

#: the fields every spectral estimate shares, documented once (appended to each docstring)
_SHARED = """    error_estimate : float
        A bound on the error of ``estimate`` that holds with probability about
        ``confidence`` (docs/spectrum.md: ``ERROR_Z`` standard errors for the
        stochastic estimators); 0 for an exact result.
    confidence : float
        The probability of that bound.
    n_passes : int
        Products with A (each a block of columns, one call of the operator).
    n_matvecs : int
        Columns multiplied in those products, all together.
    method : str
        The estimator that ran.
    status : Status
        ``"converged"``, or ``"maxiter"`` where an iteration cap came before ``tol``.
    message : str
        The outcome in words.
"""


@dataclass(repr=False)
class _Estimate(_Cost):
    """The shared fields of the low-rank results, with a one-line repr."""

    def __repr__(self) -> str:
        value = getattr(self, "estimate", None)
        shown = (f"{value:.6g}" if np.ndim(value) == 0 else
                 np.array2string(np.asarray(value), threshold=6, precision=4))
        return (f"{type(self).__name__}(estimate={shown}, error_estimate="
                f"{self.error_estimate:.3g}, method={self.method!r}, n_matvecs="
                f"{self.n_matvecs}, status={str(self.status)!r})")


@dataclass(repr=False)
class TraceResult(_Estimate):
    """An estimate of :math:`\\operatorname{tr} A` or :math:`\\operatorname{tr} f(A)`.

    Attributes
    ----------
    estimate : float
    standard_error : float
        The estimated standard deviation of ``estimate`` (from the spread of its
        exchangeable per-probe estimates); 0 for an exact result.
    """

    estimate: float = np.nan
    standard_error: float = np.nan

    def __float__(self) -> float:
        return float(self.estimate)


@dataclass(repr=False)
class DiagonalResult(_Estimate):
    """An estimate of :math:`\\operatorname{diag} A`.

    Attributes
    ----------
    estimate : array of shape (n,)
        In A's namespace and on its device.
    standard_error : host array of shape (n,)
        The estimated standard deviation of each entry; ``error_estimate`` bounds the
        Euclidean norm of the error, ``ERROR_Z`` times the root of their summed squares.
    """

    estimate: Any = None
    standard_error: Any = None


@dataclass(repr=False)
class NormResult(_Estimate):
    """The spectral norm :math:`\\|A\\|_2` and, where asked, the condition number.

    Attributes
    ----------
    estimate : float
        :math:`\\|A\\|_2` (a Ritz value: never above the true norm).
    condition_estimate : float
        :math:`\\|A\\|_2 \\|A^{-1}\\|_2` (``cond=True``), else NaN.
    """

    estimate: float = np.nan
    condition_estimate: float = np.nan

    def __float__(self) -> float:
        return float(self.estimate)


@dataclass(repr=False)
class SpectralDensity(_Estimate):
    """An estimate of the spectral density :math:`\\phi(t) = \\frac1n \\sum_i
    \\delta(t - \\lambda_i)` of a symmetric A, as a quadrature measure and smoothed
    on a grid.

    Attributes
    ----------
    grid : host array of shape (g,)
    density : host array of shape (g,)
        The smoothed density on ``grid`` (it integrates to about 1).
    nodes, weights : host arrays
        The quadrature measure :math:`\\sum_j w_j \\delta(t - t_j)` (SLQ; weights sum
        to 1), whose moments are unbiased estimates of :math:`\\operatorname{tr}(A^p)/n`;
        empty for the kernel polynomial method.
    broadening : float
        The width of the smoothing kernel (Gaussian standard deviation for SLQ; the
        Jackson kernel's resolution for KPM).
    estimate : float
        The estimated mean eigenvalue :math:`\\operatorname{tr}(A)/n`.
    """

    grid: Any = None
    density: Any = None
    nodes: Any = None
    weights: Any = None
    broadening: float = np.nan
    estimate: float = np.nan
    _probe_nodes: Any = None
    _probe_weights: Any = None
    _fixed_nodes: Any = None
    _fixed_weights: Any = None

    def moments(self, orders=(1, 2, 3, 4)) -> tuple[np.ndarray, np.ndarray]:
        """The moments :math:`\\operatorname{tr}(A^p)/n` of the SLQ measure and their
        standard errors (from the spread over probes).

        Parameters
        ----------
        orders : sequence of int

        Returns
        -------
        (moments, standard_errors) : host arrays of shape (len(orders),)
        """
        if self._probe_nodes is None:
            raise ValueError("moments need the SLQ measure; this density came from "
                             "method='kpm'")
        orders = np.asarray(orders, dtype=float)
        fixed = (self._fixed_weights[None, :] * self._fixed_nodes[None, :]
                 ** orders[:, None]).sum(axis=1)
        per_probe = (self._probe_weights[None] * self._probe_nodes[None]
                     ** orders[:, None, None]).sum(axis=1)
        m = per_probe.shape[1]
        error = per_probe.std(axis=1, ddof=1) / np.sqrt(m) if m > 1 else \
            np.full(orders.size, np.nan)
        return fixed + per_probe.mean(axis=1), error

    def plot(self, ax=None, **kwargs):
        """Plot the density on its grid (matplotlib, imported here).

        Parameters
        ----------
        ax : matplotlib Axes, optional
        **kwargs
            Passed to ``ax.plot``.

        Returns
        -------
        matplotlib Axes
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as error:  # pragma: no cover - depends on the install
            raise ImportError("SpectralDensity.plot needs matplotlib: pip install "
                              "matplotlib (or rnla[bench])") from error
        if ax is None:
            ax = plt.gca()
        ax.plot(self.grid, self.density, **kwargs)
        ax.set_xlabel("eigenvalue")
        ax.set_ylabel("density")
        return ax


for _record in (TraceResult, DiagonalResult, NormResult, SpectralDensity):
    _record.__doc__ = _record.__doc__.rstrip() + "\n" + _SHARED
