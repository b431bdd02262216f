"""The counter-based streams in unsigned 64-bit Array-API arithmetic (wrapping products)."""

from __future__ import annotations

from rnla.backend._streams import GOLDEN, MIX1, MIX2

__all__ = ["mix64", "stream_start", "to_uniform"]


def mix64(z):
    """splitmix64's finaliser on a uint64 array."""
    z = (z ^ (z >> 30)) * MIX1
    z = (z ^ (z >> 27)) * MIX2
    return z ^ (z >> 31)


def stream_start(xp, key: int, j0: int, count: int, device=None):
    """Initial states of streams ``j0 .. j0+count-1`` of ``key`` (uint64, length count)."""
    j = xp.astype(xp.arange(j0, j0 + count, dtype=xp.int64, device=device), xp.uint64)
    return mix64(key ^ mix64(j * GOLDEN + 1))


def to_uniform(xp, z):
    """A uint64 word to a float64 in [0, 1) with its 53 high bits."""
    return xp.astype(z >> 11, xp.float64) * (1.0 / 9007199254740992.0)
