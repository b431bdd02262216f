"""Row-sampling sketches: uniform and leverage-score (importance) sampling."""

from __future__ import annotations

import math

import numpy as np
from array_api_compat import array_namespace
from array_api_compat import device as array_device

from rnla._random import SeedLike, draw_key, spawn
from rnla._validation import check_probabilities, check_real
from rnla.backend import engine_of, kernels, to_host
from rnla.sketch._base import SketchOperator
from rnla.sketch._draw import sample_by_probabilities, sample_rows
from rnla.sketch.leverage import leverage_scores

__all__ = ["UniformSampling", "LeverageSampling"]


class _RowSampling(SketchOperator):
    """Row t of S is ``w[t] * e_{idx[t]}^T``; subclasses set ``_idx`` and ``_weights``."""

    _idx: np.ndarray
    _weights: np.ndarray

    @property
    def indices(self) -> np.ndarray:
        """The sampled row indices (sorted; repeated when sampling with replacement)."""
        return self._idx

    @property
    def weights(self) -> np.ndarray:
        """The scaling of each sampled row."""
        return self._weights

    def _apply(self, A):
        if isinstance(A, np.ndarray):
            return kernels().gather_rows(A, self._idx, self._weights)
        rows = A.tocsr()[self._idx]
        rows.data *= np.repeat(self._weights, np.diff(rows.indptr)).astype(rows.dtype)
        return rows

    def _apply_transpose(self, Y):
        return kernels().scatter_rows(Y, self._idx, self._weights, self.n)

    def apply_rows(self, block: np.ndarray, r0: int, *inputs) -> np.ndarray:
        # The sampled rows that fall in the block, in their output rows (zero elsewhere).
        idx, weights = self.indices, self.weights
        out = np.zeros((idx.shape[0], block.shape[1]), dtype=block.dtype)
        lo, hi = np.searchsorted(idx, [r0, r0 + block.shape[0]])
        out[lo:hi] = block[idx[lo:hi] - r0] * weights[lo:hi, None].astype(block.dtype)
        return out

    def _apply_xp(self, A, xp, K, params):
        return K.gather_rows(A, *params)

    def _apply_transpose_xp(self, Y, xp, K, params):
        return K.scatter_rows(Y, *params, self.n)

    def to_dense(self) -> np.ndarray:
        """The k x n matrix S as a dense array (for small n: tests, teaching).

        Returns
        -------
        ndarray of shape (k, n)
        """
        dtype = np.dtype(self.dtype if self.dtype is not None else np.float64)
        S = np.zeros(self.shape, dtype=dtype)
        S[np.arange(self.k), self._idx] = self._weights
        return S


class UniformSampling(_RowSampling):
    r"""Uniform row sampling, scaled by :math:`\sqrt{n/k}` so that E[S^T S] = I.

    Without replacement (default) exactly k distinct rows are kept (each with
    probability k/n); with replacement k rows are drawn iid.  ``S @ A`` is a row
    gather: O(k d).  For sparse A the result is a CSR matrix.

    Uniform sampling embeds range(A) only when A is incoherent: it needs
    k = O(mu d log d / eps^2) with coherence mu = (n/d) max_i h_i.

    Parameters
    ----------
    k : int
        Number of rows of the sketch (sketch size).
    n : int
        Number of rows of the matrices it applies to.
    replace : bool, default=False
        Sample with replacement.
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness; the same int gives the same sketch.
    dtype : None, float32 or float64
        Force the output dtype (default: follow the input).

    Examples
    --------
    >>> from rnla.sketch import UniformSampling
    >>> S = UniformSampling(2, 4, rng=0)
    >>> S.to_dense().shape
    (2, 4)
    """

    kind = "uniform"

    def __init__(self, k: int, n: int, *, replace: bool = False, rng: SeedLike = None,
                 dtype=None):
        self.replace = bool(replace)
        super().__init__(k, n, rng=rng, dtype=dtype)
        self._key = draw_key(self._rng)
        self._idx, self._weights = self._draw(kernels(), np, None)

    def _draw(self, K, xp, device) -> tuple:
        idx = sample_rows(K, self._key, self.n, self.k, self.replace, xp, device)
        x = array_namespace(idx)
        return idx, x.full(self.k, math.sqrt(self.n / self.k), dtype=x.float64, device=device)

    def _max_k(self, n: int) -> int | None:
        return None if self.replace else n

    def __repr__(self) -> str:
        return f"UniformSampling(k={self.k}, n={self.n}, replace={self.replace})"


