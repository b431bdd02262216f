r"""An SVD from one read of A (Tropp, Yurtsever, Udell and Cevher, SISC 2019).

One pass over the rows of A fills three linear sketches, each a sum over row blocks:
the range sketch :math:`Y = A\Omega` (m x r, its rows written block by block), the
co-range sketch :math:`X = \Upsilon A` (r x n) and the core sketch
:math:`Z = \Phi A \Psi^T` (s x s), plus ten Gaussian rows :math:`W = \Theta A` for the
error bound.  Then :math:`Q = \mathrm{orth}(Y)`, :math:`P = \mathrm{orth}(X^T)`,
:math:`C = (\Phi Q)^+ Z ((\Psi P)^+)^T` and :math:`A \approx Q C P^T`, truncated to
rank k by the SVD of the r x r matrix C.  :math:`\Upsilon`, :math:`\Phi` and
:math:`\Theta` are rnla sketches (sparse sign embeddings for the first two, cheap to
apply, unless A has fewer than 16 s rows; Gaussian for the error probes), drawn from
counter-based streams at each block's global rows, so the result does not depend on
how the rows are blocked.

The error bound is Halko, Martinsson and Tropp's (2011, Lemma 4.1) on the rows of
:math:`\Theta(A - \hat A) = W - (\Theta U)\Sigma V^T`: it needs no second read, and
it is close to the Frobenius norm of the error, so it is loose when the tail of the
spectrum is flat.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from rnla._random import SeedLike, as_generator
from rnla._status import Status
from rnla._validation import check_host, check_int, check_matrix, float_dtype
from rnla.backend import Engine, is_dask
from rnla.lowrank._estimate import CONFIDENCE, N_PROBES
from rnla.lowrank._operator import namespace_of, orthonormalize
from rnla.lowrank._result import SVDResult
from rnla.sketch import GaussianSketch, SparseSign

__all__ = ["single_pass_svd", "SinglePassSketch"]

#: the sketches are numpy arrays, whatever the input
ENGINE = Engine("host", np)
#: rows per block when the rows of an in-memory matrix or a memmap are streamed
BLOCK_BYTES = 32 * 2**20


def _row_blocks(A, block_rows: int | None):
    """``(row_offset, block)`` pairs of an in-memory matrix or memmap, about
    ``BLOCK_BYTES`` per block unless ``block_rows`` says."""
    m, n = A.shape
    if block_rows is None:
        block_rows = max(1, BLOCK_BYTES // max(8 * n, 1))
    for r0 in range(0, m, block_rows):
        yield r0, A[r0:r0 + block_rows]


def _sketch_block(block, r0: int, sketches) -> tuple:
    """What rows ``r0...`` contribute: ``(block Omega, Upsilon_rows block,
    Phi_rows block Psi^T, Theta_rows block)``."""
    Omega, Psi, co_range, core_left, probes = sketches
    dense = block.toarray() if sp.issparse(block) else block
    return (np.asarray(block @ Omega), co_range.apply_rows(dense, r0),
            core_left.apply_rows(dense, r0) @ Psi, probes.apply_rows(dense, r0))


def _dask_parts(A, sketches) -> list:
    """The contributions of a Dask array's row chunks, computed in parallel by Dask, each
    chunk read once and nothing persisted."""
    import dask

    starts = np.concatenate([[0], np.cumsum(A.chunks[0])]).astype(int)

    def part(block, r0):
        return (r0, _sketch_block(check_matrix(block, "A"), r0, sketches))

    return list(dask.compute(*[dask.delayed(part, pure=True)(A.blocks[i], int(starts[i]))
                               for i in range(len(A.chunks[0]))]))


def _shape_of(A, shape):
    """``((m, n), whole)``: A's shape and whether it is a matrix (else a stream)."""
    if isinstance(A, np.ndarray | np.generic | numbers.Number) or sp.issparse(A) \
            or is_dask(A):
        if np.ndim(A) != 2:
            raise ValueError(f"`A` must be 2-D; got {np.ndim(A)}-D with shape "
                             f"{np.shape(A)}")
        return tuple(int(s) for s in A.shape), True
    check_host(A, "A", "rnla.lowrank.single_pass_svd")
    if isinstance(A, str | bytes) or not isinstance(A, Iterable):
        raise TypeError(f"`A` must be an array, a sparse or Dask matrix, or an iterable of "
                        f"(row_offset, block) pairs; got {type(A).__name__}")
    if shape is None:
        raise ValueError("`shape` (m, n) is required when `A` is an iterable of "
                         "(row_offset, block) pairs")
    if (len(shape) != 2 or not all(isinstance(s, numbers.Integral) and s >= 1
                                   for s in shape)):
        raise ValueError(f"`shape` must be two positive ints (m, n); got {shape!r}")
    return (int(shape[0]), int(shape[1])), False


