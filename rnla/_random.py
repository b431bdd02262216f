"""Randomness: one place turns every accepted ``rng`` into a generator.

Accepted values follow SPEC 7 (scientific Python's common random-state
convention): ``None`` (fresh OS entropy), an ``int``, a
``numpy.random.SeedSequence``, a ``numpy.random.Generator`` (used as is, and
advanced) or a legacy ``numpy.random.RandomState`` (a seed is drawn from it).
Same int, same stream.  The keyword ``seed`` is the older spelling of ``rng``;
public functions accept it for one release with a ``DeprecationWarning``.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["SeedLike", "as_generator", "spawn", "draw_key"]

SeedLike = (None | int | np.integer | np.random.SeedSequence | np.random.Generator
            | np.random.RandomState)

def as_generator(seed: SeedLike, name: str = "rng") -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``seed``.

    Raises
    ------
    TypeError
        If ``seed`` is not None, an int, a SeedSequence, a Generator or a RandomState.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if isinstance(seed, np.random.RandomState):
        return np.random.default_rng(int(seed.randint(0, 2**31 - 1)))
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"`{name}` must be a non-negative int; got {seed}")
        return np.random.default_rng(int(seed))
    raise TypeError(
        f"`{name}` must be None, an int, a numpy.random.SeedSequence, a "
        f"numpy.random.Generator or a numpy.random.RandomState; got {type(seed).__name__}"
    )


def spawn(seed: SeedLike, n: int) -> list[np.random.Generator]:
    """Return ``n`` independent child generators of ``seed``."""
    return as_generator(seed).spawn(n)


def draw_key(rng: np.random.Generator) -> int:
    """Draw a 63-bit integer key for the counter-based kernels in ``rnla.backend``."""
    return int(rng.integers(0, 2**63 - 1, dtype=np.int64))
