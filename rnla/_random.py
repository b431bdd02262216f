"""Seed handling: one place turns every accepted ``seed`` into a generator.

Accepted seeds are ``None`` (fresh OS entropy), an ``int``, a
``numpy.random.SeedSequence`` or a ``numpy.random.Generator``.  Same int seed,
same stream; a ``Generator`` is used as is (and advanced), as in scikit-learn.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["SeedLike", "as_generator", "spawn", "draw_key"]

SeedLike = None | int | np.integer | np.random.SeedSequence | np.random.Generator


def as_generator(seed: SeedLike) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``seed``.

    Raises
    ------
    TypeError
        If ``seed`` is not None, an int, a SeedSequence or a Generator.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"`seed` must be a non-negative int; got {seed}")
        return np.random.default_rng(int(seed))
    raise TypeError(
        "`seed` must be None, an int, a numpy.random.SeedSequence or a "
        f"numpy.random.Generator; got {type(seed).__name__}"
    )


def spawn(seed: SeedLike, n: int) -> list[np.random.Generator]:
    """Return ``n`` independent child generators of ``seed``."""
    return as_generator(seed).spawn(n)


def draw_key(rng: np.random.Generator) -> int:
    """Draw a 63-bit integer key for the counter-based kernels in ``rnla.backend``."""
    return int(rng.integers(0, 2**63 - 1, dtype=np.int64))