def _core(phi_q, Z, psi_p, k: int):
    r"""``(Uc, sigma, Vc^T)``, the top k of the SVD of the core
    :math:`C = (\Phi Q)^+ Z ((\Psi P)^+)^T`."""
    C = sla.lstsq(phi_q, Z)[0]
    C = sla.lstsq(psi_p, C.T)[0].T
    Uc, sigma, Vct = np.linalg.svd(C)
    return Uc[:, :k], sigma[:k], Vct[:k]


def _flip(Vt) -> np.ndarray:
    """Signs that make each row's entry of largest magnitude positive."""
    return np.where(Vt.max(axis=1) >= -Vt.min(axis=1), 1.0, -1.0).astype(Vt.dtype)


def _bound(residual) -> float:
    r"""The bound on ``||A - U S Vt||_2`` from the rows of :math:`\Theta(A - U S V^T)`,
    :math:`\Theta` a Gaussian sketch scaled by 1/sqrt(10) (rescaled here)."""
    c = (1.0 / (1.0 - CONFIDENCE)) ** (1.0 / N_PROBES) * math.sqrt(2.0 / math.pi)
    return c * math.sqrt(N_PROBES) * float(np.linalg.norm(residual, axis=1).max())


class SinglePassSketch:
    r"""The sketches of :func:`single_pass_svd` filled batch by batch of rows, for an
    SVD of all the rows seen so far without storing them or the range sketch
    (``RandomizedSVD.partial_fit``).

    Keeps :math:`X = \Upsilon A`, :math:`Z = \Phi A \Psi^T`, :math:`W = \Theta A` and,
    of the range sketch :math:`Y = A\Omega`, only :math:`Y^T Y`, :math:`\Phi Y` and
    :math:`\Theta Y`: with :math:`Y^T Y = E \Lambda E^T`, :math:`Q = Y E
    \Lambda^{-1/2}` is never formed, so the right factors and singular values come
    out, not U.  Storage: :math:`(2r + 10) n + s^2 + r^2 + (s + 10) r` numbers.

    Parameters
    ----------
    n : int
        Columns of A.
    k : int
        The rank.
    dtype : float32 or float64
    rng : int, Generator, SeedSequence, RandomState or None
    """

    #: the row index space of the counter-based sketches (rows are numbered as they come)
    ROWS = 2**62

    def __init__(self, n: int, k: int, dtype=np.float64, rng: SeedLike = None):
        rng = as_generator(rng)
        self.k = check_int(k, "k", low=1, high=n)
        self.r = r = min(2 * k + 1, n)
        self.s = s = min(2 * r + 1, n)
        self.dtype = np.dtype(dtype)
        self.sketches = (rng.standard_normal((n, r)).astype(dtype),
                         rng.standard_normal((n, s)).astype(dtype),
                         GaussianSketch(r, self.ROWS, rng=rng),
                         GaussianSketch(s, self.ROWS, rng=rng),
                         GaussianSketch(N_PROBES, self.ROWS, rng=rng))
        self.rows = 0
        self.gram = np.zeros((r, r))
        self.phi_y = np.zeros((s, r))
        self.theta_y = np.zeros((N_PROBES, r))
        self.X = np.zeros((r, n))
        self.Z = np.zeros((s, s))
        self.W = np.zeros((N_PROBES, n))

    def add(self, block) -> None:
        """Fold in the next rows (a validated 2-D array or sparse matrix of n columns).

        Parameters
        ----------
        block : ndarray or scipy.sparse matrix of shape (rows, n)
        """
        _, _, _, core_left, probes = self.sketches
        Y, X, Z, W = _sketch_block(block, self.rows, self.sketches)
        self.gram += Y.T @ Y
        self.phi_y += core_left.apply_rows(Y, self.rows)
        self.theta_y += probes.apply_rows(Y, self.rows)
        self.X += X
        self.Z += Z
        self.W += W
        self.rows += block.shape[0]

    def svd(self) -> tuple[np.ndarray, np.ndarray, float]:
        """``(s, Vt, error_estimate)`` of the rows seen so far.

        Returns
        -------
        (ndarray of shape (k,), ndarray of shape (k, n), float)
        """
        k = min(self.k, self.rows)
        lam, E = np.linalg.eigh(self.gram)
        keep = lam > lam.max() * self.r * np.finfo(self.dtype).eps if lam.max() > 0 else \
            np.zeros(lam.size, dtype=bool)
        if not keep.any():
            return np.zeros(self.k, self.dtype), np.eye(self.k, self.X.shape[1],
                                                        dtype=self.dtype), 0.0
        M = E[:, keep] / np.sqrt(lam[keep])  # Q = Y M has orthonormal columns
        P = np.linalg.qr(self.X.T)[0]
        k = min(k, int(keep.sum()))
        Uc, sigma, Vt = _core(self.phi_y @ M, self.Z, self.sketches[1].T.astype(float) @ P, k)
        Vt = Vt @ P.T
        flip = _flip(Vt)
        Uc, Vt = Uc * flip, Vt * flip[:, None]
        bound = _bound(self.W - ((self.theta_y @ M @ Uc) * sigma) @ Vt)
        if k < self.k:  # fewer rows than the rank: zero singular values, any orthonormal rest
            basis = np.linalg.qr(np.vstack([Vt, np.eye(self.k, Vt.shape[1])]).T)[0].T
            Vt = np.vstack([Vt, basis[k:self.k]])
            sigma = np.concatenate([sigma, np.zeros(self.k - k)])
        return sigma.astype(self.dtype), Vt.astype(self.dtype), bound


