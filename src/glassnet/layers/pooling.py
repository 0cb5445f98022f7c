"""Pooling layers: max and average over windows, and over the whole sequence or image.

``MaxPooling2D(pool_size=2)`` halves the height and width of ``(batch, h, w, channels)``
inputs with the fused ``max_pool2d`` op; ``strides`` defaults to ``pool_size`` and the
output size follows Keras (``valid``: ``floor((n - pool) / stride) + 1``, ``same``:
``ceil(n / stride)``). The global layers reduce every spatial axis with ``mean``/``max``.

Example:
    >>> import numpy as np
    >>> from glassnet.layers import GlobalAveragePooling1D, MaxPooling2D
    >>> MaxPooling2D()(np.arange(16.0).reshape(1, 4, 4, 1)).numpy()[0, ..., 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    >>> GlobalAveragePooling1D()(np.array([[[1.0], [3.0]]])).numpy()
    array([[2.]], dtype=float32)
"""

from __future__ import annotations

from ..ops import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d, mean
from ..ops import max as reduce_max
from .base import Layer
from .convolutional import check_rank, conv_output_length, normalize_data_format, normalize_padding, normalize_tuple

__all__ = [
    "AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "MaxPooling1D", "MaxPooling2D",
]

_LAYOUTS = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)"}


class _Pooling(Layer):
    """What the windowed pooling layers share: arguments, shapes and config."""

    rank = 0
    _op = None

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size")
        self.strides = self.pool_size if strides is None else normalize_tuple(strides, self.rank, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format, type(self).__name__)

    def build(self, input_shape):
        check_rank(self, input_shape, self.rank + 2, _LAYOUTS[self.rank])
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs, training=False):
        check_rank(self, inputs.shape, self.rank + 2, _LAYOUTS[self.rank])
        self.compute_output_shape(inputs.shape)
        if self.rank == 1:
            return type(self)._op(inputs, pool_size=self.pool_size[0], strides=self.strides[0], padding=self.padding)
        return type(self)._op(inputs, pool_size=self.pool_size, strides=self.strides, padding=self.padding)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        out = tuple(conv_output_length(n, p, self.padding, s)
                    for n, p, s in zip(input_shape[1:-1], self.pool_size, self.strides))
        if any(n is not None and n <= 0 for n in out):
            raise ValueError(
                f'Layer "{self.name}": the pooling window does not fit the input, so the output would be '
                f"empty: input_shape={input_shape}, pool_size={self.pool_size}, strides={self.strides}, "
                f"padding='{self.padding}' give spatial size {out}."
            )
        return (input_shape[0],) + out + (input_shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=self.pool_size, strides=self.strides, padding=self.padding,
                      data_format=self.data_format)
        return config


