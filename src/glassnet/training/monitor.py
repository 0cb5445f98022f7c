"""Watching one logged quantity: which direction is better, and what counts as better.

``EarlyStopping``, ``ModelCheckpoint`` and ``ReduceLROnPlateau`` each watch a key of
the epoch logs (``monitor='val_loss'``). :class:`Monitor` holds what they share:

* the direction (``mode``): 'min', 'max', or 'auto', which reads it from the name:
  a metric object on the model with a ``_direction`` of 'up' or 'down' decides
  first (as in Keras 3); then ``loss`` and names of errors and cross-entropies
  are minimised, and accuracies, AUC, precision and recall maximised (an optional
  ``val_`` prefix is ignored);
* the improvement test with ``min_delta``, whose sign does not matter:
  in 'min' mode ``current < best - |min_delta|``, in 'max' mode
  ``current > best + |min_delta|``. A tie is never an improvement.

Example:
    >>> from glassnet.training.monitor import Monitor
    >>> m = Monitor("val_accuracy", "auto", min_delta=0.01)
    >>> m.resolve(model=None)
    'max'
    >>> m.is_improvement(0.905, 0.9), m.is_improvement(0.92, 0.9)
    (False, True)
"""

from __future__ import annotations

import math
import numbers
import warnings

from .callbacks import Callback

__all__ = ["Monitor", "MonitoringCallback", "check_non_negative_int"]

_MODES = ("auto", "min", "max")
# Name fragments that tell 'auto' the direction (after dropping a 'val_' prefix).
_LOWER_IS_BETTER = ("loss", "error", "crossentropy", "hinge", "divergence", "poisson", "mse", "mae",
                    "mape", "msle", "logcosh")
_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou")


def check_non_negative_int(owner: str, name: str, value) -> int:
    """``value`` as an int, or a ValueError naming ``owner`` and what it received."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{owner}: {name} must be a non-negative integer. Received: {name}={value!r}")
    return int(value)


def direction_from_name(monitor: str, model=None):
    """'min', 'max', or None when neither the model's metrics nor the name tell."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    for metric in getattr(model, "compiled_metrics", None) or ():
        direction = getattr(metric, "_direction", None)
        if getattr(metric, "name", None) == name and direction in ("up", "down"):
            return "max" if direction == "up" else "min"
    if name == "loss" or name.endswith("_loss"):
        return "min"
    if any(part in name for part in _HIGHER_IS_BETTER):
        return "max"
    if any(part in name for part in _LOWER_IS_BETTER):
        return "min"
    return None


class Monitor:
    """One watched quantity: ``monitor`` key, direction, ``min_delta`` and missing-key warnings.

    Args:
        monitor: the logs key to watch, e.g. 'val_loss'.
        mode: 'auto', 'min' or 'max'.
        min_delta: the least change that counts as an improvement (its sign is ignored).
        owner: the callback's class name, for messages.
        unknown: the direction 'auto' falls back to when the name does not tell;
            None (the default) raises, as Keras 3's EarlyStopping and ModelCheckpoint do.
    """

    def __init__(self, monitor, mode="auto", min_delta=0.0, *, owner="Callback", unknown=None):
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"{owner}: monitor must be the name of a logged quantity. Received: monitor={monitor!r}")
        if mode not in _MODES:
            raise ValueError(f"{owner}: mode must be one of 'auto', 'min', 'max'. Received: mode={mode!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real) or math.isnan(min_delta):
            raise ValueError(f"{owner}: min_delta must be a number. Received: min_delta={min_delta!r}")
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(float(min_delta))
        self.owner = owner
        self.unknown = unknown
        self.direction = None if mode == "auto" else mode

    def resolve(self, model) -> str:
        """Fix the direction ('min' or 'max'), reading it from the name when mode='auto'."""
        if self.direction is None:
            self.direction = direction_from_name(self.monitor, model) or self.unknown
        if self.direction is None:
            raise ValueError(
                f"{self.owner} received monitor={self.monitor!r}, but cannot tell whether it should be "
                "maximized or minimized. Pass mode='max' to keep the highest value, or mode='min' "
                "to keep the lowest."
            )
        return self.direction

    @property
    def worst(self) -> float:
        """The starting 'best': +inf when minimising, -inf when maximising."""
        return math.inf if self.direction == "min" else -math.inf

    def is_improvement(self, current, reference) -> bool:
        """Whether ``current`` beats ``reference`` by more than ``min_delta``."""
        if reference is None:
            return True
        if self.direction == "min":
            return current + self.min_delta < reference
        return current - self.min_delta > reference

    def value(self, logs, what: str):
        """``logs[monitor]`` as a float, or None after a warning naming the available keys."""
        logs = logs or {}
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"{what} on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(logs)}",
                stacklevel=3,
            )
            return None
        return float(current)


class MonitoringCallback(Callback):
    """A callback that watches one logged value through a :class:`Monitor` (``self._monitor``)."""

    _monitor: "Monitor"

    @property
    def monitor(self) -> str:
        """The logs key watched, e.g. 'val_loss'."""
        return self._monitor.monitor

    @property
    def mode(self) -> str:
        """'min' or 'max': which direction counts as an improvement."""
        return self._monitor.mode

    @property
    def min_delta(self) -> float:
        """The smallest change that counts as an improvement."""
        return self._monitor.min_delta
