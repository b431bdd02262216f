"""Kernels for CuPy arrays.

The generic Array-API kernels of ``rnla.backend.xp``, run by CuPy on the device.
A kernel is replaced here by a CuPy ``RawKernel`` or ``ElementwiseKernel`` only
where ``python -m bench.gpu`` measures that it pays; none is yet (see
docs/backend.md for what has and has not run on a GPU).
"""

from rnla.backend.gpu.features import cos_phase, cos_sin, sinc_box_sum
from rnla.backend.gpu.lstsq import normal_residual
from rnla.backend.gpu.sketch import (
    fwht,
    gather_rows,
    gaussian_block,
    scatter_rows,
    sparse_sign_apply,
    sparse_sign_apply_transpose,
    sparse_sign_draw,
    uniforms,
)

__all__ = [
    "uniforms", "gaussian_block", "fwht", "sparse_sign_draw", "sparse_sign_apply",
    "sparse_sign_apply_transpose", "gather_rows", "scatter_rows", "normal_residual",
    "cos_sin", "cos_phase", "sinc_box_sum",
]
