r"""Sketched least squares and ridge regression: the public drivers.

``lstsq`` and ``ridge`` solve

.. math:: \min_x \|A x - b\|_2^2 + \alpha \|x\|_2^2

for a tall n x d matrix A by one of four methods:

* ``"direct"``: the minimum-norm solution by an SVD-based solver;
* ``"precondition"`` (default where it pays): sketch ``S A``, factor it, and iterate on
  the preconditioned problem to full accuracy (Blendenpik, LSRN, SPIR);
* ``"sketch_solve"``: solve the sketched problem ``min ||S (A x - b)||`` only;
* ``"ihs"``: the iterative Hessian sketch.

One driver serves every engine (``rnla.backend.engine_of``): the sketch ``S A`` is
computed where A lives, the small sketch is factored on the host, and the iteration
runs on the host's d-sized vectors with the engine's fused normal-residual pass as its
only product with A.  Where an engine cannot offer a path it is refused by name.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from rnla._random import SeedLike, as_generator
from rnla._status import Status
from rnla._validation import (
    check_int,
    check_linear_operator,
    check_matrix,
    check_option,
    check_real,
    column_powers_of_two,
)
from rnla.backend import Engine, engine_of
from rnla.lstsq._gram import GramOperator
from rnla.lstsq._result import LstsqProgress, LstsqResult, make_result
from rnla.lstsq._sketched import plain_lsqr, sketch_kind, solve_sketched
from rnla.lstsq.cost import choose_method, default_sketch_size, iteration_limit
from rnla.sketch import SKETCH_KINDS, SketchOperator

__all__ = ["lstsq", "ridge", "METHODS", "SOLVERS"]

logger = logging.getLogger(__name__)

METHODS = ("auto", "direct", "precondition", "sketch_solve", "ihs")
SOLVERS = ("cg", "lsqr", "lsmr")

#: what an engine cannot offer: (argument, value) -> why, refused by name
_REFUSED = {
    "dask": {
        ("method", "direct"): "method='direct' is not available for a Dask `A`: use "
                              "'precondition' (the default) or 'sketch_solve'; "
                              "dask.array.linalg.lstsq solves directly (TSQR)",
        ("method", "ihs"): "method='ihs' is not available for a Dask `A`: use "
                           "'precondition' (the default) or 'sketch_solve'",
        ("solver", "lsqr"): "`solver` must be 'cg' for a Dask `A` (LSQR/LSMR need n-sized "
                            "vectors on the client); got 'lsqr'",
        ("solver", "lsmr"): "`solver` must be 'cg' for a Dask `A` (LSQR/LSMR need n-sized "
                            "vectors on the client); got 'lsmr'",
        ("x0", True): "`x0` and `refresh` are not available for a Dask `A`",
        ("refresh", True): "`x0` and `refresh` are not available for a Dask `A`",
    },
    "xp": {
        ("solver", "lsqr"): "`solver` must be 'cg' for arrays of another Array-API library "
                            "than numpy (scipy's LSQR/LSMR need n-sized vectors on the host); "
                            "got 'lsqr'",
        ("solver", "lsmr"): "`solver` must be 'cg' for arrays of another Array-API library "
                            "than numpy (scipy's LSQR/LSMR need n-sized vectors on the host); "
                            "got 'lsmr'",
    },
}


def _refuse(engine: Engine, **arguments) -> None:
    refused = _REFUSED.get(engine.kind, {})
    for item in arguments.items():
        if item in refused:
            raise ValueError(refused[item])


def _penalty(alpha, d: int, engine: Engine) -> np.ndarray | None:
    """``alpha`` as the host vector of d penalties (None: no penalty); a vector of another
    namespace comes to the host (d values)."""
    if alpha is None:
        return None
    if getattr(alpha, "ndim", np.ndim(alpha)) == 0:
        alpha = check_real(alpha, "alpha", 0.0, None)
        return None if alpha == 0 else np.full(d, alpha)
    foreign = hasattr(alpha, "__array_namespace__") and not isinstance(alpha, np.ndarray)
    penalty = np.asarray(engine.compute(alpha)[0] if foreign else alpha)
    if penalty.dtype == object or not np.issubdtype(penalty.dtype, np.number) \
            or np.iscomplexobj(penalty):
        raise TypeError(f"`alpha` must be real; got dtype {penalty.dtype}")
    penalty = penalty.astype(np.float64)
    if penalty.shape != (d,):
        raise ValueError(f"`alpha` must be a float or have shape ({d},) (A's columns); got "
                         f"shape {penalty.shape}")
    if not np.all(np.isfinite(penalty) & (penalty >= 0)):
        raise ValueError("`alpha` must contain only finite values >= 0")
    return penalty if penalty.any() else None


def _warn_if_narrowed(dtype: np.dtype, b) -> None:
    """numpy would promote float32 A and float64 b to float64; rnla keeps A's float32
    (promoting A would copy it and double the cost of every product, the cost the
    caller chose float32 to avoid): say so, once per call."""
    wide = getattr(b, "dtype", None)
    if dtype != np.float32 or wide is None:
        return
    if str(wide) == "float64":
        warnings.warn("`A` is float32 and `b` float64: rnla solves in A's dtype and "
                      "returns float32 x (numpy.linalg.lstsq would promote to float64); "
                      "pass A.astype(numpy.float64) for a float64 solution, or b as "
                      "float32 to silence this", UserWarning, stacklevel=4)


class EveryIteration:
    """A user's callback that asks to be called after every inner iteration."""

    every_iteration = True

    def __init__(self, callback):
        self.callback = callback

    def __call__(self, state) -> bool:
        return self.callback(state)


