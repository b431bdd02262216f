"""The Dask engine: operands that are Dask arrays of numpy chunks, computed chunk by chunk.

Every chunk is processed where it lives by the numba kernels; the results that are
small (a k x d sketch, the d-vectors of an iteration) are tree-reduced in a fixed
order, and what is n-sized stays a lazy Dask array.  Nothing n-sized is built on the
client and nothing is computed behind the caller's back.

* :func:`apply_sketch`: ``S @ A`` for any sketch kind that can draw the part of
  itself meeting a block of rows (``SketchOperator.apply_rows``), with no per-kind
  code here;
* :class:`NormalResidualPass`: the product of the least-squares iteration, one fused pass
  over the chunks each;
* :func:`map_rows`: a row-wise map (feature maps) over the row chunks.

Importing it needs Dask (``pip install 'rnla[dask]'``).
"""

from __future__ import annotations

try:
    import dask.array  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without dask installed
    raise ImportError("rnla's Dask engine needs Dask: pip install 'rnla[dask]'") from exc

from rnla.backend.dask._chunks import check_dask_array, finite_or_raise, row_offsets, tree_sum
from rnla.backend.dask.lstsq import NormalResidualPass
from rnla.backend.dask.rows import apply_sketch, map_rows

__all__ = ["apply_sketch", "check_dask_array", "finite_or_raise", "map_rows", "NormalResidualPass",
           "row_offsets", "tree_sum"]
