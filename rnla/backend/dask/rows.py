r"""Row-blockwise work on Dask arrays: sketches and row maps.

Block (k, cols_j) of ``S @ A`` is :math:`\sum_i S[:, \mathrm{rows}_i]
A[\mathrm{rows}_i, \mathrm{cols}_j]` over the row chunks i.  Each task asks the sketch
for the part of itself that meets its chunk (``S.apply_rows(block, r0, *inputs)``,
drawn from the counter-based streams at the chunk's global row indices), so S is never
built on the client and the result equals the in-memory ``S @ A`` (to rounding)
whatever the chunking.  The sketch says which row chunking it needs
(``S.chunk_rows``) and what else each chunk needs (``S.chunk_inputs``); nothing here
depends on its kind.
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np

from rnla.backend.dask._chunks import check_dask_array, finite_or_raise, row_offsets, tree_sum

__all__ = ["apply_sketch", "map_rows"]


def _part(S, block, r0: int, name: str, *inputs):
    """One chunk's part of ``S @ A``, with the finiteness check the in-memory path makes:
    a sketch that mixes every entry of A into its result makes NaN or inf there show in
    the small result, so the chunk is scanned only then; any other is scanned first."""
    if not S.mixes_every_entry:
        finite_or_raise(block, name, r0)
        return S.apply_rows(block, r0, *inputs)
    with np.errstate(all="ignore"):
        out = S.apply_rows(block, r0, *inputs)
    if not np.isfinite(out).all():
        finite_or_raise(block, name, r0)
    return out


def apply_sketch(S, A, name: str = "A"):
    """``S @ A`` for a Dask array A: a lazy (k, d) Dask array (k for a vector), chunked by
    A's column chunks.

    Parameters
    ----------
    S : SketchOperator
        Any kind whose ``chunk_rows`` accepts A's row chunking (the one-block SRHT
        refuses by name).
    A : dask.array.Array of shape (n,) or (n, d)
    name : str
        The operand's name, for error messages.

    Returns
    -------
    dask.array.Array
    """
    A = check_dask_array(A, name)
    if A.shape[0] != S.n:
        raise ValueError(f"`{name}` must have {S.n} rows (the sketch's n); got shape {A.shape}")
    was_vector = A.ndim == 1
    if was_vector:
        A = A[:, None]
    dtype = np.dtype(S.dtype if S.dtype is not None else A.dtype)
    A = A.astype(dtype)
    chunks = S.chunk_rows(A.chunks[0])
    if chunks != A.chunks[0]:
        A = A.rechunk({0: chunks})
    offsets = row_offsets(A)
    blocks = A.to_delayed()
    sketch = dask.delayed(S)  # one node of the graph, shared by its tasks
    call = dask.delayed(_part, pure=True)
    columns = []
    for j, width in enumerate(A.chunks[1]):
        parts = [call(sketch, blocks[i][j], int(offsets[i]), name, *S.chunk_inputs(i))
                 for i in range(len(blocks))]
        columns.append(da.from_delayed(tree_sum(parts), shape=(S.k, width), dtype=dtype))
    out = da.concatenate(columns, axis=1) if len(columns) > 1 else columns[0]
    return out[:, 0] if was_vector else out


def map_rows(function, X, n_columns_in: int, n_columns_out: int):
    """``function`` (a numpy row-wise map, such as a fitted feature map's transform)
    applied to each row chunk of the Dask array X: a lazy (n, n_columns_out) Dask array,
    float32 for float32 X, else float64.  Each chunk is validated when it is computed.

    Parameters
    ----------
    function : callable
        ndarray (rows, n_columns_in) -> ndarray (rows, n_columns_out).
    X : dask.array.Array of shape (n, n_columns_in)
    n_columns_in, n_columns_out : int

    Returns
    -------
    dask.array.Array
    """
    X = check_dask_array(X, "X", ndim=(2,))
    if X.shape[1] != n_columns_in:
        raise ValueError(f"`X` must have {n_columns_in} columns (as at fit); got {X.shape[1]}")
    X = X.rechunk({1: -1})
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    return X.map_blocks(function, chunks=(X.chunks[0], (n_columns_out,)), dtype=dtype,
                        meta=np.empty((0, 0), dtype=dtype))
