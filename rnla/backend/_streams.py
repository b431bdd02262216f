"""Constants of the counter-based random streams shared by every backend.

Stream ``j`` of a key starts at ``mix(key ^ mix(j * GOLDEN + 1))`` (splitmix64's
finaliser ``mix``) and advances by ``GOLDEN``; each state gives one 64-bit word
``mix(state)``.  The CPU (numba) and generic (Array API) kernels implement the same
arithmetic, so a seed gives the same sketch on every device.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["GOLDEN", "MIX1", "MIX2", "ZIG_X", "ZIG_F", "ZIG_R"]

GOLDEN = 0x9E3779B97F4A7C15  # 2^64 / golden ratio: the stream increment
MIX1 = 0xBF58476D1CE4E5B9  # splitmix64 multipliers
MIX2 = 0x94D049BB133111EB


def _ziggurat_tables(layers: int = 256):
    """Marsaglia–Tsang ziggurat tables for the standard normal, 256 layers.

    ``x[i]`` are the layer edges (x[1] = r, x[256] = 0, x[0] = v / f(r) for the
    base strip and tail), ``f[i] = exp(-x[i]^2 / 2)``; each layer has area v.
    """
    r, v = 3.6541528853610088, 0.00492867323399
    x = np.empty(layers + 1)
    x[0] = v / math.exp(-0.5 * r * r)
    x[1] = r
    for i in range(1, layers - 1):
        x[i + 1] = math.sqrt(-2.0 * math.log(v / x[i] + math.exp(-0.5 * x[i] * x[i])))
    x[layers] = 0.0
    return x, np.exp(-0.5 * x * x), r


ZIG_X, ZIG_F, ZIG_R = _ziggurat_tables()