class MaxPooling1D(_Pooling):
    """Max pooling over steps: the maximum of each window of ``pool_size`` steps.

    Args:
        pool_size: int, the window length (default 2).
        strides: int, or None (default) meaning ``pool_size``.
        padding: 'valid' (default: whole windows only) or 'same' (ceil(steps / strides)
            outputs; the padding never wins the max).
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        **kwargs: ``name``, ``dtype``, ``input_shape``.

    Input: ``(batch, steps, channels)``. Output: ``(batch, pooled_steps, channels)``.

    Example:
        >>> from glassnet.layers import MaxPooling1D
        >>> MaxPooling1D()([[[1.0], [3.0], [2.0], [0.0]]]).numpy()[0, :, 0]
        array([3., 2.], dtype=float32)
    """

    replay_safe = True

    rank = 1
    _op = staticmethod(max_pool1d)

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    """Average pooling over steps: the mean of each window of ``pool_size`` steps.

    Args:
        pool_size: int, the window length (default 2).
        strides: int, or None (default) meaning ``pool_size``.
        padding: 'valid' (default: whole windows only) or 'same' (ceil(steps / strides)
            outputs; each mean counts the window's real steps only, as in TensorFlow).
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        **kwargs: ``name``, ``dtype``, ``input_shape``.

    Input: ``(batch, steps, channels)``. Output: ``(batch, pooled_steps, channels)``.

    Example:
        >>> from glassnet.layers import AveragePooling1D
        >>> AveragePooling1D()([[[1.0], [3.0], [2.0], [0.0]]]).numpy()[0, :, 0]
        array([2., 1.], dtype=float32)
    """

    replay_safe = True

    rank = 1
    _op = staticmethod(avg_pool1d)

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_Pooling):
    """Max pooling over height and width: the maximum of each ``pool_size`` window.

    Args:
        pool_size: int or tuple of 2 ints, the window (default (2, 2)).
        strides: int, tuple of 2 ints, or None (default) meaning ``pool_size``.
        padding: 'valid' (default: whole windows only) or 'same' (ceil(size / strides)
            outputs; the padding never wins the max).
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        **kwargs: ``name``, ``dtype``, ``input_shape``.

    Input: ``(batch, height, width, channels)``. Output: ``(batch, pooled_height, pooled_width, channels)``.

    Example:
        >>> from glassnet.layers import MaxPooling2D
        >>> MaxPooling2D(2).compute_output_shape((None, 27, 27, 8))
        (None, 13, 13, 8)
    """

    replay_safe = True

    rank = 2
    _op = staticmethod(max_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_Pooling):
    """Average pooling over height and width: the mean of each ``pool_size`` window.

    Args:
        pool_size: int or tuple of 2 ints, the window (default (2, 2)).
        strides: int, tuple of 2 ints, or None (default) meaning ``pool_size``.
        padding: 'valid' (default: whole windows only) or 'same' (ceil(size / strides)
            outputs; each mean counts the window's real elements only, as in TensorFlow).
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        **kwargs: ``name``, ``dtype``, ``input_shape``.

    Input: ``(batch, height, width, channels)``. Output: ``(batch, pooled_height, pooled_width, channels)``.

    Example:
        >>> from glassnet.layers import AveragePooling2D
        >>> AveragePooling2D(3, strides=2, padding="same").compute_output_shape((None, 7, 7, 1))
        (None, 4, 4, 1)
    """

    replay_safe = True

    rank = 2
    _op = staticmethod(avg_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


# ----- global pooling: one value per channel ----------------------------------------------
class _GlobalPooling(Layer):
    """Reduce every spatial axis with ``_reduce`` (mean or max), keeping the channels."""

    rank = 0
    _reduce = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)

    def build(self, input_shape):
        check_rank(self, input_shape, self.rank + 2, _LAYOUTS[self.rank])
        self.built = True

    def call(self, inputs, training=False):
        check_rank(self, inputs.shape, self.rank + 2, _LAYOUTS[self.rank])
        axes = tuple(range(1, self.rank + 1))
        return type(self)._reduce(inputs, axis=axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.keepdims:
            return (input_shape[0],) + (1,) * self.rank + (input_shape[-1],)
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


class GlobalAveragePooling1D(_GlobalPooling):
    """Global average pooling: the average over steps, one value per channel.

    Args:
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        keepdims: keep the pooled axes with size 1 (default False).
        **kwargs: ``name``, ``dtype``, ``input_shape``.

    Input: ``(batch, steps, channels)``.
    Output: ``(batch, channels)``, or ``(batch, 1, channels)`` with ``keepdims``.
    """

    replay_safe = True

    rank = 1
    _reduce = staticmethod(mean)


class GlobalAveragePooling2D(_GlobalPooling):
    """Global average pooling: the average over height and width, one value per channel.

    Args:
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        keepdims: keep the pooled axes with size 1 (default False).
        **kwargs: ``name``, ``dtype``, ``input_shape``.

    Input: ``(batch, height, width, channels)``.
    Output: ``(batch, channels)``, or ``(batch, 1, 1, channels)`` with ``keepdims``.
    """

    replay_safe = True

    rank = 2
    _reduce = staticmethod(mean)


class GlobalMaxPooling1D(_GlobalPooling):
    """Global max pooling: the max over steps, one value per channel.

    Args:
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        keepdims: keep the pooled axes with size 1 (default False).
        **kwargs: ``name``, ``dtype``, ``input_shape``.

    Input: ``(batch, steps, channels)``.
    Output: ``(batch, channels)``, or ``(batch, 1, channels)`` with ``keepdims``.
    """

    replay_safe = True

    rank = 1
    _reduce = staticmethod(reduce_max)


class GlobalMaxPooling2D(_GlobalPooling):
    """Global max pooling: the max over height and width, one value per channel.

    Args:
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        keepdims: keep the pooled axes with size 1 (default False).
        **kwargs: ``name``, ``dtype``, ``input_shape``.

    Input: ``(batch, height, width, channels)``.
    Output: ``(batch, channels)``, or ``(batch, 1, 1, channels)`` with ``keepdims``.
    """

    replay_safe = True

    rank = 2
    _reduce = staticmethod(reduce_max)
