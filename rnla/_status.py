"""The status of every solver result, one vocabulary for the whole library."""

from __future__ import annotations

from enum import Enum

__all__ = ["Status"]


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
