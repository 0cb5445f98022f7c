"""`Embedding`: turn integer indices into dense vectors, ``output[..., :] = embeddings[index]``.

The layer holds one trainable row of ``output_dim`` numbers per index in
``[0, input_dim)`` and looks rows up with the ``getitem`` op (a gather); its backward
pass adds each output's gradient into the row it came from, so an index used twice
receives both gradients.

Example:
    >>> import numpy as np
    >>> from glassnet.layers import Embedding
    >>> layer = Embedding(10, 3)
    >>> layer(np.array([[1, 2, 2]])).shape
    TensorShape([1, 3, 3])
    >>> layer.embeddings.shape
    TensorShape([10, 3])
"""

from __future__ import annotations

import numbers

from .. import initializers
from .. import regularizers
from ..backend import get_xp
from ..ops import getitem
from .base import Layer

__all__ = ["Embedding"]

# Keras's short names that glassnet's initializer registry spells out.
_KERAS_ALIASES = {"uniform": initializers.RandomUniform, "normal": initializers.RandomNormal}


def _initializer(identifier):
    if isinstance(identifier, str) and identifier in _KERAS_ALIASES:
        return _KERAS_ALIASES[identifier]()
    return initializers.get(identifier)


class Embedding(Layer):
    """Map each integer index in ``[0, input_dim)`` to a trainable vector of ``output_dim`` numbers.

    Args:
        input_dim: positive int, the vocabulary size (largest index + 1).
        output_dim: positive int, the length of each vector.
        embeddings_initializer: default 'uniform', Keras's ``RandomUniform(-0.05, 0.05)``.
        embeddings_regularizer: optional penalty added to the loss.
        input_length: accepted for Keras 2 code; the layer reads lengths from its inputs.
        **kwargs: ``name``, ``trainable``, ``dtype`` (of the vectors), ``input_shape``.

    Input: integer indices of any shape ``(batch, ...)``; floats holding whole numbers
    (what ``fit`` passes) are accepted. Output: ``(batch, ..., output_dim)``.

    Raises:
        IndexError: when called with an index outside ``[0, input_dim)``.

    Example:
        >>> from glassnet.layers import Embedding
        >>> layer = Embedding(3, 2, embeddings_initializer="ones")
        >>> layer([0, 2]).numpy()
        array([[1., 1.],
               [1., 1.]], dtype=float32)
    """

    cast_inputs = False  # indices stay integers: casting them to float32 would lose large ones

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 input_length=None, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
                raise ValueError(
                    f"Both `input_dim` and `output_dim` of an Embedding layer must be positive integers. "
                    f"Received: {name}={value!r}"
                )
        if input_length is not None and (
            isinstance(input_length, bool) or not isinstance(input_length, numbers.Integral) or input_length <= 0
        ):
            raise ValueError(
                f"The `input_length` of an Embedding layer must be a positive integer or None. "
                f"Received: input_length={input_length!r}"
            )
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = _initializer(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.input_length = None if input_length is None else int(input_length)
        self.embeddings = None

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          self.embeddings_initializer, self.embeddings_regularizer)
        self.built = True

    def call(self, inputs, training=False):
        return getitem(self.embeddings, self._indices(inputs.data))

    def _indices(self, values):
        """The inputs as an integer array, after checking every index is a row of the table."""
        xp = get_xp(values)
        if values.dtype.kind == "f":
            if not bool(xp.all(values == xp.floor(values))):
                raise TypeError(
                    f'Layer "{self.name}" expects integer indices; received floats with a fractional part '
                    f"(dtype {values.dtype})."
                )
            values = values.astype("int64")
        elif values.dtype.kind not in "iu":
            raise TypeError(f'Layer "{self.name}" expects integer indices. Received: dtype={values.dtype}')
        if values.size and (int(values.min()) < 0 or int(values.max()) >= self.input_dim):
            bad = values[(values < 0) | (values >= self.input_dim)]
            raise IndexError(
                f'Layer "{self.name}": indices must lie in [0, input_dim={self.input_dim}). '
                f"Received: {bad.size} index(es) outside it, e.g. {int(bad.ravel()[0])}"
            )
        return values

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(
            input_dim=self.input_dim,
            output_dim=self.output_dim,
            embeddings_initializer=initializers.serialize(self.embeddings_initializer),
            embeddings_regularizer=regularizers.serialize(self.embeddings_regularizer),
            input_length=self.input_length,
        )
        return config
