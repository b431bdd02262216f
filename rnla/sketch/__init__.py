"""Sketch operators.

``rnla.sketch`` is both this package (``rnla.sketch.SRHT(k, n, rng=0)``) and
the one-shot function ``rnla.sketch(A, k, kind="sparse_sign", rng=None)``,
which returns ``S @ A``.
"""

from __future__ import annotations

import sys
import types

from scipy.sparse.linalg import LinearOperator

from rnla._random import SeedLike
from rnla._validation import check_option
from rnla.backend import engine_of
from rnla.sketch._base import SKETCH_KINDS, SketchOperator, TransposedSketch, make_sketch
from rnla.sketch.gaussian import GaussianSketch
from rnla.sketch.leverage import leverage_scores
from rnla.sketch.sampling import LeverageSampling, UniformSampling
from rnla.sketch.sizes import embedding_size
from rnla.sketch.sparse import CountSketch, SparseSign
from rnla.sketch.srht import SRHT, BlockSRHT

__all__ = [
    "SketchOperator",
    "TransposedSketch",
    "GaussianSketch",
    "SRHT",
    "BlockSRHT",
    "CountSketch",
    "SparseSign",
    "UniformSampling",
    "LeverageSampling",
    "leverage_scores",
    "embedding_size",
    "make_sketch",
    "sketch",
    "SKETCH_KINDS",
]

def sketch(A, k: int, kind: str = "sparse_sign", *, rng: SeedLike = None, **options):
    """Return ``S @ A`` for a fresh k x n sketch ``S`` of the given kind.

    Parameters
    ----------
    A : array_like, sparse matrix, LinearOperator, Array-API or Dask array, shape (n,) or (n, d)
        The matrix to sketch; on every engine, as ``make_sketch(...) @ A``.
    k : int
        Sketch size (rows of ``S @ A``).
    kind : {"sparse_sign", "gaussian", "srht", "countsketch", "uniform", "leverage"}
        The sketch; for ``"leverage"`` the probabilities default to A's exact
        leverage scores (``LeverageSampling.from_matrix``).
    rng : None, int, SeedSequence, Generator or RandomState
        Randomness of the sketch.
    **options
        Passed to :func:`make_sketch`.

    Returns
    -------
    array of A's library, of shape (k,) or (k, d)
        ``S @ A``.

    Examples
    --------
    >>> import numpy as np
    >>> import rnla
    >>> A = np.random.default_rng(0).standard_normal((1000, 8))
    >>> rnla.sketch(A, 32, kind="gaussian", rng=0).shape
    (32, 8)
    """
    check_option(kind, "kind", SKETCH_KINDS)
    if not isinstance(A, LinearOperator):
        A = engine_of(A=A).matrix(A, ndim=(1, 2), check_finite=False)
    if kind == "leverage" and "probabilities" not in options:
        return LeverageSampling.from_matrix(A, k, rng=rng, **options) @ A
    return make_sketch(kind, k, A.shape[0], rng=rng, **options) @ A


class _CallableModule(types.ModuleType):
    """Lets ``rnla.sketch(A, k, ...)`` call :func:`sketch` on this package."""

    def __call__(self, A, k: int, kind: str = "sparse_sign", *, rng: SeedLike = None,
                 **options):
        return sketch(A, k, kind, rng=rng, **options)


sys.modules[__name__].__class__ = _CallableModule
