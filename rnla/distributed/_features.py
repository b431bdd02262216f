"""Feature maps on Dask arrays: ``map_blocks`` over row chunks."""

from __future__ import annotations

import numpy as np

from rnla.distributed._chunks import check_dask_array

__all__ = ["transform_dask"]


def transform_dask(transform, X, n_features_in: int, n_features: int):
    """``transform`` (a fitted map's numpy transform) applied to each row chunk of the
    Dask array X: a lazy (n, n_features) Dask array, float32 for float32 X, else
    float64.  Each chunk is validated when it is computed."""
    X = check_dask_array(X, "X", ndim=(2,))
    if X.shape[1] != n_features_in:
        raise ValueError(f"`X` must have {n_features_in} columns (as at fit); got {X.shape[1]}")
    X = X.rechunk({1: -1})
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    return X.map_blocks(transform, chunks=(X.chunks[0], (n_features,)), dtype=dtype,
                        meta=np.empty((0, 0), dtype=dtype))