def _stream_parts(blocks, m: int, n: int, seen: np.ndarray, sketches):
    """The contributions of a stream of ``(row_offset, block)`` pairs, each checked,
    and the working dtype (that of the first block)."""
    drawn, dtype = None, None

    def generate():
        nonlocal drawn, dtype
        for count, pair in enumerate(blocks):
            try:
                r0, block = pair
            except (TypeError, ValueError):
                raise TypeError(f"`A`: item {count} of the stream is not a (row_offset, "
                                f"block) pair; got {type(pair).__name__}") from None
            block = check_matrix(block, f"block {count} of A")
            if block.shape[1] != n:
                raise ValueError(f"`A`: block {count} has {block.shape[1]} columns; "
                                 f"expected {n}")
            if not isinstance(r0, numbers.Integral) or not 0 <= r0 <= m - block.shape[0]:
                raise ValueError(f"`A`: block {count} has row_offset {r0!r}; expected an "
                                 f"int in [0, {m - block.shape[0]}] for {block.shape[0]} "
                                 "rows")
            if seen[r0:r0 + block.shape[0]].any():
                raise ValueError(f"`A`: block {count} repeats rows already read (rows "
                                 f"{r0}..{r0 + block.shape[0] - 1}); every row must come "
                                 "exactly once")
            seen[r0:r0 + block.shape[0]] = True
            if drawn is None:
                dtype = np.dtype(block.dtype)
                drawn = sketches(dtype)
            yield int(r0), _sketch_block(block, int(r0), drawn)

    parts = list(generate())
    return parts, dtype


