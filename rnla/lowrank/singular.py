r"""Randomized SVD: range finder, subspace iteration, block Krylov, adaptive rank.

All three build an orthonormal basis Q (m x D) whose span nearly contains A's top
left singular subspace, then compute the SVD of the small :math:`B = Q^T A` (from
:math:`Z = A^T Q`, n x D), the Rayleigh-Ritz step :math:`A \approx Q Q^T A`:

* ``"subspace"`` (Halko, Martinsson and Tropp 2011, Algorithm 4.4): q power steps
  :math:`Q \leftarrow \mathrm{orth}(A\,\mathrm{orth}(A^T Q))` from
  :math:`Q = \mathrm{orth}(A \Omega)`, l = k + p columns, 2q + 2 passes over A.  The
  normaliser is a QR after every product (no LU, so it runs in any Array-API
  namespace).
* ``"krylov"`` (randomized block Krylov iteration: Musco and Musco 2015; Tropp and
  Webber 2023): the whole Krylov space :math:`[A\Omega, (AA^T)A\Omega, \dots,
  (AA^T)^q A\Omega]` of dimension D = l(q + 1), orthonormalized block by block
  (CGS2), with the same 2q + 2 passes.  Its error after q steps decays like
  :math:`e^{-2q\sqrt{\mathrm{gap}}}` instead of subspace iteration's
  :math:`(\sigma_{k+1}/\sigma_k)^{2q}`: far fewer passes on slowly decaying spectra.
* ``"adaptive"`` (the rank for a tolerance: the blocked QB of Yu, Gu and Li 2018 with
  Krylov blocks): the Krylov space grows a block at a time until the a posteriori
  bound on :math:`\|A - U_r \Sigma_r V_r^T\|_2` is at most ``tol`` times
  :math:`\sigma_1(B) \le \|A\|_2`, and the smallest such rank r is kept.

The error bound (``error_estimate``, with probability ``confidence``) is the one of
``rnla.lowrank._estimate``, on the residual :math:`E = A - U \Sigma V^T` itself.
"""

from __future__ import annotations

import math

import numpy as np

from rnla._random import SeedLike, as_generator
from rnla._status import Status
from rnla._validation import check_int, check_option, check_real
from rnla.backend import Engine, is_dask, to_host
from rnla.lowrank._estimate import CONFIDENCE, N_PROBES, residual_bound
from rnla.lowrank._operator import Operand, check_rank, namespace_of, operand_of, orthonormalize
from rnla.lowrank._result import SVDResult
from rnla.sketch import make_sketch

__all__ = ["svd", "range_finder", "METHODS", "TEST_MATRICES"]

METHODS = ("auto", "krylov", "subspace", "adaptive", "normal")
#: sketch kinds that can serve as the test matrix (leverage sampling needs A itself)
TEST_MATRICES = ("gaussian", "srht", "sparse_sign", "countsketch", "uniform")
#: default oversampling p (l = k + p columns), as scikit-learn's randomized_svd
OVERSAMPLE = 10
#: default Krylov depth q (2q + 2 passes): the measured choice, docs/lowrank.md
KRYLOV_DEPTH = 3
#: block size of the adaptive method when no k is given
ADAPTIVE_BLOCK = 32
#: Krylov depth cap of the adaptive method
ADAPTIVE_DEPTH = 40
#: the adaptive method keeps deepening until the error outside its basis is below this
#: fraction of the target (then truncation costs at most 3% of the target)
SETTLED = 0.25
#: after a check fails, the next waits until the basis has grown by this factor
RECHECK = 1.3
#: Krylov depth of method="normal" (one fused pass per block)
NORMAL_DEPTH = 4


def _subspace_steps(k: int, shape: tuple[int, int]) -> int:
    """scikit-learn's default number of power steps: 7 for small k, else 4."""
    return 7 if k < 0.1 * min(shape) else 4


def _product_flops(op: Operand) -> float:
    """Flops of one product of A with one column: 2 nnz for a sparse A, 2 m n for a
    dense one or an operator (whose cost is unknown: taken as dense)."""
    A = op.A
    nnz = getattr(A, "nnz", None)
    return 2.0 * (nnz if nnz is not None else op.shape[0] * op.shape[1])


