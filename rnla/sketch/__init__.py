"""Sketch operators.

``rnla.sketch`` is both this package (``rnla.sketch.SRHT(k, n, rng=0)``) and
the one-shot function ``rnla.sketch(A, k, kind="sparse_sign", rng=None)``,
which returns ``S @ A``.
"""

from __future__ import annotations

import sys
import types

from scipy.sparse.linalg import LinearOperator

from rnla._deprecate import renamed_parameters
from rnla._random import SeedLike
from rnla._validation import check_matrix, check_option
from rnla.sketch._base import SketchOperator, TransposedSketch
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

#: kind name -> operator class, for ``make_sketch``
SKETCH_KINDS: dict[str, type[SketchOperator]] = {
    cls.kind: cls
    for cls in (GaussianSketch, SRHT, BlockSRHT, CountSketch, SparseSign, UniformSampling,
                LeverageSampling)
}


@renamed_parameters(seed="rng")
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


@renamed_parameters(seed="rng")
def sketch(A, k: int, kind: str = "sparse_sign", *, rng: SeedLike = None, **options):
    """Return ``S @ A`` for a fresh k x n sketch ``S`` of the given kind.

    Parameters
    ----------
    A : array_like, scipy.sparse matrix or LinearOperator of shape (n,) or (n, d)
        The matrix to sketch.
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
    ndarray or scipy.sparse matrix of shape (k,) or (k, d)
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
        A = check_matrix(A)
    if kind == "leverage" and "probabilities" not in options:
        return LeverageSampling.from_matrix(A, k, rng=rng, **options) @ A
    return make_sketch(kind, k, A.shape[0], rng=rng, **options) @ A


class _CallableModule(types.ModuleType):
    """Lets ``rnla.sketch(A, k, ...)`` call :func:`sketch` on this package."""

    @renamed_parameters(seed="rng")
    def __call__(self, A, k: int, kind: str = "sparse_sign", *, rng: SeedLike = None,
                 **options):
        return sketch(A, k, kind, rng=rng, **options)


sys.modules[__name__].__class__ = _CallableModule
