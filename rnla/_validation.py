"""Argument checks shared by every public entry point.

Messages name the argument, what it got and what was expected, e.g.
"`k` must be an int in [1, 100]; got 0".  Nothing here modifies its input.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = [
    "check_host",
    "library_of",
    "check_array",
    "check_matrix",
    "check_operand",
    "check_finite_result",
    "check_int",
    "check_real",
    "check_option",
    "check_probabilities",
    "extreme_scale",
    "column_maxabs",
    "column_powers_of_two",
    "float_dtype",
]


#: array libraries whose arrays rnla must not convert: ``numpy.asarray`` would copy a
#: device array to the host or compute a whole Dask graph behind the caller's back
_FOREIGN = ("dask", "cupy", "cupyx", "torch", "jax", "jaxlib", "array_api_strict",
            "tensorflow", "xarray")


def library_of(value) -> str:
    """The top-level package that defines ``value``'s type (``"numpy"``, ``"dask"``, ...)."""
    return type(value).__module__.split(".")[0]


def _refuse_dask(value, name: str) -> None:
    if library_of(value) == "dask":
        raise TypeError(f"`{name}` is a Dask array ({type(value).__name__}); this part of "
                        "rnla does not take Dask arrays and never computes a Dask graph "
                        "behind your back: compute the part you need first (for example "
                        "`A.compute()` if it fits in memory).  Sketches, lstsq/ridge, "
                        "leverage scores and the feature maps take Dask arrays "
                        "(docs/distributed.md)")


def check_host(value, name: str, what: str = "this part of rnla") -> None:
    """Refuse an array of another library (Dask, CuPy, torch, any Array-API array that is
    not numpy) with a ``TypeError``, for the host-only parts of rnla (``what``), which
    compute on numpy arrays and scipy.sparse matrices and never convert another
    library's array silently."""
    if isinstance(value, np.ndarray) or sp.issparse(value):
        return
    _refuse_dask(value, name)
    library = library_of(value)
    if library in _FOREIGN or (hasattr(value, "__array_namespace__") and library != "numpy"):
        raise TypeError(f"`{name}` is an array of {library} ({type(value).__name__}); {what} "
                        "computes on numpy arrays and scipy.sparse matrices only and does not "
                        "convert other arrays silently: convert it with numpy.asarray "
                        "(or `.get()` for CuPy) if that is intended")


def check_array(A, xp, name: str = "A", *, ndim: tuple[int, ...] = (2,), min_rows: int = 1,
                check_finite: bool = True):
    """Validate an array of the Array-API namespace ``xp`` without leaving its device.

    Keeps float32/float64, converts integers and bools to float64, refuses complex
    and other dtypes (``TypeError``), wrong dimensions, empty arrays and (unless
    ``check_finite=False``) NaN/inf (``ValueError``), each message naming ``name``.
    """
    if not hasattr(xp, "linalg"):
        raise TypeError(f"`{name}`: the array library {xp.__name__} has no `linalg` "
                        "extension, which rnla needs")
    if A.ndim not in ndim:
        raise ValueError(f"`{name}` must be {' or '.join(f'{d}-D' for d in ndim)}; got "
                         f"{A.ndim}-D with shape {tuple(A.shape)}")
    if A.shape[0] < min_rows or (A.ndim == 2 and A.shape[1] < 1):
        raise ValueError(f"`{name}` must be non-empty; got shape {tuple(A.shape)}")
    if A.dtype in (xp.float32, xp.float64):
        pass
    elif xp.isdtype(A.dtype, ("integral", "bool")):
        A = xp.astype(A, xp.float64)
    elif xp.isdtype(A.dtype, "complex floating"):
        raise TypeError(f"`{name}` must be real; got complex dtype {A.dtype}")
    else:
        raise TypeError(f"`{name}` must have dtype float32 or float64 (or an integer dtype); "
                        f"got {A.dtype}")
    if check_finite and not bool(xp.all(xp.isfinite(A))):
        bad = "NaN" if bool(xp.any(xp.isnan(A))) else "inf"
        raise ValueError(f"`{name}` must contain only finite values; got {bad}")
    return A


def float_dtype(dtype, name: str = "A") -> np.dtype:
    """Return the floating dtype rnla computes in for input ``dtype``.

    float32 and float64 are kept; integers and bools become float64; float16
    becomes float32.  Complex and non-numeric dtypes raise ``TypeError``.
    """
    dtype = np.dtype(dtype)
    if dtype == np.float32 or dtype == np.float64:
        return dtype
    if dtype == np.float16:
        return np.dtype(np.float32)
    if np.issubdtype(dtype, np.integer) or dtype == np.bool_:
        return np.dtype(np.float64)
    if np.issubdtype(dtype, np.floating):
        return np.dtype(np.float64)
    if np.issubdtype(dtype, np.complexfloating):
        raise TypeError(f"`{name}` must be real; got complex dtype {dtype}")
    raise TypeError(f"`{name}` must have a numeric dtype; got {dtype}")


