"""Keras's metrics: stateful accumulators computed on NumPy arrays, outside the graph.

A metric's ``update_state(y_true, y_pred, sample_weight=None)`` adds a batch,
``result()`` returns the value so far as a Python float and ``reset_state()``
starts over; ``fit`` resets them each epoch. Tensors are converted with
``np.asarray``, so metrics never add nodes to the graph. Targets of shape ``(n,)``
against predictions ``(n, 1)`` are aligned as the losses align them.

``'accuracy'`` means different things for different targets; :func:`resolve_accuracy`
picks binary, sparse categorical or categorical accuracy as Keras does.

Example:
    >>> import numpy as np
    >>> from glassnet.metrics import SparseCategoricalAccuracy
    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]))
    >>> m.update_state(np.array([1]), np.array([[0.3, 0.7]]))
    >>> round(m.result(), 4)
    0.6667
"""

from __future__ import annotations

import numpy as np

from . import losses as _losses
from .backend import epsilon, floatx
from .losses import _align

__all__ = [
    "AUC", "BinaryAccuracy", "CategoricalAccuracy", "Mean", "MeanAbsoluteError",
    "MeanMetricWrapper", "MeanSquaredError", "Metric", "Precision", "Recall",
    "SparseCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "TopKCategoricalAccuracy",
    "binary_accuracy", "categorical_accuracy", "get", "mae", "mean_absolute_error",
    "mean_squared_error", "mse", "resolve_accuracy", "serialize", "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy",
]


def _array(x, dtype=None):
    """A NumPy array from a Tensor, array, list or number (CuPy data comes to the host)."""
    data = getattr(x, "data", x) if not isinstance(x, np.ndarray) else x
    if hasattr(data, "get") and not isinstance(data, np.ndarray):  # a CuPy array
        data = data.get()
    return np.asarray(data, dtype=dtype)


def _pair(y_true, y_pred, op):
    """Both as arrays, y_true aligned with y_pred ((n,) against (n, 1) reshaped)."""
    y_pred = _array(y_pred)
    return _align(_array(y_true), y_pred.shape, op), y_pred


def _sparse_targets(y_true, y_pred, op):
    """Class labels of shape ``y_pred.shape[:-1]`` (labels of shape ``(n, 1)`` are flattened)."""
    y_pred = _array(y_pred)
    y_true = _array(y_true)
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


def _check_probabilities(y_pred, op):
    if y_pred.size and not (np.all(y_pred >= 0) and np.all(y_pred <= 1)):
        raise ValueError(
            f"{op}: predictions must be probabilities in [0, 1] (for logits pass "
            f"from_logits=True to AUC, or apply a sigmoid). Received: values from "
            f"{np.nanmin(y_pred)} to {np.nanmax(y_pred)}"
        )


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
    y_true, y_pred = _pair(y_true, y_pred, "binary_accuracy")
    matches = y_true == (y_pred > threshold)
    return (matches if matches.ndim == 0 else matches.mean(axis=-1)).astype(floatx())


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
    y_true, y_pred = _pair(y_true, y_pred, "categorical_accuracy")
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
    y_true, y_pred = _pair(y_true, y_pred, "top_k_categorical_accuracy")
    return sparse_top_k_categorical_accuracy(y_true.argmax(axis=-1), y_pred, k=k)


def mean_squared_error(y_true, y_pred):
    """Per example: mean over the last axis of (y_true - y_pred)^2.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import mean_squared_error
        >>> mean_squared_error(np.array([0.0, 1.0]), np.array([[1.0], [3.0]]))
        array([1., 4.])
    """
    y_true, y_pred = _pair(y_true, y_pred, "mean_squared_error")
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
    y_true, y_pred = _pair(y_true, y_pred, "mean_absolute_error")
    error = np.abs(y_pred - y_true)
    return error if error.ndim == 0 else error.mean(axis=-1)


mse = mean_squared_error
mae = mean_absolute_error


# ----- the stateful metrics ------------------------------------------------------------------
class Metric:
    """Base class: ``update_state`` accumulates, ``result()`` reads, ``reset_state()`` clears.

    Calling a metric, ``m(y_true, y_pred)``, updates it and returns the result.

    Args:
        name: the name shown in logs and ``history.history``.
        dtype: the float type of the results Keras reports (kept for configs; results
            are Python floats).
    """

    default_name = "metric"

    def __init__(self, name=None, dtype=None):
        self.name = name or self.default_name
        self.dtype = np.dtype(dtype or floatx()).name

    def update_state(self, *args, **kwargs):  # pragma: no cover - the contract
        raise NotImplementedError("Metrics implement update_state(y_true, y_pred, sample_weight=None).")

    def result(self):  # pragma: no cover - the contract
        raise NotImplementedError("Metrics implement result().")

    def reset_state(self) -> None:  # pragma: no cover - the contract
        raise NotImplementedError("Metrics implement reset_state().")

    def reset_states(self) -> None:
        """Keras 2's name for :meth:`reset_state`."""
        self.reset_state()

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


