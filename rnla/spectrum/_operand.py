"""The operator of a spectral estimator: validation, products and probes.

Every estimator in ``rnla.spectrum`` sees A as a :class:`rnla.lowrank._operator.Operand`
(numpy, scipy.sparse, a scipy ``LinearOperator``, a
:class:`~rnla.lowrank.MatrixFreeOperator` or an Array-API array on its device; Dask
where the estimator is a few single passes) and draws its probes here, on the host,
so that a seed gives the same probes on every device.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse.linalg as spla

from rnla.lowrank._operator import MatrixFreeOperator, Operand, check_symmetric_block, operand_of

__all__ = ["square_operand", "times", "probes", "check_symmetric_block", "ERROR_Z",
           "ERROR_CONFIDENCE", "eps_of"]

#: an error estimate is this many standard errors ...
ERROR_Z = 2.0
#: ... which covers the error with this probability for a normal estimate
ERROR_CONFIDENCE = 0.954


def square_operand(A, what: str, serves=("host", "xp")) -> Operand:
    """``A`` validated as a square real operator of ``what``.

    Besides arrays and operators, any callable ``X -> A @ X`` with ``shape`` and a
    numpy ``dtype`` attribute is taken as a host operator; one computing in another
    namespace is wrapped by the caller in :class:`MatrixFreeOperator` with ``like``.
    """
    if callable(A) and not isinstance(A, (MatrixFreeOperator, spla.LinearOperator)):
        shape, dtype = getattr(A, "shape", None), getattr(A, "dtype", None)
        if shape is None or dtype is None:
            raise TypeError("`A` is a callable without `shape` and `dtype`; wrap it: "
                            "rnla.spectrum.MatrixFreeOperator(f, (n, n), like=x)")
        try:
            like = np.empty(0, dtype=np.dtype(dtype))
        except TypeError:
            raise TypeError(f"`A` computes in dtype {dtype!r}, not a numpy dtype; wrap it "
                            "with an array of its namespace: "
                            "rnla.spectrum.MatrixFreeOperator(f, shape, like=x)") from None
        A = MatrixFreeOperator(A, shape, like=like)
    return operand_of(A, what=what, square=True, serves=serves, matrix_free=True)


def times(op: Operand, X):
    """``A X``, computed (Dask: the product's one pass, an n x b result)."""
    Y = op.matmat(X)
    if op.engine.kind == "dask":
        Y = np.asarray(op.engine.compute(Y)[0])
    return Y


def eps_of(op: Operand) -> float:
    """The unit roundoff of the operand's dtype."""
    return float(np.finfo(np.float32 if op.dtype == op.xp.float32 else np.float64).eps)


def probes(op: Operand, columns: int, kind: str, rng: np.random.Generator):
    """n x ``columns`` probes drawn on the host and moved to A's device.

    ``"rademacher"``: independent signs; ``"sphere"``: Gaussian columns scaled to norm
    sqrt(n) (uniform on that sphere); ``"gaussian"``: standard Gaussian.
    """
    n = op.shape[1]
    if kind == "rademacher":
        G = rng.integers(0, 2, size=(n, columns)).astype(np.float64) * 2.0 - 1.0
    else:
        G = rng.standard_normal((n, columns))
        if kind == "sphere":
            G *= math.sqrt(n) / np.linalg.norm(G, axis=0)
    return op.from_host(G)
