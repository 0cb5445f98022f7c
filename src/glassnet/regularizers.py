"""Weight penalties added to the loss: L1, L2 and both, with Keras's names and defaults.

A regularizer is called on a weight and returns a scalar tensor, so its gradient
comes from the engine like any other part of the loss.

Example:
    >>> import glassnet as gn
    >>> from glassnet.regularizers import L2
    >>> float(L2(0.5)(gn.Variable([1.0, 2.0])))
    2.5
"""

from __future__ import annotations

from .ops import abs as abs_
from .ops import multiply, sum as sum_

__all__ = ["L1", "L1L2", "L2", "Regularizer", "get", "serialize"]


class Regularizer:
    """Base class: ``__call__(weight)`` returns a scalar penalty tensor."""

    def __call__(self, weight):  # pragma: no cover - the contract
        raise NotImplementedError("Regularizers implement __call__(weight).")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _factor(name, value):
    value = float(value)
    if value < 0:
        raise ValueError(f"Regularization factor {name} must be >= 0. Received: {name}={value}")
    return value


class L1L2(Regularizer):
    """penalty = l1 * sum(|w|) + l2 * sum(w^2)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = _factor("l1", l1), _factor("l2", l2)

    def __call__(self, weight):
        penalty = None
        if self.l1:
            penalty = multiply(sum_(abs_(weight)), self.l1)
        if self.l2:
            term = multiply(sum_(multiply(weight, weight)), self.l2)
            penalty = term if penalty is None else penalty + term
        return penalty if penalty is not None else multiply(sum_(weight), 0.0)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """penalty = l1 * sum(|w|) (default l1=0.01)."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """penalty = l2 * sum(w^2) (default l2=0.01)."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}


def get(identifier):
    """Resolve a regularizer from None, a name ('l2'), a config dict, a class, an instance or a callable."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Regularizer):
        return identifier()
    if isinstance(identifier, dict):
        name, config = identifier.get("class_name"), identifier.get("config") or {}
        cls = {"L1": L1, "L2": L2, "L1L2": L1L2}.get(name)
        if cls is None:
            raise ValueError(f"Unknown regularizer class: {name!r}. Expected one of ['L1', 'L1L2', 'L2'].")
        return cls(**config)
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier.lower()]()
        except KeyError:
            raise ValueError(f"Unknown regularizer: {identifier!r}. Expected one of {sorted(_BY_NAME)}.") from None
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret regularizer identifier: {identifier!r}")


def serialize(regularizer):
    """Return None or ``{'class_name': ..., 'config': ...}``."""
    if regularizer is None:
        return None
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
