"""`BatchNormalization` and `LayerNormalization`: normalize activations, then scale and shift.

``BatchNormalization`` normalizes each channel with statistics over the batch (and any
spatial axes). In training (``training=True``, as ``fit`` calls it) it uses the batch's
own mean and biased variance through the fused ``batch_norm`` op, and moves its
non-trainable ``moving_mean`` / ``moving_variance`` toward them as Keras 3 does::

    moving = moving * momentum + batch_statistic * (1 - momentum)

(the batch variance divided by the count, not count - 1: Keras 3's ``ops.moments``).
At inference (``predict``, ``evaluate``, ``model(x)``) it uses the moving statistics.
A layer with ``trainable=False`` always runs in inference mode, as in Keras.

``LayerNormalization`` normalizes each sample over its feature axes; it has no moving
statistics and behaves the same in training and inference.

Example:
    >>> import numpy as np
    >>> from glassnet.layers import BatchNormalization
    >>> bn = BatchNormalization(momentum=0.5, epsilon=0.0)
    >>> bn(np.array([[1.0], [3.0]]), training=True).numpy()
    array([[-1.],
           [ 1.]], dtype=float32)
    >>> [w.numpy().tolist() for w in bn.non_trainable_weights]   # 0.5 * 0 + 0.5 * 2, 0.5 * 1 + 0.5 * 1
    [[1.0], [1.0]]
    >>> bn.count_params(), len(bn.trainable_weights)
    (4, 2)
"""

from __future__ import annotations

import numbers

from .. import initializers
from .. import regularizers
from ..backend import get_xp
from ..ops import add, batch_norm, batch_normalization, divide, mean, multiply, reshape, sqrt, subtract
from .base import Layer

__all__ = ["BatchNormalization", "LayerNormalization"]


def _check_number(layer: str, name: str, value, low: float, high=None) -> float:
    """``value`` as a float in [low, high] (no upper bound when ``high`` is None), else a Keras-style ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
        value >= low and (high is None or value <= high)
    ):
        bounds = f">= {low}" + ("" if high is None else f" and <= {high}")
        raise ValueError(f"The `{name}` of a {layer} layer must be a number {bounds}. Received: {name}={value!r}")
    return float(value)


def _check_axis(layer, axis, input_shape):
    """``axis`` as a non-negative int for inputs of ``input_shape``, else Keras's error."""
    ndim = len(input_shape)
    if not -ndim <= axis < ndim:
        raise ValueError(
            f'Layer "{layer.name}": axis {axis} is out of range for inputs of rank {ndim}. '
            f"Received: input_shape={tuple(input_shape)}"
        )
    axis %= ndim
    if input_shape[axis] is None:
        raise ValueError(
            f'Layer "{layer.name}": axis {axis} of the inputs must have a known size to create the weights. '
            f"Received: input_shape={tuple(input_shape)}"
        )
    return axis


