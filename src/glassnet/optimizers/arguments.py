"""The checks optimizers run on their arguments, with Keras-style messages.

Example:
    >>> from glassnet.optimizers.arguments import check_float
    >>> check_float("beta_1", 0.9, low=0.0, high=1.0, high_open=True)
    0.9
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ..autograd import Tensor
from .schedules import LearningRateSchedule

__all__ = ["array_of", "check_float", "check_learning_rate", "name_of", "optional_float"]

_ndarray = np.ndarray


def check_float(name, value, *, low=0.0, high=None, high_open=False, low_open=False) -> float:
    """Return ``value`` as a float after checking it is a real number in the given range.

    Raises TypeError for a non-number and ValueError outside the range, naming the
    argument and the value received.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Argument `{name}` must be a float. Received: {name}={value!r}")
    number = float(value)
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if not math.isfinite(number) or too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        bounds = f"in {left}{low:g}, {high:g}{right}" if high is not None else (
            f"> {low:g}" if low_open else f">= {low:g}")
        raise ValueError(f"Argument `{name}` must be a float {bounds}. Received: {name}={value!r}")
    return number


def optional_float(name, value):
    return None if value is None else check_float(name, value)


def check_learning_rate(value, given_as="learning_rate"):
    """A learning rate is a LearningRateSchedule, a callable of no arguments, or a number >= 0."""
    if isinstance(value, LearningRateSchedule) or callable(value):
        return value
    if isinstance(value, Tensor) and value.size == 1:
        value = value.item()
    elif isinstance(value, _ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        alias = "" if given_as == "learning_rate" else f" (given as `{given_as}`)"
        error = TypeError if isinstance(value, bool) or not isinstance(value, numbers.Real) else ValueError
        raise error(
            f"Argument `learning_rate`{alias} must be a float >= 0, a "
            "`LearningRateSchedule` or a callable that takes no arguments and returns the rate. "
            f"Received: learning_rate={value!r}"
        )
    return float(value)


def array_of(variable):
    """The array an optimizer updates in place: a Variable's ``.data``, or the array itself."""
    array = variable.data if isinstance(variable, Tensor) else variable
    if not (isinstance(array, _ndarray) or hasattr(array, "__cuda_array_interface__")) \
            or array.dtype.kind != "f":
        raise TypeError(
            "Optimizers update floating-point Variables (or float arrays) in place. "
            f"Received: {type(variable).__name__} of dtype {getattr(array, 'dtype', None)}"
        )
    return array


def name_of(variable, index):
    return getattr(variable, "name", None) or f"variable {index}"


# Keras-only constructor options (found in Keras configs) accepted at these values only.
_KERAS_ONLY_DEFAULTS = {
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}
_IGNORED_OPTIONS = ("jit_compile", "is_legacy_optimizer", "mesh", "global_batch_size")


def pop_legacy_options(class_name, learning_rate, kwargs):
    """Take the Keras 2 and Keras-only constructor options out of ``kwargs``: ``lr`` (warned
    of, and used), ``decay`` (refused, with the schedule that replaces it), options glassnet
    ignores, and Keras-only ones at their defaults; anything left is an error. Returns the
    learning rate and the name it was given under."""
    given_as = "learning_rate"
    if "lr" in kwargs:  # Keras 2's deprecated alias
        warnings.warn("The `lr` argument is deprecated; use `learning_rate` instead.",
                      DeprecationWarning, stacklevel=4)
        learning_rate, given_as = kwargs.pop("lr"), "lr"
    decay = kwargs.pop("decay", None)
    if decay:
        raise ValueError(
            "Argument `decay` is not supported (Keras 3 dropped it). For the same effect use "
            "learning_rate=schedules.InverseTimeDecay(learning_rate, decay_steps=1, "
            f"decay_rate=decay). Received: decay={decay!r}"
        )
    for key in _IGNORED_OPTIONS:
        kwargs.pop(key, None)
    for key, default in _KERAS_ONLY_DEFAULTS.items():
        if key in kwargs:
            value = kwargs.pop(key)
            if value != default:
                raise ValueError(
                    f"Argument `{key}` is not supported by glassnet optimizers "
                    f"(only its default {default!r}). Received: {key}={value!r}"
                )
    if kwargs:
        raise TypeError(f"{class_name}() got unexpected keyword argument(s): {kwargs}")
    return learning_rate, given_as
