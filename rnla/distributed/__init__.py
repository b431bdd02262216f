"""Dask arrays: sketches, leverage scores, least squares and feature maps, chunk by chunk.

rnla takes a Dask array wherever it takes a numpy one (``S @ A``, ``rnla.lstsq``,
``rnla.ridge``, ``rnla.leverage_scores``, ``LeverageSampling.from_matrix``, the
feature maps), and this package does the work with Dask as the engine: every
chunk is processed where it lives, the results that are small (a k x d sketch,
the d-vectors of an iteration) are tree-reduced, and what is n-sized stays a lazy
Dask array.  Nothing n-sized is built on the client, and nothing is computed
behind the caller's back: ``S @ A``, the leverage scores and the features come
back lazy; ``lstsq``/``ridge`` return their small solution, computing one pass
over A per iteration (persist A first when it fits in the cluster's memory).

Importing it needs Dask (``pip install 'rnla[dask]'``).
"""

from __future__ import annotations

try:
    import dask.array  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without dask installed
    raise ImportError("rnla.distributed needs Dask: pip install 'rnla[dask]'") from exc

from rnla.distributed._chunks import check_dask_array
from rnla.distributed._features import transform_dask
from rnla.distributed._leverage import leverage_scores_dask
from rnla.distributed._lstsq import solve_dask
from rnla.distributed._sketch import apply_dask

__all__ = ["apply_dask", "check_dask_array", "leverage_scores_dask", "solve_dask",
           "transform_dask"]