class BatchNormalization(Layer):
    """Normalize each channel over the batch: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    Args:
        axis: int, the channel axis that keeps its own statistics (default -1, channels last).
        momentum: float in [0, 1], how much of the moving statistics each training
            step keeps (default 0.99).
        epsilon: float >= 0 added to the variance (default 1e-3).
        center: add the trainable offset ``beta`` (default True).
        scale: multiply by the trainable ``gamma`` (default True).
        beta_initializer: default 'zeros'. gamma_initializer: default 'ones'.
        moving_mean_initializer: default 'zeros'. moving_variance_initializer: default 'ones'.
        beta_regularizer, gamma_regularizer: optional penalties added to the loss.
        **kwargs: ``name``, ``trainable``, ``dtype``, ``input_shape``.

    Weights: ``gamma`` and ``beta`` (trainable, shape (channels,)), then
    ``moving_mean`` and ``moving_variance`` (non-trainable, shape (channels,)):
    4 * channels parameters, 2 * channels of them non-trainable.

    Call arguments:
        inputs: tensor of any rank >= 1.
        training: True: batch statistics, and update the moving ones; False (default):
            the moving statistics.

    Input and output: any shape, the same.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise ValueError(
                f"The `axis` of a BatchNormalization layer must be an integer. Received: axis={axis!r}"
            )
        self.axis = int(axis)
        self.momentum = _check_number("BatchNormalization", "momentum", momentum, 0.0, 1.0)
        self.epsilon = _check_number("BatchNormalization", "epsilon", epsilon, 0.0)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None
        self._channel_axis = None
        self._input_rank = None

    def build(self, input_shape):
        axis = _check_axis(self, self.axis, input_shape)
        shape = (int(input_shape[axis]),)
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, self.gamma_initializer, self.gamma_regularizer)
        if self.center:
            self.beta = self.add_weight("beta", shape, self.beta_initializer, self.beta_regularizer)
        self.moving_mean = self.add_weight("moving_mean", shape, self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape, self.moving_variance_initializer,
                                               trainable=False)
        self._channel_axis, self._input_rank = axis, len(input_shape)
        self.built = True

    def call(self, inputs, training=False):
        self._check_input(tuple(inputs.shape))
        if training and self.trainable:
            outputs = batch_norm(inputs, self.gamma, self.beta, axis=self._channel_axis, epsilon=self.epsilon)
            self._update_moving_statistics(inputs.data)
            return outputs
        return batch_normalization(inputs, self._broadcast(self.moving_mean), self._broadcast(self.moving_variance),
                                   self._broadcast(self.beta), self._broadcast(self.gamma), self.epsilon)

    def _update_moving_statistics(self, x):
        """moving = moving * momentum + batch statistic * (1 - momentum), outside the graph."""
        axes = tuple(i for i in range(x.ndim) if i != self._channel_axis)
        batch_mean = x.mean(axis=axes)
        batch_variance = get_xp(x).square(x - batch_mean.reshape(self._channel_shape())).mean(axis=axes)
        for variable, statistic in ((self.moving_mean, batch_mean), (self.moving_variance, batch_variance)):
            variable.assign(variable.data * self.momentum + statistic * (1.0 - self.momentum))

    def _channel_shape(self):
        return tuple(-1 if i == self._channel_axis else 1 for i in range(self._input_rank))

    def _broadcast(self, vector):
        """A (channels,) weight shaped to broadcast against the inputs (None stays None)."""
        if vector is None or self._channel_axis == self._input_rank - 1:
            return vector
        return reshape(vector, self._channel_shape())

    def _check_input(self, shape):
        channels = self.moving_mean.shape[0]
        if len(shape) != self._input_rank or shape[self._channel_axis] != channels:
            expected = tuple(channels if i == self._channel_axis else None for i in range(self._input_rank))
            raise ValueError(
                f'Input 0 of layer "{self.name}" is incompatible with the layer: expected shape {expected} '
                f"(axis={self.axis} has {channels} channels), but received input with shape {shape}"
            )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            axis=self.axis,
            momentum=self.momentum,
            epsilon=self.epsilon,
            center=self.center,
            scale=self.scale,
            beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            moving_mean_initializer=initializers.serialize(self.moving_mean_initializer),
            moving_variance_initializer=initializers.serialize(self.moving_variance_initializer),
            beta_regularizer=regularizers.serialize(self.beta_regularizer),
            gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
        )
        return config


class LayerNormalization(Layer):
    """Normalize each sample over ``axis``: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    The mean and biased variance are taken per sample over the ``axis`` axes; ``gamma``
    and ``beta`` have those axes' shape. Composed from ``mean``, ``subtract``,
    ``multiply``, ``sqrt`` and ``divide``, so the gradient comes from those ops.

    Args:
        axis: int or tuple of ints, the axes to normalize over (default -1).
        epsilon: float >= 0 added to the variance (default 1e-3).
        center: add the trainable offset ``beta`` (default True).
        scale: multiply by the trainable ``gamma`` (default True).
        beta_initializer: default 'zeros'. gamma_initializer: default 'ones'.
        beta_regularizer, gamma_regularizer: optional penalties added to the loss.
        **kwargs: ``name``, ``trainable``, ``dtype``, ``input_shape``.

    Input and output: any shape, the same.

    Example:
        >>> from glassnet.layers import LayerNormalization
        >>> LayerNormalization(epsilon=0.0)([[1.0, 3.0], [10.0, 30.0]]).numpy()
        array([[-1.,  1.],
               [-1.,  1.]], dtype=float32)
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        items = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
        if not items or not all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in items):
            raise ValueError(
                "The `axis` of a LayerNormalization layer must be an int or a non-empty tuple of ints. "
                f"Received: axis={axis!r}"
            )
        self.axis = int(axis) if isinstance(axis, numbers.Integral) else tuple(int(a) for a in items)
        self.epsilon = _check_number("LayerNormalization", "epsilon", epsilon, 0.0)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.gamma = self.beta = None
        self._axes = self._broadcast_shape = None

    def build(self, input_shape):
        items = (self.axis,) if isinstance(self.axis, int) else self.axis
        axes = tuple(sorted({_check_axis(self, a, input_shape) for a in items}))
        if len(axes) != len(items):
            raise ValueError(f'Layer "{self.name}": repeated axis. Received: axis={self.axis}')
        shape = tuple(int(input_shape[a]) for a in axes)
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, self.gamma_initializer, self.gamma_regularizer)
        if self.center:
            self.beta = self.add_weight("beta", shape, self.beta_initializer, self.beta_regularizer)
        self._axes = axes
        self._broadcast_shape = tuple(input_shape[i] if i in axes else 1 for i in range(len(input_shape)))
        self.built = True

    def call(self, inputs, training=False):
        shape = tuple(inputs.shape)
        if len(shape) != len(self._broadcast_shape) or any(shape[a] != self._broadcast_shape[a] for a in self._axes):
            expected = tuple(n if i in self._axes else None for i, n in enumerate(self._broadcast_shape))
            raise ValueError(
                f'Input 0 of layer "{self.name}" is incompatible with the layer: expected shape {expected}, '
                f"but received input with shape {shape}"
            )
        centered = subtract(inputs, mean(inputs, axis=self._axes, keepdims=True))
        variance = mean(multiply(centered, centered), axis=self._axes, keepdims=True)
        outputs = divide(centered, sqrt(add(variance, self.epsilon)))
        if self.gamma is not None:
            outputs = multiply(outputs, reshape(self.gamma, self._broadcast_shape))
        if self.beta is not None:
            outputs = add(outputs, reshape(self.beta, self._broadcast_shape))
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            axis=self.axis,
            epsilon=self.epsilon,
            center=self.center,
            scale=self.scale,
            beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            beta_regularizer=regularizers.serialize(self.beta_regularizer),
            gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
        )
        return config
