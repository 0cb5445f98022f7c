"""Layers that move values without learning anything: `Flatten`, `Reshape`, `ZeroPadding2D`, `UpSampling2D`.

Each composes shape ops (``reshape``, ``pad``, ``broadcast_to``), so gradients flow
back through them unchanged; the batch axis is never touched.

Example:
    >>> import numpy as np
    >>> from glassnet.layers import Flatten, Reshape, UpSampling2D, ZeroPadding2D
    >>> Flatten()(np.zeros((2, 3, 4))).shape
    TensorShape([2, 12])
    >>> Reshape((-1, 2)).compute_output_shape((None, 3, 4))
    (None, 6, 2)
    >>> ZeroPadding2D(1).compute_output_shape((None, 28, 28, 1))
    (None, 30, 30, 1)
    >>> UpSampling2D(2)(np.array([[[[1.0], [2.0]]]])).numpy()[0, ..., 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.]], dtype=float32)
"""

from __future__ import annotations

import math

from ..ops import broadcast_to, pad, reshape
from .base import Layer
from .convolutional import _is_int, check_rank, normalize_data_format, normalize_tuple

__all__ = ["Flatten", "Reshape", "UpSampling2D", "ZeroPadding2D"]

_IMAGES = "(batch, height, width, channels)"


class Flatten(Layer):
    """Flatten every axis but the batch axis: ``(batch, d1, d2, ...)`` -> ``(batch, d1 * d2 * ...)``.

    Values are taken in C (row-major) order, as Keras does for channels-last data.

    Args:
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        **kwargs: ``name``, ``dtype``, ``input_shape``.

    Example:
        >>> from glassnet.layers import Flatten
        >>> Flatten().compute_output_shape((None, 5, 5, 64))
        (None, 1600)
    """

    replay_safe = True

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, "Flatten")

    def call(self, inputs, training=False):
        shape = tuple(inputs.shape)
        return reshape(inputs, (shape[0], math.prod(shape[1:])))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        rest = input_shape[1:]
        return (input_shape[0], None if any(d is None for d in rest) else math.prod(rest))

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Reshape(Layer):
    """Give each sample a new shape: ``(batch, ...)`` -> ``(batch, *target_shape)``.

    Args:
        target_shape: tuple of positive ints, the shape of one sample (batch axis
            excluded); at most one entry may be -1, inferred from the others.
        **kwargs: ``name``, ``dtype``, ``input_shape``.

    Example:
        >>> import numpy as np
        >>> from glassnet.layers import Reshape
        >>> Reshape((3, -1))(np.zeros((2, 12))).shape
        TensorShape([2, 3, 4])
    """

    replay_safe = True

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        message = ("The `target_shape` of a Reshape layer must be a tuple of positive integers, at most one "
                   f"of them -1 (the batch axis excluded). Received: target_shape={target_shape!r}")
        if _is_int(target_shape):
            target_shape = (target_shape,)
        try:
            target_shape = tuple(target_shape)
        except TypeError:
            raise ValueError(message) from None
        if not all(_is_int(d) and (d > 0 or d == -1) for d in target_shape) or target_shape.count(-1) > 1:
            raise ValueError(message)
        self.target_shape = tuple(int(d) for d in target_shape)

    def _resolve(self, sample_shape):
        """``target_shape`` with -1 filled in from ``sample_shape`` (None if that is unknown)."""
        known = math.prod(d for d in self.target_shape if d != -1)
        if any(d is None for d in sample_shape):
            return tuple(None if d == -1 else d for d in self.target_shape)
        size = math.prod(sample_shape)
        if -1 in self.target_shape:
            if size % known:
                self._size_error(sample_shape)
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if size != known:
            self._size_error(sample_shape)
        return self.target_shape

    def _size_error(self, sample_shape):
        raise ValueError(
            f'Layer "{self.name}": cannot reshape samples of shape {tuple(sample_shape)} '
            f"({math.prod(sample_shape)} values) into target_shape={self.target_shape}; "
            "the number of values per sample must stay the same."
        )

    def call(self, inputs, training=False):
        shape = tuple(inputs.shape)
        return reshape(inputs, (shape[0],) + self._resolve(shape[1:]))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        return (input_shape[0],) + self._resolve(input_shape[1:])

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