def _check_finite(values: np.ndarray, name: str) -> None:
    # Sum first (O(1) extra memory); scan only when the sum is not finite,
    # since a finite array can still overflow its sum.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(values.sum()):
            return
    if not np.isfinite(values).all():
        bad = "NaN" if np.isnan(values).any() else "inf"
        raise ValueError(f"`{name}` must contain only finite values; got {bad}")


def check_matrix(A, name: str = "A", *, allow_sparse: bool = True, min_rows: int = 1,
                 check_finite: bool = True):
    """Validate a 2-D matrix and return it in a float dtype rnla computes with.

    Dense input becomes a numpy array (order kept); sparse input must be a
    scipy.sparse matrix or array (CSR and CSC kept, other formats become CSR).
    The input is never modified: a conversion makes a copy.  With
    ``check_finite=False`` the caller takes over the NaN/inf check (see
    ``check_finite_result``).
    """
    if sp.issparse(A):
        if not allow_sparse:
            raise TypeError(f"`{name}` must be a dense array; got scipy.sparse {A.format}")
        if A.ndim != 2:
            raise ValueError(f"`{name}` must be 2-D; got {A.ndim}-D")
        dtype = float_dtype(A.dtype, name)
        if A.format not in ("csr", "csc"):
            A = A.tocsr()
        if A.dtype != dtype:
            A = A.astype(dtype)
        if A.shape[0] < min_rows or A.shape[1] < 1:
            raise ValueError(f"`{name}` must be non-empty; got shape {A.shape}")
        if check_finite:
            _check_finite(A.data, name)
        return A
    check_host(A, name)
    if not hasattr(A, "__array__") and not isinstance(A, (list, tuple)):
        raise TypeError(f"`{name}` must be an array-like or scipy.sparse matrix; got "
                        f"{type(A).__name__}")
    A = np.asarray(A)
    if A.dtype == object:
        raise TypeError(f"`{name}` must have a numeric dtype; got object")
    if A.ndim != 2:
        raise ValueError(f"`{name}` must be 2-D; got {A.ndim}-D with shape {A.shape}")
    if A.shape[0] < min_rows or A.shape[1] < 1:
        raise ValueError(f"`{name}` must be non-empty; got shape {A.shape}")
    dtype = float_dtype(A.dtype, name)
    if A.dtype != dtype:
        A = A.astype(dtype, order="K")
    if check_finite:
        _check_finite(A, name)
    return A


def extreme_scale(M) -> float:
    """1, or the power of two that brings the largest ``|M_ij|`` near 1 when it lies
    outside [1e-100, 1e100].

    Multiplying by a power of two is exact, so a caller whose answer is invariant to
    the scale of its input (least squares, leverage scores) uses it to keep squares
    and sums of squares inside the floating-point range; one pass over M, no copy.
    """
    values = M.data if sp.issparse(M) else M
    if values.size == 0:
        return 1.0
    top = max(abs(float(values.max())), abs(float(values.min())))
    if top == 0.0 or 1e-100 <= top <= 1e100:
        return 1.0
    return float(np.ldexp(1.0, int(np.clip(-round(np.log2(top)), -1000, 1000))))


def column_maxabs(M) -> np.ndarray:
    """``max_i |M_ij|`` per column of a host matrix (dense or scipy.sparse), float64, one
    pass and no copy of a dense M."""
    if sp.issparse(M):
        return np.asarray(abs(sp.csc_array(M)).max(axis=0).toarray()).ravel().astype(np.float64)
    if M.shape[0] == 0:
        return np.zeros(M.shape[1])
    return np.maximum(M.max(axis=0), -M.min(axis=0)).astype(np.float64)


def column_powers_of_two(maxabs) -> np.ndarray:
    """The column equilibration ``D_j = 2^-e_j`` with ``max_i |M_ij| = f 2^e_j``,
    ``f`` in [0.5, 1): every nonzero column of ``M D`` has its largest entry in [0.5, 1),
    and the scaling is exact (zero columns keep ``D_j = 1``).

    Rank decisions made on ``M D`` do not depend on the units of M's columns: scaling a
    column by a power of two gives the same ``M D`` bit for bit, by any other positive
    factor the same to rounding.
    """
    m = np.asarray(maxabs, dtype=np.float64)
    out = np.ones_like(m)
    live = (m > 0) & np.isfinite(m)
    # exponents clipped so that D stays a normal number (subnormal columns keep a few bits)
    out[live] = np.ldexp(1.0, np.clip(-np.frexp(m[live])[1], -1022, 1023))
    return out


