"""Generic kernels written against the Array API standard only.

They run on any namespace (numpy, CuPy, torch, ``array_api_strict``, ...) and are
the reference for the other kernel sets: same module layout, same kernel names,
same contracts as ``rnla.backend.cpu`` (which adds kernels on the component arrays
of scipy.sparse matrices, and the LP kernels).
"""

from rnla.backend.xp.features import (
    cos_phase,
    cos_sin,
    distance_kernel,
    gaussian_from_gram,
    sinc_box_sum,
)
from rnla.backend.xp.lstsq import min_norm_solve, normal_residual
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
    "uniforms", "gaussian_block", "fwht", "sparse_sign_draw", "sparse_sign_apply",
    "sparse_sign_apply_transpose", "gather_rows", "scatter_rows", "normal_residual",
    "min_norm_solve",
    "cos_sin", "cos_phase", "sinc_box_sum", "gaussian_from_gram", "distance_kernel",
]
