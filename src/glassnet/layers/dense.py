"""`Dense`: a fully connected layer, ``activation(inputs @ kernel + bias)``.

Example:
    >>> import numpy as np
    >>> from glassnet.layers import Dense
    >>> layer = Dense(2, activation="relu", kernel_initializer="ones")
    >>> layer(np.array([[1.0, -3.0]])).numpy()
    array([[0., 0.]], dtype=float32)
    >>> [w.shape for w in layer.get_weights()]
    [(2, 2), (2,)]
"""

from __future__ import annotations

import numpy as np

from .. import activations
from ..ops import dense
from .base import Layer, kernel_options_config, set_kernel_options

__all__ = ["Dense"]

# Activations the dense op computes in the same graph node (their derivative follows
# from the output), saving a node per layer on every training step.

class Dense(Layer):
    """Densely connected layer: ``output = activation(dot(input, kernel) + bias)``.

    Applied to the last axis of inputs of any rank ``(..., input_dim)``.

    Args:
        units: positive int, the output size.
        activation: name or function (default None: linear).
        use_bias: whether to add a bias vector.
        kernel_initializer: default 'glorot_uniform'.
        bias_initializer: default 'zeros'.
        kernel_regularizer, bias_regularizer: optional penalties added to the loss.
        **kwargs: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``input_dim``.
    """

    replay_safe = True

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        # ValueError for every bad value (2.5, None, 0), as Keras 3 raises
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(
                f"Received an invalid value for `units`, expected a positive integer. Received: units={units!r}"
            )
        self.units = int(units)
        set_kernel_options(self, activation, use_bias, kernel_initializer, bias_initializer,
                           kernel_regularizer, bias_regularizer)

    min_ndim = 2  # a batch of vectors, as in Keras: a lone (features,) vector is an error

    def build(self, input_shape):
        if len(input_shape) < 1 or input_shape[-1] is None:
            raise ValueError(
                f'Layer "{self.name}": the last dimension of the inputs must be known. '
                f"Received: input_shape={tuple(input_shape)}"
            )
        input_dim = int(input_shape[-1])
        self.kernel = self.add_weight("kernel", (input_dim, self.units), self.kernel_initializer,
                                      self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer, self.bias_regularizer)
        self._expected_last_dim = input_dim
        self.built = True

    def call(self, inputs, training=False):
        fused = activations.fused_name(self.activation)
        if fused is not None or self.activation is activations.linear:
            return dense(inputs, self.kernel, self.bias, activation=fused)
        return self.activation(dense(inputs, self.kernel, self.bias))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            **kernel_options_config(self),
        )
        return config
