"""Every bad input raises a clear ValueError/TypeError naming the argument."""

import numpy as np
import pytest
import scipy.sparse as sp

import rnla
from rnla._random import as_generator


def test_seed_handling():
    assert as_generator(3).random() == as_generator(3).random()
    g = np.random.default_rng(0)
    assert as_generator(g) is g
    assert isinstance(as_generator(np.random.SeedSequence(1)), np.random.Generator)
    assert isinstance(as_generator(None), np.random.Generator)
    with pytest.raises(TypeError, match="`rng`"):
        as_generator("1")
    with pytest.raises(TypeError, match="`rng`"):
        as_generator(1.5)
    with pytest.raises(ValueError, match="`rng`"):
        as_generator(-1)


@pytest.mark.parametrize("kind", ["gaussian", "srht", "countsketch", "sparse_sign", "uniform"])
def test_bad_sizes(kind):
    with pytest.raises(ValueError, match="`k`"):
        rnla.make_sketch(kind, 0, 10)
    with pytest.raises(ValueError, match="`n`"):
        rnla.make_sketch(kind, 1, 0)
    with pytest.raises(TypeError, match="`k`"):
        rnla.make_sketch(kind, 2.5, 10)


def test_sketch_larger_than_n_without_replacement():
    with pytest.raises(ValueError, match=r"`k` must be an int in \[1, 10\]"):
        rnla.UniformSampling(11, 10)
    with pytest.raises(ValueError, match=r"`k` must be an int in \[1, 16\]"):
        rnla.SRHT(17, 10)
    p = np.full(10, 0.1)
    with pytest.raises(ValueError, match="`k`"):
        rnla.LeverageSampling(11, 10, probabilities=p, replace=False)
    # with replacement a sketch may be larger than n
    assert rnla.UniformSampling(11, 10, replace=True).shape == (11, 10)
    assert rnla.SRHT(20, 10, replace=True).shape == (20, 10)


def test_bad_s():
    with pytest.raises(ValueError, match="`s`"):
        rnla.SparseSign(5, 10, s=0)
    with pytest.raises(ValueError, match="`s`"):
        rnla.SparseSign(5, 10, s=6)


def test_bad_probabilities():
    with pytest.raises(ValueError, match="non-negative"):
        rnla.LeverageSampling(3, 3, probabilities=[1.5, -0.5, 0.0])
    with pytest.raises(ValueError, match="sum to 1"):
        rnla.LeverageSampling(3, 3, probabilities=[0.5, 0.2, 0.2])
    with pytest.raises(ValueError, match="length 3"):
        rnla.LeverageSampling(3, 3, probabilities=[0.5, 0.5])
    with pytest.raises(ValueError, match="finite"):
        rnla.LeverageSampling(3, 3, probabilities=[np.nan, 0.5, 0.5])
    with pytest.raises(TypeError, match="probabilities"):
        rnla.LeverageSampling(3, 3, probabilities=["a", "b", "c"])


def test_unknown_kind():
    with pytest.raises(ValueError, match="`kind` must be one of"):
        rnla.make_sketch("fourier", 3, 10)
    with pytest.raises(ValueError, match="`kind`"):
        rnla.sketch(np.ones((10, 2)), 3, kind="nope")


@pytest.mark.parametrize("kind", ["gaussian", "srht", "sparse_sign", "uniform"])
def test_bad_operands(kind):
    S = rnla.make_sketch(kind, 4, 10, rng=0)
    with pytest.raises(ValueError, match="10 rows"):
        S @ np.ones((9, 2))
    with pytest.raises(ValueError, match="length 10"):
        S @ np.ones(9)
    with pytest.raises(ValueError, match="2-D"):
        S @ np.ones((10, 2, 2))
    bad = np.ones((10, 2))
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="finite.*NaN"):
        S @ bad
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="finite.*inf"):
        S @ bad
    with pytest.raises(ValueError, match="finite"):
        S @ sp.csr_matrix(bad)
    with pytest.raises(TypeError, match="complex"):
        S @ np.ones((10, 2), dtype=complex)
    with pytest.raises(TypeError, match="numeric"):
        S @ np.array([["a"] * 2] * 10)
    with pytest.raises(ValueError, match="non-empty"):
        S @ np.ones((10, 0))
    with pytest.raises(TypeError, match="array-like"):
        S @ {"a": 1}
    with pytest.raises(ValueError, match="`Y` must have 4 rows"):
        S.apply_transpose(np.ones((5, 1)))


def test_finite_check_survives_overflowing_sum():
    big = np.full((10, 2), 1e308)
    out = rnla.make_sketch("uniform", 10, 10, rng=0) @ big  # finite, though the sum overflows
    assert np.isfinite(out).all()


def test_overflow_of_finite_input_warns():
    big = np.full((16, 1), 1e308)
    with pytest.warns(RuntimeWarning, match="overflowed"):
        rnla.SRHT(16, 16, rng=0) @ big


def test_leverage_scores_bad_input():
    A = np.ones((10, 3))
    with pytest.raises(ValueError, match="`method`"):
        rnla.leverage_scores(A, method="fast")
    with pytest.raises(ValueError, match="tall"):
        rnla.leverage_scores(np.ones((2, 3)))
    with pytest.raises(ValueError, match="`eps`"):
        rnla.leverage_scores(A, method="approx", eps=0)
    with pytest.raises(ValueError, match="`eps`"):
        rnla.leverage_scores(A, method="approx", eps=1.5)
    with pytest.raises(ValueError, match="`rcond`"):
        rnla.leverage_scores(A, rcond=-1.0)
    with pytest.raises(ValueError, match="`sketch_size`"):
        rnla.leverage_scores(A, method="approx", sketch_size=2)
    with pytest.raises(ValueError, match="empty"):
        rnla.leverage_scores(np.ones((0, 3)))
    with pytest.raises(ValueError, match="`shrinkage`"):
        rnla.LeverageSampling.from_matrix(A, 3, shrinkage=1.5)
    with pytest.raises(ValueError, match="no nonzero leverage"):
        rnla.LeverageSampling.from_matrix(np.zeros((10, 2)), 3)


def test_embedding_size_bad_input():
    with pytest.raises(ValueError, match="`eps`"):
        rnla.embedding_size("gaussian", 5, 1.0)
    with pytest.raises(ValueError, match="`n` is required"):
        rnla.embedding_size("srht", 5)
    with pytest.raises(ValueError, match="`coherence`"):
        rnla.embedding_size("uniform", 5, coherence=0.5)


def test_demo_cli_runs(capsys):
    from rnla.__main__ import main

    assert main(["demo", "--n", "2048", "--d", "8"]) == 0
    out = capsys.readouterr().out
    assert "sparse_sign" in out and "approximate leverage" in out
    assert "digital_net" in out and "learned" in out