def single_pass_svd(A, k: int, *, shape: tuple[int, int] | None = None,
                    range_size: int | None = None, core_size: int | None = None,
                    block_rows: int | None = None, rng: SeedLike = None) -> SVDResult:
    r"""Rank-k SVD of A from one read of its rows.

    Parameters
    ----------
    A : ndarray, memmap, scipy.sparse matrix, Dask array, or iterable of (row_offset, block)
        The matrix, read once, row block by row block.  The stream protocol: an
        iterable of pairs ``(row_offset, block)``, ``block`` a 2-D numpy array or
        scipy.sparse matrix of shape (rows, n) holding rows ``row_offset`` to
        ``row_offset + rows - 1`` of A, in any order, every row exactly once; ``shape``
        gives (m, n).  A Dask array is read chunk by chunk (each chunk computed once,
        nothing persisted).
    k : int
        The rank, in [1, min(m, n)].
    shape : (int, int), optional
        (m, n), required for a stream.
    range_size : int, optional
        Columns r of the range and co-range sketches, default 2k + 1.
    core_size : int, optional
        Size s of the core sketch, default 2r + 1.
    block_rows : int, optional
        Rows per block for an in-memory matrix or memmap.
    rng : int, Generator, SeedSequence, RandomState or None

    Returns
    -------
    SVDResult
        ``U`` (a numpy array; for a Dask input a Dask array over it), ``s``, ``Vt``,
        ``error_estimate`` with ``confidence``, ``n_passes`` (1), ``n_matvecs``,
        ``method`` ``"single_pass"``.

    Notes
    -----
    Storage: :math:`mr + nr + s^2 + 10n` numbers.  Cost: one read of A with
    :math:`O(\mathrm{nnz}(A)(2r + s))` operations, then :math:`O((m + n) r^2)`.

    Examples
    --------
    >>> import numpy as np
    >>> import rnla
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((2000, 15)) @ rng.standard_normal((15, 300))
    >>> blocks = ((r0, A[r0:r0 + 500]) for r0 in range(0, 2000, 500))
    >>> res = rnla.lowrank.single_pass_svd(blocks, 15, shape=A.shape, rng=0)
    >>> bool(np.allclose((res.U * res.s) @ res.Vt, A))
    True
    """
    (m, n), whole = _shape_of(A, shape)
    if whole and not is_dask(A):
        A = check_matrix(A, "A", check_finite=False)
    k = check_int(k, "k", low=1, high=min(m, n))
    r = min(2 * k + 1 if range_size is None else
            check_int(range_size, "range_size", low=k), m, n)
    s = min(2 * r + 1 if core_size is None else
            check_int(core_size, "core_size", low=r), m, n)
    rng = as_generator(rng)
    # sparse sign embeddings are cheap to apply; on a few rows they can be rank
    # deficient, where the Gaussian sketches are not
    kind = SparseSign if m >= 16 * s else GaussianSketch
    co_range, core_left = kind(r, m, rng=rng), kind(s, m, rng=rng)
    probes = GaussianSketch(N_PROBES, m, rng=rng)
    Omega_host, Psi_host = rng.standard_normal((n, r)), rng.standard_normal((n, s))
    seen = np.zeros(m, dtype=bool)
    Y = X = Z = W = None

    def sketches(dtype):
        return (Omega_host.astype(dtype), Psi_host.astype(dtype), co_range, core_left,
                probes)

    if is_dask(A):
        dtype = float_dtype(A.dtype, "A")
        parts = _dask_parts(A, sketches(dtype))
        seen[:] = True
    else:
        parts, dtype = _stream_parts(_row_blocks(A, block_rows) if whole else A, m, n,
                                     seen, sketches)
    for r0, (Y_part, X_part, Z_part, W_part) in parts:
        if Y is None:
            Y = np.empty((m, r), dtype=Y_part.dtype)
            X, Z, W = X_part, Z_part, W_part
        else:
            X, Z, W = X + X_part, Z + Z_part, W + W_part
        Y[r0:r0 + Y_part.shape[0]] = Y_part
    if not seen.all():
        raise ValueError(f"`A`: the stream left {int(np.count_nonzero(~seen))} of {m} rows "
                         f"unread (first: row {int(np.argmin(seen))})")
    if not (np.isfinite(Y).all() and np.isfinite(X).all()):
        raise ValueError("`A` must contain only finite values; got NaN or inf")
    xp = namespace_of(ENGINE)
    Q, P = orthonormalize(Y, xp), orthonormalize(X.T, xp)
    Uc, sigma, Vt = _core(core_left @ Q, Z, Psi_host.T.astype(dtype) @ P, k)
    U, Vt = Q @ Uc, Vt @ P.T
    flip = _flip(Vt)
    U, Vt = U * flip, Vt * flip[:, None]
    bound = _bound(W - ((probes @ U) * sigma) @ Vt)
    if is_dask(A):
        import dask.array as da

        U = da.from_array(U, chunks=(A.chunks[0], k))
    return SVDResult(U=U, s=sigma, Vt=Vt, mean=None, error_estimate=bound,
                     confidence=CONFIDENCE, n_passes=1, n_matvecs=2 * r + s + N_PROBES,
                     method="single_pass", status=Status.CONVERGED,
                     message=f"rank {k} from one read of A (sketches r={r}, s={s})")
