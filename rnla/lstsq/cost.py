"""The cost model of the least-squares drivers: the sketch size, the path ``method="auto"``
takes, and the iteration budget."""

from __future__ import annotations

import math

__all__ = ["default_sketch_size", "choose_method", "iteration_count", "iteration_limit"]

# Cost model, in seconds, fitted (relative least squares) to timings of both paths on
# 2 cores (docs/lstsq.md).  A pass over A costs _T_PASS per stored entry, plus _T_ROW per
# row for sparse A (CSR rows of few entries), plus _T_ITER per iteration; the R factor
# of a sketch of gamma d rows costs _T_QR gamma d^3 and the sketch _T_SKETCH per stored
# entry.  At the default tol a sketch of gamma d rows takes about _PASSES[gamma] passes,
# backward-error checks included.  LAPACK's gelsd costs n d (_T_DIRECT + _T_DIRECT_D d).
# Dense A with fewer than _MIN_SKETCH_ENTRIES entries is always solved directly: there
# the fixed costs of the parallel passes decide, and LAPACK measured as fast or faster.
_T_PASS = 0.156e-9
_T_ROW = 10e-9
_T_ITER = 0.117e-3
_T_QR = 0.25e-9
_T_SKETCH = 3.5e-9
_PASSES = {4: 49, 8: 39, 16: 32}
_T_DIRECT = 1.8e-8
_T_DIRECT_D = 0.065e-9
_MIN_SKETCH_ENTRIES = 2**20
#: sparse A is solved directly only if its dense copy has at most this many entries
_DENSE_LIMIT = 2**26
def _sketched_cost(n: int, d: int, nnz: int | None, gamma: int) -> float:
    """Modelled seconds of the sketched solve with a sketch of gamma d rows (dense A
    when ``nnz`` is None)."""
    per_pass = _T_ITER + (_T_PASS * n * d if nnz is None else _T_PASS * nnz + _T_ROW * n)
    return (_PASSES[gamma] * per_pass + _T_QR * gamma * d**3
            + _T_SKETCH * (n * d if nnz is None else nnz))


def default_sketch_size(n: int, d: int, nnz: int | None = None) -> int:
    """Default rows of the sketch: ``min(gamma d, n)`` with gamma 4, 8 or 16.

    With m = gamma d rows a Gaussian-like sketch has preconditioned condition
    number about (1 + gamma^{-1/2}) / (1 - gamma^{-1/2}) (Marchenko-Pastur), so
    that each iteration gains a factor of about sqrt(gamma): reaching the unit
    roundoff takes about 49 passes over A at gamma = 4, 39 at 8 and 32 at 16
    (measured, backward-error checks included), against O(gamma d^3) to factor
    the sketch.  The gamma of least modelled cost wins (see :func:`choose_method`):
    16 when passes are expensive against the factorisation (dense A with n much
    larger than d^2), 4 when they are cheap (sparse A) or when d is large.

    Parameters
    ----------
    n, d : int
        Shape of A.
    nnz : int, optional
        Stored entries of A (default n d, dense).

    Returns
    -------
    int

    Examples
    --------
    >>> from rnla.lstsq import default_sketch_size
    >>> default_sketch_size(100_000, 50), default_sketch_size(2**18, 512)
    (800, 4096)
    >>> default_sketch_size(1_000_000, 1000, nnz=1_000_000)
    4000
    """
    gamma = min(_PASSES, key=lambda g: _sketched_cost(n, d, nnz, g))
    return min(gamma * d, n)


def choose_method(shape: tuple[int, int], nnz: int | None = None,
                  sketch_size: int | None = None) -> str:
    r"""The path ``method="auto"`` takes for an n x d problem: ``"direct"`` or ``"precondition"``.

    A sketch of m rows gains nothing unless m is well below n (m <= n/2).
    Otherwise the modelled times decide:

    .. math:: t_\mathrm{direct} = n d \, (a + b d), \qquad
              t_\mathrm{sketch} = p_\gamma (c \, \mathrm{nnz}(A) + e \, n_\mathrm{sparse} + f)
              + g \, m d^2 + h \, \mathrm{nnz}(A),

    with :math:`p_\gamma` the passes over A a sketch of m = gamma d rows needs and
    constants fitted to timings of both paths on 2 cores (docs/lstsq.md).  Dense A
    with fewer than 2^20 entries is always solved directly (the fixed costs of
    parallel passes decide there); above, the sketch pays for nearly every shape
    with n >= 8 d.  A sparse A whose dense copy would exceed 2^26 entries is never
    densified.

    Parameters
    ----------
    shape : tuple of int
        ``(n, d)``.
    nnz : int, optional
        Stored entries of A (default n d, dense).
    sketch_size : int, optional
        Rows of the sketch (default ``default_sketch_size(n, d, nnz)``).

    Returns
    -------
    str

    Examples
    --------
    >>> from rnla.lstsq import choose_method
    >>> choose_method((2000, 20)), choose_method((10_000, 50)), choose_method((200_000, 500))
    ('direct', 'direct', 'precondition')
    >>> choose_method((100_000, 50), nnz=500_000)
    'precondition'
    """
    n, d = shape
    m = default_sketch_size(n, d, nnz) if sketch_size is None else sketch_size
    if 2 * m > n:
        return "direct"
    if nnz is None and n * d < _MIN_SKETCH_ENTRIES:
        return "direct"
    if nnz is not None and n * d > _DENSE_LIMIT:
        return "precondition"
    gamma = min(_PASSES, key=lambda g: abs(g * d - m))
    t_direct = n * d * (_T_DIRECT + _T_DIRECT_D * d)
    t_sketch = _sketched_cost(n, d, nnz, gamma) + _T_QR * (m - gamma * d) * d * d
    return "direct" if t_direct <= t_sketch else "precondition"


def iteration_count(tol: float, gamma: float) -> float:
    """k(tol) = 2 ln(2/tol) / ln(gamma), the LSQR count for a Gaussian sketch of
    gamma d rows, whose preconditioned condition number is about
    (sqrt(gamma) + 1)/(sqrt(gamma) - 1) (Meng, Saunders and Mahoney 2014, LSRN);
    gamma is floored at 1.5."""
    return 2.0 * math.log(2.0 / tol) / math.log(max(gamma, 1.5))


def iteration_limit(tol: float, gamma: float) -> int:
    """2 k(tol) + 10 iterations, k(tol) from :func:`iteration_count`."""
    return int(2 * math.ceil(iteration_count(tol, gamma)) + 10)
