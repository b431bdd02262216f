r"""Validation and the reduction of a positive LP to the standard packing form.

The standard pair, for a nonnegative m x n matrix A, is

.. math::

    \text{packing: } \max 1^Tx \ \text{s.t.}\ Ax \le 1,\ x \ge 0; \qquad
    \text{covering: } \min 1^Ty \ \text{s.t.}\ A^Ty \ge 1,\ y \ge 0,

duals of each other with a common optimum OPT.  A general packing LP
:math:`\max w^Tu` s.t. :math:`Mu \le h` (M, w, h > 0 entrywise where it matters)
becomes standard by :math:`\tilde A_{ji} = M_{ji}/(h_j w_i)`, :math:`\tilde x = w \circ u`,
:math:`\tilde y = h \circ v`, and then by dividing :math:`\tilde A` by the smallest
column maximum s so that :math:`\min_i \max_j \hat A_{ji} = 1`, which puts OPT in [1, n]
(the smoothing constants need it): :math:`\hat x = s \tilde x`, :math:`\hat y = s \tilde y`.
Every map is exact, so the relative guarantee carries over.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rnla._validation import check_host, check_matrix


def check_nonnegative_matrix(A, name: str = "A") -> sp.csc_array:
    """A as a float64 CSC array, after checking it is finite, nonnegative, non-empty."""
    if sp.issparse(A) or hasattr(A, "__array__") or isinstance(A, (list, tuple)):
        check_host(A, name, "rnla.lp (host-only)")
        A = check_matrix(A, name)
    else:
        raise TypeError(f"`{name}` must be an array-like or scipy.sparse matrix; got "
                        f"{type(A).__name__}")
    A = sp.csc_array(A, dtype=np.float64, copy=True)
    A.eliminate_zeros()
    if A.nnz and A.data.min() < 0:
        k = int(np.argmin(A.data))
        col = int(np.searchsorted(A.indptr, k, side="right") - 1)
        raise ValueError(f"`{name}` must be nonnegative (a positive LP); got "
                         f"{A.data[k]:g} at row {int(A.indices[k])}, column {col}")
    return A


def check_positive_vector(v, size: int, name: str, what: str) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64) if not isinstance(v, np.ndarray) else v
    if v.dtype.kind not in "fiub":
        raise TypeError(f"`{name}` must be a real vector; got dtype {v.dtype}")
    v = v.astype(np.float64)
    if v.shape != (size,):
        raise ValueError(f"`{name}` must have shape ({size},) ({what}); got {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"`{name}` must be finite; got NaN or inf")
    if np.any(v <= 0):
        k = int(np.argmin(v))
        raise ValueError(f"`{name}` must be positive; got {v[k]:g} at index {k}")
    return v


def check_eps(eps) -> float:
    try:
        eps = float(eps)
    except (TypeError, ValueError):
        raise TypeError(f"`eps` must be a float in (0, 0.5]; got {eps!r}") from None
    if not (0.0 < eps <= 0.5):
        raise ValueError(f"`eps` must be in (0, 0.5]; got {eps:g}")
    return eps


@dataclass
class StandardForm:
    """A packing LP in standard form, with the maps back to the user's units.

    ``A`` is the normalized m x n CSC matrix (column maxima >= 1, the smallest = 1),
    ``csr`` the same in CSR, ``upper`` the box bounds 1/a_i; a standard packing x maps
    back to ``x * col_factor``
    and a standard covering y to ``y * row_factor``; objectives divide by ``scale``.
    """

    A: sp.csc_array
    csr: sp.csr_array
    col_factor: np.ndarray
    row_factor: np.ndarray
    scale: float
    #: ``(r, c)`` with ``A_ji = r_j c_i`` on every stored entry when the user's matrix
    #: has one value (a 0/1 matrix), else None: PDHG then reads no data arrays
    pattern_scales: tuple[np.ndarray, np.ndarray] | None = None

    def __post_init__(self):
        #: the kernels' view of A: CSC arrays with int64 indices, and the CSR pattern
        self.csc_arrays = (self.A.indptr.astype(np.int64), self.A.indices.astype(np.int64),
                           self.A.data)
        self.row_pattern = (self.csr.indptr.astype(np.int64), self.csr.indices.astype(np.int64))
        #: the box 0 <= x_i <= 1/a_i, a_i the column maxima
        self.upper = 1.0 / np.maximum.reduceat(self.A.data, self.A.indptr[:-1])


def standard_form(M: sp.csc_array, w: np.ndarray | None, h: np.ndarray | None,
                  zero_column_error: str) -> StandardForm:
    """Scale the packing LP max w^T u s.t. M u <= h (w, h default to ones).

    An all-zero column of M raises ``ValueError(zero_column_error.format(i=column))``:
    the packing LP is unbounded in it (and its covering dual infeasible).
    """
    m, n = M.shape
    col_nnz = np.diff(M.indptr)
    if np.any(col_nnz == 0):
        raise ValueError(zero_column_error.format(i=int(np.flatnonzero(col_nnz == 0)[0])))
    w = np.ones(n) if w is None else w
    h = np.ones(m) if h is None else h
    A = M.copy()
    A.data /= h[A.indices]
    A.data /= np.repeat(w, col_nnz)
    s = float(np.maximum.reduceat(A.data, A.indptr[:-1]).min())
    A.data /= s
    one_value = M.data.size > 0 and bool(np.all(M.data == M.data[0]))
    pattern = (M.data[0] / h, 1.0 / (s * w)) if one_value else None
    return StandardForm(A=A, csr=sp.csr_array(A), col_factor=1.0 / (s * w),
                        row_factor=1.0 / (s * h), scale=s, pattern_scales=pattern)
