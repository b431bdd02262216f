"""Backend layer: the only place that knows about numba or CuPy.

``get_namespace(*arrays)`` tells which array library the inputs live in, and
``kernels(xp)`` returns the kernel set for it:

* numpy arrays (and scipy.sparse matrices) -> ``rnla.backend.cpu`` (numba);
* CuPy arrays -> ``rnla.backend.gpu``;
* any other Array-API namespace (torch, ``array_api_strict``, ...) ->
  ``rnla.backend.xp``, written against the Array API standard only.

The three sets share module names and kernel contracts (docs/backend.md).  CuPy
is never imported unless an input is a CuPy array.  Inside ``generic_kernels()``
numpy inputs take the generic path too, for cross-checking the two.
"""

from __future__ import annotations

import contextlib
import contextvars
from types import ModuleType

import array_api_compat
import numpy as np

__all__ = ["get_namespace", "kernels", "uses_cpu", "generic_kernels", "to_host"]

_GENERIC = contextvars.ContextVar("rnla_generic_kernels", default=False)


def get_namespace(*arrays) -> ModuleType:
    """Return the Array-API namespace of ``arrays`` (``None`` entries ignored).

    numpy arrays, scipy.sparse matrices, lists and scalars count as numpy (the
    plain ``numpy`` module is returned for them, unless ``generic_kernels()`` is
    active); mixing namespaces raises ``TypeError``.

    Parameters
    ----------
    *arrays : array objects or None
        The inputs of one call.

    Returns
    -------
    module
        ``numpy``, or the ``array_api_compat`` namespace of the inputs.
    """
    found = [array_api_compat.array_namespace(a) for a in arrays
             if a is not None and hasattr(a, "__array_namespace__")
             and not isinstance(a, np.ndarray)]
    if not found:
        return array_api_compat.array_namespace(np.empty(0)) if _GENERIC.get() else np
    first = found[0]
    if any(x is not first for x in found[1:]):
        raise TypeError(f"arrays must all come from one array library; got {found}")
    return first


def uses_cpu(xp: ModuleType) -> bool:
    """Whether namespace ``xp`` runs on the numba kernels (numpy outside ``generic_kernels()``).

    Parameters
    ----------
    xp : module
        A namespace from ``get_namespace``.

    Returns
    -------
    bool
    """
    return xp is np


def kernels(xp: ModuleType = np) -> ModuleType:
    """Return the kernel set for namespace ``xp``: ``cpu``, ``gpu`` or ``xp``.

    Parameters
    ----------
    xp : module, default=numpy
        A namespace from ``get_namespace``.

    Returns
    -------
    module
        ``rnla.backend.cpu`` for numpy, ``rnla.backend.gpu`` for CuPy,
        ``rnla.backend.xp`` for any other namespace.
    """
    if uses_cpu(xp):
        from rnla.backend import cpu

        return cpu
    if array_api_compat.is_cupy_namespace(xp):
        from rnla.backend import gpu

        return gpu
    from rnla.backend import xp as generic

    return generic


@contextlib.contextmanager
def generic_kernels():
    """Within this context numpy inputs run on the generic Array-API kernels
    (``rnla.backend.xp``) instead of numba: for cross-checking the two sets.

    Yields
    ------
    None

    Examples
    --------
    >>> import numpy as np, rnla
    >>> A = np.random.default_rng(0).standard_normal((500, 4))
    >>> fast = rnla.sketch(A, 20, kind="gaussian", rng=1)
    >>> with rnla.backend.generic_kernels():
    ...     slow = rnla.sketch(A, 20, kind="gaussian", rng=1)
    >>> bool(np.allclose(fast, slow, rtol=1e-12, atol=0))
    True
    """
    token = _GENERIC.set(True)
    try:
        yield
    finally:
        _GENERIC.reset(token)


def to_host(a) -> np.ndarray:
    """Return ``a`` as a host (numpy) array (numpy inputs unchanged).

    rnla calls it only on small arrays (of the size of a sketch or a set of
    frequencies, never n-sized).

    Parameters
    ----------
    a : array
        An array of any namespace.

    Returns
    -------
    ndarray
    """
    if isinstance(a, np.ndarray):
        return a
    if array_api_compat.is_cupy_array(a):
        return a.get()
    if array_api_compat.is_torch_array(a):
        return a.detach().cpu().numpy()
    return np.from_dlpack(a)
