"""Whether operations record a graph: the one global switch of the engine.

Example:
    >>> import glassnet as gn
    >>> w = gn.Variable(2.0)
    >>> with gn.no_grad():
    ...     y = w * 3.0
    >>> y.requires_grad
    False
"""

from __future__ import annotations

import functools

__all__ = ["enable_grad", "is_grad_enabled", "no_grad"]

# A one-element list so Function.apply reads it without a function call.
GRAD_ENABLED = [True]
# ids of constant tensors that an active GradientTape watches; mutated, never rebound.
WATCHED: set = set()


def is_grad_enabled() -> bool:
    """Return True when new operations record the graph for backpropagation."""
    return GRAD_ENABLED[0]


class _GradMode:
    _enabled: bool

    def __enter__(self):
        self._previous = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = self._enabled
        return self

    def __exit__(self, *exc_info):
        GRAD_ENABLED[0] = self._previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Context manager and decorator: operations inside record no graph.

    Use it for inference and for parameter updates, which must not be differentiated.
    """

    _enabled = False


class enable_grad(_GradMode):
    """Context manager and decorator: turn recording back on inside a ``no_grad`` block."""

    _enabled = True
