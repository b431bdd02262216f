"""CuPy sketch kernels: the generic ones of ``rnla.backend.xp.sketch`` (no RawKernel has yet
been measured to pay)."""

from rnla.backend.xp.sketch import (
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
    "uniforms",
    "gaussian_block",
    "fwht",
    "sparse_sign_draw",
    "sparse_sign_apply",
    "sparse_sign_apply_transpose",
    "gather_rows",
    "scatter_rows",
]
