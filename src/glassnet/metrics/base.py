"""The Metric contract and the weighted mean that most metrics are: Metric, Mean, MeanMetricWrapper.

Metrics run on NumPy arrays, outside the graph: :func:`to_numpy` brings Tensors
(and CuPy data) to the host, :func:`aligned_pair` lines targets up with predictions
by the rule the losses use (:func:`glassnet.labels.align_labels`), and
:func:`align_weights` fits ``sample_weight`` to the per-example values.
"""

from __future__ import annotations

import numpy as np

from ..backend import floatx
from ..labels import align_labels

_add_reduce = np.add.reduce


# ----- inputs: arrays, targets, weights ----------------------------------------------------
def to_numpy(x, dtype=None):
    """A NumPy array from a Tensor, array, list or number (CuPy data comes to the host)."""
    data = getattr(x, "data", x) if not isinstance(x, np.ndarray) else x
    if hasattr(data, "get") and not isinstance(data, np.ndarray):  # a CuPy array
        data = data.get()
    return np.asarray(data, dtype=dtype)


def aligned_pair(y_true, y_pred, op):
    """Both as arrays, y_true aligned with y_pred ((n,) against (n, 1) reshaped)."""
    y_pred = to_numpy(y_pred)
    return align_labels(to_numpy(y_true), y_pred.shape, op), y_pred


def align_weights(values, sample_weight):
    """Return (values, weights) of one shape; weights (n,) or (n, 1) fit values (n,) or (n, d).

    As Keras does: (n,) weights weigh the rows of (n, d) values; weights that still do
    not broadcast to the values' shape but match its leading axes average the values
    over the remaining axes first.
    """
    if sample_weight is None:
        return values, np.ones_like(values)
    weights = to_numpy(sample_weight, np.float64)
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


# ----- the stateful base classes -------------------------------------------------------------
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
        values = to_numpy(values, np.float64)
        if sample_weight is None:  # every value weighs 1: the same sums without the weights' array
            # (np.add.reduce is np.sum's own reduction, without its Python-level wrapper:
            # 6 us -> 1.5 us a batch, which fit pays on every step of a model with metrics)
            self.total += float(_add_reduce(values, axis=None))
            self.count += float(values.size)
            return
        values, weights = align_weights(values, sample_weight)
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
        super().update_state(to_numpy(self.fn(y_true, y_pred, **self._fn_kwargs), np.float64), sample_weight)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config
