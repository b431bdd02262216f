"""The matrix of a low-rank routine seen through its products, with the cost counted.

Every routine of ``rnla.lowrank`` touches A only through :class:`Operand`: products
``A X`` and ``A^T Y`` with blocks of columns, in A's own library (numpy, scipy.sparse,
a scipy ``LinearOperator`` or an Array-API namespace on its device).  Each product is
one pass over A (``n_passes``) and counts its columns (``n_matvecs``).  With a mean
``mu`` the operand is the centered matrix ``A - 1 mu^T``, applied without forming it:
``(A - 1 mu^T) X = A X - 1 (mu^T X)``.
"""

from __future__ import annotations

import math

import array_api_compat
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from rnla._validation import check_int
from rnla.backend import Engine, engine_of, to_host

__all__ = ["MatrixFreeOperator", "Operand", "operand_of", "namespace_of", "orthonormalize",
           "check_rank", "check_symmetric_block", "Columns"]


class MatrixFreeOperator:
    """A square or rectangular matrix known only through its products ``X -> A @ X``.

    The protocol that lets a Hessian-vector product of torch or JAX, a kernel
    operator or the inverse of a factorization into rnla without rnla importing
    their library: ``matmat`` takes a block X of shape (n, b) in the namespace and
    on the device of ``like`` and returns ``A @ X`` of shape (m, b) there.

    Parameters
    ----------
    matmat : callable
        ``X -> A @ X`` for X of shape (n, b).
    shape : tuple of int
        (m, n).
    like : array, optional
        Any array of the namespace, device and float dtype of the products (for
        example a network's flat parameter vector); numpy float64 when omitted.
    rmatmat : callable, optional
        ``Y -> A^T @ Y``; routines that need it refuse an operator without it,
        unless ``symmetric``.
    symmetric : bool, default=False
        A is symmetric, so ``rmatmat`` is ``matmat``.

    Examples
    --------
    >>> import numpy as np, rnla
    >>> d = np.concatenate([[100.0], np.linspace(0.0, 50.0, 99)])
    >>> A = rnla.lowrank.MatrixFreeOperator(lambda X: d[:, None] * X, (100, 100),
    ...                                     symmetric=True)
    >>> round(float(rnla.lowrank.eigh(A, 1, rng=0).eigenvalues[0]), 6)
    100.0
    """

    def __init__(self, matmat, shape, *, like=None, rmatmat=None, symmetric: bool = False):
        if not callable(matmat):
            raise TypeError(f"`matmat` must be callable X -> A @ X; got {type(matmat).__name__}")
        shape = tuple(shape)
        if len(shape) != 2 or not all(isinstance(s, (int, np.integer)) and s >= 1
                                      for s in shape):
            raise ValueError(f"`shape` must be two positive ints (m, n); got {shape}")
        if symmetric and shape[0] != shape[1]:
            raise ValueError(f"a symmetric operator must be square; got shape {shape}")
        self.shape = (int(shape[0]), int(shape[1]))
        self.like = np.empty(0) if like is None else like
        dtype = self.like.dtype
        if getattr(dtype, "kind", None) == "c" or "complex" in str(dtype):
            raise TypeError(f"`like` must be real; got dtype {dtype}")
        self.dtype = dtype
        self.symmetric = bool(symmetric)
        self._matmat = matmat
        self._rmatmat = matmat if symmetric else rmatmat

    def matmat(self, X):
        """``A @ X``.

        Parameters
        ----------
        X : array of shape (n, b)

        Returns
        -------
        array of shape (m, b)
        """
        return self._matmat(X)

    def rmatmat(self, Y):
        """``A^T @ Y`` (``rmatmat`` or, symmetric, ``matmat``).

        Parameters
        ----------
        Y : array of shape (m, b)

        Returns
        -------
        array of shape (n, b)
        """
        if self._rmatmat is None:
            raise TypeError("this routine needs products with A^T: give the "
                            "MatrixFreeOperator `rmatmat` (or `symmetric=True`)")
        return self._rmatmat(Y)

    def __repr__(self) -> str:
        return (f"MatrixFreeOperator(shape={self.shape}, dtype={self.dtype}"
                f"{', symmetric' if self.symmetric else ''})")


def namespace_of(engine: Engine):
    """The Array-API namespace the tall and small factors of ``engine`` live in
    (``array_api_compat``'s numpy for the host engine)."""
    return engine.xp if engine.kind == "xp" else array_api_compat.array_namespace(np.empty(0))


