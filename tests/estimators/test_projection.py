"""SketchProjection: the scikit-learn contract, exact identities, and JL distortion."""

import numpy as np
import pytest
import scipy.sparse as sp

pytest.importorskip("sklearn")
from sklearn.exceptions import DataDimensionalityWarning  # noqa: E402
from sklearn.random_projection import johnson_lindenstrauss_min_dim  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from rnla.estimators import SketchProjection  # noqa: E402

KINDS = ["countsketch", "sparse_sign", "srht", "gaussian"]


@parametrize_with_checks([SketchProjection(n_components=2, kind=kind, random_state=0)
                          for kind in KINDS])
def test_sklearn_contract(estimator, check):
    check(estimator)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_transform_is_x_times_s_transpose(kind, dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 300)).astype(dtype)
    proj = SketchProjection(n_components=64, kind=kind, random_state=1).fit(X)
    S = proj.sketch_.to_dense()
    Y = proj.transform(X)
    assert Y.dtype == dtype and Y.shape == (40, 64)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(Y, X.astype(np.float64) @ S.T, rtol=rtol,
                               atol=rtol * np.abs(X).max() * np.abs(S).sum(1).max())
    # sparse input: the same numbers, sparse out for the sparse kinds unless asked dense
    Xs = sp.csr_matrix(X * (rng.random(X.shape) < 0.1))
    Ys = proj.transform(Xs)
    assert sp.issparse(Ys) == (kind in ("countsketch", "sparse_sign"))
    Ys = Ys.toarray() if sp.issparse(Ys) else Ys
    np.testing.assert_allclose(Ys, Xs.toarray().astype(np.float64) @ S.T, rtol=rtol,
                               atol=rtol * np.abs(X).max() * np.abs(S).sum(1).max())
    dense = SketchProjection(n_components=64, kind=kind, dense_output=True,
                             random_state=1).fit(X).transform(Xs)
    assert isinstance(dense, np.ndarray)
    np.testing.assert_allclose(dense, Ys, rtol=rtol,
                               atol=rtol * np.abs(X).max() * np.abs(S).sum(1).max())


@pytest.mark.parametrize("kind", KINDS)
def test_inverse_transform_is_the_pseudo_inverse(kind):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((30, 200))
    proj = SketchProjection(n_components=50, kind=kind, random_state=0).fit(X)
    S = proj.sketch_.to_dense()
    Y = proj.transform(X)
    np.testing.assert_allclose(proj.inverse_transform(Y), Y @ np.linalg.pinv(S).T,
                               rtol=1e-9, atol=1e-9)
    # projecting the preimage gives Y back (S pinv(S) = I for full row rank S)
    np.testing.assert_allclose(proj.transform(proj.inverse_transform(Y)), Y, atol=1e-9)


def test_auto_components_follow_the_jl_bound():
    X = np.random.default_rng(3).standard_normal((50, 3000))
    proj = SketchProjection(eps=0.5, random_state=0).fit(X)
    assert proj.n_components_ == johnson_lindenstrauss_min_dim(50, eps=0.5)
    with pytest.raises(ValueError, match="larger than the original space"):
        SketchProjection(eps=0.1).fit(X[:, :100])
    with pytest.warns(DataDimensionalityWarning):
        SketchProjection(n_components=200, random_state=0).fit(X[:, :100])


@pytest.mark.parametrize("kind", KINDS)
def test_pairwise_distances_within_the_jl_distortion(kind):
    """k = JL bound for eps = 0.25 on 60 points: every pairwise distance within eps
    (the bound holds with probability >= 1 - 1/n for Gaussian-like projections; the
    data are dense, where CountSketch's variance is the Gaussian one)."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((60, 4096))
    proj = SketchProjection(eps=0.25, kind=kind, random_state=0).fit(X)
    Y = proj.transform(X)
    i, j = np.triu_indices(60, 1)
    ratio = (np.linalg.norm(Y[i] - Y[j], axis=1) ** 2 / np.linalg.norm(X[i] - X[j], axis=1) ** 2)
    assert np.abs(ratio - 1).max() < 0.25


def test_same_random_state_same_projection_and_no_dense_matrix_stored():
    X = np.random.default_rng(5).standard_normal((20, 10_000))
    a = SketchProjection(n_components=500, random_state=7).fit(X)
    b = SketchProjection(n_components=500, random_state=7).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    stored = sum(v.nbytes for v in vars(a.sketch_).values() if isinstance(v, np.ndarray))
    assert stored < 500 * 10_000 * 8 / 50
