"""`InputLayer` and `Input`: declare the shape a model's data will have.

``Sequential([Input(shape=(400,)), Dense(25), ...])`` builds at once, so
``summary()`` works before any data is seen. Neither counts in ``model.layers``.

Example:
    >>> from glassnet.layers import Input
    >>> Input(shape=(400,)).shape.as_list()
    [None, 400]
"""

from __future__ import annotations

from .base import KerasTensor, Layer

__all__ = ["Input", "InputLayer"]


class InputLayer(Layer):
    """The entry point of a model: passes its input through unchanged.

    Args:
        input_shape: the shape of one sample, e.g. ``(400,)`` (Keras 3 calls it ``shape``).
        batch_size: optional fixed batch size.
        dtype: the input dtype (default floatx).
        name: optional name.
    """

    replay_safe = True

    def __init__(self, input_shape=None, batch_size=None, dtype=None, name=None, shape=None,
                 batch_shape=None, batch_input_shape=None, **kwargs):
        sample_shape = shape if shape is not None else input_shape
        full = batch_shape if batch_shape is not None else batch_input_shape
        if full is None:
            if sample_shape is None:
                raise ValueError("InputLayer needs a shape: InputLayer(shape=(n,)) or InputLayer((n,)).")
            if isinstance(sample_shape, int):
                sample_shape = (sample_shape,)
            full = (batch_size,) + tuple(sample_shape)
        for d in tuple(full)[1:]:
            if d is not None and (isinstance(d, bool) or not isinstance(d, int) or d <= 0):
                raise ValueError(f"Input shape dimensions must be positive integers or None. Received: {tuple(full)}")
        super().__init__(name=name, dtype=dtype, batch_input_shape=tuple(full), **kwargs)
        self.built = True
        self.input = self.output = KerasTensor(self.batch_input_shape, dtype=self.dtype, name=self.name)

    def call(self, inputs, training=False):
        return inputs

    def get_config(self):
        return {"batch_input_shape": list(self.batch_input_shape), "dtype": self.dtype, "name": self.name}


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None, **kwargs):  # noqa: N802 - Keras's name
    """Return a symbolic input tensor of ``(batch_size, *shape)``, made by an ``InputLayer``.

    Its ``shape.as_list()`` is ``[None, *shape]``; give it first in a ``Sequential`` list.
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, name=name, dtype=dtype,
                       batch_shape=batch_shape, **kwargs)
    tensor = layer.output
    tensor.input_layer = layer
    return tensor
