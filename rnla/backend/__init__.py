"""Backend layer: the only place that knows about numba or CuPy.

``get_namespace(*arrays)`` tells which array library the inputs live in
(numpy or cupy; cupy is never imported unless an input is a cupy array), and
``kernels(xp)`` returns the kernel module for that library.  Algorithms call
kernels only through ``kernels(xp)``, so a GPU port implements the same kernel
names in ``rnla/backend/gpu.py``.
"""

from __future__ import annotations

import sys
from types import ModuleType

import numpy as np

__all__ = ["get_namespace", "kernels", "to_host"]


def _is_cupy(a) -> bool:
    return type(a).__module__.split(".")[0] == "cupy"


def get_namespace(*arrays) -> ModuleType:
    """Return ``numpy`` or ``cupy`` according to where ``arrays`` live.

    scipy.sparse matrices and other host objects count as numpy.  Mixing cupy
    and host arrays raises ``TypeError``.
    """
    on_gpu = [_is_cupy(a) for a in arrays if a is not None]
    if any(on_gpu):
        if not all(on_gpu):
            raise TypeError("arrays must all be on the host (numpy/scipy) or all on the "
                            "GPU (cupy); got a mix")
        return sys.modules["cupy"]
    return np


def kernels(xp: ModuleType = np) -> ModuleType:
    """Return the kernel module for namespace ``xp`` (``rnla.backend.cpu`` for numpy)."""
    if xp is np:
        from rnla.backend import cpu

        return cpu
    raise NotImplementedError(
        "GPU (cupy) kernels are not available in this version of rnla; "
        "pass numpy or scipy.sparse inputs"
    )


def to_host(a):
    """Return ``a`` as a host (numpy) array; numpy inputs are returned unchanged."""
    if _is_cupy(a):
        return a.get()
    return a