class ZeroPadding2D(Layer):
    """Add rows and columns of zeros around each image.

    Args:
        padding: an int (the same on all four sides), a tuple of 2 ints
            ``(symmetric_height_pad, symmetric_width_pad)``, or a tuple of 2 tuples
            ``((top_pad, bottom_pad), (left_pad, right_pad))``. Default (1, 1), as in Keras.
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        **kwargs: ``name``, ``dtype``, ``input_shape``.

    Input: ``(batch, height, width, channels)``.
    Output: ``(batch, height + top + bottom, width + left + right, channels)``.

    Example:
        >>> from glassnet.layers import ZeroPadding2D
        >>> ZeroPadding2D(((1, 0), (2, 3))).padding
        ((1, 0), (2, 3))
    """

    replay_safe = True

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        message = ("`padding` should be either an int, a tuple of 2 ints (symmetric_height_pad, "
                   "symmetric_width_pad), or a tuple of 2 tuples of 2 ints ((top_pad, bottom_pad), "
                   f"(left_pad, right_pad)), all >= 0. Received: padding={padding!r}")
        if _is_int(padding):
            pairs = ((padding, padding), (padding, padding))
        elif isinstance(padding, (list, tuple)) and len(padding) == 2:
            if all(_is_int(p) for p in padding):
                pairs = ((padding[0], padding[0]), (padding[1], padding[1]))
            elif all(isinstance(p, (list, tuple)) and len(p) == 2 and all(_is_int(v) for v in p) for p in padding):
                pairs = tuple(tuple(p) for p in padding)
            else:
                raise ValueError(message)
        else:
            raise ValueError(message)
        if any(v < 0 for pair in pairs for v in pair):
            raise ValueError(message)
        self.padding = tuple(tuple(int(v) for v in pair) for pair in pairs)
        self.data_format = normalize_data_format(data_format, "ZeroPadding2D")

    def build(self, input_shape):
        check_rank(self, input_shape, 4, _IMAGES)
        self.built = True

    def call(self, inputs, training=False):
        check_rank(self, inputs.shape, 4, _IMAGES)
        return pad(inputs, ((0, 0),) + self.padding + ((0, 0),))

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, 4, _IMAGES)
        n, h, w, c = tuple(input_shape)
        (top, bottom), (left, right) = self.padding
        return (n, None if h is None else h + top + bottom, None if w is None else w + left + right, c)

    def get_config(self):
        config = super().get_config()
        config.update(padding=self.padding, data_format=self.data_format)
        return config


class UpSampling2D(Layer):
    """Repeat each row ``size[0]`` times and each column ``size[1]`` times (nearest neighbour).

    Args:
        size: int or tuple of 2 ints, the upsampling factors for rows and columns (default (2, 2)).
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        interpolation: 'nearest' (the default, and the only one glassnet computes).
        **kwargs: ``name``, ``dtype``, ``input_shape``.

    Input: ``(batch, height, width, channels)``.
    Output: ``(batch, height * size[0], width * size[1], channels)``.

    Example:
        >>> from glassnet.layers import UpSampling2D
        >>> UpSampling2D((2, 3)).compute_output_shape((None, 4, 5, 1))
        (None, 8, 15, 1)
    """

    replay_safe = True

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, 2, "size")
        self.data_format = normalize_data_format(data_format, "UpSampling2D")
        if interpolation != "nearest":
            raise ValueError(
                "UpSampling2D supports only interpolation='nearest' in glassnet. "
                f"Received: interpolation={interpolation!r}"
            )
        self.interpolation = interpolation

    def build(self, input_shape):
        check_rank(self, input_shape, 4, _IMAGES)
        self.built = True

    def call(self, inputs, training=False):
        check_rank(self, inputs.shape, 4, _IMAGES)
        n, h, w, c = tuple(inputs.shape)
        sh, sw = self.size
        # (n, h, 1, w, 1, c) broadcast to (n, h, sh, w, sw, c): each value repeated in a block;
        # the engine sums each block's gradient back onto its one source value
        blocks = broadcast_to(reshape(inputs, (n, h, 1, w, 1, c)), (n, h, sh, w, sw, c))
        return reshape(blocks, (n, h * sh, w * sw, c))

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, 4, _IMAGES)
        n, h, w, c = tuple(input_shape)
        return (n, None if h is None else h * self.size[0], None if w is None else w * self.size[1], c)

    def get_config(self):
        config = super().get_config()
        config.update(size=self.size, data_format=self.data_format, interpolation=self.interpolation)
        return config
