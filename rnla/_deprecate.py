"""Older spellings of parameters, kept one release with a ``DeprecationWarning``."""

from __future__ import annotations

import functools
import warnings

__all__ = ["renamed_parameters"]


def renamed_parameters(**old_to_new: str):
    """Decorate a function so that each keyword ``old`` still works as ``new``.

    Passing ``old=value`` warns with a ``DeprecationWarning`` and forwards the
    value to ``new``; passing both raises a ``TypeError``.

    Examples
    --------
    >>> import warnings
    >>> @renamed_parameters(seed="rng")
    ... def draw(rng=None):
    ...     return rng
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     draw(seed=3), caught[0].category.__name__
    (3, 'DeprecationWarning')
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for old, new in old_to_new.items():
                if old in kwargs:
                    warnings.warn(f"`{old}` is deprecated and will be removed in the next "
                                  f"release; use `{new}`", DeprecationWarning, stacklevel=2)
                    if new in kwargs:
                        raise TypeError(f"pass either `{new}` or the deprecated `{old}`, "
                                        f"not both")
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper

    return decorate