def _choose_method(op: Operand, size: int, k: int, maxiter: int | None) -> str:
    r"""``"krylov"`` or ``"subspace"`` for ``method="auto"``: the cheaper in flops of block
    Krylov at depth q (``KRYLOV_DEPTH``) and subspace iteration at scikit-learn's
    steps, which measured equally accurate (``python -m bench.lowrank``).  Both make
    2q + 2 products with ``size`` columns; block Krylov adds about
    3 m D^2 + n D^2 flops (orthonormalization, Rayleigh-Ritz) for its D =
    size (q + 1) columns, subspace iteration 4 (q + 1) (m + n) size^2.
    Dense A: the products dominate and block Krylov needs fewer of them; sparse A
    with few nonzeros per row: the dense work decides."""
    m, n = op.shape
    depth = KRYLOV_DEPTH if maxiter is None else maxiter
    steps = _subspace_steps(k, op.shape) if maxiter is None else maxiter
    D = size * (depth + 1)
    if D >= min(m, n):
        return "subspace"
    flops = _product_flops(op) * size
    krylov = (2 * depth + 2) * flops + 3.0 * m * D**2 + n * D**2
    subspace = (2 * steps + 2) * flops + 4.0 * (steps + 1) * (m + n) * size**2
    return "krylov" if krylov <= subspace else "subspace"


def _test_block(op: Operand, size: int, test_matrix: str, rng: np.random.Generator):
    S = make_sketch(test_matrix, size, op.shape[1], rng=rng,
                    dtype=np.float32 if op.dtype == op.xp.float32 else np.float64)
    return op.sketch_columns(S)


def _power(op: Operand, size: int, steps: int, test_matrix: str, rng):
    r""":math:`\mathrm{orth}((AA^T)^q A \Omega)`, orthonormalized after every product."""
    xp = op.xp
    Q = orthonormalize(_test_block(op, size, test_matrix, rng), xp)
    for _ in range(steps):
        Q = orthonormalize(op.matmat(orthonormalize(op.rmatmat(Q), xp)), xp)
    return Q


def _subspace(op: Operand, size: int, steps: int, test_matrix: str, rng):
    Q = _power(op, size, steps, test_matrix, rng)
    return Q, op.rmatmat(Q)


def _krylov(op: Operand, size: int, depth: int, test_matrix: str, rng):
    xp = op.xp
    Q = orthonormalize(_test_block(op, size, test_matrix, rng), xp)
    blocks, products = [Q], []
    for _ in range(depth):
        Z = op.rmatmat(Q)
        products.append(Z)
        Q = orthonormalize(op.matmat(Z), xp, against=xp.concat(blocks, axis=1))
        blocks.append(Q)
    products.append(op.rmatmat(Q))
    return xp.concat(blocks, axis=1), xp.concat(products, axis=1)


def _normal(op: Operand, size: int, depth: int, rng):
    r"""Block Krylov iteration on :math:`A^T A` with one fused pass per block: the basis
    of :math:`[\Omega, A^T A \Omega, \dots, (A^T A)^q \Omega]` in :math:`R^n`
    (CGS2), then Rayleigh-Ritz on :math:`V^T A^T A V` from the products already made:
    ``(V W, theta)``, the right Ritz vectors and the squared Ritz values, decreasing
    (host arrays)."""
    xp = namespace_of(Engine("host", np))
    n = op.shape[1]
    blocks = [orthonormalize(rng.standard_normal((n, size)), xp)]
    images = []
    for j in range(depth + 1):
        images.append(op.gram(blocks[-1]))
        if j == depth or (j + 2) * size > n:
            break
        blocks.append(orthonormalize(images[-1], xp, against=np.concatenate(blocks, axis=1)))
    V, AtAV = np.concatenate(blocks, axis=1), np.concatenate(images, axis=1)
    T = V.T @ AtAV
    theta, W = np.linalg.eigh((T + T.T) / 2)
    return V @ W[:, ::-1], theta[::-1]


def _rayleigh_ritz(xp, Q, Z):
    """SVD of :math:`B = Q^T A` from :math:`Z = A^T Q`: ``(U, s, Vt)`` of
    :math:`Q B`, all D of them."""
    V, s, Wt = xp.linalg.svd(Z, full_matrices=False)
    return Q @ Wt.T, s, V.T


