"""`Sequential`: a plain stack of layers, each feeding the next.

Example:
    >>> import numpy as np
    >>> import glassnet as tf
    >>> from glassnet.keras import Sequential
    >>> from glassnet.keras.layers import Dense
    >>> tf.random.set_seed(0)
    >>> model = Sequential([tf.keras.Input(shape=(2,)), Dense(3, activation="relu"), Dense(1)], name="tiny")
    >>> [layer.name for layer in model.layers] == [model.layers[0].name, model.layers[1].name]
    True
    >>> model.predict(np.zeros((4, 2))).shape
    (4, 1)
"""

from __future__ import annotations

from ..layers.base import KerasTensor, Layer, unique_name
from ..layers.input_layer import InputLayer
from .model import Model
from .summary import print_summary

__all__ = ["Sequential"]


class Sequential(Model):
    """A linear stack of layers.

    Args:
        layers: optional list of layers; it may start with ``Input(shape=...)`` or an
            ``InputLayer``, which fixes the input size (and is not counted in ``layers``).
        name: the model's name (default ``sequential``, ``sequential_1``, ...).
    """

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name or unique_name("sequential"))
        self.trainable = trainable
        self._layers: list = []
        self._input_shape = None
        self.built = False
        for layer in layers or []:
            self.add(layer)

    # ----- structure ------------------------------------------------------------------
    @property
    def layers(self) -> list:
        return list(self._layers)

    def add(self, layer) -> None:
        """Append a layer (or an ``Input`` tensor, which sets the input shape)."""
        if isinstance(layer, KerasTensor):
            layer = getattr(layer, "input_layer", None) or InputLayer(batch_shape=tuple(layer.shape))
        if not isinstance(layer, Layer):
            raise TypeError(
                "Only layers can be added to a Sequential model. "
                f"Received: {layer!r} of type {type(layer).__name__}"
            )
        if isinstance(layer, InputLayer):
            if self._layers or self._input_shape is not None:
                raise ValueError("An Input/InputLayer can only come first in a Sequential model.")
            self._input_shape = tuple(layer.batch_input_shape)
            self.build(self._input_shape)
            return
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(
                f'All layers in a model must have unique names; "{layer.name}" is used twice.'
            )
        self._layers.append(layer)
        if not self._input_shape and len(self._layers) == 1 and layer.batch_input_shape is not None:
            self._input_shape = tuple(layer.batch_input_shape)
        if self._input_shape is not None:
            self.built = False
            self.build(self._input_shape)

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._layers:
            raise TypeError("There are no layers in the model to pop.")
        layer = self._layers.pop()
        self.built = bool(self._layers) and self.built
        return layer

    def get_layer(self, name=None, index=None) -> Layer:
        """Return a layer by its name or its index in ``layers``."""
        if index is not None:
            if name is not None:
                raise ValueError("Provide either a layer name or a layer index, not both.")
            if not -len(self._layers) <= index < len(self._layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but the model only has {len(self._layers)} layers.")
            return self._layers[index]
        for layer in self._layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[layer.name for layer in self._layers]}."
        )

    # ----- building ---------------------------------------------------------------------
    def build(self, input_shape=None) -> None:
        """Build every layer for inputs of ``input_shape`` (with the batch axis, e.g. (None, 400))."""
        if input_shape is None:
            input_shape = self._input_shape
        if input_shape is None:
            raise ValueError("You must provide an input_shape to build(), e.g. model.build((None, 400)).")
        input_shape = tuple(input_shape)
        if self.built:  # a no-op, unless asked for weights of another shape
            if input_shape[1:] != tuple(self._input_shape)[1:]:
                raise ValueError(
                    f'Sequential model "{self.name}" is already built for input shape '
                    f"{tuple(self._input_shape)}; it cannot be built again for input_shape={input_shape}."
                )
            return
        self._input_shape = input_shape
        shape = input_shape
        for layer in self._layers:
            layer.build_from_shape(shape)
            shape = tuple(layer.compute_output_shape(shape))
        self.built = bool(self._layers)

    def build_for_data(self, x) -> None:
        if not self.built:
            self.build((None,) + tuple(x.shape[1:]))

    @property
    def input(self) -> KerasTensor:
        if self._input_shape is None:
            raise AttributeError(f'The model "{self.name}" has no defined input yet: build it or call it on data.')
        return KerasTensor((None,) + tuple(self._input_shape)[1:], name=f"{self.name}_input")

    @property
    def output(self) -> KerasTensor:
        if not self.built:
            raise AttributeError(f'The model "{self.name}" has not been built yet.')
        return self._layers[-1].output

    @property
    def input_shape(self) -> tuple:
        return tuple(self.input.shape)

    @property
    def output_shape(self) -> tuple:
        return tuple(self.output.shape)

    # ----- computing ----------------------------------------------------------------------
    def __call__(self, inputs, training=False):
        """Run the layers in order; returns a Tensor (part of the graph when training)."""
        if not self._layers:
            raise ValueError(f'The model "{self.name}" has no layers to call.')
        x = inputs
        for layer in self._layers:
            x = layer(x, training=training)
        if not self.built:
            self._input_shape = (None,) + tuple(self._layers[0].input.shape)[1:]
            self.built = True
        return x

    call = __call__

    def count_params(self) -> int:
        """The number of scalars in all weights."""
        if not self.built:
            raise ValueError(
                "This model has not yet been built. Build the model first by calling `build()` "
                "or by calling the model on a batch of data."
            )
        return sum(layer.count_params() for layer in self._layers)

    def summary(self, line_length=None, positions=None, print_fn=None) -> None:
        """Print the layers, their output shapes and parameter counts in Keras 2's layout."""
        if not self.built:
            raise ValueError(
                "This model has not yet been built. Build the model first by calling `build()` or "
                "by calling the model on a batch of data."
            )
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def get_config(self) -> dict:
        """The architecture in Keras 3's format: name, layers (InputLayer first), build_input_shape."""
        from ..saving.serialization import sequential_config

        return sequential_config(self, self._input_shape)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new model from :meth:`get_config`'s output (or Keras 3's); class names are allow-listed."""
        from ..saving.serialization import sequential_from_config

        if custom_objects:
            raise ValueError("custom_objects is not supported: configs name built-in classes only.")
        return sequential_from_config(config)

    def __repr__(self):
        return f"<Sequential name={self.name}, layers={len(self._layers)}, built={self.built}>"