def _solve(A, b, alpha, method, sketch, sketch_size, solver, tol, maxiter, x0, rng, rcond,
           refresh, callback, callback_every="step") -> LstsqResult:
    """Validate once, in the engine of the call, then run the path ``method`` names."""
    engine = engine_of(A=A, b=b, alpha=alpha, x0=x0)
    operator = isinstance(A, spla.LinearOperator)
    if operator:
        A, dtype = check_linear_operator(A, None, "A")
    else:
        A = engine.matrix(A, "A")
        dtype = np.dtype(np.float32 if A.dtype == engine.xp.float32 else np.float64)
    n, d = A.shape
    if engine.kind == "dask":
        A = A.rechunk({1: -1})
    _warn_if_narrowed(dtype, b)
    B, was_vector = engine.columns(b, n, "b", like=A)
    penalty = _penalty(alpha, d, engine)
    check_option(method, "method", METHODS)
    check_option(solver, "solver", SOLVERS)
    if not isinstance(refresh, (bool, np.bool_)):
        raise TypeError(f"`refresh` must be a bool; got {type(refresh).__name__}")
    _refuse(engine, method=method, solver=solver, x0=x0 is not None, refresh=bool(refresh))
    if not isinstance(sketch, SketchOperator):
        check_option(sketch, "sketch", SKETCH_KINDS)
    elif sketch.n != n:
        raise ValueError(f"`sketch` must have n = {n} (A's rows); got shape {sketch.shape}")
    if callback is not None and not callable(callback):
        raise TypeError(f"`callback` must be callable; got {type(callback).__name__}")
    check_option(callback_every, "callback_every", ("step", "iteration"))
    if callback is not None and callback_every == "iteration":
        callback = EveryIteration(callback)
    if operator and sketch == "leverage":
        raise ValueError("sketch='leverage' needs the rows of A: pass A as an array, or use "
                         "another sketch for a LinearOperator")
    eps = np.finfo(dtype).eps
    tol = check_real(4.0 * eps if tol is None else tol, "tol", 0.0, 1.0, low_open=True,
                     high_open=True)
    if maxiter is not None:
        maxiter = check_int(maxiter, "maxiter", low=0)
    if rcond is not None:
        rcond = check_real(rcond, "rcond", 0.0, 1.0)
    rng = as_generator(rng, "rng")
    nnz = A.nnz if sp.issparse(A) else None
    if isinstance(sketch, SketchOperator):
        if sketch_size is not None and sketch_size != sketch.k:
            raise ValueError(f"`sketch_size` ({sketch_size}) disagrees with the given "
                             f"sketch's k ({sketch.k})")
        m = sketch.k
        if refresh:
            raise ValueError("`refresh=True` draws a new sketch per step: pass `sketch` as a "
                             f"kind name {tuple(SKETCH_KINDS)}, not an operator")
    elif sketch_size is None:
        m = default_sketch_size(n, d, nnz)
    else:
        m = check_int(sketch_size, "sketch_size", low=1)
    X0 = None
    if x0 is not None:
        X0 = engine.compute(engine.columns(x0, d, "x0")[0])[0]
        if X0.shape[1] != B.shape[1]:
            raise ValueError(f"`x0` must have shape ({d},) or ({d}, {B.shape[1]}) like b; "
                             f"got {tuple(np.shape(x0))}")
    hedge = False
    if method == "auto":
        if operator:
            method = "precondition" if m < n else "direct"
        elif engine.kind == "dask":
            method = "precondition"
        else:
            method = choose_method((n, d), nnz, m)
        # an operator may be well-conditioned, where plain LSQR beats paying m products
        # with A^T for the sketch: LSQR goes first, for as many iterations as the
        # preconditioned solve would take; if that does not reach tol, A is not
        # well-conditioned and the sketch pays
        hedge = (operator and method == "precondition" and maxiter is None
                 and (penalty is None or np.all(penalty == penalty[0])))
    logger.debug("lstsq: %d x %d %s on the %s engine, method %r, sketch size %d", n, d,
                 type(A).__name__, engine.kind, method, m)
    if method == "direct":
        if operator:  # d products with A form it; LAPACK then solves
            A = check_matrix(np.asarray(A.matmat(np.eye(d, dtype=dtype)), dtype=dtype), "A")
        t0 = time.perf_counter()
        # the rank is decided on A D, D the exact equilibration of A's columns, so it does
        # not depend on their units: x = D y for the minimum-norm y
        D = column_powers_of_two(engine.column_maxabs(A))
        root = None if penalty is None else engine.from_host(np.sqrt(penalty) * D, A)
        Y, resid, rank = engine.kernels.min_norm_solve(A, B, root, rcond,
                                                       engine.from_host(D, A))
        x = engine.from_host((D[:, None] * engine.compute(Y)[0]).astype(dtype), A)
        return make_result(x, engine.compute(resid)[0], None, 0, Status.CONVERGED, "direct",
                           sketch_kind(sketch), solver, was_vector,
                           (0.0, time.perf_counter() - t0, 0.0), None, 0, rank)
    if m >= n:
        raise ValueError(
            f"`sketch_size` must be less than n = {n} (A's rows) for a sketched method; got "
            f"{m}: a sketch as large as A cannot pay (and an SRHT of that size loses rank). "
            "Use method='direct' or method='auto'")
    if m < d:
        raise ValueError(f"`sketch_size` must be at least d = {d} (A's columns), or the "
                         f"sketched matrix cannot have full rank; got {m}")
    if method == "sketch_solve" and (maxiter is not None or x0 is not None):
        warnings.warn("method='sketch_solve' does not iterate: `maxiter` and `x0` are ignored",
                      UserWarning, stacklevel=3)
    rcond = max(m, d) * eps if rcond is None else rcond
    if (solver in ("lsqr", "lsmr") and method == "precondition" and dtype != np.float64
            and not operator):
        A = A.astype(np.float64)  # scipy's iterations would convert A at every product
    iters, seconds = 0, 0.0
    if hedge:
        t0 = time.perf_counter()
        X, eta, iters, cond = plain_lsqr(A, B, penalty, tol, iteration_limit(tol, m / d), X0)
        seconds = time.perf_counter() - t0
        if np.all(eta <= tol):
            rr = GramOperator(A, penalty, engine.normal_residual(A)).residual_gradient(X, B)[1]
            return make_result(X.astype(dtype), np.sqrt(rr), eta, iters, Status.CONVERGED,
                               "lsqr", sketch_kind(sketch), solver, was_vector, (0.0, 0.0, seconds),
                               cond, 0, None)
        logger.debug("lstsq: plain LSQR did not reach tol in %d iterations; sketching", iters)
        X0 = X
    res = solve_sketched(engine, A, B, penalty, method, sketch, m, solver, tol, maxiter, X0,
                          rng, rcond, refresh, was_vector, dtype, callback)
    res.n_iter += iters
    res.time_iterate += seconds
    return res


