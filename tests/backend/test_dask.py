"""Dask arrays on a two-process LocalCluster: every result equals the in-memory one
(design.md, "chunking (Dask)": sketches to 1e-13 relative, solutions to 1e-10), for
any chunking, lazily; bad input gets a clear error, found lazily where it lives in a
chunk."""

from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import dask  # noqa: E402

import rnla  # noqa: E402
from rnla.estimators import QMCFourierFeatures  # noqa: E402
from rnla.features import FourierFeatureMap, fourier_features  # noqa: E402
from rnla.sketch import SRHT, BlockSRHT, LeverageSampling, make_sketch  # noqa: E402

pytestmark = pytest.mark.dask

N, D = 3000, 7
CHUNKINGS = {
    "rows": (500, D),
    "columns": (N, 3),
    "both, uneven": ((700, 1100, 1, 1199), (4, 3)),
}


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    A = rng.standard_normal((N, D))
    A[:4] *= 100.0  # a few rows of high leverage
    b = A @ rng.standard_normal(D) + rng.standard_normal(N)
    return A, b


def _rel(x, ref):
    return np.linalg.norm(x - ref) / np.linalg.norm(ref)


SKETCHES = {
    "gaussian": {}, "sparse_sign": {}, "countsketch": {}, "uniform": {},
    "block_srht": {"block_rows": 256}, "leverage": {"probabilities": np.full(N, 1.0 / N)},
}


@pytest.mark.parametrize("chunking", list(CHUNKINGS))
def test_sketch_of_a_dask_array_is_lazy_and_equals_in_memory(client, data, chunking):
    A = data[0]
    Ad = da.from_array(A, chunks=CHUNKINGS[chunking])
    for kind, options in SKETCHES.items():
        S = make_sketch(kind, 60, N, rng=3, **options)
        lazy = S @ Ad
        assert isinstance(lazy, da.Array) and lazy.shape == (60, D)
        ref = S @ A
        assert _rel(lazy.compute(), ref) <= 1e-13, kind
        v = S @ Ad[:, 0]
        assert v.shape == (60,) and _rel(v.compute(), S @ A[:, 0]) <= 1e-13, kind


def test_right_multiplication_and_the_one_shot_sketch_on_dask(client, data):
    A = data[0]
    At = da.from_array(A.T, chunks=(D, 700))  # d x n, multiplied by S.T from the right
    for kind, options in SKETCHES.items():
        S = make_sketch(kind, 40, N, rng=5, **options)
        lazy = At @ S.T
        assert isinstance(lazy, da.Array) and lazy.shape == (D, 40)
        assert _rel(lazy.compute(), A.T @ S.T) <= 1e-13, kind
    one_shot = rnla.sketch(da.from_array(A, chunks=500), 30, kind="gaussian", rng=2)
    assert isinstance(one_shot, da.Array)
    assert _rel(one_shot.compute(), rnla.sketch(A, 30, kind="gaussian", rng=2)) <= 1e-13


def test_leverage_sampling_from_a_dask_array_samples_chunk_by_chunk(client, data):
    A = data[0]
    for chunking in CHUNKINGS.values():
        Ad = da.from_array(A, chunks=chunking)
        S = LeverageSampling.from_matrix(Ad, 80, rng=5)
        ref = LeverageSampling.from_matrix(A, 80, rng=5)
        assert _rel((S @ Ad).compute(), ref @ A) <= 1e-13
        with pytest.raises(TypeError, match="no indices on the client"):
            _ = S.indices
    with pytest.raises(ValueError, match="replace=True"):
        LeverageSampling.from_matrix(da.from_array(A, chunks=500), 80, replace=False)


