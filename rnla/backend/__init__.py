"""Backend layer: the only place that knows about numba, CuPy or Dask's chunking.

``engine_of(**operands)`` is the one dispatch point: from the arguments of a call it
decides the engine that computes it, an :class:`Engine`, and validates each operand
there (shape, dtype, finiteness where that engine checks it cheaply, laziness for
Dask), so an entry point validates once and algorithms never ask which library an
array comes from:

* numpy arrays, scipy.sparse matrices and scipy ``LinearOperator`` objects -> the
  ``"host"`` engine, on the numba kernels of ``rnla.backend.cpu``;
* any other Array-API array (CuPy, torch, ``array_api_strict``, ...) -> the ``"xp"``
  engine, on the generic kernels of ``rnla.backend.xp`` in the array's own namespace
  and device;
* Dask arrays -> the ``"dask"`` engine (``rnla.backend.dask``), chunk by chunk, lazily.

``kernels(xp)`` returns the kernel set for a namespace.  CuPy runs the generic kernels
(a CuPy ``RawKernel`` would replace one only where a GPU measured that it pays); CuPy and
Dask are never imported unless an input comes from them.  Inside ``generic_kernels()``
numpy inputs take the generic path too, for cross-checking the two sets.
"""

from __future__ import annotations

import contextlib
import contextvars
import numbers
from dataclasses import dataclass
from types import ModuleType

import array_api_compat
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from rnla._validation import check_array, check_host, check_matrix, column_maxabs, library_of

__all__ = ["Engine", "engine_of", "is_dask", "get_namespace", "kernels", "generic_kernels",
           "to_host"]

_GENERIC = contextvars.ContextVar("rnla_generic_kernels", default=False)


def get_namespace(*arrays) -> ModuleType:
    """Return the Array-API namespace of ``arrays`` (``None`` entries ignored).

    numpy arrays, scipy.sparse matrices, lists and scalars count as numpy (the
    plain ``numpy`` module is returned for them, unless ``generic_kernels()`` is
    active); mixing namespaces raises ``TypeError``.

    Parameters
    ----------
    *arrays : array objects or None
        The inputs of one call.

    Returns
    -------
    module
        ``numpy``, or the ``array_api_compat`` namespace of the inputs.
    """
    found = [array_api_compat.array_namespace(a) for a in arrays
             if a is not None and hasattr(a, "__array_namespace__")
             and not isinstance(a, np.ndarray)]
    if not found:
        return array_api_compat.array_namespace(np.empty(0)) if _GENERIC.get() else np
    first = found[0]
    if any(x is not first for x in found[1:]):
        raise TypeError(f"arrays must all come from one array library; got {found}")
    return first


def kernels(xp: ModuleType = np) -> ModuleType:
    """Return the kernel set for namespace ``xp``: ``cpu`` for numpy, ``xp`` otherwise.

    Parameters
    ----------
    xp : module, default=numpy
        A namespace from ``get_namespace``.

    Returns
    -------
    module
        ``rnla.backend.cpu`` (numba) for numpy, ``rnla.backend.xp`` (the Array API
        standard only) for any other namespace, CuPy included.
    """
    if xp is np:
        from rnla.backend import cpu

        return cpu
    from rnla.backend import xp as generic

    return generic


def is_dask(value) -> bool:
    """Whether ``value`` is a Dask collection (checked without importing Dask).

    Parameters
    ----------
    value : object

    Returns
    -------
    bool
    """
    return library_of(value) == "dask"


