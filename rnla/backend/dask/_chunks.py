"""Validation of Dask arrays and the tree reduction of per-chunk results."""

from __future__ import annotations

import math

import dask
import dask.array as da
import numpy as np

__all__ = ["check_dask_array", "tree_sum", "row_offsets", "finite_or_raise"]

#: partial results summed per task of the tree reduction
SPLIT_EVERY = 8


def check_dask_array(A, name: str = "A", ndim=(1, 2)) -> da.Array:
    """Check a Dask array without computing it: known chunk sizes, a real dtype, numpy
    chunks, the dimension.  Integers and booleans become float64 (lazily).  Values
    (NaN, inf) are checked chunk by chunk when the graph runs.

    Parameters
    ----------
    A : dask.array.Array
    name : str
        The argument's name, for error messages.
    ndim : tuple of int
        The dimensions accepted.

    Returns
    -------
    dask.array.Array
        A, or a lazy float64 view of it.
    """
    if A.ndim not in ndim:
        raise ValueError(f"`{name}` must be a {' or '.join(f'{d}-D' for d in ndim)} Dask "
                         f"array; got {A.ndim}-D with shape {A.shape}")
    if any(math.isnan(c) for axis in A.chunks for c in axis):
        raise ValueError(f"`{name}` has unknown chunk sizes (nan), as after boolean indexing; "
                         f"call `{name}.compute_chunk_sizes()` first")
    if 0 in A.shape:
        raise ValueError(f"`{name}` must not be empty; got shape {A.shape}")
    kind = np.dtype(A.dtype).kind
    if kind == "c":
        raise TypeError(f"`{name}` must be real; got complex dtype {A.dtype}")
    if kind not in "fiub":
        raise TypeError(f"`{name}` must have a numeric dtype; got {A.dtype}")
    meta = getattr(A, "_meta", None)
    if meta is not None and type(meta) is not np.ndarray:
        raise TypeError(f"`{name}` is a Dask array of {type(meta).__module__} chunks; rnla "
                        "handles Dask arrays of numpy chunks")
    if kind in "iub" or A.dtype == np.float16:
        A = A.astype(np.float64)
    return A


def finite_or_raise(block: np.ndarray, name: str, r0: int) -> None:
    """Raise the ``ValueError`` of a chunk holding NaN or inf (at compute time)."""
    if not np.isfinite(block).all():
        raise ValueError(f"`{name}` must be finite: its chunk of rows {r0}..{r0 + len(block) - 1} "
                         "holds NaN or inf")


def row_offsets(A: da.Array) -> np.ndarray:
    """Global index of the first row of each row chunk."""
    return np.concatenate([[0], np.cumsum(A.chunks[0])]).astype(np.int64)


def _add(*parts):
    out = parts[0].copy()
    for p in parts[1:]:
        out += p
    return out


def tree_sum(parts: list):
    """The sum of delayed arrays, by a tree of ``SPLIT_EVERY``-way sums in a fixed order
    (the same result for the same chunking, whatever the scheduler)."""
    add = dask.delayed(_add, pure=True)
    while len(parts) > 1:
        parts = [add(*parts[i:i + SPLIT_EVERY]) if len(parts[i:i + SPLIT_EVERY]) > 1
                 else parts[i] for i in range(0, len(parts), SPLIT_EVERY)]
    return parts[0]
