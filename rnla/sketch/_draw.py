"""Signs and row samples of the sketches, from the counter-based streams.

Each helper takes the kernel set ``K`` of the target namespace, so the same key
gives the same signs and the same rows on every backend (stream ``i`` decides
about row ``i``, or draw ``t`` of a sample).  Samples without replacement are
k-sized and decided on the host.
"""

from __future__ import annotations

import numpy as np
from array_api_compat import array_namespace

from rnla.backend import kernels


def random_signs(K, key: int, n: int, xp, device=None):
    """n independent signs +-1 (float64): sign i is -1 when stream i's uniform is below 1/2."""
    u = K.uniforms(key, 0, n, xp=xp, device=device)
    return 1.0 - 2.0 * array_namespace(u).astype(u < 0.5, u.dtype)


def sample_rows(K, key: int, n: int, k: int, replace: bool, xp, device=None):
    """k row indices of range(n), sorted (int64).

    With replacement: draw t is ``floor(u_t n)`` for the uniform of stream t, drawn in
    the namespace.  Without: for k <= n/8, the first k distinct values of that same
    sequence of draws (expected O(k) work); above, the k rows whose stream uniforms are
    smallest (O(n)).  Both are uniform k-subsets, decided on the host by the CPU
    kernels (the same on every device); only the k indices move to the device.
    """
    if replace:
        u = K.uniforms(key, 0, k, xp=xp, device=device)
        x = array_namespace(u)
        return x.sort(x.astype(x.floor(u * n), x.int64))
    host = kernels(np)
    if k <= n // 8:
        draws = k + k // 2 + 16
        while True:  # the streams extend: a longer prefix keeps the earlier draws
            idx = np.floor(host.uniforms(key, 0, draws) * n).astype(np.int64)
            _, first = np.unique(idx, return_index=True)
            if first.size >= k:
                chosen = np.sort(idx[np.sort(first)[:k]])
                break
            draws *= 2
    elif k < n:
        chosen = np.sort(np.argpartition(host.uniforms(key, 0, n), k - 1)[:k]).astype(np.int64)
    else:
        chosen = np.arange(n, dtype=np.int64)
    return chosen if xp is np else xp.asarray(chosen, device=device)


def sample_by_probabilities(K, key: int, p, k: int, replace: bool, device=None):
    """Importance sample of rows by probabilities ``p`` (in p's namespace).

    With replacement: k draws by inversion of the cumulative sum, weights
    ``1/sqrt(k p_i)``.  Without: row i kept when its uniform is below
    ``q_i = min(1, k p_i)``, weights ``1/sqrt(q_i)``.  Returns ``(idx, weights)``.
    """
    x = array_namespace(p)
    n = p.shape[0]
    if replace:
        cdf = x.cumulative_sum(p)
        cdf = cdf / cdf[-1]
        u = K.uniforms(key, 0, k, xp=x, device=device)
        # u < 1 = cdf[-1], and side="right" never lands on a row with p_i = 0
        idx = x.sort(x.astype(x.searchsorted(cdf, u, side="right"), x.int64))
        return idx, 1.0 / x.sqrt(k * x.take(p, idx))
    q = x.minimum(x.ones_like(p), k * p)
    keep = K.uniforms(key, 0, n, xp=x, device=device) < q
    idx = x.astype(x.nonzero(keep)[0], x.int64)
    return idx, 1.0 / x.sqrt(x.take(q, idx))