#: the Gram route of ``_top_ritz`` serves when sigma_k / sigma_1 is at least this
GRAM_SPREAD = 0.03


def _top_ritz(xp, Q, Z, k: int):
    r"""The top k of ``_rayleigh_ritz``, from the eigendecomposition of the D x D Gram
    matrix :math:`Z^T Z = B B^T` in float64 when the top k singular values lie within
    a factor 1/``GRAM_SPREAD`` of each other: a singular value then carries a relative
    error of at most :math:`\epsilon_{64} (\sigma_1/\sigma_k)^2 \approx 10^3
    \epsilon_{64}`, and the cost is one product of Z with itself instead of an SVD of
    the tall Z (the bottleneck when n is large, as for a wide sparse A).  A wider
    spread takes the SVD."""
    Z64 = xp.astype(Z, xp.float64)
    theta, W = xp.linalg.eigh(Z64.T @ Z64)
    theta, W = xp.flip(theta), xp.flip(W, axis=1)
    top = to_host(theta[:k]).astype(np.float64)
    if not top[-1] >= GRAM_SPREAD ** 2 * top[0] > 0:
        U, s, Vt = _rayleigh_ritz(xp, Q, Z)
        return U[:, :k], s[:k], Vt[:k, :]
    s = xp.sqrt(theta[:k])
    W = xp.astype(W[:, :k], Z.dtype)
    V = (Z @ W) / xp.astype(s, Z.dtype)[None, :]
    return Q @ W, xp.astype(s, Z.dtype), V.T


def _signs(xp, U, Vt):
    """Flip pairs so that each row of Vt has its largest-magnitude entry positive."""
    flip = 2 * xp.astype(xp.max(Vt, axis=1) >= -xp.min(Vt, axis=1), Vt.dtype) - 1
    return U * flip[None, :], Vt * flip[:, None]


def _error_bound(op: Operand, U, s, Vt, rng) -> float:
    """Upper bound on ``||A - U diag(s) Vt||_2`` with probability CONFIDENCE."""
    xp = op.xp

    def times(X):
        return op.matmat(X) - U @ (s[:, None] * (Vt @ X))

    def times_transpose(Y):
        return op.rmatmat(Y) - Vt.T @ (s[:, None] * (U.T @ Y))

    upper, _ = residual_bound(times, times_transpose, op.gaussian(op.shape[1], N_PROBES, rng),
                              xp)
    return upper


def range_finder(A, size: int, *, n_iter: int = 4, test_matrix: str = "gaussian",
                 rng: SeedLike = None):
    r"""An orthonormal basis Q (m x ``size``) whose span approximates A's range.

    :math:`Q = \mathrm{orth}((AA^T)^q A \Omega)` by q = ``n_iter`` power steps, each
    orthonormalized (QR) after both products (Halko, Martinsson and Tropp 2011,
    Algorithm 4.4); :math:`\Omega` is a sketch of kind ``test_matrix`` applied from
    the right (``A @ S.T``).  Cost: 2q + 1 passes over A with ``size`` columns.

    Parameters
    ----------
    A : array, scipy.sparse matrix, LinearOperator or Array-API array, shape (m, n)
    size : int
        Columns of Q, in [1, min(m, n)].
    n_iter : int, default=4
        Power steps q.
    test_matrix : {"gaussian", "srht", "sparse_sign", "countsketch", "uniform"}
    rng : int, Generator, SeedSequence, RandomState or None

    Returns
    -------
    array of shape (m, size), in A's namespace and dtype

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.lowrank import range_finder
    >>> A = np.random.default_rng(0).standard_normal((200, 8)) @ np.ones((8, 50))
    >>> Q = range_finder(A, 8, rng=0)
    >>> bool(np.linalg.norm(A - Q @ (Q.T @ A)) < 1e-10 * np.linalg.norm(A))
    True
    """
    op = operand_of(A, what="rnla.lowrank.range_finder")
    size = check_rank(size, op.shape, "size")
    n_iter = check_int(n_iter, "n_iter", low=0)
    check_option(test_matrix, "test_matrix", TEST_MATRICES)
    return _power(op, size, n_iter, test_matrix, as_generator(rng))


