"""Statistical leverage scores: exact (rank-aware) and fast approximate."""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from array_api_compat import device as array_device

from rnla._random import SeedLike, as_generator, spawn
from rnla._validation import (
    check_int,
    check_option,
    check_real,
    column_maxabs,
    column_powers_of_two,
)
from rnla.backend import engine_of, to_host
from rnla.sketch._base import make_sketch

__all__ = ["leverage_scores"]


def _row_norms_sq(M: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", M, M)


def _row_norms_sq_of_product(A, N: np.ndarray, block_bytes: int = 4 * 2**20) -> np.ndarray:
    """Squared row norms of A @ N, by row blocks: the n x r product never exists."""
    n = A.shape[0]
    h = np.empty(n, dtype=np.float64)
    step = max(1, block_bytes // (8 * max(1, N.shape[1])))
    for r0 in range(0, n, step):
        h[r0:r0 + step] = _row_norms_sq(np.asarray(A[r0:r0 + step] @ N))
    return h


def _rank_factors(R: np.ndarray, rcond: float) -> tuple[np.ndarray, np.ndarray]:
    r"""``(W_r, N)`` from the SVD ``R D = W \Sigma V^T`` of R with its columns equilibrated
    (D exact powers of two, ``column_powers_of_two``), keeping sigma_j > rcond sigma_1:
    ``N = D V_r \Sigma_r^{-1}``.

    For any M = Q R with orthonormal Q, ``Q W_r = M N`` has orthonormal columns spanning
    the numerical range of M; the rank is decided on ``M D``, so it does not depend on
    the units of M's columns.
    """
    R = np.asarray(R, dtype=np.float64)
    D = column_powers_of_two(column_maxabs(R))
    W, sv, Vt = scipy.linalg.svd(R * D, full_matrices=False)
    if sv.size == 0 or sv[0] == 0:
        return W[:, :0], np.zeros((R.shape[1], 0))
    rank = int(np.sum(sv > rcond * sv[0]))
    return W[:, :rank], D[:, None] * Vt[:rank].T / sv[:rank]


def _tall_r_factor(A, chunk_rows: int) -> np.ndarray:
    """R factor of a tall sparse A by blocked (TSQR-style) Householder QR on dense chunks."""
    d = A.shape[1]
    R = np.zeros((0, d), dtype=A.dtype)
    for r0 in range(0, A.shape[0], chunk_rows):
        block = np.vstack([R, A[r0:r0 + chunk_rows].toarray()])
        R = scipy.linalg.qr(block, mode="r", check_finite=False)[0][: min(block.shape)]
    return R


def _exact_namespace(A, xp, rcond: float):
    """Exact scores of a dense array of any namespace: ``xp.linalg.qr``, the rank from the
    d x d factor on the host (``_rank_factors``), the scores in A's namespace."""
    Q, R = xp.linalg.qr(A)
    W, _ = _rank_factors(to_host(R), rcond)
    if W.shape[1] < A.shape[1]:
        Q = Q @ xp.asarray(W, dtype=Q.dtype, device=array_device(A))
    return xp.astype(xp.sum(Q * Q, axis=1), xp.float64)


def _approx_namespace(A, xp, N: np.ndarray, block_rows: int = 2**16):
    """Squared row norms of A N (N a small host matrix), by row blocks of A, in A's
    namespace."""
    N = xp.asarray(N, dtype=A.dtype, device=array_device(A))
    parts = [xp.sum((A[r0:min(A.shape[0], r0 + block_rows), :] @ N) ** 2, axis=1)
             for r0 in range(0, A.shape[0], block_rows)]
    return xp.astype(xp.concat(parts), xp.float64)


def _exact(A, rcond: float) -> np.ndarray:
    if sp.issparse(A):
        A = A.tocsr()
        chunk = max(4 * A.shape[1], (64 * 2**20) // (8 * A.shape[1]))
        return _row_norms_sq_of_product(A, _rank_factors(_tall_r_factor(A, chunk), rcond)[1])
    Q, R = scipy.linalg.qr(A, mode="economic", check_finite=False)
    W, _ = _rank_factors(R, rcond)
    if W.shape[1] == A.shape[1]:
        return _row_norms_sq(Q)
    return _row_norms_sq(Q @ W)


def _tame(A, engine):
    """A with its columns equilibrated by exact powers of two when their largest entries
    leave [1e-150, 1e150] (the scores do not change; squares in the QR and the sketch
    then stay in range); A itself otherwise."""
    top = engine.column_maxabs(A)
    live = top[top > 0]
    if live.size == 0 or (live.min() >= 1e-150 and live.max() <= 1e150):
        return A
    D = column_powers_of_two(top)
    if engine.kind == "xp":
        return A * engine.from_host(D, A)
    D = D.astype(A.dtype)
    return sp.csr_array(A @ sp.diags_array(D)) if sp.issparse(A) else A * D


def leverage_scores(A, method: str = "exact", *, rcond: float | None = None,
                    eps: float = 0.25, sketch: str = "sparse_sign",
                    sketch_size: int | None = None, n_projections: int | None = None,
                    rng: SeedLike = None) -> np.ndarray:
    r"""Statistical leverage scores of the rows of A.

    :math:`h_i = \|U_{i,:}\|^2` where the columns of U are an orthonormal basis of
    range(A).  Then :math:`0 \le h_i \le 1` and :math:`\sum_i h_i = \mathrm{rank}(A)`.

    Parameters
    ----------
    A : array or sparse matrix of shape (n, d)
        The matrix (tall: n >= d).  An array of another Array-API library is
        processed in its namespace (``xp.linalg``), and the scores come back there.
        A Dask array gives a lazy Dask array of scores: ``"exact"`` takes R from
        ``dask.array.linalg.tsqr``, ``"approx"`` from the sketch; a second pass
        forms the scores.
    method : {"exact", "approx"}, default="exact"
        ``"exact"``: thin Householder QR A = QR, then the SVD of ``R D`` decides the
        rank (singular values above ``rcond * sigma_1``), D the exact power-of-two
        equilibration of R's columns, so that the rank does not depend on the units
        of A's columns (unlike a rank relative to A's own largest singular value, as
        ``numpy.linalg.matrix_rank`` has it); O(n d^2).  For sparse A
        the R factor comes from a blocked QR and :math:`h_i = \|A_i V_r
        \Sigma_r^{-1}\|^2`.  ``"approx"``: the fast scheme of Drineas,
        Magdon-Ismail, Mahoney and Woodruff: sketch :math:`\Pi_1 A` with
        ``sketch_size`` rows, take its R factor (rank-aware), and return the
        squared row norms of :math:`A R^{-1} \Pi_2` where :math:`\Pi_2` is a
        d x ``n_projections`` Gaussian JL matrix, or of :math:`A R^{-1}` itself
        when that is cheaper (``n_projections`` >= rank).
    rcond : float, optional
        Relative singular-value cutoff for the rank; default ``max(n, d) * eps``
        of A's dtype.
    eps : float, default=0.25
        ``"approx"`` only: target relative error, :math:`|\hat h_i - h_i| \le
        \epsilon h_i`.  It sets the defaults: ``sketch_size`` =
        :math:`\lceil d / \epsilon_1^2 \rceil` with :math:`\epsilon_1 = 1 -
        (1+\epsilon)^{-1/2}` (an :math:`\epsilon_1`-embedding makes every
        score accurate to :math:`\epsilon`), ``n_projections`` =
        :math:`\lceil 8 \ln n / \epsilon^2 \rceil`.
    sketch : str, default="sparse_sign"
        ``"approx"`` only: kind of :math:`\Pi_1` (any ``rnla.make_sketch`` kind
        that needs no probabilities).
    sketch_size, n_projections : int, optional
        ``"approx"`` only: override the defaults above.
    rng : None, int, SeedSequence, Generator or RandomState
        ``"approx"`` only: randomness.

    Returns
    -------
    h : ndarray of shape (n,), float64
        The leverage scores.

    References
    ----------
    .. [1] P. Drineas, M. Magdon-Ismail, M. W. Mahoney, D. P. Woodruff, "Fast
       approximation of matrix coherence and statistical leverage", JMLR 13
       (2012), arXiv:1109.3843.

    Examples
    --------
    >>> import numpy as np
    >>> from rnla import leverage_scores
    >>> A = np.vstack([np.eye(2), np.zeros((3, 2))])
    >>> leverage_scores(A)
    array([1., 1., 0., 0., 0.])
    """
    check_option(method, "method", ("exact", "approx"))
    engine = engine_of(A=A)
    A = engine.matrix(A)
    if engine.kind == "dask":
        return _leverage_scores_chunked(A, method, rcond, eps, sketch, sketch_size,
                                        n_projections, as_generator(rng))
    host = engine.kind == "host"
    xp = engine.xp
    rng = as_generator(rng)
    n, d = A.shape
    if rcond is None:
        rcond = max(n, d) * float(np.finfo(np.float32 if A.dtype == xp.float32
                                           else np.float64).eps)
    rcond = check_real(rcond, "rcond", 0.0, 1.0)
    if n < d:
        raise ValueError(f"`A` must be tall (n >= d) for leverage scores; got shape {A.shape}")
    A = _tame(A, engine)
    if method == "exact":
        if not host:
            return _exact_namespace(A, xp, rcond)
        return _exact(A, rcond).astype(np.float64, copy=False)

    eps = check_real(eps, "eps", 0.0, 1.0, low_open=True, high_open=True)
    eps1 = 1.0 - 1.0 / math.sqrt(1.0 + eps)
    if sketch_size is None:
        sketch_size = math.ceil(d / eps1**2)
    sketch_size = check_int(sketch_size, "sketch_size", low=d)
    if n_projections is None:
        n_projections = math.ceil(8 * math.log(n) / eps**2)
    n_projections = check_int(n_projections, "n_projections", low=1)
    if sketch_size >= n:  # sketching cannot save work: exact is cheaper
        if not host:
            return _exact_namespace(A, xp, rcond)
        return _exact(A, rcond).astype(np.float64, copy=False)
    rng_sketch, rng_jl = spawn(rng, 2)
    SA = make_sketch(sketch, sketch_size, n, rng=rng_sketch) @ A
    if sp.issparse(SA):
        SA = SA.toarray()
    R = (scipy.linalg.qr(SA, mode="r", check_finite=False)[0][:d] if host else
         to_host(xp.linalg.qr(SA)[1]))
    N = _rank_factors(R, rcond)[1]
    if n_projections < N.shape[1]:
        G = rng_jl.standard_normal((N.shape[1], n_projections)) / math.sqrt(n_projections)
        N = N @ G
    if not host:
        return _approx_namespace(A, xp, N)
    return _row_norms_sq_of_product(A, N.astype(A.dtype))


def _padded_basis(R: np.ndarray, rcond: float, width: int, rng=None,
                  n_projections: int | None = None) -> np.ndarray:
    """``N = V_r diag(sigma_r)^{-1}`` (times a JL matrix when ``n_projections`` < rank,
    drawn as in memory), zero-padded to ``width`` columns: ``||A_i N||^2`` is then the
    exact (or projected) score of row i whatever the rank."""
    N = _rank_factors(R, rcond)[1]
    rank = N.shape[1]
    if n_projections is not None and n_projections < rank:
        G = rng.standard_normal((rank, n_projections)) / math.sqrt(n_projections)
        N = N @ G
    out = np.zeros((R.shape[1], width), dtype=R.dtype)
    out[:, :N.shape[1]] = N
    return out


def _r_factor(M: np.ndarray) -> np.ndarray:
    return scipy.linalg.qr(M, mode="r", check_finite=False)[0][:M.shape[1]]


def _leverage_scores_chunked(A, method: str, rcond: float | None, eps: float, sketch: str,
                             sketch_size: int | None, n_projections: int | None, rng):
    """The scores of :func:`rnla.leverage_scores` for a Dask array: a lazy float64
    Dask array chunked like A's rows.  ``"exact"`` takes R from ``dask.array.linalg.tsqr``
    (one pass) and returns :math:`\\|A_i V_r \\Sigma_r^{-1}\\|^2` (a second pass);
    ``"approx"`` sketches A (one pass) and projects (a second)."""
    import dask.array as da

    A = A.rechunk({1: -1})
    n, d = A.shape
    if n < d:
        raise ValueError(f"`A` must be tall (n >= d) for leverage scores; got shape {A.shape}")
    if rcond is None:
        rcond = max(n, d) * float(np.finfo(A.dtype).eps)
    rcond = check_real(rcond, "rcond", 0.0, 1.0)
    if method == "approx":
        eps = check_real(eps, "eps", 0.0, 1.0, low_open=True, high_open=True)
        eps1 = 1.0 - 1.0 / math.sqrt(1.0 + eps)
        m = check_int(math.ceil(d / eps1**2) if sketch_size is None else sketch_size,
                      "sketch_size", low=d)
        q = check_int(math.ceil(8 * math.log(n) / eps**2) if n_projections is None
                      else n_projections, "n_projections", low=1)
        if m < n:
            rng_sketch, rng_jl = spawn(rng, 2)
            SA = (make_sketch(sketch, m, n, rng=rng_sketch) @ A).rechunk(-1)
            R = SA.map_blocks(_r_factor, chunks=(d, d), dtype=A.dtype)
            width = min(d, q)
            N = R.map_blocks(_padded_basis, rcond, width, rng_jl, q, chunks=(d, width),
                             dtype=A.dtype)
            return ((A @ N) ** 2).sum(axis=1).astype(np.float64)
    R = da.linalg.tsqr(A)[1]
    N = R.map_blocks(_padded_basis, rcond, d, chunks=(d, d), dtype=A.dtype)
    return ((A @ N) ** 2).sum(axis=1).astype(np.float64)
