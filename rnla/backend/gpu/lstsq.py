"""CuPy lstsq kernels: the generic ones of ``rnla.backend.xp.lstsq`` (no RawKernel has yet
been measured to pay)."""

from rnla.backend.xp.lstsq import (
    normal_residual,
)

__all__ = [
    "normal_residual",
]
