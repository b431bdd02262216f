"""Point sets: structure (lattice, net), agreement with scipy, randomisation, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import qmc

from rnla.features import SEQUENCES, max_dimension, qmc_points
from rnla.features._lattice_data import LATTICE_GENERATING_VECTOR


@pytest.mark.parametrize("sequence", SEQUENCES)
def test_shape_range_and_seed(sequence):
    t = qmc_points(100, 5, sequence, rng=7)
    assert t.shape == (100, 5) and t.dtype == np.float64
    assert (t > 0).all() and (t < 1).all()
    np.testing.assert_array_equal(t, qmc_points(100, 5, sequence, rng=7))
    assert not np.array_equal(t, qmc_points(100, 5, sequence, rng=8))


@settings(max_examples=25, deadline=None)
@given(m=st.integers(0, 12), d=st.integers(1, 40), shifted=st.booleans(), seed=st.integers(0, 99))
def test_lattice_projections_are_equispaced(m, d, shifted, seed):
    """Every one-dimensional projection of a 2^m-point lattice rule (z_j odd) is the grid
    {k / 2^m}; a random shift moves the grid but keeps the spacing."""
    n = 2**m
    t = qmc_points(n, d, "lattice", scramble=shifted, rng=seed)
    gaps = np.diff(np.sort(t, axis=0), axis=0)
    np.testing.assert_allclose(gaps, 1.0 / n, rtol=0, atol=1e-12)
    if not shifted:
        np.testing.assert_array_equal(np.sort(t, axis=0) * n, np.arange(n)[:, None] + 0.0 * t)


def test_lattice_prefix_is_the_lattice_rule():
    """The first 2^m points of the extensible sequence are the rule {i z / 2^m}."""
    n, d = 64, 6
    z = np.asarray(LATTICE_GENERATING_VECTOR[:d])
    rule = (np.arange(n)[:, None] * z[None, :] % n) / n
    t = qmc_points(n, d, "lattice", scramble=False)
    as_set = lambda a: {tuple(row) for row in np.round(a * n).astype(int)}  # noqa: E731
    assert as_set(t) == as_set(rule)


def test_digital_net_is_the_sobol_net():
    t = qmc_points(256, 8, "digital_net", scramble=False)
    with np.errstate(all="ignore"):
        ref = qmc.Sobol(8, scramble=False).random(256)
    assert {tuple(r) for r in t} == {tuple(r) for r in ref}


@pytest.mark.parametrize("scramble", [False, True])
def test_digital_net_stratifies_every_coordinate(scramble):
    """A digital shift keeps the (0, m, 1)-net property of each coordinate: one point in
    each interval [k 2^-m, (k+1) 2^-m)."""
    m = 9
    t = qmc_points(2**m, 20, "digital_net", scramble=scramble, rng=3)
    cells = np.sort(np.floor(t * 2**m), axis=0)
    np.testing.assert_array_equal(cells, np.arange(2**m)[:, None] + 0.0 * cells)


def test_halton_matches_scipy_and_skips_the_origin():
    t = qmc_points(50, 4, "halton", scramble=False)
    np.testing.assert_array_equal(t, qmc.Halton(4, scramble=False).random(51)[1:])
    engine = qmc.Halton(4, scramble=True, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(qmc_points(50, 4, "halton", rng=np.random.default_rng(5)),
                                  engine.random(50))


def test_sobol_is_scipy_sobol():
    ref = qmc.Sobol(3, scramble=True, rng=np.random.default_rng(2)).random(64)
    np.testing.assert_array_equal(qmc_points(64, 3, "sobol", rng=np.random.default_rng(2)), ref)


def test_randomised_sets_are_uniform_on_average():
    """Each point of a randomised QMC set is uniform: the mean over randomisations of a
    coordinate's average is 1/2 within 4 standard errors."""
    for sequence in ("halton", "sobol", "lattice", "digital_net"):
        means = [qmc_points(32, 3, sequence, rng=s).mean() for s in range(200)]
        assert abs(np.mean(means) - 0.5) < 4 * np.std(means) / np.sqrt(200) + 1e-12


@pytest.mark.parametrize("call, match", [
    (lambda: qmc_points(10, 2, "niederreiter"), "sequence"),
    (lambda: qmc_points(0, 2), "n"),
    (lambda: qmc_points(10, 0), "d"),
    (lambda: qmc_points(10, 1025, "lattice"), r"\[1, 1024\]"),
    (lambda: qmc_points(2**20 + 1, 1, "lattice"), "n"),
    (lambda: qmc_points(4, 21202, "sobol"), "21201"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_max_dimension():
    assert max_dimension("lattice") == 1024
    assert max_dimension("halton") is None
