"""Cross-entropies: binary, categorical (one-hot) and sparse categorical (integer labels).

Each comes as a per-example function and as a :class:`~glassnet.losses.Loss` class.
From logits, each uses its fused stable op from ``nn`` (never log(sigmoid) or
log(softmax) in two steps); from probabilities, each clips them as Keras does.
"""

from __future__ import annotations

import numpy as np

from .. import nn, ops
from ..autograd import Tensor
from ..backend import epsilon
from ..ops.probability_losses import (binary_crossentropy_from_probabilities,
                                     categorical_crossentropy_from_probabilities,
                                     sparse_crossentropy_from_probabilities)
from .base import LossFunctionWrapper, aligned_targets, mean_over_last, prediction_tensor, raw_array


# ----- inputs: integer labels and the class axis ----------------------------------------
def _sparse_labels(y_true, pred_shape, op, ignore_class=None):
    """Integer class labels of shape ``pred_shape[:-1]``, checked; plus the mask of kept labels.

    Labels may be any integer dtype, or floats holding integers (cast, as Keras casts);
    shape ``pred_shape[:-1]`` or ``pred_shape[:-1] + (1,)``; each in [0, classes) unless
    it equals ``ignore_class``.
    """
    labels = raw_array(y_true)
    if labels.dtype.kind == "b":
        labels = labels.astype(np.int64)
    elif labels.dtype.kind == "f":
        whole = np.isfinite(labels) & (labels == np.floor(labels))
        if not whole.all():
            raise ValueError(
                f"{op}: labels must be integer class indices. "
                f"Received: a label of {labels[~whole].flat[0]!r} (dtype {labels.dtype})"
            )
        labels = labels.astype(np.int64)
    elif labels.dtype.kind not in "iu":
        raise ValueError(f"{op}: labels must be integer class indices. Received: dtype={labels.dtype}")
    classes_shape = tuple(pred_shape[:-1])
    if tuple(labels.shape) == classes_shape + (1,):
        labels = labels.reshape(classes_shape)
    elif tuple(labels.shape) != classes_shape:
        hint = (" These look like one-hot targets: use categorical_crossentropy for them."
                if tuple(labels.shape) == tuple(pred_shape) else "")
        raise ValueError(
            f"{op}: labels must hold one class index per example, shape {classes_shape} or "
            f"{classes_shape + (1,)} for y_pred of shape {tuple(pred_shape)}.{hint} "
            f"Received: y_true.shape={tuple(raw_array(y_true).shape)}, y_pred.shape={tuple(pred_shape)}"
        )
    mask = None
    if ignore_class is not None:
        mask = labels != ignore_class
        labels = np.where(mask, labels, 0)
    classes = pred_shape[-1]
    kept = labels if mask is None else labels[mask]
    if kept.size and (kept.min() < 0 or kept.max() >= classes):
        bad = kept[(kept < 0) | (kept >= classes)].flat[0]
        raise ValueError(
            f"{op}: labels must be in [0, {classes}) for y_pred with {classes} classes "
            f"(its last axis). Received: a label of {bad}"
        )
    return labels, mask


def _integer_labels_hint(y_true, pred_shape) -> str:
    """The hint for class indices given to a loss that wants one-hot targets."""
    if len(pred_shape) and tuple(raw_array(y_true).shape) == tuple(pred_shape[:-1]):
        return " For integer class labels use sparse_categorical_crossentropy."
    return ""


def _move_to_last(y_pred, axis, op):
    """Put the class ``axis`` last (a transpose), so the fused op sees classes on axis -1."""
    if y_pred.ndim == 0:
        raise ValueError(f"{op}: y_pred needs a class axis (rank >= 1). Received: y_pred.shape=()")
    if not isinstance(axis, int) or not -y_pred.ndim <= axis < y_pred.ndim:
        raise ValueError(f"{op}: axis must be an int in [-{y_pred.ndim}, {y_pred.ndim}). Received: axis={axis!r}")
    axis %= y_pred.ndim
    if axis == y_pred.ndim - 1:
        return y_pred
    order = [i for i in range(y_pred.ndim) if i != axis] + [axis]
    return ops.transpose(y_pred, order)