def lstsq(A, b, *, method: str = "auto", sketch: str | SketchOperator = "sparse_sign",
          sketch_size: int | None = None, solver: str = "cg", tol: float | None = None,
          maxiter: int | None = None, x0=None, rng: SeedLike = None,
          rcond: float | None = None, refresh: bool = False,
          callback: Callable[[LstsqProgress], bool] | None = None,
          callback_every: str = "step") -> LstsqResult:
    r"""Solve the least-squares problem :math:`\min_x \|A x - b\|_2`, by sketching where it pays.

    Parameters
    ----------
    A : array_like, scipy.sparse matrix or LinearOperator of shape (n, d)
        The matrix; float32 and float64 are kept (the computation runs in float64,
        and x is returned in A's dtype).  A ``scipy.sparse.linalg.LinearOperator``
        is used matrix-free: the sketch costs m products with A^T (``rmatmat``),
        each iteration one ``matmat`` and one ``rmatmat``.  Arrays of another
        Array-API library (CuPy, torch, ...) are solved in that namespace, on their
        device, by ``"direct"`` (SVD) or ``"precondition"``; x comes back there
        (docs/backend.md).
    b : array_like of shape (n,) or (n, k)
        Right-hand side(s); k columns share one sketch and one factorisation.  Of A's
        namespace.
    method : {"auto", "direct", "precondition", "sketch_solve", "ihs"}, default="auto"
        * ``"auto"``: ``"precondition"`` where the cost model of
          :func:`choose_method` says the sketch pays, else ``"direct"``
          (square, wide, nearly square and small problems).  For a LinearOperator,
          plain LSQR for as many iterations as the preconditioned solve would take
          (``result.method == "lsqr"`` when that reaches ``tol``: a well-conditioned
          A), then ``"precondition"`` from LSQR's iterate; ``"direct"`` when the
          sketch would have n rows or more.
        * ``"direct"``: LAPACK's SVD-based solver (gelsd, as ``numpy.linalg.lstsq``):
          the minimum-norm solution, singular values below ``rcond`` times the
          largest treated as zero.  A LinearOperator is formed first (d products).
        * ``"precondition"``: sketch ``S A = Q R``, start from the sketch-and-solve
          point, and refine with ``solver`` on ``A R^{-1}`` until the estimated
          backward error is at most ``tol`` (SPIR; backward stable like LAPACK).
          A numerically rank-deficient ``S A`` is factored by a truncated SVD,
          which gives the minimum-norm solution.
        * ``"sketch_solve"``: return ``argmin ||S (A x - b)||``.  If S embeds
          span([A, b]) with distortion eps, the residual is within a factor
          (1 + eps)/(1 - eps) of the optimum; a low-accuracy method.
        * ``"ihs"``: the iterative Hessian sketch: with a fixed sketch, Polyak's
          heavy ball as the inner solver of the same refinement (FOSSILS); with
          ``refresh=True``, a new sketch every step (Pilanci and Wainwright 2016).
    sketch : str or SketchOperator, default="sparse_sign"
        The sketch of the sketched methods: a kind ("sparse_sign", "srht",
        "gaussian", "countsketch", "uniform", "leverage") or an operator of shape
        (m, n); ``"leverage"`` samples by fast approximate leverage scores.
        Ignored by ``method="direct"``.
    sketch_size : int, optional
        Rows of the sketch, in [d, n); default ``default_sketch_size(n, d)`` = min(4d, n).
    solver : {"cg", "lsqr", "lsmr"}, default="cg"
        Inner solver of ``method="precondition"``.  ``"cg"`` is conjugate gradients
        on the preconditioned normal equations (CGLS: in exact arithmetic LSQR's
        iterates), one fused pass over A per iteration; ``"lsqr"`` and ``"lsmr"``
        are scipy's, two passes per iteration.
    tol : float in (0, 1), optional
        Tolerance on the estimated normwise relative backward error (Karlson--Walden):
        stop when x solves ``min ||(A + dA) x - (b + db)||`` for some
        ``||[dA, theta db]||_F <= tol ||A||_F`` with ``theta = ||A||_F / ||b||``.
        Default ``4 eps`` of A's dtype: the accuracy of LAPACK.
    maxiter : int >= 0, optional
        Limit on inner iterations, all refinement steps together; default ``2 k + 10``
        with ``k = 2 ln(2/tol) / ln(m/d)``.  ``maxiter=0`` returns the sketch-and-solve
        point with its residual and backward error.
    x0 : array_like of shape (d,) or (d, k), optional
        Starting point instead of the sketch-and-solve solution.
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness of the sketch (SPEC 7).
    rcond : float, optional
        Relative rank cutoff: ``max(m, d) * eps`` for the sketch ``S A``,
        ``max(n, d) * eps`` for the direct solver (numpy's default).
    refresh : bool, default=False
        ``method="ihs"`` only: draw a new sketch at every step.
    callback : callable, optional
        Called as ``callback(progress)`` with an :class:`LstsqProgress` after every
        refinement step (every iteration for ``refresh=True``); returning True stops
        the solver with status ``"callback"`` and the current iterate.
    callback_every : {"step", "iteration"}, default="step"
        ``"iteration"`` calls ``callback`` after every inner iteration of ``"cg"``
        and the heavy ball too (as scipy's ``cg`` does), with the current x; its
        ``residual_norm`` and ``backward_error`` are NaN there (they cost a pass over A)
        and are filled after each refinement step.  LSQR and LSMR report per step.

    Returns
    -------
    LstsqResult
        ``x``, ``residual_norm``, ``status`` (``converged`` tells whether it is
        ``"converged"``), ``method`` (the path that ran), ``message``,
        ``backward_error``, ``n_iter``, per-phase times and ``condition_estimate``.

    Notes
    -----
    Cost of the sketched path for dense A: one pass over A for the sketch
    (sparse sign: O(s n d)), O(m d^2 + d^3) to factor it and take its spectrum,
    then one pass over A per iteration (two for LSQR/LSMR) plus one per
    backward-error check.  The number of iterations depends on m/d, not on cond(A):
    about 15 for a consistent or nearly consistent system and 30 to 45 for a large
    residual at the default tol.

    References
    ----------
    .. [1] H. Avron, P. Maymounkov, S. Toledo, "Blendenpik: Supercharging LAPACK's
       least-squares solver", SIAM J. Sci. Comput. 32(3), 2010.
    .. [2] X. Meng, M. Saunders, M. Mahoney, "LSRN: A parallel iterative solver for
       strongly over- or underdetermined systems", SIAM J. Sci. Comput. 36(2), 2014.
    .. [3] M. Pilanci, M. Wainwright, "Iterative Hessian sketch", JMLR 17, 2016.
    .. [4] M. Meier, Y. Nakatsukasa, A. Townsend, M. Webb, "Are sketch-and-precondition
       least squares solvers numerically stable?", SIAM J. Matrix Anal. Appl. 45(2), 2024.
    .. [5] E. Epperly, M. Meier, Y. Nakatsukasa, "Fast randomized least-squares
       solvers can be just as accurate and stable as classical direct solvers",
       arXiv:2406.03468.
    .. [6] R. Karlson, B. Walden, "Estimation of optimal backward perturbation bounds
       for the linear least squares problem", BIT 37(4), 1997.

    Examples
    --------
    >>> import numpy as np
    >>> import rnla
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((60000, 300)); b = rng.standard_normal(60000)
    >>> res = rnla.lstsq(A, b, rng=0)
    >>> res.method, res.converged
    ('precondition', True)
    >>> x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
    >>> bool(np.linalg.norm(res.x - x_ref) <= 1e-13 * np.linalg.norm(x_ref))
    True
    >>> rnla.lstsq(A[:2000, :20], b[:2000]).method
    'direct'
    """
    return _solve(A, b, None, method, sketch, sketch_size, solver, tol, maxiter, x0, rng,
                  rcond, refresh, callback, callback_every)


