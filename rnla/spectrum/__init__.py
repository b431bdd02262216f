"""Matrix-free spectral estimation (docs/spectrum.md).

``trace`` (XTrace, XNysTrace, Hutch++, Hutchinson), ``diagonal`` (XDiag,
Hutchinson), ``trace_function`` with ``logdet`` and ``trace_inverse`` (stochastic
Lanczos quadrature, deflated by a block Krylov space), ``spectral_density`` (SLQ with
Gaussian broadening, or the kernel polynomial method) and ``norm_estimate`` (spectral
norm and condition number by block Krylov iteration).  A is anything that multiplies
blocks of vectors: an array, a sparse matrix, a scipy ``LinearOperator`` or a
:class:`MatrixFreeOperator` (a torch or JAX Hessian-vector product).  Every result
reports ``error_estimate`` with its ``confidence`` and its cost in ``n_matvecs``.
"""

from rnla.lowrank._operator import MatrixFreeOperator
from rnla.spectrum._result import DiagonalResult, NormResult, SpectralDensity, TraceResult
from rnla.spectrum.density import spectral_density
from rnla.spectrum.functions import logdet, trace_function, trace_inverse
from rnla.spectrum.norm import norm_estimate
from rnla.spectrum.trace_diagonal import diagonal, trace

__all__ = ["trace", "diagonal", "trace_function", "logdet", "trace_inverse",
           "spectral_density", "norm_estimate", "MatrixFreeOperator", "TraceResult",
           "DiagonalResult", "NormResult", "SpectralDensity"]
