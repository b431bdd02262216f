"""CPU kernels (numba) for numpy arrays and scipy.sparse components.

One module per capability (``sketch``, ``lstsq``, ``features``, ``lp``); the
kernels of ``sketch``, ``lstsq`` and ``features`` have the same names and
contracts as those of ``rnla.backend.xp``.  Every parallel kernel partitions its
work by the problem size, never by the thread count, so results are bitwise the
same for any number of threads.
"""

from rnla.backend.cpu.features import (
    cos_phase,
    cos_sin,
    distance_kernel,
    gaussian_from_gram,
    sinc_box_sum,
)
from rnla.backend.cpu.lp import (
    coordinate_steps,
    dbscd_steps,
    lp_certificates,
    lp_penalties,
    pdhg_steps,
)
from rnla.backend.cpu.lstsq import (
    column_maxabs,
    min_norm_solve,
    normal_residual,
    normal_residual_csr,
    normal_residual_for,
)
from rnla.backend.cpu.sketch import (
    fwht,
    gather_rows,
    gaussian_block,
    scatter_rows,
    sparse_sign_apply,
    sparse_sign_apply_csc,
    sparse_sign_apply_csr,
    sparse_sign_apply_transpose,
    sparse_sign_draw,
    uniforms,
)

__all__ = [
    "uniforms", "gaussian_block", "fwht", "sparse_sign_draw", "sparse_sign_apply",
    "sparse_sign_apply_csr", "sparse_sign_apply_csc", "sparse_sign_apply_transpose",
    "gather_rows", "scatter_rows", "normal_residual", "min_norm_solve", "normal_residual_csr",
    "normal_residual_for", "column_maxabs",
    "cos_sin", "cos_phase", "sinc_box_sum", "gaussian_from_gram", "distance_kernel",
    "lp_penalties", "dbscd_steps", "coordinate_steps", "lp_certificates", "pdhg_steps",
]