def ridge(A, b, alpha: float | np.ndarray, *, method: str = "auto",
          sketch: str | SketchOperator = "sparse_sign", sketch_size: int | None = None,
          solver: str = "cg", tol: float | None = None, maxiter: int | None = None, x0=None,
          rng: SeedLike = None, rcond: float | None = None, refresh: bool = False,
          callback: Callable[[LstsqProgress], bool] | None = None,
          callback_every: str = "step") -> LstsqResult:
    r"""Solve ridge regression :math:`\min_x \|A x - b\|_2^2 + \alpha \|x\|_2^2`.

    ``alpha`` is a float >= 0 or an array of d penalties, one per coefficient
    (zero leaves a coefficient, such as an intercept column, unpenalised).  The
    problem is least squares with the augmented matrix
    :math:`[A; \sqrt{\alpha} I]`: the direct path solves it by LAPACK, the
    sketched path factors :math:`[S A; \sqrt{\alpha} I]` (as PARLA does) and
    refines on :math:`[A; \sqrt{\alpha} I] R^{-1}`; ``residual_norm`` is
    :math:`\sqrt{\|b - A x\|^2 + \sum_i \alpha_i x_i^2}`.  Every other argument
    is as in :func:`lstsq`.

    Parameters
    ----------
    A : array_like or scipy.sparse matrix of shape (n, d)
        As in :func:`lstsq` (arrays of other namespaces included).
    b : array_like of shape (n,) or (n, k)
        Right-hand side(s), of A's namespace.
    alpha : float or ndarray of shape (d,)
        Penalty, >= 0 (a float for arrays of namespaces other than numpy).
    method, sketch, sketch_size, solver, tol, maxiter, x0, rng, rcond, refresh, callback
        As in :func:`lstsq`.
    callback_every : {"step", "iteration"}, default="step"
        As in :func:`lstsq`.

    Returns
    -------
    LstsqResult

    Examples
    --------
    >>> import numpy as np
    >>> import rnla
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((5000, 20)); b = rng.standard_normal(5000)
    >>> x = rnla.ridge(A, b, alpha=10.0, rng=0).x
    >>> x_ref = np.linalg.solve(A.T @ A + 10.0 * np.eye(20), A.T @ b)
    >>> bool(np.allclose(x, x_ref, rtol=1e-10, atol=0))
    True
    """
    if alpha is None:
        raise TypeError("`alpha` must be a float >= 0 or a vector of d penalties; got None")
    return _solve(A, b, alpha, method, sketch, sketch_size, solver, tol, maxiter, x0, rng,
                  rcond, refresh, callback, callback_every)