@pytest.mark.parametrize("method", ["exact", "approx"])
def test_leverage_scores_of_a_dask_array(client, data, method):
    A = data[0]
    for chunking in CHUNKINGS.values():
        h = rnla.leverage_scores(da.from_array(A, chunks=chunking), method=method, rng=2)
        assert isinstance(h, da.Array)
        np.testing.assert_allclose(h.compute(), rnla.leverage_scores(A, method=method, rng=2),
                                   rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("alpha", [None, 2.0])
def test_lstsq_and_ridge_on_dask_equal_in_memory(client, data, alpha):
    A, b = data
    for chunking in CHUNKINGS.values():
        Ad = da.from_array(A, chunks=chunking)
        bd = da.from_array(b, chunks=400)  # chunks unlike A's: rechunked
        kw = dict(sketch_size=200, rng=1)
        if alpha is None:
            res, ref = rnla.lstsq(Ad, bd, **kw), rnla.lstsq(A, b, method="precondition", **kw)
        else:
            res = rnla.ridge(Ad, bd, alpha, **kw)
            ref = rnla.ridge(A, b, alpha, method="precondition", **kw)
        assert res.converged and _rel(res.x, ref.x) <= 1e-10
        assert res.n_passes >= 3 and res.time_per_pass > 0
    x = rnla.lstsq(da.from_array(A, chunks=500), b, method="sketch_solve", sketch_size=200,
                   rng=1).x
    np.testing.assert_allclose(x, rnla.lstsq(A, b, method="sketch_solve", sketch_size=200,
                                             rng=1).x, rtol=1e-10)


def test_feature_maps_on_dask_are_lazy_and_equal_in_memory(client, data):
    X = data[0]
    Xd = da.from_array(X, chunks=(700, 3))
    Z = fourier_features(Xd, 64, rng=1)
    assert isinstance(Z, da.Array) and Z.shape == (N, 64)
    np.testing.assert_array_equal(Z.compute(), fourier_features(X, 64, rng=1))
    fmap = FourierFeatureMap(32, "laplacian", bandwidth="median", rng=3).fit(Xd)
    ref = FourierFeatureMap(32, "laplacian", bandwidth="median", rng=3).fit(X)
    assert fmap.bandwidth_ == ref.bandwidth_
    np.testing.assert_array_equal(fmap.transform(Xd).compute(), ref.transform(X))
    est = QMCFourierFeatures(n_components=16, random_state=0).fit(X)
    np.testing.assert_array_equal(est.transform(Xd.astype(np.float32)).compute(),
                                  est.transform(X.astype(np.float32)))


def test_nothing_is_computed_until_asked(data):
    def forbid(*args, **kwargs):
        raise AssertionError("a Dask graph was computed")

    Ad = da.from_array(data[0], chunks=500)
    with dask.config.set(scheduler=forbid):
        make_sketch("sparse_sign", 50, N, rng=0) @ Ad
        rnla.leverage_scores(Ad)
        rnla.leverage_scores(Ad, method="approx")
        fourier_features(Ad, 16, rng=0)


def test_bad_dask_input_gets_clear_errors(client, data):
    A, b = data
    Ad = da.from_array(A, chunks=500)
    unknown = Ad[Ad[:, 0] > 0]
    S = make_sketch("gaussian", 20, N, rng=0)
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        S @ unknown
    with pytest.raises(TypeError, match="object"):
        S @ da.from_array(A.astype(object), chunks=500)
    with pytest.raises(TypeError, match="complex"):
        S @ da.from_array(A.astype(complex), chunks=500)
    with pytest.raises(ValueError, match="2000 rows"):
        make_sketch("gaussian", 20, 2000, rng=0) @ Ad
    with pytest.raises(TypeError, match="BlockSRHT"):
        SRHT(20, N, rng=0) @ Ad
    bad = A.copy()
    bad[1234, 2] = np.nan
    lazy = S @ da.from_array(bad, chunks=500)  # found lazily, when the chunk is computed
    with pytest.raises(ValueError, match=r"`A` must be finite: its chunk of rows 1000\.\.1499"):
        lazy.compute()
    with pytest.raises(ValueError, match="`b` must be finite"):
        bad_b = b.copy()
        bad_b[7] = np.inf
        rnla.lstsq(Ad, da.from_array(bad_b, chunks=500), sketch_size=100)
    with pytest.raises(ValueError, match=f"`b` must have {N} rows"):
        rnla.lstsq(Ad, da.from_array(b[:100], chunks=50))
    with pytest.raises(ValueError, match="solver"):
        rnla.lstsq(Ad, b, solver="lsqr")
    with pytest.raises(ValueError, match="dask.array.linalg.lstsq"):
        rnla.lstsq(Ad, b, method="direct")


# ---- the block SRHT in memory --------------------------------------------------------

def test_block_srht_is_the_srht_with_one_block_and_has_unit_expectation():
    for n in (100, 256):
        np.testing.assert_array_equal(BlockSRHT(16, n, block_rows=2**20, rng=4).to_dense(),
                                      SRHT(16, n, rng=4).to_dense())
    total = np.zeros((24, 24))
    for seed in range(2000):
        S = BlockSRHT(6, 24, block_rows=8, rng=seed).to_dense()
        total += S.T @ S
    # every diagonal entry of S^T S has mean 1 (the sample picks each mixed row with
    # probability k/n'); 2000 draws: standard error about 0.03
    np.testing.assert_allclose(np.diag(total) / 2000, 1.0, atol=0.15)
    np.testing.assert_allclose(total / 2000 - np.diag(np.diag(total) / 2000), 0.0, atol=0.15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_block_srht_applies_like_its_matrix(dtype, rng):
    import scipy.sparse as sp

    A = rng.standard_normal((1000, 5)).astype(dtype)
    S = BlockSRHT(100, 1000, block_rows=128, rng=2)
    M = S.to_dense()
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert _rel(S @ A, M @ A) <= tol
    assert _rel(S @ sp.csr_matrix(A), M @ A) <= tol
    Y = rng.standard_normal((100, 3))
    assert _rel(S.T @ Y, M.T @ Y) <= 1e-12


def test_block_srht_embeds_a_subspace_spread_over_the_blocks(rng):
    """With leverage spread evenly over the blocks, k = 8d rows embed a random
    d-dimensional subspace like the SRHT: singular values of S U within 1 -+ 0.7."""
    n, d = 2**14, 20
    U = np.linalg.qr(rng.standard_normal((n, d)))[0]
    for seed in range(5):
        sv = np.linalg.svd(BlockSRHT(8 * d, n, block_rows=1024, rng=seed) @ U,
                           compute_uv=False)
        assert 0.3 < sv.min() and sv.max() < 1.7
