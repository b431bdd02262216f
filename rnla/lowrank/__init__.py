"""Randomized low-rank approximation (docs/lowrank.md).

``svd`` (subspace iteration, block Krylov, adaptive rank for a tolerance, implicit
centering), ``range_finder``, ``eigh`` (symmetric, block Krylov with Rayleigh-Ritz),
``nystrom`` (positive semidefinite, shifted Nystrom), ``interpolative`` (column and
two-sided interpolative decompositions), ``single_pass_svd`` (one read of A: Dask
arrays, memmaps, streams of row blocks), ``rpcholesky`` (column Nystrom of kernel
matrices), ``kernel_ridge`` (Nystrom-preconditioned CG) and ``NystromPreconditioner``.
Every result reports ``error_estimate`` with its ``confidence`` and its cost in
``n_passes`` and ``n_matvecs``.
"""

from rnla.lowrank._operator import MatrixFreeOperator
from rnla.lowrank._result import EighResult, InterpolativeResult, SVDResult
from rnla.lowrank.kernel_ridge import KernelRidgeResult, kernel_ridge
from rnla.lowrank.preconditioner import NystromPreconditioner
from rnla.lowrank.rpcholesky import NystromResult, rpcholesky
from rnla.lowrank.single_pass import SinglePassSketch, single_pass_svd
from rnla.lowrank.singular import range_finder, svd
from rnla.lowrank.skeleton import interpolative
from rnla.lowrank.symmetric import eigh, nystrom

__all__ = ["rpcholesky", "NystromResult", "kernel_ridge", "KernelRidgeResult",
           "NystromPreconditioner", "svd", "range_finder", "eigh", "nystrom",
           "interpolative", "single_pass_svd",
           "SinglePassSketch", "MatrixFreeOperator", "SVDResult", "EighResult",
           "InterpolativeResult"]