def check_finite_result(result, A, name: str = "A") -> None:
    """Deferred NaN/inf check for a linear map in which every entry of A reaches
    the (much smaller) result with a nonzero coefficient: NaN and inf in A then
    always make the result non-finite, so A is scanned only when it is."""
    values = result.data if sp.issparse(result) else result
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(values.sum()):
            return
    _check_finite(A.data if sp.issparse(A) else A, name)
    warnings.warn(f"the result overflowed although `{name}` is finite", RuntimeWarning,
                  stacklevel=3)


def check_operand(A, n: int, name: str = "A", *, check_finite: bool = True):
    """Validate the right operand of a sketch ``S @ A`` with ``S`` of shape (k, n).

    Returns ``(A2, was_vector)`` where ``A2`` is 2-D with ``n`` rows.
    """
    check_host(A, name)
    if not sp.issparse(A) and np.ndim(A) == 1:
        v = np.asarray(A)
        if v.shape[0] != n:
            raise ValueError(f"`{name}` must have length {n} (the sketch's n); got {v.shape[0]}")
        return check_matrix(v.reshape(-1, 1), name, check_finite=check_finite), True
    A = check_matrix(A, name, check_finite=check_finite)
    if A.shape[0] != n:
        raise ValueError(
            f"`{name}` must have {n} rows (the sketch's n); got shape {A.shape}"
        )
    return A, False


def check_linear_operator(A, n: int | None, name: str = "A"
                          ) -> tuple[spla.LinearOperator, np.dtype]:
    """Validate a ``scipy.sparse.linalg.LinearOperator``: 2-D, non-empty, ``n`` rows (when
    given) and a real dtype.  Returns it with the float dtype rnla computes in."""
    if len(A.shape) != 2 or min(A.shape) < 1:
        raise ValueError(f"`{name}` must be a non-empty 2-D operator; got shape {A.shape}")
    if n is not None and A.shape[0] != n:
        raise ValueError(f"`{name}` must have {n} rows (the sketch's n); got shape {A.shape}")
    return A, float_dtype(np.dtype(A.dtype if A.dtype is not None else np.float64), name)


def check_int(value, name: str, low: int | None = None, high: int | None = None) -> int:
    """Check that ``value`` is an int in the closed interval [low, high]."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"`{name}` must be an int; got {type(value).__name__} {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"`{name}` must be an int in [{lo}, {hi}]; got {value}")
    return value


def check_real(value, name: str, low: float | None = None, high: float | None = None,
               *, low_open: bool = False, high_open: bool = False) -> float:
    """Check that ``value`` is a finite real in an interval (open or closed ends)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"`{name}` must be a real number; got {type(value).__name__}")
    value = float(value)
    ok = np.isfinite(value)
    if low is not None:
        ok &= value > low if low_open else value >= low
    if high is not None:
        ok &= value < high if high_open else value <= high
    if not ok:
        lb = "(" if low_open else "["
        rb = ")" if high_open else "]"
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"`{name}` must be a finite real in {lb}{lo}, {hi}{rb}; got {value}")
    return value


def check_option(value, name: str, options) -> str:
    """Check that ``value`` is one of the string ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"`{name}` must be one of {sorted(options)}; got {value!r}")
    return value


def check_probabilities(p, n: int, name: str = "probabilities", *, xp=None) -> np.ndarray:
    """Check a probability vector of length ``n``: finite, >= 0, summing to 1; in its own
    namespace ``xp`` when that is not numpy."""
    if xp is not None and xp is not np:
        return _check_probabilities_namespace(p, n, name, xp)
    check_host(p, name)
    p = np.asarray(p)
    if p.dtype == object or not np.issubdtype(p.dtype, np.number) or np.iscomplexobj(p):
        raise TypeError(f"`{name}` must be a real numeric vector; got dtype {p.dtype}")
    p = p.astype(np.float64)
    if p.ndim != 1 or p.shape[0] != n:
        raise ValueError(f"`{name}` must be a vector of length {n}; got shape {p.shape}")
    if not np.isfinite(p).all():
        raise ValueError(f"`{name}` must contain only finite values")
    if (p < 0).any():
        raise ValueError(f"`{name}` must be non-negative; got min {p.min()}")
    total = p.sum()
    if abs(total - 1.0) > 1e-8 * max(1, n) ** 0.5:
        raise ValueError(f"`{name}` must sum to 1; got sum {total!r}")
    return p / total


def _check_probabilities_namespace(p, n: int, name: str, xp):
    p = xp.astype(check_array(p, xp, name, ndim=(1,)), xp.float64)
    if p.shape[0] != n:
        raise ValueError(f"`{name}` must be a vector of length {n}; got shape {tuple(p.shape)}")
    if bool(xp.any(p < 0)):
        raise ValueError(f"`{name}` must be non-negative; got min {float(xp.min(p))}")
    total = float(xp.sum(p))
    if abs(total - 1.0) > 1e-8 * max(1, n) ** 0.5:
        raise ValueError(f"`{name}` must sum to 1; got sum {total!r}")
    return p / total
