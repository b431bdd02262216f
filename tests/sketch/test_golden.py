"""Golden values: a seeded sketch must not change silently between versions, and the
generic kernels reproduce the numba ones on numpy (smoke: also at the lowest supported
versions of numpy and array-api-compat)."""

from __future__ import annotations

import numpy as np
import pytest

import rnla
from rnla.backend import generic_kernels

KINDS = ["gaussian", "srht", "block_srht", "countsketch", "sparse_sign", "uniform"]

GOLDEN = {
    "gaussian": [[-0.78558471462, -0.023608811415, 0.068714613454, -0.653911186784,
                  -0.134275334031],
                 [0.116532842519, -0.056555789532, 0.165587515445, 0.45640071119,
                  -0.910052080225]],
    "srht": [[-0.5, -0.5, 0.5, -0.5, -0.5], [-0.5, -0.5, 0.5, -0.5, -0.5]],
    # one block (the default block_rows exceeds n): the SRHT itself
    "block_srht": [[-0.5, -0.5, 0.5, -0.5, -0.5], [-0.5, -0.5, 0.5, -0.5, -0.5]],
    "countsketch": [[-1.0, 0.0, 0.0, 1.0, 0.0], [0.0, -1.0, 0.0, 0.0, -1.0]],
    "sparse_sign": [[-0.5, 0.5, -0.5, -0.5, -0.5], [-0.5, -0.5, -0.5, 0.5, -0.5]],
    "uniform": [[1.581138830084, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.581138830084, 0.0]],
}


@pytest.mark.smoke
@pytest.mark.parametrize("kind", KINDS)
def test_golden_entries(kind):
    S = rnla.make_sketch(kind, 4, 10, rng=2024)
    np.testing.assert_allclose(S.to_dense()[:2, :5], GOLDEN[kind], rtol=0, atol=1e-11)


@pytest.mark.smoke
def test_golden_leverage_sample():
    S = rnla.sketch.LeverageSampling(4, 10, probabilities=np.arange(1, 11) / 55, rng=2024)
    assert S.indices.tolist() == [0, 3, 6, 7]
    np.testing.assert_allclose(S.weights, [3.708099243548, 1.854049621774, 1.401529776453,
                                           1.311011060213], rtol=1e-11)



@pytest.mark.smoke
@pytest.mark.parametrize("kind", KINDS)
def test_generic_kernels_reproduce_numba(kind, rng):
    A = rng.standard_normal((700, 5))
    S = rnla.make_sketch(kind, 30, 700, rng=8)
    fast = S @ A
    with generic_kernels():
        generic = rnla.make_sketch(kind, 30, 700, rng=8) @ A
    np.testing.assert_allclose(generic, fast, rtol=0, atol=1e-12 * np.abs(fast).max())


@pytest.mark.smoke
def test_golden_small_samples_without_replacement():
    """k <= n/8: the first k distinct draws of the streams (expected O(k) work)."""
    assert rnla.sketch.UniformSampling(6, 1000, rng=2024).indices.tolist() == [
        10, 124, 410, 487, 491, 541]
    assert rnla.sketch.SRHT(5, 1000, rng=2024)._rows.tolist() == [165, 292, 316, 789, 868]


def test_small_samples_are_uniform_subsets():
    """Each row of range(64) is in a 4-row sample with probability 4/64: 4000 samples give
    counts with mean 250 and sd sqrt(250 (1 - 1/16)) = 15.3; 6 sd over 64 cells."""
    counts = np.zeros(64)
    for seed in range(4000):
        idx = rnla.sketch.UniformSampling(4, 64, rng=seed).indices
        assert len(set(idx.tolist())) == 4
        counts[idx] += 1
    assert np.abs(counts - 250).max() < 6 * np.sqrt(250 * (1 - 1 / 16))