@dataclass(frozen=True)
class Engine:
    """The engine of one call: where its arrays live and what computes on them.

    Parameters
    ----------
    kind : {"host", "xp", "dask"}
        numpy/scipy on the numba kernels; an Array-API namespace on the generic kernels;
        Dask arrays chunk by chunk (each chunk a numpy array on the numba kernels).
    xp : module
        The namespace of the operands (numpy for ``"host"`` and ``"dask"``).
    """

    kind: str
    xp: ModuleType

    @property
    def kernels(self) -> ModuleType:
        """The kernel set that computes this engine's blocks."""
        return kernels(self.xp)

    def matrix(self, A, name: str = "A", *, ndim: tuple[int, ...] = (2,),
               check_finite: bool = True, allow_operator: bool = False):
        """``A`` validated in this engine: a real float matrix (or vector, with
        ``ndim``), non-empty, finite unless ``check_finite=False`` (Dask chunks are
        checked when they are computed), integers and bools as float64.

        Parameters
        ----------
        A : array, scipy.sparse matrix, LinearOperator or Dask array
        name : str
            The argument's name, for the error messages.
        ndim : tuple of int
            Allowed dimensions.
        check_finite : bool
            Scan for NaN/inf now (host and xp engines).
        allow_operator : bool
            Accept a scipy ``LinearOperator`` (host engine).

        Returns
        -------
        The validated operand, in its own library.
        """
        if self.kind == "dask":
            from rnla.backend.dask import check_dask_array

            return check_dask_array(A, name, ndim=ndim)
        if self.kind == "xp":
            return check_array(A, self.xp, name, ndim=ndim, check_finite=check_finite)
        if isinstance(A, spla.LinearOperator):
            if not allow_operator:
                raise TypeError(f"`{name}` must be an array or a sparse matrix here, not a "
                                "LinearOperator")
            return A
        if ndim == (2,):
            return check_matrix(A, name, check_finite=check_finite)
        check_host(A, name)
        if not sp.issparse(A) and np.ndim(A) in ndim and np.ndim(A) != 2:
            v = check_matrix(np.asarray(A).reshape(-1, 1), name, check_finite=check_finite)
            return v.reshape(-1)
        return check_matrix(A, name, check_finite=check_finite)


    def columns(self, b, n: int, name: str = "b", like=None):
        """``b`` as an (n, k) float64 operand of this engine, and whether it was a vector.

        Host: a C-order numpy array (scipy.sparse densified: it is a right-hand side).
        xp: an array of the namespace.  Dask: a Dask array with the row chunks of
        ``like`` and one column chunk (a numpy ``b`` moves into Dask lazily).

        Parameters
        ----------
        b : array of shape (n,) or (n, k)
        n : int
            The rows it must have.
        name : str
        like : Dask array, optional
            Whose row chunks a Dask ``b`` takes.

        Returns
        -------
        (B, was_vector)
        """
        if self.kind == "dask":
            from rnla.backend.dask import check_dask_array

            if library_of(b) == "dask":
                b = check_dask_array(b, name)
            else:
                check_host(b, name)
                b = np.asarray(b)
                if b.dtype == object or b.dtype.kind not in "fiub":
                    raise TypeError(f"`{name}` must be a real numeric array; got dtype {b.dtype}")
                import dask.array as da

                b = da.from_array(b.astype(np.float64),
                                  chunks=(like.chunks[0] if like is not None else "auto",)
                                  + b.shape[1:])
        elif self.kind == "xp":
            b = check_array(b, self.xp, name, ndim=(1, 2))
        else:
            check_host(b, name)
            b = np.asarray(b.toarray() if sp.issparse(b) else b)
        if b.ndim not in (1, 2):
            raise ValueError(f"`{name}` must be 1-D or 2-D; got {b.ndim}-D with shape "
                             f"{tuple(b.shape)}")
        if b.shape[0] != n:
            raise ValueError(f"`{name}` must have {n} rows (A's rows); got shape "
                             f"{tuple(b.shape)}")
        if b.ndim == 2 and b.shape[1] == 0:
            raise ValueError(f"`{name}` must have at least one column; got shape "
                             f"{tuple(b.shape)}")
        was_vector = b.ndim == 1
        if self.kind == "dask":
            B = (b[:, None] if was_vector else b).astype(np.float64)
            if like is not None and (B.chunks[0] != like.chunks[0] or len(B.chunks[1]) > 1):
                B = B.rechunk({0: like.chunks[0], 1: -1})
            return B, was_vector
        if self.kind == "xp":
            return self.xp.astype(self.xp.reshape(b, (n, -1)), self.xp.float64), was_vector
        B = check_matrix(b.reshape(n, -1), name)
        return np.ascontiguousarray(B, dtype=np.float64), was_vector

    def column_maxabs(self, A) -> np.ndarray:
        """``max_i |A_ij|`` per column as a host float64 vector (one pass over A; Dask
        computes it).

        Parameters
        ----------
        A : matrix of this engine (dense, sparse)

        Returns
        -------
        ndarray of shape (d,)
        """
        return np.asarray(self.compute(self.lazy_column_maxabs(A))[0], dtype=np.float64)

    def lazy_column_maxabs(self, A):
        """``column_maxabs`` as this engine's array (lazy for Dask, on the device for a
        namespace), to be computed with other small results in one ``compute``.

        Parameters
        ----------
        A : matrix of this engine

        Returns
        -------
        array of shape (d,)
        """
        if self.kind == "host":
            return column_maxabs(A) if sp.issparse(A) or A.shape[0] == 0 else \
                self.kernels.column_maxabs(A)
        return self.xp.max(self.xp.abs(A), axis=0)

    def take_rows(self, X, rows: np.ndarray):
        """Rows ``rows`` (a host index vector) of an operand of this engine, in its
        library (lazily for Dask).

        Parameters
        ----------
        X : matrix of this engine
        rows : ndarray of int

        Returns
        -------
        matrix of this engine
        """
        if self.kind == "xp":
            return self.xp.take(X, self.from_host(rows, X), axis=0)
        return X[rows]

    def map_rows(self, X, host, namespace, n_columns_in: int, n_columns_out: int):
        """A row-wise map of X computed in this engine: ``host(X)`` for numpy (each
        row chunk of a Dask array too, lazily), ``namespace(X, xp)`` for another
        namespace.

        Parameters
        ----------
        X : matrix of this engine, validated
        host : callable
            ndarray (rows, n_columns_in) -> ndarray (rows, n_columns_out).
        namespace : callable
            (array, xp) -> array, the same map in namespace xp.
        n_columns_in, n_columns_out : int

        Returns
        -------
        matrix of this engine
        """
        if self.kind == "dask":  # each chunk is validated when it is computed
            from rnla.backend.dask import map_rows

            return map_rows(lambda block: host(check_matrix(block, "X")), X, n_columns_in,
                            n_columns_out)
        return namespace(X, self.xp) if self.kind == "xp" else host(X)

    def compute(self, *arrays):
        """Small results of this engine as host (numpy) arrays: Dask graphs computed
        together, in one pass over what they share; device arrays copied to the host.

        Parameters
        ----------
        *arrays : arrays of this engine (or host arrays, or None)

        Returns
        -------
        tuple of ndarray (host arrays, scipy.sparse matrices and None unchanged)
        """
        if self.kind == "dask":
            import dask

            return tuple(dask.compute(*arrays))
        if self.kind == "xp":
            return tuple(None if a is None else to_host(a) for a in arrays)
        return arrays

    def from_host(self, x: np.ndarray, like):
        """A small host result in this engine's namespace, on ``like``'s device (numpy
        for the host and Dask engines).

        Parameters
        ----------
        x : ndarray
        like : operand of this engine

        Returns
        -------
        array
        """
        if self.kind != "xp":
            return x
        return self.xp.asarray(x, device=array_api_compat.device(like))

    def normal_residual(self, A):
        """This engine's fused pass for A: ``(X, B=None) -> (A^T (B - A X), ||B - A X||^2
        per column)`` with X (d x m) and the results (d x m, m) small float64 host arrays
        and B an operand of this engine (None for zero).  The Dask pass counts its
        ``passes`` and ``seconds``.

        Parameters
        ----------
        A : operand of this engine, shape (n, d)

        Returns
        -------
        callable
        """
        if self.kind == "host":
            from rnla.backend.cpu import normal_residual_for

            return normal_residual_for(A)
        if self.kind == "dask":
            from rnla.backend.dask import NormalResidualPass

            return NormalResidualPass(A)
        xp, K = self.xp, self.kernels
        device = array_api_compat.device(A)

        def normal_residual(X, B=None):
            G, rr = K.normal_residual(A, xp.asarray(X, dtype=A.dtype, device=device), B)
            return to_host(G).astype(np.float64), to_host(rr).astype(np.float64)
        return normal_residual

    def apply_sketch(self, S, A, name: str = "A"):
        """``S @ A`` computed by this engine: the sketch's host kernels, its namespace
        kernels, or chunk by chunk through ``S.apply_rows`` (Dask).

        Parameters
        ----------
        S : SketchOperator
        A : operand of this engine, shape (n,) or (n, d)
        name : str

        Returns
        -------
        array of this engine
        """
        if self.kind == "dask":
            from rnla.backend.dask import apply_sketch

            return apply_sketch(S, A, name)
        if self.kind == "xp":
            return S.apply_namespace(A, self.xp, name)
        return S.apply_host(A, name)


