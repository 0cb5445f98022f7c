"""Activation layers: `Activation`, `ReLU`, `LeakyReLU` and `Softmax`, with Keras's arguments.

Each wraps an activation function from :mod:`glassnet.activations` as a layer (no
weights, output shaped like the input), so it can sit in a ``Sequential`` list.

Example:
    >>> import numpy as np
    >>> from glassnet.layers import LeakyReLU, ReLU
    >>> ReLU(max_value=1.0)(np.array([-3.0, 0.5, 2.0])).numpy()
    array([0. , 0.5, 1. ], dtype=float32)
    >>> LeakyReLU(alpha=0.1)(np.array([-2.0, 3.0])).numpy()
    array([-0.2,  3. ], dtype=float32)
"""

from __future__ import annotations

import numbers

from .. import activations
from ..backend import get_xp
from ..ops import add, exp, multiply, subtract
from ..ops.softmax_ops import logsumexp
from .base import Layer

__all__ = ["Activation", "LeakyReLU", "ReLU", "Softmax"]


def _non_negative(layer: str, name: str, value, allow_none: bool = False):
    """Return ``value`` as a float >= 0 (or None when allowed), else raise a Keras-style error."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        expected = "a number >= 0" + (" or None" if allow_none else "")
        raise ValueError(f"The `{name}` of a {layer} layer must be {expected}. Received: {name}={value!r}")
    return float(value)


class Activation(Layer):
    """Applies an activation function to its input.

    Args:
        activation: a name ('relu', 'sigmoid', 'softmax' ...), a function, or None (linear).
        **kwargs: ``name``, ``trainable``, ``dtype``, ``input_shape``.

    Input and output: any shape, the same.

    Example:
        >>> from glassnet import activations
        >>> from glassnet.layers import Activation
        >>> layer = Activation("relu")
        >>> layer.activation is activations.relu, layer([-1.0, 2.0]).numpy()
        (True, array([0., 2.], dtype=float32))
    """

    replay_safe = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs, training=False):
        return self.activation(inputs)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class ReLU(Layer):
    """Rectified linear unit with Keras's options.

    ``f(x) = min(x, max_value)`` for ``x >= threshold``, else ``negative_slope * (x - threshold)``;
    with the defaults, ``max(x, 0)``.

    Args:
        max_value: number >= 0 capping the output, or None (default) for no cap.
        negative_slope: number >= 0, the slope below the threshold (default 0.0).
        threshold: number >= 0 below which the slope applies (default 0.0).
        **kwargs: ``name``, ``trainable``, ``dtype``, ``input_shape``.

    Input and output: any shape, the same.

    Example:
        >>> from glassnet.layers import ReLU
        >>> ReLU(negative_slope=0.5)([-4.0, 0.0, 3.0]).numpy()
        array([-2.,  0.,  3.], dtype=float32)
    """

    replay_safe = True

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _non_negative("ReLU", "max_value", max_value, allow_none=True)
        self.negative_slope = _non_negative("ReLU", "negative_slope", negative_slope)
        self.threshold = _non_negative("ReLU", "threshold", threshold)

    def call(self, inputs, training=False):
        return activations.relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def get_config(self):
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope, threshold=self.threshold)
        return config


class LeakyReLU(Layer):
    """Leaky rectified linear unit: ``x`` for ``x > 0``, else ``negative_slope * x``.

    Args:
        negative_slope: number >= 0 (default 0.3, Keras's layer default; the
            ``leaky_relu`` function's default is 0.2).
        alpha: Keras 2's name for ``negative_slope``, accepted so Keras 2 code runs
            unchanged (``LeakyReLU(alpha=0.1)``). Give one of the two, not both.
        **kwargs: ``name``, ``trainable``, ``dtype``, ``input_shape``.

    Input and output: any shape, the same.

    Example:
        >>> from glassnet.layers import LeakyReLU
        >>> LeakyReLU()([-1.0, 2.0]).numpy()
        array([-0.3,  2. ], dtype=float32)
    """

    replay_safe = True

    def __init__(self, negative_slope=0.3, *, alpha=None, **kwargs):
        if alpha is not None:
            if negative_slope != 0.3:
                raise TypeError(
                    "LeakyReLU takes `negative_slope` (Keras 3) or its alias `alpha` (Keras 2), not both. "
                    f"Received: negative_slope={negative_slope!r}, alpha={alpha!r}"
                )
            negative_slope = alpha
        super().__init__(**kwargs)
        self.negative_slope = _non_negative("LeakyReLU", "negative_slope", negative_slope)

    @property
    def alpha(self) -> float:
        """Keras 2's name for :attr:`negative_slope`."""
        return self.negative_slope

    def call(self, inputs, training=False):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class Softmax(Layer):
    """Softmax over ``axis``: ``e^x / sum(e^x)``, computed after subtracting the max.

    Args:
        axis: int, or tuple of ints to normalize over several axes jointly (default -1).
        **kwargs: ``name``, ``trainable``, ``dtype``, ``input_shape``.

    Call arguments:
        inputs: tensor of any rank >= 1.
        mask: optional booleans broadcastable to ``inputs``; masked-out (False)
            positions get probability 0, as in Keras.

    Input and output: any shape, the same.

    Example:
        >>> from glassnet.layers import Softmax
        >>> Softmax()([[1.0, 1.0], [0.0, 1e4]]).numpy()
        array([[0.5, 0.5],
               [0. , 1. ]], dtype=float32)
    """

    replay_safe = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            axis = tuple(axis)
            valid = len(axis) > 0 and all(isinstance(a, int) and not isinstance(a, bool) for a in axis)
        else:
            valid = isinstance(axis, int) and not isinstance(axis, bool)
        if not valid:
            raise ValueError(
                "The `axis` of a Softmax layer must be an int or a non-empty tuple of ints. "
                f"Received: axis={axis!r}"
            )
        self.axis = axis

    def call(self, inputs, training=False, mask=None):
        if mask is not None:
            xp = get_xp(inputs.data)
            keep = xp.asarray(mask, dtype=bool)
            # a large negative logit where masked, so e^x underflows to 0 (Keras's -1e9; -3e4 for float16)
            large_negative = -3e4 if inputs.dtype == "float16" else -1e9
            inputs = add(inputs, xp.where(keep, 0.0, large_negative).astype(inputs.dtype))
        if isinstance(self.axis, int):
            outputs = activations.softmax(inputs, axis=self.axis)
        elif len(self.axis) == 1:
            outputs = activations.softmax(inputs, axis=self.axis[0])
        else:
            # over several axes at once: e^(x - logsumexp(x)), stable because logsumexp is
            outputs = exp(subtract(inputs, logsumexp(inputs, axis=self.axis, keepdims=True)))
        if mask is not None:
            outputs = multiply(outputs, keep.astype(outputs.dtype))
        return outputs

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