class Operand:
    """A (m x n), or ``A - 1 mu^T``, through its products.

    Parameters
    ----------
    A : validated matrix of ``engine`` (dense, sparse or LinearOperator)
    engine : Engine
    center : bool
        Work with ``A - 1 mu^T``, mu the column means (computed here: one pass).
    """

    def __init__(self, A, engine: Engine, center: bool = False):
        self.A = A
        self.engine = engine
        self.xp = namespace_of(engine)
        self.shape = tuple(int(s) for s in A.shape)
        single = A.dtype == self.xp.float32 if engine.kind == "xp" else \
            np.dtype(A.dtype) == np.float32
        self.dtype = self.xp.float32 if single else self.xp.float64
        self.n_passes = 0
        self.n_matvecs = 0
        self.mean = None
        self._normal = None
        if center:
            m = self.shape[0]
            ones = self.xp.ones((m, 1), dtype=self.dtype, **self._device())
            self.mean = self._rmatmat(ones)[:, 0] / m
            if engine.kind == "dask":  # a small result, computed in its one pass
                self.mean = engine.compute(self.mean)[0]
            self._count(1)

    def _device(self) -> dict:
        if self.engine.kind != "xp":
            return {}
        return {"device": array_api_compat.device(self.like)}

    @property
    def like(self):
        """An array of the operand's namespace and device."""
        return self.A.like if isinstance(self.A, MatrixFreeOperator) else self.A

    def _checked(self, Y, rows: int, columns: int, what: str):
        """The result of an operator's product, refused unless of shape (rows, columns)
        and finite: an operator's NaN never reaches an estimate."""
        if tuple(Y.shape) != (rows, columns):
            raise ValueError(f"`A`'s {what} returned shape {tuple(Y.shape)}; expected "
                             f"{(rows, columns)}")
        if not bool(self.xp.all(self.xp.isfinite(Y))):
            raise ValueError(f"`A`'s {what} returned NaN or inf (a product with "
                             f"{columns} columns); rnla needs a finite operator")
        return Y

    def _count(self, columns: int) -> None:
        self.n_passes += 1
        self.n_matvecs += int(columns)

    def _matmat(self, X):
        A = self.A
        if isinstance(A, MatrixFreeOperator):
            return self._checked(A.matmat(X), self.shape[0], X.shape[1], "matmat")
        if isinstance(A, spla.LinearOperator):
            return self._checked(np.asarray(A.matmat(X), dtype=self.dtype), self.shape[0],
                                 X.shape[1], "matmat")
        return np.asarray(A @ X) if sp.issparse(A) else A @ X

    def _rmatmat(self, Y):
        A = self.A
        if isinstance(A, MatrixFreeOperator):
            return self._checked(A.rmatmat(Y), self.shape[1], Y.shape[1], "rmatmat")
        if isinstance(A, spla.LinearOperator):
            return self._checked(np.asarray(A.rmatmat(Y), dtype=self.dtype), self.shape[1],
                                 Y.shape[1], "rmatmat")
        if sp.issparse(A):
            return np.asarray(A.T @ Y)
        return A.T @ Y if self.engine.kind == "xp" else A.T @ Y

    def matmat(self, X):
        """``A X`` (one pass; X of shape (n, b) in the operand's namespace)."""
        self._count(X.shape[1])
        Y = self._matmat(X)
        if self.mean is not None:
            Y = Y - (self.mean[None, :] @ X)
        return Y

    def rmatmat(self, Y):
        """``A^T Y`` (one pass; Y of shape (m, b))."""
        self._count(Y.shape[1])
        Z = self._rmatmat(Y)
        if self.mean is not None:
            Z = Z - self.mean[:, None] * self.xp.sum(Y, axis=0)[None, :]
        return Z

    def gram(self, V):
        """:math:`A^T A V` (of the centered matrix with a mean) as a host float64 array
        for V of shape (n, b), a small host array: the engine's fused normal pass, one
        read of A (on Dask one pass over the chunks); on the host two products."""
        V = np.asarray(V, dtype=np.float64)
        if self.engine.kind == "host":
            # two products (BLAS, scipy.sparse): on blocks of many columns several times
            # faster than the fused numba kernel, which is tuned for the few columns of
            # a least-squares iteration; two reads of A
            self._count(V.shape[1])
            self._count(V.shape[1])
            return np.asarray(self._rmatmat(self._matmat(V.astype(self.dtype))),
                              dtype=np.float64) - (
                0.0 if self.mean is None else
                self.shape[0] * np.outer(self.mean, self.mean @ V))
        if self._normal is None:
            self._normal = self.engine.normal_residual(self.A)
        self._count(V.shape[1])
        G = -self._normal(V)[0]
        if self.mean is not None:
            mean = np.asarray(self.engine.compute(self.mean)[0], dtype=np.float64)
            G = G - self.shape[0] * np.outer(mean, mean @ V)
        return G

    def sketch_columns(self, S):
        """``A S^T`` for a sketch S of shape (b, n): the test matrix of a range finder
        (one pass, b columns)."""
        self._count(S.k)
        Y = S.T.right_apply(self.A)
        if sp.issparse(Y):
            Y = Y.toarray()
        if self.engine.kind != "xp":
            Y = np.asarray(Y, dtype=self.dtype)
        if self.mean is not None:
            Y = Y - self.xp.reshape(S.apply_namespace(self.mean, self.xp)
                                    if self.engine.kind == "xp" else S @ self.mean, (1, -1))
        return Y

    def sketch_rows(self, S):
        """``S A`` for a sketch S of shape (l, m) (one pass, l columns), dense."""
        self._count(S.k)
        Y = self.engine.apply_sketch(S, self.A)
        return Y.toarray() if sp.issparse(Y) else Y

    def from_host(self, x):
        """A small host array in the operand's float dtype, namespace and device."""
        x = np.asarray(x).astype(np.float32 if self.dtype == self.xp.float32 else np.float64)
        return self.engine.from_host(x, self.like) if self.engine.kind == "xp" else x

    def gaussian(self, rows: int, columns: int, rng: np.random.Generator):
        """A standard Gaussian block drawn on the host and moved to the operand's device."""
        return self.from_host(rng.standard_normal((rows, columns)))