def engine_of(*, serves: tuple[str, ...] = ("host", "xp", "dask"), what: str = "this function",
              **operands) -> Engine:
    """The engine of a call from its named operands (``None`` and numbers skipped).

    A Dask first operand makes it the ``"dask"`` engine (host arrays beside it are
    allowed: they are small, or moved into Dask lazily by the caller; a Dask array
    beside a host first operand is refused); an Array-API array of
    another library than numpy makes it ``"xp"`` in that namespace; otherwise
    ``"host"``.  A mix of array libraries, a CuPy sparse matrix or a Dask array
    beside a device array is refused with a ``TypeError`` naming the arguments.

    Parameters
    ----------
    serves : tuple of {"host", "xp", "dask"}
        The engines the caller runs on; another is refused with a ``TypeError`` that
        names the argument and ``what`` refuses it.
    what : str
        The caller, for that message.
    **operands
        The call's array arguments by name.

    Returns
    -------
    Engine
    """
    seen = {}
    dask = []
    for name, value in operands.items():
        if value is None or isinstance(value, numbers.Number):
            continue
        library = library_of(value)
        if library == "dask":
            dask.append(name)
            continue
        if library == "cupyx":
            raise TypeError(f"`{name}` is a cupyx.scipy.sparse matrix; rnla takes dense CuPy "
                            f"arrays on the GPU: pass `{name}.toarray()`, or a scipy.sparse "
                            "matrix on the host")
        foreign = hasattr(value, "__array_namespace__") and not isinstance(value, np.ndarray)
        seen[name] = library if foreign else "numpy"
    libraries = set(seen.values())
    if len(libraries) > 1 or (dask and libraries - {"numpy"}):
        listing = ", ".join([f"`{n}` from {lib}" for n, lib in seen.items()]
                            + [f"`{n}` from dask" for n in dask])
        raise TypeError(f"arrays must all come from one array library (namespace in, "
                        f"namespace out); got {listing}")
    lead = next((n for n, v in operands.items()
                 if v is not None and not isinstance(v, numbers.Number)), None)
    if dask and lead not in dask:  # the first operand (A) decides; a Dask b alone does not
        raise TypeError(_REFUSALS["dask"].format(name=dask[0], what=what, library="dask"))
    if dask:
        engine = Engine("dask", np)
    else:
        xp = get_namespace(*(operands[n] for n in seen
                             if hasattr(operands[n], "__array_namespace__")))
        engine = Engine("host" if xp is np else "xp", xp)
    if engine.kind not in serves:
        name = (dask or [n for n in seen if seen[n] != "numpy"] or list(seen))[0]
        raise TypeError(_REFUSALS[engine.kind].format(name=name, what=what,
                                                      library=seen.get(name, "dask")))
    return engine


