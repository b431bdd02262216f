import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# numba compiles on first use: no per-example deadline; fixed derandomized runs in CI.
settings.register_profile(
    "rnla", deadline=None, max_examples=25, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "rnla"))


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)


def orthonormal(n, d, rng, coherent=False):
    """An n x d orthonormal basis: Haar-random, or with d rows carrying leverage ~1."""
    A = rng.standard_normal((n, d))
    if coherent:
        A[:d] += 1e4 * np.eye(d)
    return np.linalg.qr(A)[0]
