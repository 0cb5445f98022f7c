"""Losses on values compared entry by entry: MSE, MAE, Huber, log-cosh, and the KL divergence.

The regression errors compare predictions with targets of the same shape; the
Kullback-Leibler divergence compares two distributions over the last axis. Each
comes as a per-example function (averaged, or for KL summed, over the last axis)
and as a :class:`~glassnet.losses.Loss` class.
"""

from __future__ import annotations

import numpy as np

from .. import nn, ops
from ..ops.losses import mean_squared_error_per_example
from ..autograd import Tensor
from ..backend import epsilon
from .base import LossFunctionWrapper, aligned_targets, mean_over_last, prediction_tensor


# ----- per-example loss functions -----------------------------------------------------
def mean_squared_error(y_true, y_pred) -> Tensor:
    """Mean squared error per example: mean over the last axis of (y_true - y_pred)^2.

    Args:
        y_true: targets, same shape as ``y_pred`` (or ``(n,)`` for ``(n, 1)``).
        y_pred: predictions, shape ``(n, ..., d)``.

    Returns:
        A Tensor of shape ``y_pred.shape[:-1]``, typed like ``y_pred``.

    Example:
        >>> from glassnet.losses import mean_squared_error
        >>> mean_squared_error([[1.0, 2.0]], [[0.0, 4.0]]).numpy()
        array([2.5], dtype=float32)
    """
    y_pred = prediction_tensor(y_pred)
    y_true = aligned_targets(y_true, y_pred, "mean_squared_error")
    if y_pred.ndim:  # subtract, square and the mean over the last axis as one node
        return mean_squared_error_per_example(y_true, y_pred)
    error = y_pred - y_true
    return error * error


def mean_absolute_error(y_true, y_pred) -> Tensor:
    """Mean absolute error per example: mean over the last axis of |y_true - y_pred|.

    Args:
        y_true: targets, same shape as ``y_pred`` (or ``(n,)`` for ``(n, 1)``).
        y_pred: predictions, shape ``(n, ..., d)``.

    Returns:
        A Tensor of shape ``y_pred.shape[:-1]``, typed like ``y_pred``.

    Example:
        >>> from glassnet.losses import mean_absolute_error
        >>> mean_absolute_error([[1.0, 2.0]], [[0.0, 4.0]]).numpy()
        array([1.5], dtype=float32)
    """
    y_pred = prediction_tensor(y_pred)
    return mean_over_last(ops.abs(y_pred - aligned_targets(y_true, y_pred, "mean_absolute_error")))


def huber(y_true, y_pred, delta=1.0) -> Tensor:
    """Huber loss per example: mean over the last axis of 0.5 e^2 if |e| <= delta, else delta |e| - 0.5 delta^2.

    e = y_pred - y_true: quadratic near zero, linear (slope ``delta``) beyond it.

    Args:
        y_true: targets, same shape as ``y_pred`` (or ``(n,)`` for ``(n, 1)``).
        y_pred: predictions.
        delta: where the loss turns from quadratic to linear (> 0). Default 1.0.

    Returns:
        A Tensor of shape ``y_pred.shape[:-1]``, typed like ``y_pred``.

    Example:
        >>> from glassnet.losses import huber
        >>> huber([[0.0, 0.0]], [[0.5, 3.0]]).numpy()
        array([1.3125], dtype=float32)
    """
    y_pred = prediction_tensor(y_pred)
    error = y_pred - aligned_targets(y_true, y_pred, "huber")
    size = ops.abs(error)
    quadratic = 0.5 * (error * error)
    linear = delta * size - 0.5 * delta * delta
    return mean_over_last(ops.where(size.data <= delta, quadratic, linear))


def log_cosh(y_true, y_pred) -> Tensor:
    """Log-cosh loss per example: mean over the last axis of log(cosh(e)), e = y_pred - y_true.

    Computed as e + softplus(-2e) - log 2, which never overflows (cosh does for |e| > 710).

    Args:
        y_true: targets, same shape as ``y_pred`` (or ``(n,)`` for ``(n, 1)``).
        y_pred: predictions.

    Returns:
        A Tensor of shape ``y_pred.shape[:-1]``, typed like ``y_pred``.

    Example:
        >>> from glassnet.losses import log_cosh
        >>> log_cosh([[0.0, 0.0]], [[1.0, 0.0]]).numpy().round(4)
        array([0.2169], dtype=float32)
    """
    y_pred = prediction_tensor(y_pred)
    error = y_pred - aligned_targets(y_true, y_pred, "log_cosh")
    return mean_over_last(error + nn.softplus(-2.0 * error) - float(np.log(2.0)))


