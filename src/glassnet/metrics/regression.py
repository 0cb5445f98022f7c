"""Regression metrics: mean squared and mean absolute error, as functions and as metrics."""

from __future__ import annotations

import numpy as np

from .base import MeanMetricWrapper, aligned_pair


# ----- per-example metric functions (NumPy) ----------------------------------------------
def mean_squared_error(y_true, y_pred):
    """Per example: mean over the last axis of (y_true - y_pred)^2.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import mean_squared_error
        >>> mean_squared_error(np.array([0.0, 1.0]), np.array([[1.0], [3.0]]))
        array([1., 4.])
    """
    y_true, y_pred = aligned_pair(y_true, y_pred, "mean_squared_error")
    error = np.square(y_pred - y_true)
    return error if error.ndim == 0 else error.mean(axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Per example: mean over the last axis of |y_true - y_pred|.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import mean_absolute_error
        >>> mean_absolute_error(np.array([0.0, 1.0]), np.array([[1.0], [3.0]]))
        array([1., 2.])
    """
    y_true, y_pred = aligned_pair(y_true, y_pred, "mean_absolute_error")
    error = np.abs(y_pred - y_true)
    return error if error.ndim == 0 else error.mean(axis=-1)


mse = mean_squared_error
mae = mean_absolute_error


# ----- the metric classes ----------------------------------------------------------------------
class MeanSquaredError(MeanMetricWrapper):
    """The mean over all examples of mean((y_true - y_pred)^2) over the last axis.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import MeanSquaredError
        >>> MeanSquaredError()(np.array([0.0, 1.0]), np.array([[1.0], [3.0]]))
        2.5
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean over all examples of mean(|y_true - y_pred|) over the last axis.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import MeanAbsoluteError
        >>> MeanAbsoluteError()(np.array([0.0, 1.0]), np.array([[1.0], [3.0]]))
        1.5
    """

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)
