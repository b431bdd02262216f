"""CuPy features kernels: the generic ones of ``rnla.backend.xp.features`` (no RawKernel has yet
been measured to pay)."""

from rnla.backend.xp.features import (
    cos_phase,
    cos_sin,
    sinc_box_sum,
)

__all__ = [
    "cos_sin",
    "cos_phase",
    "sinc_box_sum",
]