def operand_of(A, *, what: str, center: bool = False, serves=("host", "xp"),
               square: bool = False, matrix_free: bool = False) -> Operand:
    """Validate ``A`` for a low-rank routine and return it as an :class:`Operand`.

    Parameters
    ----------
    A : array, scipy.sparse matrix, LinearOperator or Array-API array
    what : str
        The routine, for the error messages.
    center : bool
    serves : tuple of str
        The engines the routine runs on.
    square : bool
        Require a square A.
    matrix_free : bool
        Accept a :class:`MatrixFreeOperator` (routines that need only ``A @ X`` and
        ``A^T @ Y``).

    Returns
    -------
    Operand
    """
    if isinstance(A, MatrixFreeOperator):
        if not matrix_free:
            raise TypeError(f"{what} needs more of `A` than its products (sketches applied "
                            "to it); pass an array, a sparse matrix or a LinearOperator")
        if array_api_compat.is_torch_array(A.like) and "xp" in serves:
            # a torch product (a Hessian-vector product): the generic kernels' linear
            # algebra runs on torch tensors; rnla's sketch kernels do not (no uint64)
            engine = Engine("xp", array_api_compat.array_namespace(A.like))
        else:
            engine = engine_of(A=A.like, serves=serves, what=what)
        if square and A.shape[0] != A.shape[1]:
            raise ValueError(f"`A` must be square for {what}; got shape {A.shape}")
        return Operand(A, engine, center=center)
    engine = engine_of(A=A, serves=serves, what=what)
    if engine.kind == "dask":
        A = engine.matrix(A, "A").rechunk({1: -1})  # whole rows per chunk: fused passes
        return Operand(A, engine, center=center)
    if isinstance(A, spla.LinearOperator):
        if np.dtype(A.dtype).kind == "c":
            raise TypeError(f"`A` must be real; got a LinearOperator of dtype {A.dtype}")
        if min(A.shape) < 1:
            raise ValueError(f"`A` must be non-empty; got shape {A.shape}")
    A = engine.matrix(A, "A", allow_operator=True)
    if square and A.shape[0] != A.shape[1]:
        raise ValueError(f"`A` must be square for {what}; got shape {tuple(A.shape)}")
    return Operand(A, engine, center=center)


