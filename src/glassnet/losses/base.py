"""The Loss contract: prepare predictions and targets, reduce per-example losses over the batch.

A loss function ``f(y_true, y_pred)`` returns one loss per example; :class:`Loss`
calls it, weights each example by ``sample_weight`` and reduces over the batch
(``REDUCTIONS``). :class:`LossFunctionWrapper` makes a Loss of any such function. The
helpers here (:func:`prediction_tensor`, :func:`aligned_targets`, ...) are what every
loss function in this package uses to read its inputs.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..autograd import Tensor, as_array
from ..backend import floatx
from ..labels import align_labels

REDUCTIONS = ("sum_over_batch_size", "sum", "none", None, "auto")


# ----- inputs: predictions and targets ---------------------------------------------------
def prediction_tensor(y_pred) -> Tensor:
    """y_pred as a float Tensor: Tensors pass (their graph is kept), ints become floatx."""
    if isinstance(y_pred, Tensor):
        return y_pred if y_pred.dtype.kind == "f" else Tensor(y_pred.data, dtype=floatx())
    array = as_array(y_pred)
    return Tensor(array if array.dtype.kind == "f" else array.astype(floatx()))


def raw_array(x):
    """The array behind a Tensor, array, list or number (never part of the graph)."""
    return x.data if isinstance(x, Tensor) else as_array(x)


def aligned_targets(y_true, y_pred, op, hint=""):
    """y_true as an array aligned with y_pred and cast to its dtype."""
    return align_labels(raw_array(y_true), y_pred.shape, op, hint).astype(y_pred.dtype, copy=False)


def mean_over_last(losses, axis=-1):
    """Mean over ``axis`` (Keras's per-example reduction); a scalar stays a scalar.
    Over an axis of one element the mean is that element, exactly: a reshape then,
    cheaper in both directions (the course's binary models have one output unit)."""
    if losses.ndim == 0:
        return losses
    shape = tuple(losses.shape)
    if shape[axis] == 1:
        axis %= len(shape)
        return ops.reshape(losses, shape[:axis] + shape[axis + 1:])
    return ops.mean(losses, axis=axis)


# ----- reduction over the batch ----------------------------------------------------------
def _reduce(losses, sample_weight, reduction, valid=None):
    """Weight each example's loss, then reduce: Keras's sum_over_batch_size divides by the count.

    ``valid`` (optional) is the number of examples that count, for ignored labels.
    """
    if not isinstance(losses, Tensor):
        losses = prediction_tensor(losses)
    if sample_weight is not None:
        weights = raw_array(sample_weight).astype(losses.dtype, copy=False)
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
    #: whether a training step through this loss may be replayed (glassnet.autograd.replay)
    replayable = False

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
        y_pred = prediction_tensor(y_pred)
        y_true = raw_array(y_true)
        if self.target_kind != "sparse":  # so y_pred - y_true keeps y_pred's dtype in custom losses
            y_true = y_true.astype(y_pred.dtype, copy=False)
        losses = self.call(Tensor(y_true), y_pred)
        return _reduce(losses, sample_weight, self.reduction, self._valid_count(y_true))

    def _valid_count(self, y_true):
        """How many examples the mean divides by; None: all of them."""
        return None

    def check_targets(self, y_true, pred_shape) -> None:
        """Raise the ValueError this loss would raise for ``y_true`` against predictions of
        ``pred_shape``, without computing anything.

        ``fit`` and ``evaluate`` call it once on the whole ``y``, so a bad target in a late
        batch cannot stop training half-way. Losses of a known ``target_kind`` check the
        shape rule of :func:`glassnet.labels.align_labels` (the sparse cross-entropy also
        checks the labels' values); custom losses (``target_kind`` None) check nothing.

        Example:
            >>> from glassnet.losses import MeanSquaredError
            >>> MeanSquaredError().check_targets([[0.0], [1.0]], (2, 3))  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            ValueError: mean_squared_error: y_true and y_pred must have the same shape ...
        """
        if self.target_kind in ("binary", "categorical", "regression"):
            align_labels(raw_array(y_true), tuple(pred_shape), self.name, self._targets_hint(y_true, pred_shape))

    def _targets_hint(self, y_true, pred_shape) -> str:
        return ""

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
        cls = _registry().loss_class(fn)
        if type(self) is LossFunctionWrapper and cls is not None:
            self.target_kind = cls.target_kind

    @property
    def from_logits(self) -> bool:
        return bool(self._fn_kwargs.get("from_logits", False))

    @property
    def replayable(self) -> bool:
        """True for glassnet's own losses with settings that do not depend on the batch
        (``ignore_class`` makes the mean's divisor depend on the labels)."""
        return (type(self).__module__.startswith(__package__) and _registry().loss_class(self.fn) is not None
                and self._fn_kwargs.get("ignore_class") is None)

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        if type(self) is LossFunctionWrapper:
            config["fn"] = _registry().function_name(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if cls is LossFunctionWrapper:
            name = config.pop("fn", None)
            fn = _registry().loss_function(name)
            if fn is None:
                raise ValueError(f"Cannot rebuild LossFunctionWrapper: unknown fn {name!r}.")
            return cls(fn, **config)
        return cls(**config)


def _registry():
    """The module :mod:`glassnet.losses.registry`, imported when first needed.

    It imports the loss classes, which subclass :class:`LossFunctionWrapper` from
    this module, so this module cannot import it at the top.
    """
    from . import registry as loss_registry

    return loss_registry
