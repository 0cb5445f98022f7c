"""Keras's losses, as functions (one loss per example) and as objects (one scalar per batch).

A loss function ``f(y_true, y_pred)`` returns the loss of each example: the mean (or,
for the cross-entropies over classes, the sum) over the last axis, as Keras computes
it. A :class:`Loss` object calls its function, weights each example by
``sample_weight`` and reduces over the batch. Predictions are glassnet Tensors in
the graph, so the gradient reaches the model through the ops used here; targets are
usually NumPy arrays and are cast to the predictions' dtype (float32 stays float32).

Targets of shape ``(n,)`` against predictions ``(n, 1)`` are aligned (reshaped to
``(n, 1)``), never broadcast to ``(n, n)``; any other shape mismatch is a ValueError
that names both shapes.

Example:
    >>> import numpy as np
    >>> import glassnet as gn
    >>> from glassnet.losses import BinaryCrossentropy
    >>> y_pred = gn.tensor([[0.9], [0.2]], requires_grad=True)
    >>> loss = BinaryCrossentropy()(np.array([1, 0]), y_pred)
    >>> round(float(loss), 4)
    0.1643
    >>> loss.backward()
    >>> y_pred.grad.numpy().round(4)
    array([[-0.5556],
           [ 0.625 ]], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from . import nn, ops
from .autograd import Tensor, as_array
from .backend import epsilon, floatx

__all__ = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "Huber", "KLDivergence", "LogCosh", "Loss",
    "LossFunctionWrapper", "MeanAbsoluteError", "MeanSquaredError", "SparseCategoricalCrossentropy",
    "binary_crossentropy", "categorical_crossentropy", "deserialize", "get", "huber", "kl_divergence",
    "kld", "log_cosh", "logcosh", "mae", "mean_absolute_error", "mean_squared_error", "mse",
    "serialize", "sparse_categorical_crossentropy",
]

REDUCTIONS = ("sum_over_batch_size", "sum", "none", None, "auto")


# ----- inputs: predictions, targets, labels ------------------------------------------
def _prediction(y_pred) -> Tensor:
    """y_pred as a float Tensor: Tensors pass (their graph is kept), ints become floatx."""
    if isinstance(y_pred, Tensor):
        return y_pred if y_pred.dtype.kind == "f" else Tensor(y_pred.data, dtype=floatx())
    array = as_array(y_pred)
    return Tensor(array if array.dtype.kind == "f" else array.astype(floatx()))


def _raw(x):
    """The array behind a Tensor, array, list or number (never part of the graph)."""
    return x.data if isinstance(x, Tensor) else as_array(x)


def _align(y_true, pred_shape, op, hint=""):
    """Return the y_true array shaped like the predictions: (n,) against (n, 1) is reshaped.

    Any other mismatch raises, so (n,) never broadcasts against (n, 1) into (n, n).
    """
    shape, pred_shape = tuple(y_true.shape), tuple(pred_shape)
    if shape == pred_shape:
        return y_true
    if shape + (1,) == pred_shape or shape == pred_shape + (1,):
        return y_true.reshape(pred_shape)
    raise ValueError(
        f"{op}: y_true and y_pred must have the same shape (targets of shape (n,) against "
        f"predictions of shape (n, 1) are also accepted).{hint} "
        f"Received: y_true.shape={shape}, y_pred.shape={pred_shape}"
    )


def _targets(y_true, y_pred, op, hint=""):
    """y_true as an array aligned with y_pred and cast to its dtype."""
    return _align(_raw(y_true), y_pred.shape, op, hint).astype(y_pred.dtype, copy=False)


def _sparse_labels(y_true, pred_shape, op, ignore_class=None):
    """Integer class labels of shape ``pred_shape[:-1]``, checked; plus the mask of kept labels.

    Labels may be any integer dtype, or floats holding integers (cast, as Keras casts);
    shape ``pred_shape[:-1]`` or ``pred_shape[:-1] + (1,)``; each in [0, classes) unless
    it equals ``ignore_class``.
    """
    labels = _raw(y_true)
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
            f"Received: y_true.shape={tuple(_raw(y_true).shape)}, y_pred.shape={tuple(pred_shape)}"
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


def _mean_last(losses, axis=-1):
    """Mean over ``axis`` (Keras's per-example reduction); a scalar stays a scalar."""
    return losses if losses.ndim == 0 else ops.mean(losses, axis=axis)


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
    y_pred = _prediction(y_pred)
    y_true = _targets(y_true, y_pred, "binary_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        # fused: log(sigmoid(x)) in two steps overflows for large |x|
        losses = nn.sigmoid_cross_entropy_with_logits(y_true, y_pred)
    else:
        eps = epsilon()
        p = ops.clip(y_pred, eps, 1.0 - eps)
        log_p = ops.log(p + eps)
        log_not_p = ops.log((1.0 - p) + eps)  # Keras's order: in float32, (1 + eps) - p rounds differently
        losses = ops.negative(y_true * log_p + (1.0 - y_true) * log_not_p)
    return _mean_last(losses, axis)


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
    y_pred = _prediction(y_pred)
    hint = ""
    if y_pred.ndim and tuple(_raw(y_true).shape) == tuple(y_pred.shape[:-1]):
        hint = " For integer class labels use sparse_categorical_crossentropy."
    y_true = _targets(y_true, y_pred, op, hint)
    if y_pred.ndim == 0:
        raise ValueError(f"{op}: y_pred needs a class axis (rank >= 1). Received: y_pred.shape=()")
    if label_smoothing:
        classes = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    if from_logits:
        # fused: log(softmax(x)) in two steps overflows for large logits
        return nn.softmax_cross_entropy_with_logits(y_true, y_pred, axis=axis)
    eps = epsilon()
    p = ops.clip(y_pred / ops.sum(y_pred, axis=axis, keepdims=True), eps, 1.0 - eps)
    return ops.negative(ops.sum(y_true * ops.log(p), axis=axis))


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1, ignore_class=None) -> Tensor:
    """Cross-entropy of integer class labels per example: -log p[label].

    From probabilities, ``y_pred`` is clipped to [eps, 1 - eps] (eps = 1e-7) and its log
    is passed to the fused op as logits, as Keras 2 does (the op's log-softmax thereby
    renormalises the clipped probabilities). From logits, the fused stable
    ``nn.sparse_softmax_cross_entropy_with_logits`` is used directly.

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
    y_pred = _move_to_last(_prediction(y_pred), axis, op)
    labels, mask = _sparse_labels(y_true, y_pred.shape, op, ignore_class)
    if not from_logits:
        eps = epsilon()
        # the log of probabilities the model gave, not log(softmax) of logits: clipped, then fused
        y_pred = ops.log(ops.clip(y_pred, eps, 1.0 - eps))
    losses = nn.sparse_softmax_cross_entropy_with_logits(labels, y_pred)
    if mask is not None:
        losses = losses * mask.astype(losses.dtype)
    return losses


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
    y_pred = _prediction(y_pred)
    error = y_pred - _targets(y_true, y_pred, "mean_squared_error")
    return _mean_last(error * error)


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
    y_pred = _prediction(y_pred)
    return _mean_last(ops.abs(y_pred - _targets(y_true, y_pred, "mean_absolute_error")))


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
    y_pred = _prediction(y_pred)
    error = y_pred - _targets(y_true, y_pred, "huber")
    size = ops.abs(error)
    quadratic = 0.5 * (error * error)
    linear = delta * size - 0.5 * delta * delta
    return _mean_last(ops.where(size.data <= delta, quadratic, linear))


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
    y_pred = _prediction(y_pred)
    error = y_pred - _targets(y_true, y_pred, "log_cosh")
    return _mean_last(error + nn.softplus(-2.0 * error) - float(np.log(2.0)))


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
    y_pred = _prediction(y_pred)
    eps = epsilon()
    y_true = np.clip(_targets(y_true, y_pred, "kl_divergence"), eps, 1.0)
    log_ratio = np.log(y_true) - ops.log(ops.clip(y_pred, eps, 1.0))
    losses = y_true * log_ratio
    return losses if losses.ndim == 0 else ops.sum(losses, axis=-1)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh


# ----- reduction over the batch ----------------------------------------------------------
def _reduce(losses, sample_weight, reduction, valid=None):
    """Weight each example's loss, then reduce: Keras's sum_over_batch_size divides by the count.

    ``valid`` (optional) is the number of examples that count, for ignored labels.
    """
    if not isinstance(losses, Tensor):
        losses = _prediction(losses)
    if sample_weight is not None:
        weights = _raw(sample_weight).astype(losses.dtype, copy=False)
        if weights.ndim == losses.ndim + 1 and weights.shape[-1] == 1:
            weights = weights.reshape(weights.shape[:-1])  # (n, 1) weights for (n,) losses
        elif weights.ndim and weights.ndim == losses.ndim - 1 and weights.shape == tuple(losses.shape[:-1]):
            weights = weights[..., None]  # (n,) weights for (n, t) losses
        try:
            shape = np.broadcast_shapes(weights.shape, tuple(losses.shape))
            if losses.ndim and shape != tuple(losses.shape):
                raise ValueError  # weights must not grow the losses, e.g. (n,) into (n, n)
        except ValueError:
            raise ValueError(
                "sample_weight must broadcast against the per-example losses. "
                f"Received: sample_weight.shape={weights.shape}, losses.shape={tuple(losses.shape)}"
            ) from None
        losses = losses * weights
    if reduction is None or reduction == "none":
        return losses
    if valid is None and reduction != "sum":
        valid = losses.size
        if valid:
            return ops.mean(losses)  # one node for sum / size
    total = ops.sum(losses)
    if reduction == "sum":
        return total
    return total / float(valid) if valid else total * 0.0


class Loss:
    """Base class: ``loss(y_true, y_pred, sample_weight=None)`` returns a scalar Tensor.

    Subclasses implement ``call(y_true, y_pred)`` returning one loss per example; the
    base class weights them by ``sample_weight`` and reduces over the batch.

    Args:
        reduction: 'sum_over_batch_size' (default: sum(loss * weight) / number of
            losses, Keras's mean), 'sum', or 'none' / None (the per-example losses).
            Keras 2's 'auto' means 'sum_over_batch_size'.
        name: the loss's name.

    Attributes:
        target_kind: what targets the loss expects: 'binary', 'categorical', 'sparse',
            'regression', or None when unknown (read by ``metrics.resolve_accuracy``).
        from_logits: whether predictions are logits (False unless a cross-entropy says so).

    Example:
        >>> import glassnet as gn
        >>> from glassnet.losses import Loss
        >>> class Cube(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return gn.mean((y_pred - y_true) ** 3, axis=-1)
        >>> float(Cube(reduction="sum")([[0.0], [0.0]], [[1.0], [2.0]]))
        9.0
    """

    target_kind = None
    from_logits = False
    default_name = "loss"

    def __init__(self, reduction="sum_over_batch_size", name=None):
        if reduction not in REDUCTIONS:
            raise ValueError(
                "Invalid reduction. Expected one of ['sum_over_batch_size', 'sum', 'none', None]. "
                f"Received: reduction={reduction!r}"
            )
        self.reduction = reduction
        self.name = name or self.default_name

    def call(self, y_true, y_pred):  # pragma: no cover - the contract
        raise NotImplementedError("Loss subclasses implement call(y_true, y_pred).")

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        y_pred = _prediction(y_pred)
        y_true = _raw(y_true)
        if self.target_kind != "sparse":  # so y_pred - y_true keeps y_pred's dtype in custom losses
            y_true = y_true.astype(y_pred.dtype, copy=False)
        losses = self.call(Tensor(y_true), y_pred)
        return _reduce(losses, sample_weight, self.reduction, self._valid_count(y_true))

    def _valid_count(self, y_true):
        """How many examples the mean divides by; None: all of them."""
        return None

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class LossFunctionWrapper(Loss):
    """A Loss made from a per-example function ``fn(y_true, y_pred, **kwargs)``.

    Args:
        fn: the per-example loss function.
        reduction: see :class:`Loss`. Default 'sum_over_batch_size'.
        name: default: ``fn.__name__``.
        **kwargs: passed on to ``fn`` at every call.

    Example:
        >>> from glassnet.losses import LossFunctionWrapper, huber
        >>> float(LossFunctionWrapper(huber, delta=0.5)([[0.0]], [[2.0]]))
        0.875
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper needs a callable fn. Received: fn={fn!r}")
        super().__init__(reduction=reduction, name=name or getattr(fn, "__name__", None))
        self.fn = fn
        self._fn_kwargs = kwargs
        cls = _FUNCTION_CLASSES.get(fn)
        if type(self) is LossFunctionWrapper and cls is not None:
            self.target_kind = cls.target_kind

    @property
    def from_logits(self) -> bool:
        return bool(self._fn_kwargs.get("from_logits", False))

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        if type(self) is LossFunctionWrapper:
            config["fn"] = _function_name(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if cls is LossFunctionWrapper:
            name = config.pop("fn", None)
            if name not in _FUNCTIONS:
                raise ValueError(f"Cannot rebuild LossFunctionWrapper: unknown fn {name!r}.")
            return cls(_FUNCTIONS[name], **config)
        return cls(**config)


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

    def _valid_count(self, y_true):
        ignore_class = self._fn_kwargs["ignore_class"]
        if ignore_class is None:
            return None
        return int(np.count_nonzero(_raw(y_true) != ignore_class))


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


# ----- lookup -------------------------------------------------------------------------------
_CLASSES = {cls.__name__: cls for cls in (
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, MeanSquaredError,
    MeanAbsoluteError, Huber, LogCosh, KLDivergence,
)}
_FUNCTIONS = {
    "binary_crossentropy": binary_crossentropy, "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "mean_squared_error": mean_squared_error, "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error,
    "huber": huber, "huber_loss": huber, "log_cosh": log_cosh, "logcosh": log_cosh,
    "kl_divergence": kl_divergence, "kld": kl_divergence, "kullback_leibler_divergence": kl_divergence,
}
_FUNCTION_CLASSES = {
    binary_crossentropy: BinaryCrossentropy, categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError, huber: Huber,
    log_cosh: LogCosh, kl_divergence: KLDivergence,
}
_BY_LOWER_NAME = {name.lower(): cls for name, cls in _CLASSES.items()}
_BY_LOWER_NAME.update({name: _FUNCTION_CLASSES[fn] for name, fn in _FUNCTIONS.items()})


def _function_name(fn):
    for name, known in _FUNCTIONS.items():
        if known is fn:
            return name
    return getattr(fn, "__name__", repr(fn))


def get(identifier):
    """Resolve a loss to a :class:`Loss` object (None stays None).

    Accepts a name (class style 'BinaryCrossentropy' or function style
    'binary_crossentropy', 'mse', 'mae', ...; both give the class with its defaults,
    as Keras's ``compile`` wraps function names), a Loss class (instantiated with its
    defaults), a Loss instance (returned as is), a config dict from :func:`serialize`,
    or a plain callable ``f(y_true, y_pred)`` returning per-example losses (wrapped in a
    :class:`LossFunctionWrapper`; one of this module's functions gives its class).

    Raises:
        ValueError: for an unknown name, listing the known ones.

    Example:
        >>> from glassnet import losses
        >>> losses.get("mse")
        <MeanSquaredError name='mean_squared_error'>
        >>> losses.get(losses.BinaryCrossentropy).from_logits
        False
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _CLASSES.get(identifier) or _BY_LOWER_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(
                f"Unknown loss: {identifier!r}. Expected one of "
                f"{sorted(_CLASSES) + sorted(_FUNCTIONS)}, a Loss or a callable."
            )
        return cls()
    if callable(identifier):
        cls = _FUNCTION_CLASSES.get(identifier)
        return cls() if cls is not None else LossFunctionWrapper(identifier)
    raise TypeError(
        f"Could not interpret loss identifier: {identifier!r}. "
        "Expected a name, a Loss class or instance, or a callable."
    )


def serialize(loss):
    """Return a Loss as ``{'class_name': ..., 'config': ...}``, a known function as its name.

    Example:
        >>> from glassnet import losses
        >>> losses.serialize(losses.Huber(delta=2.0))["config"]["delta"]
        2.0
        >>> losses.serialize(losses.mse)
        'mean_squared_error'
    """
    if loss is None:
        return None
    if isinstance(loss, Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    return _function_name(loss)


def deserialize(config):
    """Rebuild a loss from :func:`serialize`'s output (a dict or a name)."""
    if not isinstance(config, dict):
        return get(config)
    name, kwargs = config.get("class_name"), config.get("config") or {}
    cls = _CLASSES.get(name) or (LossFunctionWrapper if name == "LossFunctionWrapper" else None)
    if cls is None:
        raise ValueError(f"Unknown loss class: {name!r}. Expected one of {sorted(_CLASSES)}.")
    return cls.from_config(kwargs)
