"""The status of every solver result, one vocabulary for the whole library."""

from __future__ import annotations

from enum import Enum

__all__ = ["Status", "summary_repr"]


class Status(str, Enum):
    """Why a solver stopped; compares equal to its string value.

    ``"converged"``: the requested accuracy was met; ``"maxiter"``: the
    iteration limit was reached first; ``"time_limit"``: the time limit was
    reached first; ``"stalled"``: the iteration stopped making progress above
    the requested accuracy; ``"sketch_failed"``: the sketch is not a subspace
    embedding of the data, so the method cannot reach the requested accuracy
    with it; ``"certified"`` (LPs): the requested duality gap is certified; ``"callback"``: the
    user's callback asked to stop.
    """

    CONVERGED = "converged"
    MAXITER = "maxiter"
    TIME_LIMIT = "time_limit"
    STALLED = "stalled"
    SKETCH_FAILED = "sketch_failed"
    CERTIFIED = "certified"
    CALLBACK = "callback"

    def __str__(self) -> str:
        return self.value


def _shown(value) -> str:
    """One field of a result as a repr shows it: arrays by a few entries and their shape."""
    import numpy as np

    if isinstance(value, Enum):
        return repr(str(value))
    if isinstance(value, float):
        return f"{value:.4g}"
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) > 0:
        try:
            host = np.asarray(value)
        except (TypeError, ValueError, RuntimeError):  # a device array: no copy to show it
            return f"<{type(value).__name__} shape {tuple(shape)}>"
        if host.size <= 4:
            return np.array2string(host, precision=4, separator=", ")
        head = ", ".join(f"{v:.4g}" for v in host.ravel()[:3])
        return f"[{head}, ...] (shape {tuple(shape)}, {host.dtype})"
    return repr(value)


def summary_repr(result, fields: tuple[str, ...]) -> str:
    """``Name(field=value, ...)`` for the named fields that are set: a repr that fits
    on a screen whatever the size of the arrays in the result (as scipy's
    ``OptimizeResult`` shows its key figures)."""
    parts = [f"{name}={_shown(getattr(result, name))}" for name in fields
             if getattr(result, name, None) is not None]
    return f"{type(result).__name__}(" + ", ".join(parts) + ")"
