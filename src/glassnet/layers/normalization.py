"""`Normalization`: the preprocessing layer that standardizes features, ``(x - mean) / std``.

``adapt(data)`` measures each feature's mean and population variance (ddof 0) once,
before training; calling the layer then standardizes its inputs with them. The
statistics are non-trainable weights (``mean``, ``variance`` and a sample ``count``,
as in Keras), so ``summary()`` counts them and ``get_weights``/``set_weights`` save
and restore them.

Example:
    >>> import numpy as np
    >>> from glassnet.layers import Normalization
    >>> norm_l = Normalization(axis=-1)
    >>> norm_l.adapt(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> norm_l.mean.shape, norm_l.mean.numpy()
    (TensorShape([1, 2]), array([[ 2., 20.]], dtype=float32))
    >>> norm_l(np.array([[1.0, 30.0]])).numpy()
    array([[-1.,  1.]], dtype=float32)
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..ops import add, divide, maximum, multiply, sqrt, subtract
from .base import Layer

__all__ = ["Normalization"]


def _standardize_axis(axis) -> tuple:
    """None -> (), an int -> (int,), a list or tuple of ints -> tuple; anything else raises."""
    if axis is None:
        return ()
    items = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
    if not all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in items):
        raise ValueError(
            f"The `axis` of a Normalization layer must be an int, a tuple of ints or None. Received: axis={axis!r}"
        )
    return tuple(int(a) for a in items)


def _statistic(name: str, value):
    """The ``mean``/``variance`` given at construction, as a float64 array (None stays None)."""
    if value is None:
        return None
    data = value.numpy() if isinstance(value, Tensor) else value
    try:
        array = np.array(data, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"The `{name}` of a Normalization layer must be a number or an array of numbers. "
            f"Received: {name}={value!r}"
        ) from None
    if name == "variance" and np.any(array < 0):
        raise ValueError(f"The `variance` of a Normalization layer must be >= 0. Received: variance={value!r}")
    return array


class Normalization(Layer):
    """Standardize features: ``(x - mean) / max(sqrt(variance), epsilon)``, or back with ``invert``.

    The statistics come from ``adapt(data)`` or from the ``mean`` and ``variance``
    arguments. ``epsilon`` is :func:`glassnet.backend.epsilon` (1e-7), applied to the
    standard deviation as Keras does, so a constant feature does not divide by zero.

    Args:
        axis: the axis or axes that keep their own statistics (default -1: one mean and
            variance per feature of the last axis; None: one scalar for all elements).
            Every other axis is averaged over.
        mean, variance: fixed statistics instead of ``adapt``; numbers or arrays
            broadcast to the kept axes' shape. Give both or neither.
        invert: map standardized values back, ``mean + x * max(sqrt(variance), epsilon)``.
        **kwargs: ``name``, ``dtype``, ``input_shape``.

    Attributes:
        mean, variance: the statistics in use, shaped to broadcast against the input
            (``(1, n)`` for 2-D data with ``axis=-1``), or None before the layer is built.

    Input and output: the same shape, in the layer's dtype (float32 by default).

    Example:
        >>> from glassnet.layers import Normalization
        >>> Normalization(mean=3.0, variance=4.0)([[1.0], [5.0]]).numpy()
        array([[-1.],
               [ 1.]], dtype=float32)
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = _standardize_axis(axis)
        if (mean is None) != (variance is None):
            raise ValueError(
                "When setting values directly, both `mean` and `variance` must be set. "
                f"Received: mean={mean!r} and variance={variance!r}"
            )
        self.input_mean = _statistic("mean", mean)
        self.input_variance = _statistic("variance", variance)
        self.invert = bool(invert)
        self.adapt_mean = self.adapt_variance = self.count = None
        self._build_input_shape = None
        self._keep_axis = self._reduce_axis = self._broadcast_shape = None
        self._fixed = None  # (mean, variance) arrays of the broadcast shape, when given
        self._adapted = False

    # ----- lifecycle ---------------------------------------------------------------------
    def build(self, input_shape):
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(
                f'Layer "{self.name}": all `axis` values must be in the range [-ndim, ndim). '
                f"Received inputs with ndim={ndim}, while axis={self.axis}"
            )
        keep = tuple(sorted({a % ndim for a in self.axis}))
        for d in keep:
            if input_shape[d] is None:
                raise ValueError(
                    f'Layer "{self.name}": the axes that keep their own statistics must have a known size. '
                    f"Received axis={self.axis}, input_shape={input_shape}, unknown at index {d}"
                )
        self._build_input_shape = input_shape
        self._keep_axis = keep
        self._reduce_axis = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast_shape = tuple(input_shape[d] if d in keep else 1 for d in range(ndim))
        kept_shape = tuple(input_shape[d] for d in keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight("mean", kept_shape, "zeros", trainable=False)
            self.adapt_variance = self.add_weight("variance", kept_shape, "ones", trainable=False)
            self.count = self.add_weight("count", (), "zeros", trainable=False, dtype="int64")
        else:
            fixed = []
            for name, value in (("mean", self.input_mean), ("variance", self.input_variance)):
                try:
                    value = np.broadcast_to(value, kept_shape)
                except ValueError:
                    raise ValueError(
                        f'Layer "{self.name}": the `{name}` given has shape {value.shape}, which does not '
                        f"broadcast to the kept axes' shape {kept_shape} (axis={self.axis}, "
                        f"input_shape={input_shape})."
                    ) from None
                fixed.append(np.array(value.reshape(self._broadcast_shape), dtype=self.dtype))
            self._fixed = tuple(fixed)
        self.built = True

    def adapt(self, data, batch_size=None, steps=None) -> None:
        """Compute and store the mean and population variance (ddof 0) of ``data``.

        Args:
            data: array, nested list or Tensor, shaped like the layer's inputs (batch
                axis first), e.g. (m, n) for m samples of n features.
            batch_size: accepted for Keras 2 compatibility; the statistics are computed in
                one float64 pass, so it changes nothing but which samples ``steps`` takes.
            steps: if given, use only the first ``steps * batch_size`` samples
                (``batch_size`` defaulting to 32), as Keras 2 does.

        Raises:
            ValueError: when the layer was given ``mean`` and ``variance``, when ``data``
                is empty, or when its kept axes differ from the shape the layer was built for.
        """
        if self.input_mean is not None:
            raise ValueError(
                f'Layer "{self.name}" was given `mean` and `variance` at construction; adapt() cannot '
                "change them. Create Normalization() without them to learn the statistics from data."
            )
        values = data.data if isinstance(data, Tensor) else data
        xp = backend.get_xp(values)
        array = xp.asarray(values)
        if array.dtype.kind not in "biuf":
            raise TypeError(f'Layer "{self.name}": adapt() needs numeric data. Received: dtype={array.dtype}')
        if steps is not None:
            array = array[: int(steps) * int(batch_size or 32)]
        if array.size == 0:
            raise ValueError(
                f'Layer "{self.name}": adapt() needs at least one value. Received: shape={array.shape}'
            )
        if not self.built:
            self.build_from_shape(array.shape)
        else:
            self._check_shape(array.shape, "adapt() data")
        array = array.astype(np.float64)
        self.adapt_mean.assign(array.mean(axis=self._reduce_axis))
        self.adapt_variance.assign(array.var(axis=self._reduce_axis))
        self.count.assign(math.prod(array.shape[d] for d in self._reduce_axis))
        self._adapted = True

    def call(self, inputs, training=False):
        self._check_shape(inputs.shape, "input")
        mean, variance = self._statistics()
        # Keras's guard: epsilon bounds the standard deviation, not the variance
        std = maximum(sqrt(Tensor(variance)), backend.epsilon())
        if self.invert:
            return add(multiply(inputs, std), Tensor(mean))
        return divide(subtract(inputs, Tensor(mean)), std)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def set_weights(self, weights) -> None:
        """Restore ``[mean, variance, count]`` (from ``get_weights()``); the layer then counts as adapted."""
        super().set_weights(weights)
        if self.weights:
            self._adapted = True

    # ----- the statistics ------------------------------------------------------------------
    @property
    def mean(self):
        """The mean in use, shaped to broadcast against inputs (a Tensor), or None before build."""
        return self._statistic_tensor(0)

    @property
    def variance(self):
        """The variance in use, shaped to broadcast against inputs (a Tensor), or None before build."""
        return self._statistic_tensor(1)

    def _statistic_tensor(self, index):
        if not self.built:
            return None
        if self._fixed is not None:
            return Tensor(self._fixed[index].copy())
        variable = (self.adapt_mean, self.adapt_variance)[index]
        return Tensor(variable.data.reshape(self._broadcast_shape).astype(self.dtype, copy=True))

    def _statistics(self):
        """The (mean, variance) arrays used by ``call``; raises if there are none yet."""
        if self._fixed is not None:
            return self._fixed
        if not (self._adapted or int(self.count.data) > 0):
            raise ValueError(
                f'Normalization layer "{self.name}" has no statistics yet: call '
                f"{self.name}.adapt(data) before using it, or pass `mean` and `variance` "
                "to Normalization()."
            )
        return (self.adapt_mean.data.reshape(self._broadcast_shape),
                self.adapt_variance.data.reshape(self._broadcast_shape))

    def _check_shape(self, shape, what):
        shape = tuple(shape)
        if len(shape) == len(self._broadcast_shape) and all(
            shape[d] == self._broadcast_shape[d] for d in self._keep_axis
        ):
            return
        expected = tuple(self._broadcast_shape[d] if d in self._keep_axis else None
                         for d in range(len(self._broadcast_shape)))
        raise ValueError(
            f'Input 0 of layer "{self.name}" is incompatible with the layer: expected {what} of shape '
            f"{expected} (axis={self.axis} keeps its own statistics), but received shape {shape}"
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            axis=self.axis,
            invert=self.invert,
            mean=None if self.input_mean is None else self.input_mean.tolist(),
            variance=None if self.input_variance is None else self.input_variance.tolist(),
        )
        return config
