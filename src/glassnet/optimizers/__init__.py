"""Optimizers with Keras 3's names, defaults and update formulas, and their learning-rate schedules.

An optimizer updates Variables in place from their gradients: ``apply(grads, variables)``
(or TensorFlow's ``apply_gradients(zip(grads, variables))``). ``get`` resolves the
names ``compile`` accepts.

Example:
    >>> import numpy as np
    >>> import glassnet as gn
    >>> from glassnet import optimizers
    >>> opt = optimizers.get("sgd")
    >>> w = gn.Variable([1.0, -1.0])
    >>> opt.apply_gradients([(np.array([1.0, -1.0], dtype=np.float32), w)])
    1
    >>> w.numpy()
    array([ 0.99, -0.99], dtype=float32)
    >>> optimizers.serialize(optimizers.Adam(0.01))["config"]["learning_rate"]
    0.01
"""

from __future__ import annotations

from . import schedules as schedules
from .adagrad import Adagrad as Adagrad
from .adam import Adam as Adam
from .adamw import AdamW as AdamW
from .base import Optimizer as Optimizer
from .nadam import Nadam as Nadam
from .rmsprop import RMSprop as RMSprop
from .sgd import SGD as SGD

__all__ = [
    "SGD", "Adagrad", "Adam", "AdamW", "Nadam", "Optimizer", "RMSprop",
    "deserialize", "get", "schedules", "serialize",
]

_BY_NAME = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad,
            "nadam": Nadam}


def _class_named(name, what):
    cls = _BY_NAME.get(str(name).lower())
    if cls is None:
        raise ValueError(f"Unknown optimizer{what}: {name!r}. Expected one of {sorted(_BY_NAME)}.")
    return cls


def get(identifier) -> Optimizer:
    """Resolve an optimizer from a name ('adam', case-insensitive, class names too), a class
    (made with its defaults), an instance, or a config dict ``{'class_name', 'config'}``."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return _class_named(identifier, "")()
    raise TypeError(
        "Could not interpret optimizer identifier: expected a name, an Optimizer class or "
        f"instance, or a config dict. Received: {identifier!r}"
    )


def serialize(optimizer) -> dict:
    """Return ``{'class_name': ..., 'config': ...}`` (constructor arguments, not state)."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config, custom_objects=None) -> Optimizer:
    """Rebuild an optimizer from :func:`serialize`'s output (Keras's extra keys are ignored)."""
    if "class_name" not in config:
        raise ValueError(f"Expected a dict with 'class_name' and 'config'. Received: {config!r}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _class_named(name, " class")
    return cls.from_config(dict(config.get("config") or {}), custom_objects)
