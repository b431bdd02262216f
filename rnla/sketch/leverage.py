"""Statistical leverage scores: exact (rank-aware) and fast approximate."""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from array_api_compat import device as array_device

from rnla._deprecate import renamed_parameters
from rnla._random import SeedLike, as_generator, spawn
from rnla._validation import (
    check_array,
    check_int,
    check_matrix,
    check_namespace,
    check_option,
    check_real,
    extreme_scale,
    is_dask,
)
from rnla.backend import uses_cpu

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


def _rank_basis(R: np.ndarray, rcond: float) -> np.ndarray:
    r"""N = V_r diag(sigma_r)^{-1} for R = U Sigma V^T, keeping sigma_j > rcond sigma_1.

    For any M = Q R with orthonormal Q, M N = Q U_r has orthonormal columns
    spanning range(M).
    """
    _, sv, Vt = scipy.linalg.svd(R, full_matrices=False)
    if sv.size == 0 or sv[0] == 0:
        return np.zeros((R.shape[1], 0), dtype=R.dtype)
    rank = int(np.sum(sv > rcond * sv[0]))
    return Vt[:rank].T / sv[:rank]


def _tall_r_factor(A, chunk_rows: int) -> np.ndarray:
    """R factor of a tall sparse A by blocked (TSQR-style) Householder QR on dense chunks."""
    d = A.shape[1]
    R = np.zeros((0, d), dtype=A.dtype)
    for r0 in range(0, A.shape[0], chunk_rows):
        block = np.vstack([R, A[r0:r0 + chunk_rows].toarray()])
        R = scipy.linalg.qr(block, mode="r", check_finite=False)[0][: min(block.shape)]
    return R


def _exact_namespace(A, xp, rcond: float):
    """Exact scores of a dense array of any namespace (``xp.linalg``: QR, then SVD of R)."""
    Q, R = xp.linalg.qr(A)
    U, sv, _ = xp.linalg.svd(R, full_matrices=False)
    rank = 0 if float(sv[0]) == 0 else int(xp.sum(xp.astype(sv > rcond * sv[0], xp.int64)))
    if rank < A.shape[1]:
        Q = Q @ U[:, :rank]
    return xp.astype(xp.sum(Q * Q, axis=1), xp.float64)


def _approx_namespace(A, xp, R, rcond: float, G: np.ndarray | None,
                      block_rows: int = 2**16):
    """Squared row norms of A N G (N from R's SVD; G a host JL matrix or None), by row
    blocks of A, in A's namespace."""
    _, sv, Vt = xp.linalg.svd(R, full_matrices=False)
    rank = 0 if float(sv[0]) == 0 else int(xp.sum(xp.astype(sv > rcond * sv[0], xp.int64)))
    N = Vt[:rank, :].T / sv[None, :rank]
    if G is not None and G.shape[1] < rank:
        N = N @ xp.asarray(G[:rank], dtype=N.dtype, device=array_device(A))
    parts = [xp.sum((A[r0:min(A.shape[0], r0 + block_rows), :] @ N) ** 2, axis=1)
             for r0 in range(0, A.shape[0], block_rows)]
    return xp.astype(xp.concat(parts), xp.float64)


def _exact(A, rcond: float) -> np.ndarray:
    if sp.issparse(A):
        A = A.tocsr()
        chunk = max(4 * A.shape[1], (64 * 2**20) // (8 * A.shape[1]))
        N = _rank_basis(_tall_r_factor(A, chunk), rcond)
        return _row_norms_sq_of_product(A, N)
    Q, R = scipy.linalg.qr(A, mode="economic", check_finite=False)
    U, sv, _ = scipy.linalg.svd(R, full_matrices=False, check_finite=False)
    rank = 0 if sv[0] == 0 else int(np.sum(sv > rcond * sv[0]))
    if rank == A.shape[1]:
        return _row_norms_sq(Q)
    return _row_norms_sq(Q @ U[:, :rank])


@renamed_parameters(seed="rng")
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
        ``"exact"``: thin Householder QR A = QR, then the SVD of R decides the
        rank (singular values above ``rcond * sigma_1``); O(n d^2).  For sparse A
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
    if is_dask(A):
        from rnla.distributed import leverage_scores_dask

        return leverage_scores_dask(A, method, rcond, eps, sketch, sketch_size, n_projections,
                                    as_generator(rng))
    xp = check_namespace(A=A)
    host = uses_cpu(xp)
    A = check_matrix(A) if host else check_array(A, xp)
    rng = as_generator(rng)
    n, d = A.shape
    if rcond is None:
        rcond = max(n, d) * float(np.finfo(np.float32 if A.dtype == xp.float32
                                           else np.float64).eps)
    rcond = check_real(rcond, "rcond", 0.0, 1.0)
    if n < d:
        raise ValueError(f"`A` must be tall (n >= d) for leverage scores; got shape {A.shape}")
    if host:
        scale = extreme_scale(A)
        if scale != 1.0:  # entries near overflow or underflow: the scores do not change
            A = A * scale
    if method == "exact":
        if not host:
            return _exact_namespace(A, xp, rcond)
        return _exact(A, rcond).astype(np.float64, copy=False)

    from rnla.sketch import make_sketch

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
    if not host:
        R = xp.linalg.qr(SA)[1]
        G = rng_jl.standard_normal((d, n_projections)) / math.sqrt(n_projections)
        return _approx_namespace(A, xp, R, rcond, G)
    if sp.issparse(SA):
        SA = SA.toarray()
    R = scipy.linalg.qr(SA, mode="r", check_finite=False)[0][:d]
    N = _rank_basis(R, rcond)
    if n_projections < N.shape[1]:
        G = rng_jl.standard_normal((N.shape[1], n_projections)) / math.sqrt(n_projections)
        N = N @ G.astype(N.dtype)
    return _row_norms_sq_of_product(A, N)
