r"""Least squares and ridge in the namespace of the input (CuPy, torch, array_api_strict).

The numpy path (``rnla.lstsq.solve``) has every method; arrays of other namespaces
take one of two paths, computed on their own device with ``xp.linalg``:

* ``"direct"``: the SVD of :math:`[A; \sqrt\alpha I]`, singular values below
  ``rcond`` times the largest dropped: the minimum-norm solution, as numpy's
  ``lstsq`` (LAPACK gelsd) gives on the CPU.
* ``"precondition"``: a sketch :math:`SA` (drawn in the namespace from the same
  streams as on the CPU), :math:`R` from the QR of :math:`[SA; \sqrt\alpha I]`, the
  sketch-and-solve start, then conjugate gradients on the normal equations right-
  preconditioned by :math:`R^{-1}` (CGLS), restarted from the current iterate with
  a freshly computed residual (iterative refinement, as in SPIR/FOSSILS) until
  :math:`\|A^T r - \alpha x\| \le tol\,\sqrt n\,\|A\|_F \|r\|` or
  :math:`\|r\| \le tol\,\sqrt n\,\|A\|_F \|x\|` (computing :math:`A^T r` in
  floating point leaves an error of about :math:`\epsilon \sqrt n \|A\| \|r\|`, so
  this is the attainable level; ``backward_error`` reports
  :math:`\|A^T r - \alpha x\| / (\|A\|_F \|r\|)`).
"""

from __future__ import annotations

import math
import time

import numpy as np
from array_api_compat import device as array_device
from array_api_compat import is_cupy_namespace

from rnla._status import Status
from rnla._validation import check_array, check_int, check_real
from rnla.lstsq._result import LstsqResult

__all__ = ["solve_namespace"]

#: restarts of the preconditioned iteration (each one recomputes the residual)
_REFINEMENTS = 3


def _triangular(R, xp):
    """Functions Y -> R^{-1} Y and Y -> R^{-T} Y: cuSOLVER's triangular solve on CuPy, an
    explicit inverse of the small d x d factor (one O(d^3) step) elsewhere."""
    if is_cupy_namespace(xp):
        from cupyx.scipy.linalg import solve_triangular

        return (lambda Y: solve_triangular(R, Y),
                lambda Y: solve_triangular(R, Y, trans="T"))
    Rinv = xp.linalg.inv(R)
    return (lambda Y: Rinv @ Y), (lambda Y: Rinv.T @ Y)


def _column_norms(xp, M):
    return xp.sqrt(xp.sum(M * M, axis=0))


def _full_rank_factor(M, xp, rcond: float):
    Q, R = xp.linalg.qr(M)
    diag = xp.abs(xp.linalg.diagonal(R))
    if float(xp.min(diag)) <= rcond * float(xp.max(diag)):
        raise ValueError("`A` is rank-deficient (to working precision): its sketch has no "
                         "full-rank triangular factor; use method='direct' (minimum norm)")
    return Q, R


