"""Accuracies: binary, categorical, sparse categorical and their top-k forms.

Each comes as a per-example NumPy function (1.0 for a hit, 0.0 for a miss, or the
fraction of hits over the last axis) and as a :class:`~glassnet.metrics.MeanMetricWrapper`
class that averages it over the examples seen.
"""

from __future__ import annotations

import numpy as np

from ..backend import floatx
from .base import MeanMetricWrapper, aligned_pair, to_numpy


# ----- inputs: integer labels -----------------------------------------------------------------
def _sparse_targets(y_true, y_pred, op):
    """Class labels of shape ``y_pred.shape[:-1]`` (labels of shape ``(n, 1)`` are flattened)."""
    y_pred = to_numpy(y_pred)
    y_true = to_numpy(y_true)
    if y_pred.ndim == 0:
        raise ValueError(f"{op}: y_pred needs a class axis (rank >= 1). Received: y_pred.shape=()")
    classes_shape = y_pred.shape[:-1]
    if y_true.shape == classes_shape + (1,):
        y_true = y_true.reshape(classes_shape)
    elif y_true.shape != classes_shape:
        raise ValueError(
            f"{op}: y_true must hold one class index per example, shape {classes_shape} or "
            f"{classes_shape + (1,)}. Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )
    return y_true, y_pred


# ----- per-example metric functions (NumPy) ----------------------------------------------
def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Per example: the fraction of entries where (y_pred > threshold) equals y_true (last axis).

    Predictions are compared with ``threshold`` as they are: on logits (a model
    trained with ``from_logits=True``) the default 0.5 is Keras's behaviour too, so pass
    ``threshold=0.0`` yourself there.

    Args:
        y_true: targets in {0, 1}, same shape as ``y_pred`` (or ``(n,)`` for ``(n, 1)``).
        y_pred: probabilities, shape ``(n, ..., d)``.
        threshold: a prediction above it counts as 1. Default 0.5.

    Returns:
        A float array of shape ``y_pred.shape[:-1]``.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import binary_accuracy
        >>> binary_accuracy(np.array([1, 0, 1]), np.array([[0.7], [0.6], [0.2]]))
        array([1., 0., 0.], dtype=float32)
    """
    y_true, y_pred = aligned_pair(y_true, y_pred, "binary_accuracy")
    matches = y_true == (y_pred > threshold)
    if matches.ndim == 0:
        return matches.astype(floatx())
    if matches.shape[-1] == 1:  # one output (a sigmoid): the mean of one hit is the hit (no 4 us mean)
        return matches.reshape(matches.shape[:-1]).astype(floatx())
    return matches.mean(axis=-1).astype(floatx())


def sparse_categorical_accuracy(y_true, y_pred):
    """Per example: 1.0 where argmax(y_pred) equals the integer label, else 0.0.

    Args:
        y_true: class indices, shape ``y_pred.shape[:-1]`` or that plus ``(1,)``.
        y_pred: class scores (probabilities or logits: argmax is the same), shape ``(..., C)``.

    Returns:
        A float array of shape ``y_pred.shape[:-1]``.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import sparse_categorical_accuracy
        >>> sparse_categorical_accuracy(np.array([[1], [0]]), np.array([[0.2, 0.8], [0.3, 0.7]]))
        array([1., 0.], dtype=float32)
    """
    y_true, y_pred = _sparse_targets(y_true, y_pred, "sparse_categorical_accuracy")
    return (y_pred.argmax(axis=-1) == y_true).astype(floatx())


def categorical_accuracy(y_true, y_pred):
    """Per example: 1.0 where argmax(y_pred) equals argmax(y_true) (one-hot targets), else 0.0.

    Args:
        y_true: one-hot targets, same shape as ``y_pred``.
        y_pred: class scores, shape ``(..., C)``.

    Returns:
        A float array of shape ``y_pred.shape[:-1]``.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import categorical_accuracy
        >>> categorical_accuracy(np.array([[0, 1], [0, 1]]), np.array([[0.2, 0.8], [0.7, 0.3]]))
        array([1., 0.], dtype=float32)
    """
    y_true, y_pred = aligned_pair(y_true, y_pred, "categorical_accuracy")
    return (y_pred.argmax(axis=-1) == y_true.argmax(axis=-1)).astype(floatx())


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per example: 1.0 where the label's score is among the ``k`` highest, else 0.0.

    Ties count in the label's favour, as TensorFlow's ``in_top_k``: the label is in
    the top k when fewer than k classes score strictly higher. Labels outside
    [0, C) never count.

    Args:
        y_true: class indices, shape ``y_pred.shape[:-1]`` or that plus ``(1,)``.
        y_pred: class scores, shape ``(..., C)``.
        k: how many of the highest scores count. Default 5.

    Returns:
        A float array of shape ``y_pred.shape[:-1]``.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import sparse_top_k_categorical_accuracy
        >>> sparse_top_k_categorical_accuracy(np.array([2, 0]), np.array([[0.1, 0.5, 0.4], [0.1, 0.5, 0.4]]), k=2)
        array([1., 0.], dtype=float32)
    """
    y_true, y_pred = _sparse_targets(y_true, y_pred, "sparse_top_k_categorical_accuracy")
    classes = y_pred.shape[-1]
    labels = y_true.astype(np.int64)
    valid = (labels == y_true) & (labels >= 0) & (labels < classes)
    picked = np.take_along_axis(y_pred, np.where(valid, labels, 0)[..., None], axis=-1)
    higher = (y_pred > picked).sum(axis=-1)
    return ((higher < k) & valid).astype(floatx())


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per example: 1.0 where the one-hot target's class is among the ``k`` highest scores.

    Args:
        y_true: one-hot targets, same shape as ``y_pred``.
        y_pred: class scores, shape ``(..., C)``.
        k: how many of the highest scores count. Default 5.

    Returns:
        A float array of shape ``y_pred.shape[:-1]``.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import top_k_categorical_accuracy
        >>> top_k_categorical_accuracy(np.array([[0, 0, 1]]), np.array([[0.1, 0.5, 0.4]]), k=2)
        array([1.], dtype=float32)
    """
    y_true, y_pred = aligned_pair(y_true, y_pred, "top_k_categorical_accuracy")
    return sparse_top_k_categorical_accuracy(y_true.argmax(axis=-1), y_pred, k=k)


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}")
    return int(value)


# ----- the metric classes ----------------------------------------------------------------------
class BinaryAccuracy(MeanMetricWrapper):
    """How often (y_pred > threshold) equals the binary target; see :func:`binary_accuracy`.

    On logits the default threshold 0.5 is kept, as in Keras; pass ``threshold=0.0``.

    Args:
        name: default 'binary_accuracy'.
        dtype: see :class:`Metric`.
        threshold: a prediction above it counts as 1. Default 0.5.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import BinaryAccuracy
        >>> BinaryAccuracy()(np.array([1, 1, 0, 0]), np.array([[0.98], [0.3], [0.1], [0.6]]))
        0.5
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=float(threshold))


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(y_pred) equals the integer label; see :func:`sparse_categorical_accuracy`.

    Args:
        name: default 'sparse_categorical_accuracy'.
        dtype: see :class:`Metric`.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import SparseCategoricalAccuracy
        >>> SparseCategoricalAccuracy()(np.array([2, 1]), np.array([[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]]))
        0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(y_pred) equals argmax(y_true); see :func:`categorical_accuracy`.

    Args:
        name: default 'categorical_accuracy'.
        dtype: see :class:`Metric`.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import CategoricalAccuracy
        >>> CategoricalAccuracy()(np.array([[0, 0, 1], [0, 1, 0]]), np.array([[0.1, 0.9, 0.0], [0.05, 0.95, 0.0]]))
        0.5
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target is among the ``k`` highest scores.

    Args:
        k: how many of the highest scores count. Default 5.
        name: default 'top_k_categorical_accuracy'.
        dtype: see :class:`Metric`.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import TopKCategoricalAccuracy
        >>> TopKCategoricalAccuracy(k=1)(np.array([[0, 0, 1], [0, 1, 0]]), np.array([[0.1, 0.9, 0.0], [0.05, 0.95, 0.0]]))
        0.5
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=_positive_int("k", k))


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest scores.

    Args:
        k: how many of the highest scores count. Default 5.
        name: default 'sparse_top_k_categorical_accuracy'.
        dtype: see :class:`Metric`.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import SparseTopKCategoricalAccuracy
        >>> SparseTopKCategoricalAccuracy(k=2)(np.array([2, 0]), np.array([[0.1, 0.5, 0.4], [0.1, 0.5, 0.4]]))
        0.5
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=_positive_int("k", k))