def _weighted(values, sample_weight):
    """Return (values, weights) of one shape; weights (n,) or (n, 1) fit values (n,) or (n, d).

    As Keras does: (n,) weights weigh the rows of (n, d) values; weights that still do
    not broadcast to the values' shape but match its leading axes average the values
    over the remaining axes first.
    """
    if sample_weight is None:
        return values, np.ones_like(values)
    weights = _array(sample_weight, np.float64)
    received = (weights.shape, values.shape)
    if weights.ndim == values.ndim + 1 and weights.shape[-1] == 1:
        weights = weights.reshape(weights.shape[:-1])
    elif values.ndim == weights.ndim + 1:
        if values.shape[-1] == 1:
            values = values.reshape(values.shape[:-1])
        else:
            weights = weights[..., None]  # (n,) weights for (n, d) values: one weight per row
    try:
        return values, np.broadcast_to(weights, values.shape)
    except ValueError:
        if weights.ndim < values.ndim and values.shape[:weights.ndim] == weights.shape:
            values = values.mean(axis=tuple(range(weights.ndim, values.ndim)))
            return values, weights
        raise ValueError(
            "sample_weight must broadcast against the metric's per-example values. "
            f"Received: sample_weight.shape={received[0]}, values.shape={received[1]}"
        ) from None


