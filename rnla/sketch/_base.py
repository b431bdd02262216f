"""The sketch-operator contract shared by every kind."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from array_api_compat import device as array_device

from rnla._random import SeedLike, as_generator
from rnla._validation import (
    check_array,
    check_finite_result,
    check_int,
    check_linear_operator,
    check_operand,
    check_option,
    float_dtype,
)
from rnla.backend import engine_of, kernels

__all__ = ["SKETCH_KINDS", "SketchOperator", "TransposedSketch", "make_sketch"]

#: kind name -> operator class, for ``make_sketch``: each kind registers when defined
SKETCH_KINDS: dict[str, type[SketchOperator]] = {}

#: entries of one dense block of S^T when a sketch applies to a LinearOperator
_BLOCK_ENTRIES = 2**24
#: the most entries ``numpy.asarray(S)`` forms (256 MiB of float64)
_DENSE_ENTRIES = 2**25


class SketchOperator:
    """A random linear map S: R^n -> R^k, applied from the left (``S @ A``).

    Every operator is scaled so that E[S^T S] = I_n, draws its randomness when
    it is built (so the same ``rng`` gives the same sketch), and applies to dense
    numpy arrays (any memory order), scipy.sparse matrices, vectors,
    ``scipy.sparse.linalg.LinearOperator`` objects and arrays of any Array-API
    library (CuPy, torch, ``array_api_strict``): the result stays in the
    operand's namespace and on its device, and its entries are drawn there from
    the same counter-based streams, so a seed gives the same sketch everywhere.  The
    result of ``S @ A`` keeps A's floating dtype (float32 or float64; integers become
    float64).  ``S.T`` is
    the transposed operator, itself applicable with ``@``.

    A kind is one class.  It implements ``_apply(A)`` for a validated 2-D host operand
    (ndarray or CSR/CSC matrix), ``_apply_transpose(Y)`` for a dense k x m array, their
    namespace twins ``_apply_xp``/``_apply_transpose_xp`` on the parameters that
    ``_draw`` makes in a namespace, ``to_dense()``, and, to be applied chunk by chunk
    (Dask), ``apply_rows(block, r0)``: the part of ``S @ A`` that the rows of A from
    ``r0`` on contribute, drawn from the streams at those global rows (with ``chunk_rows`` and
    ``chunk_inputs`` where it needs a particular chunking or per-chunk data).  The
    engines (``rnla.backend``) apply it through these alone.

    A sketch acts from both sides: ``S @ A`` and ``S.T @ Y``, and from the right
    ``A @ S.T`` (= ``(S @ A.T).T``) and ``Y @ S`` (= ``(S.T @ Y.T).T``), on every
    engine; ``S @ R.T`` is the small k x k' matrix and ``S.T @ R`` the n x n one as a
    ``LinearOperator`` (never formed).

    Parameters
    ----------
    k : int
        Number of rows of the sketch (sketch size).
    n : int
        Number of rows of the matrices it applies to.
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness; the same int gives the same sketch.
    dtype : None, float32 or float64
        Force the output dtype (default: follow the input).
    """

    #: name accepted by ``rnla.make_sketch``
    kind: str = ""
    #: every entry of A reaches S @ A with a nonzero coefficient, so NaN/inf in A
    #: is detected on the small result instead of by a separate pass over A
    mixes_every_entry: bool = False
    #: numpy defers ``ndarray @ S`` to ``S.__rmatmul__`` instead of converting S
    __array_ufunc__ = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("kind"):
            SKETCH_KINDS[cls.kind] = cls
        for name in ("apply_rows", "chunk_rows", "chunk_inputs"):  # one contract, one text
            method = cls.__dict__.get(name)
            if method is not None and not method.__doc__:
                method.__doc__ = getattr(SketchOperator, name).__doc__

    def __init__(self, k: int, n: int, *, rng: SeedLike = None, dtype=None):
        self.n = check_int(n, "n", low=1)
        self.k = check_int(k, "k", low=1, high=self._max_k(self.n))
        self.dtype = None if dtype is None else float_dtype(dtype, "dtype")
        self.rng = rng
        self._rng = as_generator(rng, "rng")
        self._drawn: dict = {}

    def __getstate__(self) -> dict:
        # the drawn parameters are a cache, redrawn from the streams on demand: a pickled
        # sketch (a Dask task's copy, say) stays small
        state = self.__dict__.copy()
        state["_drawn"] = {}
        return state

    @staticmethod
    def _max_k(n: int) -> int | None:
        """Largest sketch size allowed for n (None: no limit)."""
        return None

    @property
    def shape(self) -> tuple[int, int]:
        """``(k, n)``: the sketch maps R^n to R^k."""
        return (self.k, self.n)

    #: a linear map between vector spaces: a matrix
    ndim = 2

    def _out_dtype(self, A) -> np.dtype:
        return self.dtype if self.dtype is not None else A.dtype

    @property
    def T(self) -> TransposedSketch:
        """The transpose ``S^T``: ``S.T @ Y`` maps R^k to R^n."""
        return TransposedSketch(self)

    def apply(self, A):
        """Return ``S @ A``.

        Parameters
        ----------
        A : array_like, scipy.sparse matrix, LinearOperator or Dask array of shape (n,) or (n, d)
            The operand.  A ``LinearOperator`` is sketched through ``A.rmatmat``
            (``S A = (A^T S^T)^T``, a block of rows of S at a time): k products with
            ``A^T`` in all, and A is never formed.  A Dask array (any chunking) is
            sketched chunk by chunk (the Dask engine): the result is a lazy Dask
            array equal to the in-memory ``S @ A`` to rounding.  An array of another
            Array-API library is sketched in its namespace, on its device.  Another
            sketch's transpose ``R.T`` gives the small matrix ``S R^T``.

        Returns
        -------
        ndarray, scipy.sparse matrix or Dask array of shape (k,) or (k, d)
            Dense for dense and operator input; sampling sketches keep sparse input sparse.
        """
        if isinstance(A, TransposedSketch):
            return self._times_transpose(A.sketch)
        return engine_of(A=A).apply_sketch(self, A)

    __matmul__ = apply

    def right_apply(self, Y):
        """Return ``Y @ S = (S.T @ Y.T).T`` for Y of shape (m, k) (or (k,)), on Y's engine.

        ``Y @ S`` calls it where Y's library defers to S (numpy, scipy.sparse,
        LinearOperator, Dask); libraries whose ``@`` raises on a foreign operand
        (``array_api_strict``, torch) need this spelling.

        Parameters
        ----------
        Y : array of shape (m, k) or (k,)

        Returns
        -------
        array of shape (m, n) or (n,)
        """
        return _transposed(self.apply_transpose(_transposed(Y)))

    __rmatmul__ = right_apply

    def dot(self, A):
        """``S @ A`` (scipy's spelling).

        Parameters
        ----------
        A : as in :meth:`apply`

        Returns
        -------
        as :meth:`apply`
        """
        return self.apply(A)

    def __array__(self, dtype=None, copy=None):
        if self.k * self.n > _DENSE_ENTRIES:
            raise ValueError(f"numpy.asarray would form this {self.k} x {self.n} sketch "
                             f"densely (more than {_DENSE_ENTRIES} entries); apply it with "
                             "`S @ A`, `S.right_apply(Y)` or `S.T.right_apply(A)` instead (a "
                             "scipy.sparse left operand converts S with numpy.asarray), or "
                             "call `S.to_dense()` if that is intended")
        return self.to_dense() if dtype is None else self.to_dense().astype(dtype)

    def apply_host(self, A, name: str = "A"):
        """``S @ A`` on the host engine (numpy, scipy.sparse, LinearOperator).

        Parameters
        ----------
        A : ndarray, scipy.sparse matrix or LinearOperator of shape (n,) or (n, d)
        name : str
            The operand's name, for error messages.

        Returns
        -------
        ndarray or scipy.sparse matrix of shape (k,) or (k, d)
        """
        if isinstance(A, spla.LinearOperator):
            _, dtype = check_linear_operator(A, self.n, name)
            return _times_operator(self.apply_transpose, self.k, A,
                                   self.dtype if self.dtype is not None else dtype)
        A2, was_vector = check_operand(A, self.n, name,
                                       check_finite=not self.mixes_every_entry)
        dtype = self._out_dtype(A2)
        if A2.dtype != dtype:
            A2 = A2.astype(dtype)
        if isinstance(A2, np.ndarray) and not (A2.flags.c_contiguous or A2.flags.f_contiguous):
            A2 = np.ascontiguousarray(A2)
        if self.mixes_every_entry:
            with np.errstate(all="ignore"):  # NaN/inf in A are reported just below
                out = self._apply(A2)
            check_finite_result(out, A2, name)
        else:
            out = self._apply(A2)
        if was_vector:
            return np.asarray(out.todense() if sp.issparse(out) else out).reshape(-1)
        return out

    def apply_namespace(self, A, xp, name: str = "A"):
        """``S @ A`` for an array of the Array-API namespace ``xp``, on its device.

        Parameters
        ----------
        A : array of namespace xp, shape (n,) or (n, d)
        xp : module
        name : str

        Returns
        -------
        array of namespace xp, shape (k,) or (k, d)
        """
        return self._apply_namespace(A, xp, name, self.n, self._apply_xp,
                                     check_result=self.mixes_every_entry)

    def chunk_rows(self, chunks: tuple[int, ...]) -> tuple[int, ...]:
        """The row chunking in which S applies chunk by chunk, given A's (default: A's).

        Parameters
        ----------
        chunks : tuple of int
            The row chunk sizes of A.

        Returns
        -------
        tuple of int
        """
        return chunks

    def chunk_inputs(self, i: int) -> tuple:
        """What else row chunk ``i`` needs besides its rows (default nothing).

        Parameters
        ----------
        i : int

        Returns
        -------
        tuple
        """
        return ()

    def apply_rows(self, block: np.ndarray, r0: int, *inputs) -> np.ndarray:
        """The part of ``S @ A`` that rows ``r0`` to ``r0 + len(block) - 1`` of A contribute.

        ``S @ A`` is the sum of these parts over any partition of A's rows into blocks
        that ``chunk_rows`` allows; each part is drawn from the counter-based streams at
        the block's global rows, so the sum does not depend on the partition.

        Parameters
        ----------
        block : ndarray of shape (rows, d)
            Finite rows of A, in S's output dtype.
        r0 : int
            Global index of its first row.
        *inputs
            What ``chunk_inputs`` gives for this block.

        Returns
        -------
        ndarray of shape (k, d)
        """
        raise NotImplementedError

    def _times_transpose(self, other: SketchOperator) -> np.ndarray:
        """``S @ R.T`` for another sketch R on the same n: the k_S x k_R matrix, from
        ``S @ (R.T @ I)`` (R.T applied to the identity, a block of columns at a time)."""
        if other.n != self.n:
            raise ValueError(f"`S @ R.T` needs sketches of one n; got {self.n} and {other.n}")
        out = np.empty((self.k, other.k))
        block = max(1, min(other.k, _BLOCK_ENTRIES // self.n))
        for c0 in range(0, other.k, block):
            c1 = min(other.k, c0 + block)
            E = np.zeros((other.k, c1 - c0))
            E[np.arange(c0, c1), np.arange(c1 - c0)] = 1.0
            out[:, c0:c1] = self.apply(other.apply_transpose(E))
        return out

    def apply_transpose(self, Y):
        """Return ``S.T @ Y`` for Y of shape (k,) or (k, m).

        Parameters
        ----------
        Y : array_like, sparse matrix, LinearOperator or Array-API array of shape (k,) or (k, m)
            The operand; a ``LinearOperator`` is formed first (m products with it:
            it has only k rows).  A sketch R (same k) gives the n x n operator
            ``S^T R`` as a ``LinearOperator``.

        Returns
        -------
        ndarray of shape (n,) or (n, m), or a LinearOperator for a sketch operand
        """
        if isinstance(Y, SketchOperator):
            if Y.k != self.k:
                raise ValueError(f"`S.T @ R` needs sketches of one k; got {self.k} and {Y.k}")
            return self.as_linear_operator().T @ Y.as_linear_operator()
        engine = engine_of(serves=("host", "xp"), what="S.T @ Y", Y=Y)
        if engine.kind == "xp":
            return self._apply_namespace(Y, engine.xp, "Y", self.k, self._apply_transpose_xp,
                                         check_result=False)
        if isinstance(Y, spla.LinearOperator):
            _, dtype = check_linear_operator(Y, self.k, "Y")
            Y = np.asarray(Y.matmat(np.eye(Y.shape[1], dtype=dtype)))
        Y2, was_vector = check_operand(Y, self.k, name="Y")
        if sp.issparse(Y2):
            Y2 = Y2.toarray()
        dtype = self._out_dtype(Y2)
        out = self._apply_transpose(np.ascontiguousarray(Y2, dtype=dtype))
        return out.reshape(-1) if was_vector else out

    def _apply_namespace(self, A, xp, name: str, rows: int, apply, check_result: bool):
        """Validate ``A`` in its own namespace and apply ``apply`` there (no host copy)."""
        A2 = check_array(A, xp, name, ndim=(1, 2), check_finite=not check_result)
        was_vector = A2.ndim == 1
        if was_vector:
            A2 = xp.reshape(A2, (-1, 1))
        if A2.shape[0] != rows:
            raise ValueError(f"`{name}` must have {rows} rows (the sketch's "
                             f"{'n' if name == 'A' else 'k'}); got shape {tuple(A2.shape)}")
        if self.dtype is not None:
            A2 = xp.astype(A2, getattr(xp, self.dtype.name))
        device = array_device(A2)
        key = (xp.__name__, str(device))
        if key not in self._drawn:
            self._drawn[key] = self._draw(kernels(xp), xp, device)
        out = apply(A2, xp, kernels(xp), self._drawn[key])
        if check_result and not bool(xp.all(xp.isfinite(out))):
            check_array(A2, xp, name)  # raises on NaN/inf in A
            warnings.warn(f"the result overflowed although `{name}` is finite",
                          RuntimeWarning, stacklevel=3)
        return xp.reshape(out, (-1,)) if was_vector else out

    def _draw(self, K, xp, device) -> tuple:
        """The operator's random parameters, drawn with kernel set K in namespace xp."""
        return ()

    def _host_params(self) -> tuple:
        """The parameters for numpy operands, drawn on first use: some kinds draw n-sized
        arrays, which a sketch applied only to chunked (Dask) data never needs whole."""
        if "host" not in self._drawn:
            self._drawn["host"] = self._draw(kernels(), np, None)
        return self._drawn["host"]

    def to_dense(self) -> np.ndarray:
        """The k x n matrix S as a dense numpy array (for small n: tests, teaching).

        Returns
        -------
        ndarray of shape (k, n)
        """
        raise NotImplementedError

    def as_linear_operator(self) -> spla.LinearOperator:
        """S as a ``scipy.sparse.linalg.LinearOperator`` (matvec S x, rmatvec S^T y).

        Returns
        -------
        scipy.sparse.linalg.LinearOperator of shape (k, n)
        """
        dtype = self.dtype if self.dtype is not None else np.float64
        return spla.LinearOperator(
            self.shape,
            matvec=self.apply,
            rmatvec=self.apply_transpose,
            matmat=self.apply,
            rmatmat=self.apply_transpose,
            dtype=dtype,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(k={self.k}, n={self.n})"


class TransposedSketch:
    """The transpose ``S^T`` of a sketch operator S: a map from R^k to R^n.

    ``S.T @ Y`` applies to what ``S.apply_transpose`` takes (dense or sparse arrays,
    vectors, LinearOperators); ``S.T.T`` is S again.

    Parameters
    ----------
    sketch : SketchOperator
        The operator S.

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.sketch import CountSketch
    >>> S = CountSketch(3, 5, rng=0)
    >>> bool(np.array_equal(S.T.to_dense(), S.to_dense().T)) and S.T.T is S
    True
    """

    def __init__(self, sketch: SketchOperator):
        self.sketch = sketch

    @property
    def shape(self) -> tuple[int, int]:
        """``(n, k)``."""
        return (self.sketch.n, self.sketch.k)

    ndim = 2

    @property
    def T(self) -> SketchOperator:
        """The sketch S itself."""
        return self.sketch

    #: numpy defers ``ndarray @ S.T`` to ``S.T.__rmatmul__`` instead of converting S.T
    __array_ufunc__ = None

    def right_apply(self, A):
        """Return ``A @ S.T = (S @ A.T).T`` for A of shape (m, n) (or (n,)), on A's engine.

        ``A @ S.T`` calls it where A's library defers to S.T (numpy, scipy.sparse,
        LinearOperator, Dask); libraries whose ``@`` raises on a foreign operand
        (``array_api_strict``, torch) need this spelling.

        Parameters
        ----------
        A : array, sparse matrix, LinearOperator or Dask array of shape (m, n) or (n,)

        Returns
        -------
        array of shape (m, k) or (k,)
        """
        return _transposed(self.sketch.apply(_transposed(A)))

    __rmatmul__ = right_apply

    def __array__(self, dtype=None, copy=None):
        return self.sketch.__array__(dtype).T

    def dot(self, Y):
        """``S.T @ Y`` (scipy's spelling).

        Parameters
        ----------
        Y : as in :meth:`apply`

        Returns
        -------
        as :meth:`apply`
        """
        return self.apply(Y)

    def apply(self, Y):
        """Return ``S^T @ Y`` (``S.apply_transpose``).

        Parameters
        ----------
        Y : array_like, scipy.sparse matrix or LinearOperator of shape (k,) or (k, m)
            The operand.

        Returns
        -------
        ndarray of shape (n,) or (n, m)
        """
        return self.sketch.apply_transpose(Y)

    __matmul__ = apply

    def to_dense(self) -> np.ndarray:
        """The n x k matrix S^T as a dense array.

        Returns
        -------
        ndarray of shape (n, k)
        """
        return self.sketch.to_dense().T

    def as_linear_operator(self) -> spla.LinearOperator:
        """S^T as a ``scipy.sparse.linalg.LinearOperator``.

        Returns
        -------
        scipy.sparse.linalg.LinearOperator of shape (n, k)
        """
        return self.sketch.as_linear_operator().T

    def __repr__(self) -> str:
        return f"{self.sketch!r}.T"


def _transposed(A):
    """``A.T`` for any operand (a vector is its own transpose), in A's own library."""
    if isinstance(A, spla.LinearOperator) or sp.issparse(A):
        return A.T
    if len(getattr(A, "shape", np.shape(A))) == 1:
        return A
    return A.T if hasattr(A, "T") else np.asarray(A).T


def _times_operator(transpose_apply, rows: int, L: spla.LinearOperator, dtype) -> np.ndarray:
    """``M @ L`` for a matrix M of ``rows`` rows given by ``transpose_apply(Y) = M^T Y``.

    :math:`M L = (L^T M^T)^T`; a block of b rows of M is :math:`M^T E` (E: b
    columns of the identity) and its product with L is one ``L.rmatmat``, so M
    costs ``rows`` products with :math:`L^T` in all and L is never formed.
    """
    size, m = L.shape
    out = np.empty((rows, m), dtype=dtype)
    block = max(1, min(rows, _BLOCK_ENTRIES // size))
    for r0 in range(0, rows, block):
        r1 = min(rows, r0 + block)
        E = np.zeros((rows, r1 - r0), dtype=dtype)
        E[np.arange(r0, r1), np.arange(r1 - r0)] = 1.0
        out[r0:r1] = np.asarray(L.rmatmat(transpose_apply(E))).T
    if not np.isfinite(out).all():
        raise ValueError("`A` must be finite: the operator returned NaN or inf")
    return out


def make_sketch(kind: str, k: int, n: int, *, rng: SeedLike = None, **options) -> SketchOperator:
    """Build a k x n sketch operator of the given kind.

    Parameters
    ----------
    kind : {"gaussian", "srht", "block_srht", "countsketch", "sparse_sign", "uniform", \
"leverage"}
        The operator class (see ``SKETCH_KINDS``).
    k, n : int
        The operator maps R^n to R^k.
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness; the same int gives the same sketch.
    **options
        Passed to the class: ``s`` (sparse_sign), ``replace`` (srht, uniform,
        leverage), ``probabilities`` (leverage, required), ``dtype``, ...

    Returns
    -------
    SketchOperator
        The operator S of shape (k, n).

    Examples
    --------
    >>> from rnla import make_sketch
    >>> make_sketch("srht", 16, 100, rng=0)
    SRHT(k=16, n=100, replace=False)
    """
    check_option(kind, "kind", SKETCH_KINDS)
    return SKETCH_KINDS[kind](k, n, rng=rng, **options)