class Columns:
    """A tall block of columns that grows by appending, without copying all of it on
    every append (its capacity doubles): a Krylov basis and its images.

    Parameters
    ----------
    first : array of shape (n, b)
        The first columns; their namespace, dtype and device are kept.
    """

    def __init__(self, first):
        self._data, self.columns = first, int(first.shape[1])

    @property
    def view(self):
        """The columns so far, shape (n, columns)."""
        return self._data[:, :self.columns]

    def append(self, block) -> Columns:
        """Append ``block`` (n, b); returns self."""
        b = int(block.shape[1])
        if self.columns + b > self._data.shape[1]:
            xp = array_api_compat.array_namespace(block)
            grown = xp.zeros((self._data.shape[0], max(2 * self._data.shape[1],
                                                       self.columns + b)),
                             dtype=block.dtype, device=array_api_compat.device(block))
            grown[:, :self.columns] = self.view
            self._data = grown
        self._data[:, self.columns:self.columns + b] = block
        self.columns += b
        return self


def check_symmetric_block(op: Operand, X, AX, what: str) -> None:
    """Refuse a non-symmetric A from a product already made: for symmetric A the small
    matrix :math:`X^T A X` is symmetric to rounding (no extra product).  X must not be
    confined to a subspace where A is much smaller than its norm."""
    xp = op.xp
    H = to_host(X.T @ AX).astype(np.float64)
    scale = float(to_host(xp.linalg.vector_norm(X))) * float(to_host(xp.linalg.vector_norm(AX)))
    gap = float(np.abs(H - H.T).max()) if H.shape[0] > 1 else 0.0
    eps = float(np.finfo(np.float32 if op.dtype == xp.float32 else np.float64).eps)
    if gap > math.sqrt(eps) * scale:
        raise ValueError(f"`A` must be symmetric for {what}; the probes give "
                         f"max |X^T A X - (X^T A X)^T| = {gap:.3g} (relative "
                         f"{gap / scale:.2g})")


def check_rank(k, shape: tuple[int, int], name: str = "k") -> int:
    """``k`` checked as an int in [1, min(m, n)]."""
    return check_int(k, name, low=1, high=min(shape))


def _cholesky_qr2(Y, xp):
    """Q of Y by CholeskyQR2 (two rounds of ``Q <- Q R^{-1}``, ``R^T R = Q^T Q``): two
    matrix products per round, several times faster than Householder QR on a tall
    block.  Stable while Y is well conditioned (Yamamoto et al. 2015), so it gives
    up (None) when a diagonal ratio of the first factor shows more than
    ``eps^(-1/4)`` of condition, or on a failed or non-finite factorization."""
    eps = float(np.finfo(np.float32 if Y.dtype == xp.float32 else np.float64).eps)
    Q = Y
    for round_ in range(2):
        try:
            L = xp.linalg.cholesky(Q.T @ Q)
        except Exception:  # LinAlgError and its equivalents in other namespaces
            return None
        diagonal = xp.abs(xp.linalg.diagonal(L))
        if round_ == 0 and not bool(xp.min(diagonal) > eps ** 0.25 * xp.max(diagonal)):
            return None
        Q = Q @ xp.linalg.inv(L.T)
    return Q if bool(xp.all(xp.isfinite(Q))) else None


def _project_out(Y, against):
    """``Y - B (B^T Y)`` for a basis B given whole or as a list of blocks."""
    for B in against if isinstance(against, list) else [against]:
        Y = Y - B @ (B.T @ Y)
    return Y


def orthonormalize(Y, xp, against=None):
    """An orthonormal basis of the columns of ``Y``, orthogonal to the orthonormal
    columns of ``against`` (an array, or a list of blocks: no concatenation): two
    rounds of classical Gram-Schmidt (CGS2), then CholeskyQR2.  A block of deficient
    numerical rank (a Krylov space that has exhausted A's numerical range holds
    rounding noise) takes Householder QR instead, and one more round of Gram-Schmidt
    after it: the columns that QR adds to complete its basis are not orthogonal to
    ``against`` until projected."""
    if against is not None:
        for _ in range(2):
            Y = _project_out(Y, against)
    Q = _cholesky_qr2(Y, xp)
    if Q is not None:
        return Q
    Q = xp.linalg.qr(Y, mode="reduced")[0]
    if against is None:
        return Q
    Q = _project_out(Q, against)
    return xp.linalg.qr(Q, mode="reduced")[0]