def kl_divergence(y_true, y_pred) -> Tensor:
    """Kullback-Leibler divergence per example: sum over the last axis of y log(y / p).

    Both ``y_true`` and ``y_pred`` are clipped to [eps, 1] (eps = 1e-7) first, as Keras does.

    Args:
        y_true: target distributions, same shape as ``y_pred``.
        y_pred: predicted distributions.

    Returns:
        A Tensor of shape ``y_pred.shape[:-1]``, typed like ``y_pred``.

    Example:
        >>> from glassnet.losses import kl_divergence
        >>> kl_divergence([[0.5, 0.5]], [[0.25, 0.75]]).numpy().round(4)
        array([0.1438], dtype=float32)
    """
    y_pred = prediction_tensor(y_pred)
    eps = epsilon()
    y_true = np.clip(aligned_targets(y_true, y_pred, "kl_divergence"), eps, 1.0)
    log_ratio = np.log(y_true) - ops.log(ops.clip(y_pred, eps, 1.0))
    losses = y_true * log_ratio
    return losses if losses.ndim == 0 else ops.sum(losses, axis=-1)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh


# ----- the Loss classes ------------------------------------------------------------------
class MeanSquaredError(LossFunctionWrapper):
    """Mean squared error, mean over the batch of mean((y_true - y_pred)^2) over the last axis.

    Args:
        reduction: see :class:`Loss`. Default 'sum_over_batch_size'.
        name: default 'mean_squared_error'.

    Example:
        >>> from glassnet.losses import MeanSquaredError
        >>> float(MeanSquaredError()([[0.0], [1.0]], [[1.0], [3.0]]))
        2.5
    """

    target_kind = "regression"

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(mean_squared_error, reduction=reduction, name=name)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean absolute error, mean over the batch of mean(|y_true - y_pred|) over the last axis.

    Args:
        reduction: see :class:`Loss`. Default 'sum_over_batch_size'.
        name: default 'mean_absolute_error'.

    Example:
        >>> from glassnet.losses import MeanAbsoluteError
        >>> float(MeanAbsoluteError()([[0.0], [1.0]], [[1.0], [3.0]]))
        1.5
    """

    target_kind = "regression"

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(mean_absolute_error, reduction=reduction, name=name)


class Huber(LossFunctionWrapper):
    """Huber loss, mean over the batch: 0.5 e^2 if |e| <= delta, else delta |e| - 0.5 delta^2.

    Args:
        delta: where the loss turns from quadratic to linear (> 0). Default 1.0.
        reduction: see :class:`Loss`. Default 'sum_over_batch_size'.
        name: default 'huber_loss'.

    Example:
        >>> from glassnet.losses import Huber
        >>> float(Huber(delta=2.0)([[0.0], [0.0]], [[1.0], [3.0]]))
        2.25
    """

    target_kind = "regression"

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        delta = float(delta)
        if not delta > 0:
            raise ValueError(f"Huber: delta must be > 0. Received: delta={delta}")
        super().__init__(huber, reduction=reduction, name=name, delta=delta)


class LogCosh(LossFunctionWrapper):
    """Log-cosh loss, mean over the batch of mean(log(cosh(y_pred - y_true))) over the last axis.

    Args:
        reduction: see :class:`Loss`. Default 'sum_over_batch_size'.
        name: default 'log_cosh'.

    Example:
        >>> from glassnet.losses import LogCosh
        >>> round(float(LogCosh()([[0.0]], [[1.0]])), 4)
        0.4338
    """

    target_kind = "regression"

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh"):
        super().__init__(log_cosh, reduction=reduction, name=name)


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence, mean over the batch of sum(y log(y / p)) over the last axis.

    Both distributions are clipped to [1e-7, 1] first.

    Args:
        reduction: see :class:`Loss`. Default 'sum_over_batch_size'.
        name: default 'kl_divergence'.

    Example:
        >>> from glassnet.losses import KLDivergence
        >>> round(float(KLDivergence()([[0.5, 0.5]], [[0.25, 0.75]])), 4)
        0.1438
    """

    target_kind = "categorical"

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence"):
        super().__init__(kl_divergence, reduction=reduction, name=name)