def solve_namespace(A, b, alpha: float | None, xp, method: str, sketch, sketch_size,
                    tol: float | None, maxiter: int | None, rng, rcond: float | None,
                    **numpy_only) -> LstsqResult:
    """``rnla.lstsq`` / ``rnla.ridge`` (scalar alpha) for A and b of namespace ``xp``."""
    for name, value in numpy_only.items():
        if not (value is None or value is False or (isinstance(value, str) and value == "cg")):
            raise ValueError(f"`{name}` is supported for numpy arrays only; got "
                             f"{type(value).__name__} {value if isinstance(value, str) else ''}"
                             f"with arrays of {xp.__name__}")
    from rnla.lstsq.solve import choose_method, default_sketch_size
    from rnla.sketch import LeverageSampling, SketchOperator, make_sketch

    A = check_array(A, xp, "A")
    n, d = A.shape
    B = check_array(b, xp, "b", ndim=(1, 2))
    was_vector = B.ndim == 1
    if B.shape[0] != n:
        raise ValueError(f"`b` must have {n} rows (A's rows); got shape {tuple(B.shape)}")
    B = xp.astype(xp.reshape(B, (n, -1)), xp.float64)
    device = array_device(A)
    if method not in ("auto", "direct", "precondition"):
        raise ValueError(f"`method` must be 'auto', 'direct' or 'precondition' for arrays of "
                         f"{xp.__name__}; got {method!r} (the other methods run on numpy)")
    if method == "auto":
        method = choose_method((n, d), None, sketch_size) if n >= 2 * d else "direct"
    eps = float(np.finfo(np.float32 if A.dtype == xp.float32 else np.float64).eps)
    tol = 4.0 * eps if tol is None else check_real(tol, "tol", 0.0, 1.0, low_open=True,
                                                  high_open=True)
    rcond = max(n, d) * eps if rcond is None else check_real(rcond, "rcond", 0.0, 1.0)
    A64 = xp.astype(A, xp.float64)
    root = None if not alpha else math.sqrt(alpha)
    ridge_rows = None if root is None else root * xp.eye(d, dtype=xp.float64, device=device)
    zeros = xp.zeros((d, B.shape[1]), dtype=xp.float64, device=device)
    t0 = time.perf_counter()
    if method == "direct":
        M = A64 if root is None else xp.concat([A64, ridge_rows], axis=0)
        rhs = B if root is None else xp.concat([B, zeros], axis=0)
        U, sv, Vt = xp.linalg.svd(M, full_matrices=False)
        rank = 0 if float(sv[0]) == 0 else int(xp.sum(xp.astype(sv > rcond * sv[0],
                                                                 xp.int64)))
        X = Vt[:rank, :].T @ ((U[:, :rank].T @ rhs) / sv[:rank, None])
        return _result(xp, X, rhs - M @ X, was_vector, 0, Status.CONVERGED, "direct", None,
                       time_factor=time.perf_counter() - t0, rank=rank, dtype=A.dtype)
    if isinstance(sketch, SketchOperator):
        S = sketch
    else:
        m = default_sketch_size(n, d) if sketch_size is None else \
            check_int(sketch_size, "sketch_size", low=d, high=n)
        S = (LeverageSampling.from_matrix(A, m, method="approx", rng=rng)
             if sketch == "leverage" else make_sketch(sketch, m, n, rng=rng))
    SA = xp.astype(S @ A, xp.float64)
    SB = xp.astype(S @ B, xp.float64)
    time_sketch = time.perf_counter() - t0
    t1 = time.perf_counter()
    top = SA if root is None else xp.concat([SA, ridge_rows], axis=0)
    Qs, R = _full_rank_factor(top, xp, rcond)
    solve_r, solve_rt = _triangular(R, xp)
    X = solve_r(Qs.T @ (SB if root is None else xp.concat([SB, zeros], axis=0)))
    time_factor = time.perf_counter() - t1
    t2 = time.perf_counter()
    maxiter = 200 if maxiter is None else check_int(maxiter, "maxiter", low=0)
    target = tol * math.sqrt(n)
    norm_a = float(xp.sqrt(xp.sum(A64 * A64))) + (0.0 if root is None else root * math.sqrt(d))
    n_iter, eta = 0, None
    for _ in range(_REFINEMENTS):
        # CGLS on min ||[A; sqrt(alpha) I] R^{-1} y - r|| from y = 0, x += R^{-1} y
        Rres = B - A64 @ X
        G = A64.T @ Rres - (0.0 if root is None else alpha * X)
        rr = xp.sum(Rres * Rres, axis=0) + (0.0 if root is None else alpha * xp.sum(X * X, axis=0))
        Sres = solve_rt(G)
        gamma = xp.sum(Sres * Sres, axis=0)
        r_norm, x_norm = xp.sqrt(rr), xp.sqrt(xp.sum(X * X, axis=0))
        g_norm = xp.sqrt(xp.sum(G * G, axis=0))
        eta = g_norm / (norm_a * xp.where(rr > 0, r_norm, 1.0))
        done = (g_norm <= target * norm_a * r_norm) | (r_norm <= target * norm_a * x_norm)
        if bool(xp.all(done)) or n_iter >= maxiter:
            break
        Y = xp.zeros_like(X)
        P = Sres
        for _ in range(maxiter - n_iter):
            Pz = solve_r(P)
            AP = A64 @ Pz
            qq = xp.sum(AP * AP, axis=0) + (0.0 if root is None else alpha * xp.sum(Pz * Pz,
                                                                                    axis=0))
            step = gamma / xp.where(qq > 0, qq, 1.0)
            Y = Y + step * P
            Sres = Sres - step * solve_rt(A64.T @ AP + (0.0 if root is None else alpha * Pz))
            gamma_new = xp.sum(Sres * Sres, axis=0)
            P = Sres + (gamma_new / xp.where(gamma > 0, gamma, 1.0)) * P
            gamma = gamma_new
            n_iter += 1
            # the recursive residual of CG falls below the true one's attainable level
            if bool(xp.all(xp.sqrt(gamma) <= 0.1 * target * xp.sqrt(rr))):
                break
        X = X + solve_r(Y)
    status = Status.CONVERGED if bool(xp.all(done)) else Status.MAXITER
    return _result(xp, X, B - A64 @ X, was_vector, n_iter, status, "precondition", "cg",
                   time_sketch=time_sketch, time_factor=time_factor,
                   time_iterate=time.perf_counter() - t2, sketch_size=S.shape[0], rank=d,
                   dtype=A.dtype, eta=eta)


def _result(xp, X, Rm, was_vector, n_iter, status, method, solver, *, dtype=None, eta=None,
            **times) -> LstsqResult:
    norms = _column_norms(xp, Rm)
    if dtype is not None:
        X = xp.astype(X, dtype)
    if was_vector:
        X = X[:, 0]
    residual = float(norms[0]) if was_vector else norms
    message = ("solved by the SVD (minimum norm)" if method == "direct" else
               "normal residual at the attainable level" if status == Status.CONVERGED else
               "maxiter reached before the normal residual fell to the attainable level")
    if eta is not None:
        eta = float(eta[0]) if was_vector else eta
    return LstsqResult(x=X, residual_norm=residual, n_iter=n_iter, status=status,
                       message=message, method=method, solver=solver, backward_error=eta,
                       **times)