class Mean(Metric):
    """The weighted mean of all values seen: sum(w * v) / sum(w).

    Args:
        name: default 'mean'.
        dtype: see :class:`Metric`.

    Example:
        >>> from glassnet.metrics import Mean
        >>> m = Mean()
        >>> m.update_state([1.0, 3.0]); m.update_state([5.0], sample_weight=[2.0])
        >>> m.result()
        3.5
    """

    default_name = "mean"

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None) -> None:
        values, weights = _weighted(_array(values, np.float64), sample_weight)
        self.total += float(np.sum(values * weights))
        self.count += float(np.sum(weights))

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """The weighted mean of a per-example function ``fn(y_true, y_pred, **kwargs)``.

    Args:
        fn: returns one value per example (an array or a Tensor).
        name: default ``fn.__name__``.
        dtype: see :class:`Metric`.
        **kwargs: passed on to ``fn``.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import MeanMetricWrapper
        >>> def hits(y_true, y_pred):
        ...     return (np.asarray(y_true) == np.asarray(y_pred)).astype(float)
        >>> m = MeanMetricWrapper(hits)
        >>> m.name, m([1, 2, 3], [1, 0, 3])
        ('hits', 0.6666666666666666)
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper needs a callable fn. Received: fn={fn!r}")
        super().__init__(name=name or getattr(fn, "name", None) or getattr(fn, "__name__", None), dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        super().update_state(_array(self.fn(y_true, y_pred, **self._fn_kwargs), np.float64), sample_weight)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config


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


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}")
    return int(value)


# ----- confusion counts at thresholds: AUC, Precision, Recall -----------------------------
def _confusion(y_true, y_pred, sample_weight, thresholds, op):
    """Weighted (tp, fp, fn, tn) at each threshold: a prediction counts positive when > threshold.

    All entries are flattened (one binary decision each). Each prediction is located
    among the sorted thresholds once (binary search) instead of compared with each.
    """
    y_true, y_pred = _pair(y_true, y_pred, op)
    y_pred = y_pred.astype(np.float64, copy=False)
    _check_probabilities(y_pred, op)
    _, weights = _weighted(y_pred, sample_weight)
    positive = y_true.astype(bool).ravel()
    weights = weights.ravel()
    y_pred = y_pred.ravel()
    order = np.argsort(thresholds, kind="stable")
    sorted_thresholds = thresholds[order]
    # above[i]: how many sorted thresholds lie strictly below each prediction
    above = np.searchsorted(sorted_thresholds, y_pred, side="left")
    size = len(thresholds) + 1
    pos_hist = np.bincount(above, weights=weights * positive, minlength=size)
    neg_hist = np.bincount(above, weights=weights * ~positive, minlength=size)
    # predictions above sorted threshold i are those with above > i
    tp = pos_hist.sum() - np.cumsum(pos_hist)[:-1]
    fp = neg_hist.sum() - np.cumsum(neg_hist)[:-1]
    unsort = np.empty_like(order)
    unsort[order] = np.arange(len(order))
    tp, fp = tp[unsort], fp[unsort]
    return tp, fp, pos_hist.sum() - tp, neg_hist.sum() - fp  # tp, fp, fn, tn


def _divide(a, b):
    """a / b elementwise, 0 where b is 0 (Keras's divide_no_nan)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    safe = np.where(b == 0, 1.0, b)
    return np.where(b == 0, 0.0, a / safe)


class _ConfusionMetric(Metric):
    """Shared state of AUC, Precision and Recall: tp, fp, tn, fn at each threshold."""

    def _init_thresholds(self, thresholds):
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.reset_state()

    def reset_state(self) -> None:
        zeros = np.zeros(len(self.thresholds))
        self.true_positives, self.false_positives = zeros.copy(), zeros.copy()
        self.true_negatives, self.false_negatives = zeros.copy(), zeros.copy()

    def _prepare(self, y_true, y_pred):
        return y_true, y_pred

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = self._prepare(_array(y_true), _array(y_pred))
        tp, fp, fn, tn = _confusion(y_true, y_pred, sample_weight, self.thresholds, type(self).__name__)
        self.true_positives += tp
        self.false_positives += fp
        self.false_negatives += fn
        self.true_negatives += tn


def _thresholds_argument(thresholds, default=0.5):
    """(array of thresholds, whether result() returns one float)."""
    if thresholds is None:
        return np.array([default]), True
    single = np.ndim(thresholds) == 0
    values = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
    if values.size == 0 or np.any((values < 0) | (values > 1)):
        raise ValueError(f"thresholds must be values in [0, 1]. Received: thresholds={thresholds!r}")
    return values, single


class Precision(_ConfusionMetric):
    """Precision tp / (tp + fp) of binary predictions, at one or several thresholds.

    A prediction counts as positive when it is greater than the threshold; targets
    count as positive when non-zero. 0 when nothing was predicted positive.

    Args:
        thresholds: a float or a list of floats in [0, 1]. Default None: 0.5. A list
            makes ``result()`` return a list.
        class_id: evaluate only this column of ``(n, C)`` targets and predictions. Default None.
        name: default 'precision'.
        dtype: see :class:`Metric`.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import Precision
        >>> Precision()(np.array([0, 1, 1, 1]), np.array([1.0, 1.0, 0.0, 0.0]))
        0.5
    """

    default_name = "precision"

    def __init__(self, thresholds=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        values, self._single = _thresholds_argument(thresholds)
        self.init_thresholds = thresholds
        self.class_id = class_id
        self._init_thresholds(values)

    def _prepare(self, y_true, y_pred):
        if self.class_id is None:
            return y_true, y_pred
        return y_true[..., self.class_id], y_pred[..., self.class_id]

    def _value(self):
        return _divide(self.true_positives, self.true_positives + self.false_positives)

    def result(self):
        values = self._value()
        return float(values[0]) if self._single else [float(v) for v in values]

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(thresholds=self.init_thresholds, class_id=self.class_id)
        return config


class Recall(Precision):
    """Recall tp / (tp + fn) of binary predictions, at one or several thresholds.

    Same arguments as :class:`Precision` (default name 'recall'); 0 when there were
    no positive targets.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import Recall
        >>> Recall()(np.array([0, 1, 1, 1]), np.array([1.0, 0.0, 1.0, 1.0]))
        0.6666666666666666
    """

    default_name = "recall"

    def _value(self):
        return _divide(self.true_positives, self.true_positives + self.false_negatives)


class AUC(_ConfusionMetric):
    """Area under the ROC or precision-recall curve, by a Riemann sum over fixed thresholds.

    Predictions are counted positive or negative at ``num_thresholds`` thresholds:
    (i + 1) / (num_thresholds - 1) for i < num_thresholds - 2, plus -eps and 1 + eps at
    the ends (eps = 1e-7) so every prediction in [0, 1] falls between them. From the
    counts: ROC plots recall against the false-positive rate fp / (fp + tn); PR plots
    precision against recall. ``summation_method``:

    * 'interpolation' (default): the trapezoid rule for ROC; for PR, Davis & Goadrich's
      interpolation, linear in the counts tp and tp + fp between thresholds rather
      than in precision, integrated exactly;
    * 'minoring' / 'majoring': the lower / upper of each step's two end heights.

    The result approaches the exact AUC as the thresholds get finer (within about
    1 / num_thresholds for predictions spread over [0, 1]).

    Args:
        num_thresholds: > 1. Default 200.
        curve: 'ROC' (default) or 'PR'.
        summation_method: 'interpolation' (default), 'minoring' or 'majoring'.
        name: default 'auc'.
        dtype: see :class:`Metric`.
        thresholds: explicit thresholds in [0, 1] (then ``num_thresholds`` is their
            count + 2, the ends -eps and 1 + eps being added). Default None.
        multi_label: only False (all entries pooled) is supported.
        from_logits: apply a sigmoid to the predictions first. Default False.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import AUC
        >>> round(AUC()(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])), 4)
        0.75
    """

    default_name = "auc"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None,
                 dtype=None, thresholds=None, multi_label=False, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        curve, method = str(curve).upper(), str(summation_method).lower()
        if curve not in ("ROC", "PR"):
            raise ValueError(f"curve must be 'ROC' or 'PR'. Received: curve={curve!r}")
        if method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(
                "summation_method must be 'interpolation', 'minoring' or 'majoring'. "
                f"Received: summation_method={summation_method!r}"
            )
        if multi_label:
            raise ValueError("AUC: multi_label=True is not supported yet; every entry is pooled.")
        eps = epsilon()
        if thresholds is not None:
            inner, _ = _thresholds_argument(thresholds)
            inner = np.sort(inner)
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)) \
                    or num_thresholds <= 1:
                raise ValueError(f"num_thresholds must be an integer > 1. Received: num_thresholds={num_thresholds!r}")
            inner = (np.arange(num_thresholds - 2) + 1) / (num_thresholds - 1)
        self.num_thresholds = len(inner) + 2
        self.curve, self.summation_method = curve, method
        self.from_logits = bool(from_logits)
        self._user_thresholds = None if thresholds is None else [float(t) for t in inner]
        self._init_thresholds(np.concatenate([[-eps], inner, [1.0 + eps]]))

    def _prepare(self, y_true, y_pred):
        if self.from_logits:
            y_pred = 0.5 * (1.0 + np.tanh(0.5 * y_pred.astype(np.float64)))  # sigmoid, never overflows
        return y_true, y_pred

    def _interpolated_pr(self):
        """Davis & Goadrich: precision follows tp / (tp + fp) with tp and tp + fp linear in between."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        d_tp = tp[:-1] - tp[1:]
        p = tp + fp
        d_p = p[:-1] - p[1:]
        slope = _divide(d_tp, np.maximum(d_p, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide(p[:-1], np.maximum(p[1:], 0)), 1.0)
        return float(np.sum(_divide(slope * (d_tp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))))

    def result(self) -> float:
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr()
        recall = _divide(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide(fp, fp + tn), recall
        else:
            x, y = recall, _divide(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return float(np.sum((x[:-1] - x[1:]) * heights))  # x falls as the threshold rises

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(num_thresholds=self.num_thresholds, curve=self.curve,
                      summation_method=self.summation_method, thresholds=self._user_thresholds,
                      from_logits=self.from_logits)
        return config


# ----- 'accuracy' and lookup ---------------------------------------------------------------
def _loss_kind(loss):
    """The target kind a loss expects ('binary', 'categorical', 'sparse', ...) or None."""
    if loss is None:
        return None
    if isinstance(loss, str):
        try:
            loss = _losses.get(loss)
        except ValueError:
            return None
    kind = getattr(loss, "target_kind", None)
    if kind is None and callable(loss):
        cls = _losses._FUNCTION_CLASSES.get(loss)
        kind = cls.target_kind if cls is not None else None
    return kind


def resolve_accuracy(name, loss, y_true_shape, y_pred_shape):
    """Return the accuracy metric that 'accuracy' (or 'acc') means for this loss and these shapes.

    As Keras decides it: binary accuracy when the loss is a binary cross-entropy or
    y_pred has one column (predictions of rank <= 1 count as one column); else sparse
    categorical accuracy when the loss is sparse, or y_true has fewer dimensions than
    y_pred, or y_true's last dimension is 1 while y_pred's is larger; else
    categorical accuracy. The metric keeps ``name`` as written, since history keys use it.

    Args:
        name: the name the user wrote, 'accuracy' or 'acc'.
        loss: a loss object, name or function, or None.
        y_true_shape: the targets' shape (a tuple), or None when unknown.
        y_pred_shape: the predictions' shape (a tuple), or None when unknown.

    Returns:
        A BinaryAccuracy, SparseCategoricalAccuracy or CategoricalAccuracy named ``name``.

    Example:
        >>> from glassnet.metrics import resolve_accuracy
        >>> resolve_accuracy("accuracy", "sparse_categorical_crossentropy", (32,), (32, 10))
        <SparseCategoricalAccuracy name='accuracy'>
        >>> resolve_accuracy("acc", None, (32, 1), (32, 1))
        <BinaryAccuracy name='acc'>
    """
    kind = _loss_kind(loss)
    pred_shape = None if y_pred_shape is None else tuple(y_pred_shape)
    true_shape = None if y_true_shape is None else tuple(y_true_shape)
    one_column = pred_shape is not None and (len(pred_shape) <= 1 or pred_shape[-1] == 1)
    if kind == "binary" or one_column:
        return BinaryAccuracy(name=name)
    sparse_shapes = (
        true_shape is not None and pred_shape is not None
        and (len(true_shape) < len(pred_shape)
             or (len(true_shape) > 0 and true_shape[-1] == 1 and pred_shape[-1] > 1))
    )
    if kind == "sparse" or sparse_shapes:
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


class _InferredAccuracy(Metric):
    """'accuracy' before the data is seen: resolved by :func:`resolve_accuracy` at the first update."""

    def __init__(self, name="accuracy", loss=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.loss = loss
        self.resolved = None

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        if self.resolved is None:
            self.resolved = resolve_accuracy(self.name, self.loss, np.shape(y_true), np.shape(y_pred))
        self.resolved.update_state(y_true, y_pred, sample_weight)

    def result(self) -> float:
        return 0.0 if self.resolved is None else self.resolved.result()

    def reset_state(self) -> None:
        if self.resolved is not None:
            self.resolved.reset_state()

    def __repr__(self):
        return f"<accuracy name={self.name!r} resolved to {self.resolved!r}>"


_CLASSES = {cls.__name__: cls for cls in (
    AUC, BinaryAccuracy, CategoricalAccuracy, Mean, MeanAbsoluteError, MeanSquaredError, Precision,
    Recall, SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy,
)}
_BY_NAME = {
    "binary_accuracy": BinaryAccuracy, "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "categorical_accuracy": CategoricalAccuracy, "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "auc": AUC, "precision": Precision, "recall": Recall,
}
_LOSS_NAMES = ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
               "kl_divergence", "kld", "log_cosh", "logcosh", "huber")


def get(identifier):
    """Resolve a metric to a :class:`Metric` object (None stays None).

    Accepts a name ('accuracy'/'acc', 'binary_accuracy', 'sparse_categorical_accuracy',
    'categorical_accuracy', 'top_k_categorical_accuracy', 'mse', 'mae', 'auc',
    'precision', 'recall', a loss function's name such as 'binary_crossentropy', or a
    class name such as 'BinaryAccuracy'), a Metric class (instantiated with its
    defaults), an instance (returned as is) or a callable ``f(y_true, y_pred)`` returning
    per-example values (wrapped in a :class:`MeanMetricWrapper` named after it).

    A function-style name becomes the metric's name, as in Keras ('mse' is logged as
    'mse'). 'accuracy' and 'acc' give a metric that picks its kind from the first batch
    (:func:`resolve_accuracy` without a loss); ``compile`` resolves them with the loss.

    Raises:
        ValueError: for an unknown name, listing the known ones.

    Example:
        >>> from glassnet import metrics
        >>> metrics.get("mse")
        <MeanSquaredError name='mse'>
        >>> metrics.get(metrics.AUC).name
        'auc'
    """
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        key = identifier.lower()
        if key in ("accuracy", "acc"):
            return _InferredAccuracy(name=identifier)
        if key in _BY_NAME:
            return _BY_NAME[key](name=identifier)
        if key in _LOSS_NAMES:
            return MeanMetricWrapper(_losses._FUNCTIONS[key], name=identifier)
        raise ValueError(
            f"Unknown metric: {identifier!r}. Expected one of "
            f"{['accuracy', 'acc'] + sorted(_BY_NAME) + sorted(_LOSS_NAMES) + sorted(_CLASSES)}, "
            "a Metric or a callable."
        )
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(
        f"Could not interpret metric identifier: {identifier!r}. "
        "Expected a name, a Metric class or instance, or a callable."
    )


def serialize(metric):
    """Return a metric as ``{'class_name': ..., 'config': ...}`` (a function as its name)."""
    if metric is None:
        return None
    if isinstance(metric, _InferredAccuracy):
        return metric.name
    if isinstance(metric, MeanMetricWrapper) and type(metric) is MeanMetricWrapper:
        return getattr(metric.fn, "__name__", metric.name)
    if isinstance(metric, Metric):
        return {"class_name": type(metric).__name__, "config": metric.get_config()}
    return getattr(metric, "__name__", repr(metric))