def svd(A, k: int | None = None, *, tol: float | None = None, method: str = "auto",
        oversample: int = OVERSAMPLE, maxiter: int | None = None, center: bool = False,
        test_matrix: str = "gaussian", estimate_error: bool = True,
        rng: SeedLike = None) -> SVDResult:
    r"""Randomized truncated SVD :math:`A \approx U \Sigma V^T` of rank k.

    Parameters
    ----------
    A : array, scipy.sparse matrix, LinearOperator or Array-API array, shape (m, n)
        numpy arrays in either memory order are used as they are (no copy);
        float32 stays float32.  A Dask array runs ``method="normal"``: U comes back
        as a lazy Dask array, s and Vt as numpy arrays (``single_pass_svd`` reads it
        once).
    k : int, optional
        The rank, in [1, min(m, n)].  Required unless ``tol`` is given; with ``tol`` it
        caps the rank.
    tol : float in (0, 1), optional
        Find the rank adaptively: the smallest r with
        :math:`\|A - U_r \Sigma_r V_r^T\|_2 \le \mathrm{tol}\,\|A\|_2` certified by the
        error bound (method ``"adaptive"``).
    method : {"auto", "krylov", "subspace", "adaptive", "normal"}, default="auto"
        ``"auto"`` is ``"adaptive"`` with ``tol``, else the cheaper in flops of
        ``"krylov"`` (depth 3) and ``"subspace"`` (scikit-learn's steps), which are
        equally accurate on every matrix measured (docs/lowrank.md): block Krylov on
        dense A and operators, subspace iteration on sparse A with few nonzeros per
        row, where block Krylov's orthonormalization would cost more than its saved
        products.  ``"normal"`` is block Krylov iteration on :math:`A^T A` with one
        fused pass per block (A's engine's normal pass: on Dask one pass over the
        chunks), for data whose reads cost more than its flops: the default on Dask
        arrays.  Its singular values below :math:`\sqrt{\epsilon}\,\sigma_1` are not
        resolved (they come from the squares).
    oversample : int, default=10
        Extra columns p of the block (l = k + p).
    maxiter : int, optional
        Power steps (``"subspace"``, default scikit-learn's 7 or 4: 2q + 2 passes)
        or Krylov depth q (``"krylov"``: 3, 2q + 2 passes; ``"normal"``: 4, q + 2
        passes on Dask, 2q + 3 on the host; ``"adaptive"``: at most 40 blocks).
    center : bool, default=False
        Approximate :math:`A - 1\mu^T` (:math:`\mu` the column means) without forming
        it: PCA of sparse data or of an operator.  One more pass.
    test_matrix : {"gaussian", "srht", "sparse_sign", "countsketch", "uniform"}
        The sketch kind of the starting block (``A @ S.T``).
    estimate_error : bool, default=True
        Compute ``error_estimate`` (up to 6 more passes with 10 columns).
    rng : int, Generator, SeedSequence, RandomState or None

    Returns
    -------
    SVDResult
        ``U, s, Vt`` (unpackable), ``error_estimate``, ``confidence``, ``n_passes``,
        ``n_matvecs``, ``method``, ``status``, ``message``.

    Notes
    -----
    Cost: 2q + 2 passes over A with l columns, plus :math:`O((m + n) D^2)` for the
    orthonormalization and the small SVD (D = l for subspace iteration, l(q + 1)
    for block Krylov).  Memory beyond A: :math:`(m + n) D`.

    Examples
    --------
    >>> import numpy as np
    >>> import rnla
    >>> rng = np.random.default_rng(0)
    >>> U0, _ = np.linalg.qr(rng.standard_normal((500, 60)))
    >>> V0, _ = np.linalg.qr(rng.standard_normal((300, 60)))
    >>> A = (U0 * 0.8 ** np.arange(60)) @ V0.T
    >>> res = rnla.lowrank.svd(A, 10, rng=0)
    >>> bool(np.allclose(res.s, 0.8 ** np.arange(10), rtol=1e-10))
    True
    >>> bool(np.linalg.norm(A - (res.U * res.s) @ res.Vt, 2) <= res.error_estimate)
    True
    """
    check_option(method, "method", METHODS)
    dask = is_dask(A)
    if dask and method not in ("auto", "normal"):
        raise TypeError(f"`A` is a Dask array: rnla.lowrank.svd runs method='normal' on it "
                        f"(one fused pass over the chunks per step), not {method!r}")
    op = operand_of(A, what="rnla.lowrank.svd", center=center,
                    serves=("host", "xp", "dask"))
    m, n = op.shape
    check_option(test_matrix, "test_matrix", TEST_MATRICES)
    if k is None and tol is None:
        raise ValueError("`k` (the rank) or `tol` (a relative spectral-norm error) is "
                         "required; got neither")
    k = None if k is None else check_rank(k, op.shape)
    if tol is not None:
        tol = check_real(tol, "tol", 0.0, 1.0, low_open=True, high_open=True)
        if method not in ("auto", "adaptive"):
            raise ValueError(f"`tol` finds the rank with method='adaptive' (or 'auto'); got "
                             f"method={method!r}")
        method = "adaptive"
    elif method == "adaptive":
        raise ValueError("method='adaptive' needs `tol`")
    oversample = check_int(oversample, "oversample", low=0)
    if maxiter is not None:
        maxiter = check_int(maxiter, "maxiter", low=0)
    rng = as_generator(rng)
    if method == "adaptive":
        if dask:
            raise TypeError("`A` is a Dask array: `tol` (method='adaptive') needs a basis of "
                            "A's range in memory; pass k")
        return _adaptive(op, k, tol, oversample, maxiter, test_matrix, rng)
    size = min(k + oversample, m, n)
    if method == "auto":
        method = "normal" if dask else _choose_method(op, size, k, maxiter)
    if method == "normal":
        return _normal_svd(op, k, size, NORMAL_DEPTH if maxiter is None else maxiter,
                           estimate_error, rng)
    if method == "krylov":
        depth = KRYLOV_DEPTH if maxiter is None else maxiter
        depth = min(depth, max(min(m, n) // size - 1, 0))
        Q, Z = _krylov(op, size, depth, test_matrix, rng)
    else:
        Q, Z = _subspace(op, size, _subspace_steps(k, op.shape) if maxiter is None
                         else maxiter, test_matrix, rng)
    U, s, Vt = _top_ritz(op.xp, Q, Z, k)
    U, Vt = _signs(op.xp, U, Vt)
    bound = _error_bound(op, U, s, Vt, rng) if estimate_error else math.nan
    message = (f"rank {k} by {method} iteration: {op.n_passes} passes over A"
               + ("" if not estimate_error else
                  f"; ||A - U S Vt||_2 <= {bound:.3g} with probability {CONFIDENCE}"))
    return SVDResult(U=U, s=s, Vt=Vt, mean=op.mean, error_estimate=bound,
                     confidence=CONFIDENCE if estimate_error else math.nan,
                     n_passes=op.n_passes, n_matvecs=op.n_matvecs, method=method,
                     status=Status.CONVERGED, message=message)


def _normal_svd(op: Operand, k: int, size: int, depth: int, estimate_error: bool, rng):
    """``svd`` by ``_normal``: V and s from the host Ritz pairs, U = A V / s in A's
    library (lazily for Dask), the error bound on :math:`E = A (I - V V^T)` through
    :math:`E^T E = P A^T A P` (P the projector off V), one fused pass per product."""
    Vr, theta = _normal(op, size, depth, rng)
    s = np.sqrt(np.maximum(theta[:k], 0.0))
    V = Vr[:, :k]
    flip = np.where(V.max(axis=0) >= -V.min(axis=0), 1.0, -1.0)
    V = V * flip
    dtype = np.float32 if op.dtype == op.xp.float32 else np.float64
    scaled = op.engine.from_host((V / np.where(s > 0, s, 1.0)).astype(dtype), op.A)
    U = op.matmat(scaled)  # U = A V / s, lazy on Dask
    bound, confidence = math.nan, math.nan
    if estimate_error:
        def off(X):
            return X - V @ (V.T @ X)

        def times(X):
            return off(op.gram(off(X)))

        xp = namespace_of(Engine("host", np))
        square, _ = residual_bound(times, times, rng.standard_normal((op.shape[1], N_PROBES)),
                                   xp)
        bound, confidence = math.sqrt(square), CONFIDENCE
    message = f"rank {k} by block Krylov iteration on A^T A: {op.n_passes} passes over A"
    return SVDResult(U=U, s=op.engine.from_host(s.astype(dtype), op.A),
                     Vt=op.engine.from_host(V.T.astype(dtype), op.A), mean=op.mean,
                     error_estimate=bound, confidence=confidence, n_passes=op.n_passes,
                     n_matvecs=op.n_matvecs, method="normal", status=Status.CONVERGED,
                     message=message)


def _adaptive(op: Operand, k, tol: float, oversample: int, maxiter, test_matrix, rng):
    """Grow a block Krylov space until the error bound certifies ``tol`` (see module)."""
    xp = op.xp
    m, n = op.shape
    block = min(ADAPTIVE_BLOCK if k is None else k + oversample, m, n)
    depth_cap = ADAPTIVE_DEPTH if maxiter is None else maxiter
    Qb = orthonormalize(_test_block(op, block, test_matrix, rng), xp)
    blocks, products = [Qb], []
    status, rank, bound, checked = Status.MAXITER, None, math.inf, 0
    for depth in range(depth_cap + 1):
        Z = op.rmatmat(Qb)
        products.append(Z)
        Q, Zall = xp.concat(blocks, axis=1), xp.concat(products, axis=1)
        U, s, Vt = _rayleigh_ritz(xp, Q, Zall)
        s_host = to_host(s).astype(np.float64)
        D = s_host.size
        target = tol * s_host[0]
        full = D + block > min(m, n) or depth == depth_cap
        capped = k is not None and D > k and s_host[k] > target
        if (s_host[-1] <= target and D >= RECHECK * checked) or full or capped:
            checked = D
            # the basis may already hold every direction above the target: bound the
            # part of A outside it, E_Q = A - Q Q^T A, and pick the smallest rank
            def times(X, Q=Q, Zall=Zall):
                return op.matmat(X) - Q @ (Zall.T @ X)

            def times_transpose(Y, Q=Q, Zall=Zall):
                return op.rmatmat(Y) - Zall @ (Q.T @ Y)

            outside, _ = residual_bound(times, times_transpose,
                                        op.gaussian(n, N_PROBES, rng), xp,
                                        give_up_above=target)
            tail = np.append(s_host, 0.0)
            total = np.sqrt(outside ** 2 + tail ** 2)  # error of rank r: total[r]
            limit = D if k is None else min(k, D)
            ok = np.flatnonzero(total[:limit + 1] <= target)
            # Ritz values never exceed A's, so no rank below `needed` meets tol: accept a
            # rank within 5% of it, or once the part outside the basis is small enough
            # that deepening could not lower the rank by more
            needed = int(np.count_nonzero(s_host[:limit] > target))
            if ok.size and (ok[0] <= 1.05 * needed + 1 or outside <= SETTLED * target
                            or full or capped):
                rank = max(int(ok[0]), 1)
                bound, status = float(total[rank]), Status.CONVERGED
                break
            if full or capped:
                rank, bound = limit, float(total[limit])
                break
        Qb = orthonormalize(op.matmat(Z), xp, against=Q)
        blocks.append(Qb)
    U, s, Vt = U[:, :rank], s[:rank], Vt[:rank, :]
    U, Vt = _signs(xp, U, Vt)
    if status == Status.CONVERGED:
        message = (f"rank {rank} meets tol={tol:g}: ||A - U S Vt||_2 <= {bound:.3g} "
                   f"<= tol * sigma_1 with probability {CONFIDENCE}; {op.n_passes} passes")
    else:
        why = (f"the rank cap k={k}" if k is not None and rank == k else
               f"the Krylov depth cap maxiter={depth_cap}" if depth == depth_cap
               else "the full dimension of A")
        message = (f"tol={tol:g} not certified before {why}: rank {rank} with "
                   f"||A - U S Vt||_2 <= {bound:.3g}; raise k or maxiter")
    return SVDResult(U=U, s=s, Vt=Vt, mean=op.mean, error_estimate=bound,
                     confidence=CONFIDENCE, n_passes=op.n_passes, n_matvecs=op.n_matvecs,
                     method="adaptive", status=status, message=message)