class LeverageSampling(_RowSampling):
    r"""Importance sampling of rows with probabilities :math:`p`, rescaled by
    :math:`1/\sqrt{k p_i}` so that E[S^T S] = I on the support of p.

    With replacement (default) k rows are drawn iid from p and row t of S is
    :math:`e_{i_t}^T/\sqrt{k p_{i_t}}`.  Without replacement each row is kept
    independently with probability :math:`q_i = \min(1, k p_i)` and weight
    :math:`1/\sqrt{q_i}` (Poisson sampling): then k is the *expected* number of
    rows and ``shape[0]`` is the number actually kept.

    Use :meth:`from_matrix` to sample by the (exact or approximate) leverage
    scores of a matrix, optionally mixed with uniform sampling.

    Parameters
    ----------
    k : int
        Sketch size (expected size without replacement).
    n : int
        Number of rows of the matrices it applies to.
    probabilities : array of shape (n,)
        Sampling probabilities: non-negative, summing to 1.
    replace : bool, default=True
        Sample with replacement.
    rng, dtype
        As for every sketch.

    Notes
    -----
    Sampling by leverage scores :math:`p_i = h_i/d` gives an eps-subspace
    embedding with k = O(d log(d/delta) / eps^2) rows (Drineas, Mahoney,
    Muthukrishnan 2006).

    Examples
    --------
    >>> import numpy as np
    >>> from rnla.sketch import LeverageSampling
    >>> A = np.random.default_rng(0).standard_normal((500, 4))
    >>> S = LeverageSampling.from_matrix(A, 40, rng=0)
    >>> (S @ A).shape
    (40, 4)
    """

    kind = "leverage"

    def __init__(self, k: int, n: int, *, probabilities, replace: bool = True,
                 rng: SeedLike = None, dtype=None):
        self.replace = bool(replace)
        super().__init__(k, n, rng=rng, dtype=dtype)
        self.k_requested = self.k
        self._key = draw_key(self._rng)
        self.dask_plan = None
        engine = engine_of(probabilities=probabilities)
        if engine.kind == "dask":
            self._init_chunked(engine.matrix(probabilities, "probabilities", ndim=(1,)))
            return
        p = check_probabilities(probabilities, self.n, xp=engine.xp)
        self.probabilities = p
        # drawn where the probabilities live; only the k rows and weights ever move
        idx, weights = sample_by_probabilities(engine.kernels, self._key, p, self.k,
                                               self.replace)
        self._sample = (engine.xp.__name__, str(array_device(p)), idx, weights)
        self._idx, self._weights = to_host(idx), to_host(weights)
        self.k = self._idx.shape[0]

    def _init_chunked(self, p) -> None:
        """Probabilities held as a chunked (Dask) array: only one mass per chunk comes to
        the client, and each chunk samples its own rows when ``S @ A`` runs: the k draws
        ``u_t`` (the streams' uniforms, as in memory) are assigned to the chunks by the
        cumulative masses."""
        if not self.replace:
            raise ValueError("`replace=False` (Poisson sampling) keeps a random number of "
                             "rows, which a Dask result cannot size in advance; use "
                             "replace=True with Dask probabilities")
        if p.shape[0] != self.n:
            raise ValueError(f"`probabilities` must be a vector of length {self.n}; got "
                             f"shape {p.shape}")
        self.probabilities = p
        masses = p.map_blocks(lambda c: np.array([c.sum()]), chunks=((1,) * p.numblocks[0],),
                              dtype=np.float64).compute()
        cum = np.cumsum(masses)
        total = float(cum[-1])
        u = np.sort(kernels().uniforms(self._key, 0, self.k))
        chunk = np.minimum(np.searchsorted(cum / total, u, side="right"), len(masses) - 1)
        first = np.concatenate([[0], np.cumsum(np.bincount(chunk, minlength=len(masses)))])
        self.dask_plan = {"chunks": p.chunks[0], "blocks": p.to_delayed(), "total": total,
                          "u": [u[first[c]:first[c + 1]] for c in range(len(masses))],
                          "first": first[:-1], "prefix": np.concatenate([[0.0], cum[:-1]])}

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        if self.dask_plan is not None:  # each task gets its chunk of p as an input instead
            state["probabilities"] = None
            state["dask_plan"] = {k: v for k, v in self.dask_plan.items() if k != "blocks"}
        return state

    def chunk_rows(self, chunks: tuple[int, ...]) -> tuple[int, ...]:
        # The probabilities' chunking when they are chunked, else A's.
        return chunks if self.dask_plan is None else self.dask_plan["chunks"]

    def chunk_inputs(self, i: int) -> tuple:
        # With chunked probabilities: chunk i's probabilities, the draws that fell in it, its first
        # output row and the mass before it.
        if self.dask_plan is None:
            return ()
        plan = self.dask_plan
        return (plan["blocks"][i], plan["u"][i], int(plan["first"][i]),
                float(plan["prefix"][i]))

    def apply_rows(self, block: np.ndarray, r0: int, *inputs) -> np.ndarray:
        # The sampled rows that fall in the block; with chunked probabilities, the rows it samples
        # by inversion of the global cumulative sum of p (the draws ``u`` that fell in it go to
        # output rows ``first, first + 1``, and so on).
        if self.dask_plan is None:
            return super().apply_rows(block, r0)
        p, u, first, prefix = inputs
        out = np.zeros((self.k, block.shape[1]), dtype=block.dtype)
        if u.size:
            cdf = (prefix + np.cumsum(p)) / self.dask_plan["total"]
            local = np.sort(np.minimum(np.searchsorted(cdf, u, side="right"), p.shape[0] - 1))
            weights = 1.0 / np.sqrt(self.k * p[local])
            out[first:first + u.size] = block[local] * weights[:, None].astype(block.dtype)
        return out

    @property
    def indices(self) -> np.ndarray:
        """The sampled row indices (sorted; repeated when sampling with replacement)."""
        self._host_sample("indices")
        return self._idx

    @property
    def weights(self) -> np.ndarray:
        """The scaling of each sampled row."""
        self._host_sample("weights")
        return self._weights

    def _host_sample(self, what: str) -> None:
        if self.dask_plan is not None:
            raise TypeError(f"this sketch's probabilities are a Dask array: each chunk "
                            f"samples its own rows when `S @ A` runs, so there are no {what} "
                            "on the client; apply it to a Dask array")

    def _apply(self, A):
        self._host_sample("sampled rows")
        return super()._apply(A)

    def _apply_transpose(self, Y):
        self._host_sample("sampled rows")
        return super()._apply_transpose(Y)

    def to_dense(self) -> np.ndarray:
        """The k x n matrix S as a dense array (for small n: tests, teaching).

        Returns
        -------
        ndarray of shape (k, n)
        """
        self._host_sample("sampled rows")
        return super().to_dense()

    def _draw(self, K, xp, device) -> tuple:
        self._host_sample("sampled rows")
        home, home_device, idx, weights = self._sample
        if xp.__name__ == home and str(device) == home_device:
            return idx, weights
        return xp.asarray(self._idx, device=device), xp.asarray(self._weights, device=device)

    def _max_k(self, n: int) -> int | None:
        return None if self.replace else n

    @classmethod
    def from_matrix(cls, A, k: int, *, method: str = "exact", shrinkage: float | None = None,
                    replace: bool = True, rng: SeedLike = None, dtype=None,
                    **leverage_options) -> LeverageSampling:
        r"""Sample the rows of A by its leverage scores.

        Probabilities are :math:`p = h/\sum h` from
        :func:`rnla.leverage_scores` (``method="exact"`` or ``"approx"``).  With
        ``shrinkage = alpha`` in [0, 1] they are mixed with uniform sampling as in
        shrinkage leveraging (SLEV, Ma, Mahoney and Yu 2015):
        :math:`p = \alpha h/\sum h + (1-\alpha)/n`; alpha = 0.9 is their
        recommendation, alpha = 0 is uniform sampling.  Mixing bounds every
        weight by :math:`\sqrt{n/(k(1-\alpha))}`.

        Parameters
        ----------
        A : array_like, scipy.sparse matrix or Dask array of shape (n, d)
            The matrix whose rows are sampled.  For a Dask array the scores stay a lazy
            Dask array; their sum and one mass per chunk are computed (passes over A:
            persist A first), and each chunk samples its own rows (with replacement only).
        k : int
            Sketch size.
        method : {"exact", "approx"}, default="exact"
            How the leverage scores are computed.
        shrinkage : float in [0, 1], optional
            Weight alpha of the leverage scores in the mixture with uniform sampling.
        replace : bool, default=True
            Sample with replacement.
        rng : None, int, SeedSequence, Generator or RandomState
            Randomness of the approximate scores and of the sample.
        dtype : None, float32 or float64
            Force the output dtype.
        **leverage_options
            Passed to :func:`rnla.leverage_scores`.

        Returns
        -------
        LeverageSampling
            The k x n operator.
        """

        rng_scores, rng_sample = spawn(rng, 2)
        engine = engine_of(A=A)
        A = engine.matrix(A)
        h = leverage_scores(A, method=method, rng=rng_scores, **leverage_options)
        # one number comes back (a sum over the chunks for Dask: a pass over A)
        total = float(engine.compute(engine.xp.sum(h))[0])
        if total <= 0:
            raise ValueError("`A` has no nonzero leverage scores (is it all zeros?)")
        p = h / total
        if shrinkage is not None:
            alpha = check_real(shrinkage, "shrinkage", 0.0, 1.0)
            p = alpha * p + (1.0 - alpha) / A.shape[0]
        return cls(k, A.shape[0], probabilities=p, replace=replace, rng=rng_sample,
                   dtype=dtype)

    def __repr__(self) -> str:
        return f"LeverageSampling(k={self.k}, n={self.n}, replace={self.replace})"