# ----- per-example loss functions -----------------------------------------------------
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1) -> Tensor:
    """Binary cross-entropy per example: mean over ``axis`` of -[y log p + (1 - y) log(1 - p)].

    From probabilities (``from_logits=False``), p is clipped to [eps, 1 - eps] with
    eps = ``backend.epsilon()`` (1e-7) and, as Keras 2 does, eps is also added inside
    each log: a prediction of exactly 0 for a label 1 costs -log(2e-7) ~ 15.42. From
    logits, the fused stable ``nn.sigmoid_cross_entropy_with_logits`` is used.

    Args:
        y_true: targets in [0, 1], same shape as ``y_pred`` (or ``(n,)`` for ``(n, 1)``).
        y_pred: probabilities, or logits when ``from_logits=True``; shape ``(n, ..., d)``.
        from_logits: whether ``y_pred`` holds logits. Default False.
        label_smoothing: in [0, 1]; targets become y (1 - ls) + 0.5 ls. Default 0.
        axis: the axis averaged over. Default -1.

    Returns:
        A Tensor of shape ``y_pred.shape`` without ``axis``, typed like ``y_pred``.

    Example:
        >>> from glassnet.losses import binary_crossentropy
        >>> binary_crossentropy([[1.0], [0.0]], [[0.0], [0.25]]).numpy().round(4)
        array([15.4249,  0.2877], dtype=float32)
        >>> binary_crossentropy([[1.0]], [[0.0]], from_logits=True).numpy().round(4)
        array([0.6931], dtype=float32)
    """
    y_pred = prediction_tensor(y_pred)
    y_true = aligned_targets(y_true, y_pred, "binary_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        # fused: log(sigmoid(x)) in two steps overflows for large |x|
        losses = nn.sigmoid_cross_entropy_with_logits(y_true, y_pred)
    else:
        losses = binary_crossentropy_from_probabilities(y_true, y_pred, epsilon())
    return mean_over_last(losses, axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1) -> Tensor:
    """Categorical cross-entropy per example: -sum over ``axis`` of y log p.

    From probabilities, ``y_pred`` is first normalised to sum 1 along ``axis`` and then
    clipped to [eps, 1 - eps] (eps = 1e-7), as Keras does. From logits, the fused stable
    ``nn.softmax_cross_entropy_with_logits`` is used.

    Args:
        y_true: one-hot (or soft) targets, same shape as ``y_pred``.
        y_pred: class probabilities, or logits when ``from_logits=True``.
        from_logits: whether ``y_pred`` holds logits. Default False.
        label_smoothing: in [0, 1]; targets become y (1 - ls) + ls / num_classes. Default 0.
        axis: the class axis. Default -1.

    Returns:
        A Tensor of shape ``y_pred.shape`` without ``axis``, typed like ``y_pred``.

    Example:
        >>> from glassnet.losses import categorical_crossentropy
        >>> categorical_crossentropy([[0, 1, 0]], [[0.25, 0.5, 0.25]]).numpy().round(4)
        array([0.6931], dtype=float32)
        >>> categorical_crossentropy([[0, 1]], [[0.0, 0.0]], from_logits=True).numpy().round(4)
        array([0.6931], dtype=float32)
    """
    op = "categorical_crossentropy"
    y_pred = prediction_tensor(y_pred)
    y_true = aligned_targets(y_true, y_pred, op, _integer_labels_hint(y_true, y_pred.shape))
    if y_pred.ndim == 0:
        raise ValueError(f"{op}: y_pred needs a class axis (rank >= 1). Received: y_pred.shape=()")
    if label_smoothing:
        classes = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    if from_logits:
        # fused: log(softmax(x)) in two steps overflows for large logits
        return nn.softmax_cross_entropy_with_logits(y_true, y_pred, axis=axis)
    # normalised to sum 1, clipped, -sum(y log p): one node (glassnet.ops.probability_losses)
    return categorical_crossentropy_from_probabilities(y_true, y_pred, epsilon(), axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1, ignore_class=None) -> Tensor:
    """Cross-entropy of integer class labels per example: -log p[label].

    From probabilities, ``y_pred`` is clipped to [eps, 1 - eps] (eps = 1e-7) and its log
    read as logits by a log-softmax, as Keras does when it cannot see the logits (the
    clipped probabilities are thereby renormalised): -log(c[label] / sum(c)), computed as
    one node. From logits, the fused stable ``nn.sparse_softmax_cross_entropy_with_logits``
    is used directly.

    Args:
        y_true: class indices of shape ``y_pred.shape[:-1]`` or that plus ``(1,)``; any
            integer dtype, or floats holding integers.
        y_pred: class probabilities, or logits when ``from_logits=True``; shape ``(..., C)``.
        from_logits: whether ``y_pred`` holds logits. Default False.
        axis: the class axis. Default -1.
        ignore_class: a label value whose examples get loss 0 (e.g. a padding class). Default None.

    Returns:
        A Tensor of shape ``y_pred.shape`` without the class axis, typed like ``y_pred``.

    Raises:
        ValueError: for non-integer labels, a wrong label shape or a label outside [0, C).

    Example:
        >>> import numpy as np
        >>> from glassnet.losses import sparse_categorical_crossentropy
        >>> sparse_categorical_crossentropy(np.array([1, 0]), [[0.5, 0.5], [0.75, 0.25]]).numpy().round(4)
        array([0.6931, 0.2877], dtype=float32)
        >>> sparse_categorical_crossentropy([[2]], [[0.0, 0.0, 0.0]], from_logits=True).numpy().round(4)
        array([1.0986], dtype=float32)
    """
    op = "sparse_categorical_crossentropy"
    y_pred = _move_to_last(prediction_tensor(y_pred), axis, op)
    labels, mask = _sparse_labels(y_true, y_pred.shape, op, ignore_class)
    if from_logits:
        losses = nn.sparse_softmax_cross_entropy_with_logits(labels, y_pred)
    else:  # the probabilities the model gave, clipped, renormalised: one fused node
        losses = sparse_crossentropy_from_probabilities(labels, y_pred, epsilon())
    if mask is not None:
        losses = losses * mask.astype(losses.dtype)
    return losses


# ----- the Loss classes ------------------------------------------------------------------
def _flag(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False. Received: {name}={value!r}")
    return bool(value)


def _smoothing(value):
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1]. Received: label_smoothing={value}")
    return value


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy, mean over the batch: -[y log p + (1 - y) log(1 - p)].

    See :func:`binary_crossentropy` for the clipping of probabilities and the fused
    path from logits.

    Args:
        from_logits: whether predictions are logits (then computed stably). Default False.
        label_smoothing: in [0, 1]; targets become y (1 - ls) + 0.5 ls. Default 0.
        axis: the axis averaged per example. Default -1.
        reduction: see :class:`Loss`. Default 'sum_over_batch_size'.
        name: default 'binary_crossentropy'.

    Example:
        >>> import numpy as np
        >>> from glassnet.losses import BinaryCrossentropy
        >>> round(float(BinaryCrossentropy()(np.array([1, 0]), [[0.5], [0.5]])), 4)
        0.6931
        >>> round(float(BinaryCrossentropy(from_logits=True)([[1.0]], [[1e4]])), 4)
        0.0
    """

    target_kind = "binary"

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy"):
        super().__init__(binary_crossentropy, reduction=reduction, name=name,
                         from_logits=_flag("from_logits", from_logits),
                         label_smoothing=_smoothing(label_smoothing), axis=axis)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy of one-hot targets, mean over the batch: -sum(y log p).

    See :func:`categorical_crossentropy` for the normalising and clipping of
    probabilities and the fused path from logits.

    Args:
        from_logits: whether predictions are logits (then computed stably). Default False.
        label_smoothing: in [0, 1]; targets become y (1 - ls) + ls / num_classes. Default 0.
        axis: the class axis. Default -1.
        reduction: see :class:`Loss`. Default 'sum_over_batch_size'.
        name: default 'categorical_crossentropy'.

    Example:
        >>> from glassnet.losses import CategoricalCrossentropy
        >>> round(float(CategoricalCrossentropy()([[0, 1], [1, 0]], [[0.5, 0.5], [0.5, 0.5]])), 4)
        0.6931
    """

    target_kind = "categorical"

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy"):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=_flag("from_logits", from_logits),
                         label_smoothing=_smoothing(label_smoothing), axis=axis)

    def _targets_hint(self, y_true, pred_shape) -> str:
        return _integer_labels_hint(y_true, pred_shape)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy of integer class labels, mean over the batch: -log p[label].

    See :func:`sparse_categorical_crossentropy`. With ``ignore_class``, examples with
    that label get loss 0 and the default reduction averages over the others only
    (Keras's masking); when every label is ignored the loss is 0.

    Args:
        from_logits: whether predictions are logits (then computed stably). Default False.
        ignore_class: a label value to leave out of the loss. Default None.
        reduction: see :class:`Loss`. Default 'sum_over_batch_size'.
        name: default 'sparse_categorical_crossentropy'.

    Example:
        >>> import numpy as np
        >>> from glassnet.losses import SparseCategoricalCrossentropy
        >>> loss = SparseCategoricalCrossentropy(from_logits=True)
        >>> round(float(loss(np.array([0, 1]), [[0.0, 0.0], [0.0, 0.0]])), 4)
        0.6931
    """

    target_kind = "sparse"

    def __init__(self, from_logits=False, ignore_class=None,
                 reduction="sum_over_batch_size", name="sparse_categorical_crossentropy"):
        if ignore_class is not None and (isinstance(ignore_class, bool)
                                         or not isinstance(ignore_class, (int, np.integer))):
            raise TypeError(f"ignore_class must be an int or None. Received: ignore_class={ignore_class!r}")
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=_flag("from_logits", from_logits), ignore_class=ignore_class)

    def check_targets(self, y_true, pred_shape) -> None:
        """Check the labels' shape, type and range for predictions of ``pred_shape`` (see :class:`Loss`)."""
        axis, shape = self._fn_kwargs.get("axis", -1), list(pred_shape)
        if shape and isinstance(axis, int) and -len(shape) <= axis < len(shape):
            shape.append(shape.pop(axis))  # the class axis last, as the loss moves it
            _sparse_labels(y_true, tuple(shape), self.name, self._fn_kwargs["ignore_class"])

    def _valid_count(self, y_true):
        ignore_class = self._fn_kwargs["ignore_class"]
        if ignore_class is None:
            return None
        return int(np.count_nonzero(raw_array(y_true) != ignore_class))