_REFUSALS = {
    "dask": "`{name}` is a Dask array; {what} does not take Dask arrays and never computes a "
            "Dask graph behind your back: compute the part you need first (for example "
            "`{name}.compute()` if it fits in memory)",
    "xp": "`{name}` is an array of {library}; {what} computes on numpy arrays and "
          "scipy.sparse matrices only and does not convert other arrays silently: convert it "
          "with numpy.asarray (or `.get()` for CuPy) if that is intended",
    "host": "{what} does not take numpy arrays",
}


@contextlib.contextmanager
def generic_kernels():
    """Within this context numpy inputs run on the generic Array-API kernels
    (``rnla.backend.xp``) instead of numba: for cross-checking the two sets.

    Yields
    ------
    None

    Examples
    --------
    >>> import numpy as np, rnla
    >>> A = np.random.default_rng(0).standard_normal((500, 4))
    >>> fast = rnla.sketch(A, 20, kind="gaussian", rng=1)
    >>> with rnla.backend.generic_kernels():
    ...     slow = rnla.sketch(A, 20, kind="gaussian", rng=1)
    >>> bool(np.allclose(fast, slow, rtol=1e-12, atol=0))
    True
    """
    token = _GENERIC.set(True)
    try:
        yield
    finally:
        _GENERIC.reset(token)


def to_host(a) -> np.ndarray:
    """Return ``a`` as a host (numpy) array (numpy inputs unchanged).

    rnla calls it only on small arrays (of the size of a sketch or a set of
    frequencies, never n-sized).

    Parameters
    ----------
    a : array
        An array of any namespace.

    Returns
    -------
    ndarray
    """
    if isinstance(a, np.ndarray):
        return a
    if isinstance(a, (np.generic, numbers.Number)):
        return np.asarray(a)
    if array_api_compat.is_cupy_array(a):
        return a.get()
    if array_api_compat.is_torch_array(a):
        return a.detach().cpu().numpy()
    return np.from_dlpack(a)
