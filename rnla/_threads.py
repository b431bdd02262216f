"""Thread pools: keep OpenBLAS from fighting the numba kernels for the cores.

OpenBLAS threads spin for a while after each call.  An algorithm that alternates
BLAS calls with numba kernels (the sketched solvers, L-BFGS on a numba objective,
the efficiency suite's draws) then runs its numba threads against spinning BLAS
threads: measured 3x to 50x slower on 2 cores.  Such an algorithm runs its BLAS
calls on one thread, inside ``one_blas_thread()``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import lru_cache

__all__ = ["one_blas_thread"]


@lru_cache(maxsize=1)
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()  # inspects the loaded libraries once, not at every call


def one_blas_thread() -> AbstractContextManager:
    """A context in which BLAS libraries (OpenBLAS, MKL, BLIS) use one thread."""
    return _controller().limit(limits=1, user_api="blas")
