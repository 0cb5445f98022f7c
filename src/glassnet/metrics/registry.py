"""Metrics by name: :func:`get`, :func:`serialize`, and what 'accuracy' means (:func:`resolve_accuracy`).

'accuracy' names a different metric for binary, one-hot and integer targets; it is
resolved from the loss and the shapes as Keras does, at ``compile`` or, without a
loss, at the first batch. A loss function's name ('binary_crossentropy', ...) gives
the mean of that loss function as a metric.
"""

from __future__ import annotations

import numpy as np

from .. import losses
from ..losses.registry import loss_class, loss_function
from .accuracy import (
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
)
from .base import Mean, MeanMetricWrapper, Metric
from .confusion import AUC, Precision, Recall
from .regression import MeanAbsoluteError, MeanSquaredError


# ----- 'accuracy' and lookup ---------------------------------------------------------------
def _loss_kind(loss):
    """The target kind a loss expects ('binary', 'categorical', 'sparse', ...) or None."""
    if loss is None:
        return None
    if isinstance(loss, str):
        try:
            loss = losses.get(loss)
        except ValueError:
            return None
    kind = getattr(loss, "target_kind", None)
    if kind is None and callable(loss):
        cls = loss_class(loss)
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
            return MeanMetricWrapper(loss_function(key), name=identifier)
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
