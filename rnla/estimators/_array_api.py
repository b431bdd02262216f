"""scikit-learn's Array API support for the estimators.

With ``sklearn.set_config(array_api_dispatch=True)`` (and ``SCIPY_ARRAY_API=1`` set
before scipy is imported, as scikit-learn requires), an estimator given arrays of
another namespace (CuPy, torch, ``array_api_strict``) fits and predicts in it and keeps
its fitted arrays there.  Without dispatch scikit-learn's own conversion applies.
"""

from __future__ import annotations

import numpy as np
import sklearn
from array_api_compat import device as array_device

from rnla.backend import engine_of

__all__ = ["array_api_namespace", "array_device", "float_dtypes", "refuse_array_api"]


def array_api_namespace(*arrays):
    """The namespace of ``arrays`` when scikit-learn's Array API dispatch is on and they are
    not numpy (or scipy.sparse) arrays, else None (the numpy path)."""
    if not sklearn.get_config()["array_api_dispatch"]:
        return None
    engine = engine_of(serves=("host", "xp"), what="this estimator",
                       **{f"array {i}": a for i, a in enumerate(arrays)})
    return None if engine.kind == "host" or engine.xp is np else engine.xp


def float_dtypes(xp) -> list:
    """The float dtypes the estimators keep, in the namespace of their input (numpy when
    ``xp`` is None)."""
    return [np.float64, np.float32] if xp is None else [xp.float64, xp.float32]


def refuse_array_api(estimator, *arrays) -> None:
    """``TypeError`` for an estimator that computes on numpy only, given arrays of another
    namespace under ``array_api_dispatch`` (never a silent conversion)."""
    if array_api_namespace(*arrays) is not None:
        raise TypeError(f"{type(estimator).__name__} computes on numpy arrays and "
                        "scipy.sparse matrices only, also with array_api_dispatch=True; "
                        "QMCFourierFeatures, SketchedLinearRegression, SketchedRidge and "
                        "SketchProjection "
                        "accept arrays of other namespaces")
