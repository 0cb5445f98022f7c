"""`Conv1D` and `Conv2D`: learned filters slid over a sequence or an image (channels last).

``Conv2D(filters, kernel_size)`` holds a kernel of shape ``(kh, kw, in_channels, filters)``
and a bias of shape ``(filters,)``; it computes ``activation(conv2d(x, kernel) + bias)``
with the fused ``conv2d`` op (whose backward lives in ``glassnet/ops/conv.py``); relu,
sigmoid and tanh run inside that op, other activations after it.
Output sizes follow Keras: ``valid`` gives ``floor((n - dilation * (k - 1) - 1) / stride) + 1``,
``same`` (and Conv1D's ``causal``) gives ``ceil(n / stride)``.

The argument helpers here (``normalize_tuple``, ``normalize_padding``,
``normalize_data_format``, ``conv_output_length``) are shared with the pooling and
reshaping layers.

Example:
    >>> import numpy as np
    >>> from glassnet.layers import Conv2D
    >>> layer = Conv2D(8, 3, strides=2, padding="same")
    >>> layer(np.zeros((1, 28, 28, 3))).shape
    TensorShape([1, 14, 14, 8])
    >>> layer.kernel.shape, layer.count_params()
    (TensorShape([3, 3, 3, 8]), 224)
"""

from __future__ import annotations

import numbers

from .. import activations
from ..ops import conv1d, conv2d
from .base import Layer, kernel_options_config, set_kernel_options

__all__ = ["Conv1D", "Conv2D"]

# Activations the conv ops apply inside their own node (their derivative follows from the output)

# ----- argument helpers (shared with pooling.py and reshaping.py) -------------------------
def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def normalize_tuple(value, n: int, name: str, allow_zero: bool = False) -> tuple:
    """An int or an iterable of ``n`` ints -> a tuple of ``n`` ints, each > 0 (>= 0 with ``allow_zero``)."""
    lowest = 0 if allow_zero else 1
    expected = (f"The `{name}` argument must be an integer or a tuple of {n} integers, "
                f"each {'>= 0' if allow_zero else '> 0'}. Received: {name}={value!r}")
    if _is_int(value):
        values = (int(value),) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(expected) from None
        if len(values) != n or not all(_is_int(v) for v in values):
            raise ValueError(expected)
        values = tuple(int(v) for v in values)
    if any(v < lowest for v in values):
        raise ValueError(expected)
    return values


def normalize_padding(value, allow_causal: bool = False) -> str:
    """'valid' / 'same' (and 'causal' where allowed), case-insensitive."""
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(f"The `padding` argument must be one of {list(allowed)}. Received: padding={value!r}")
    return padding


def normalize_data_format(value, layer: str) -> str:
    """None or 'channels_last' -> 'channels_last'; glassnet computes channels-last only."""
    if value is None or value == "channels_last":
        return "channels_last"
    if value == "channels_first":
        raise ValueError(
            f"{layer} supports only data_format='channels_last' (inputs shaped (batch, ..., channels)); "
            "transpose channels-first data first. Received: data_format='channels_first'"
        )
    raise ValueError(
        "The `data_format` argument must be one of ['channels_last', 'channels_first']. "
        f"Received: data_format={value!r}"
    )


def conv_output_length(length, window: int, padding: str, stride: int, dilation: int = 1):
    """The output size along one axis of a convolution or pooling window (None stays None)."""
    if length is None:
        return None
    if padding == "valid":
        return (length - dilation * (window - 1) - 1) // stride + 1
    return (length - 1) // stride + 1  # 'same' and 'causal': ceil(length / stride)


def check_rank(layer, shape, rank: int, what: str) -> None:
    """Raise Keras's incompatible-input error unless ``shape`` has ``rank`` axes."""
    if len(shape) != rank:
        raise ValueError(
            f'Input 0 of layer "{layer.name}" is incompatible with the layer: expected ndim={rank} '
            f"({what}), found ndim={len(shape)}. Full shape received: {tuple(shape)}"
        )


# ----- the layers -----------------------------------------------------------------------
class _Conv(Layer):
    """What Conv1D and Conv2D share: arguments, weights, shapes and config."""

    rank = 0
    _layout = ""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        if not _is_int(filters) or filters <= 0:
            raise ValueError(
                f"Invalid value for argument `filters` of {cls}. Expected a strictly positive integer. "
                f"Received: filters={filters!r}"
            )
        self.filters = int(filters)
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = normalize_tuple(strides, self.rank, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate")
        self.padding = normalize_padding(padding, allow_causal=self.rank == 1)
        self.data_format = normalize_data_format(data_format, cls)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}"
            )
        set_kernel_options(self, activation, use_bias, kernel_initializer, bias_initializer,
                           kernel_regularizer, bias_regularizer)

    def build(self, input_shape):
        check_rank(self, input_shape, self.rank + 2, self._layout)
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                f'Layer "{self.name}": the channel dimension (last axis) of the inputs must be known. '
                f"Received: input_shape={tuple(input_shape)}"
            )
        self.compute_output_shape(input_shape)  # fails early when the window does not fit
        self.kernel = self.add_weight("kernel", self.kernel_size + (int(channels), self.filters),
                                      self.kernel_initializer, self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer)
        self._expected_last_dim = int(channels)
        self.built = True

    def call(self, inputs, training=False):
        check_rank(self, inputs.shape, self.rank + 2, self._layout)
        self.compute_output_shape(inputs.shape)
        fused = activations.fused_name(self.activation)
        if fused is not None or self.activation is activations.linear:
            return self._convolve(inputs, fused)
        return self.activation(self._convolve(inputs, None))

    def _convolve(self, inputs, activation):  # pragma: no cover - each subclass calls its op
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = input_shape[1:-1]
        out = tuple(conv_output_length(n, k, self.padding, s, d) for n, k, s, d in
                    zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        if any(n is not None and n <= 0 for n in out):
            raise ValueError(
                f'Layer "{self.name}": the (dilated) kernel does not fit the input, so the output would be '
                f"empty: input_shape={input_shape}, kernel_size={self.kernel_size}, strides={self.strides}, "
                f"dilation_rate={self.dilation_rate}, padding='{self.padding}' give spatial size {out}."
            )
        return (input_shape[0],) + out + (self.filters,)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=self.kernel_size,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
            **kernel_options_config(self),
        )
        return config


class Conv1D(_Conv):
    """1D convolution over ``(batch, steps, channels)`` inputs.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of 1 int, the window length.
        strides: int or tuple of 1 int (default 1).
        padding: 'valid' (default, no padding), 'same' (output length ceil(steps / strides))
            or 'causal' (left padding only, so output t sees inputs <= t).
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        dilation_rate: int or tuple of 1 int (default 1); cannot exceed 1 together with strides.
        activation: name or function applied after the bias (default None: linear).
        use_bias: whether to add a bias vector (default True).
        kernel_initializer: default 'glorot_uniform'. bias_initializer: default 'zeros'.
        kernel_regularizer, bias_regularizer: optional penalties added to the loss.
        **kwargs: ``name``, ``trainable``, ``dtype``, ``input_shape``.

    Input: ``(batch, steps, channels)``. Output: ``(batch, new_steps, filters)``.
    Kernel: ``(kernel_size, channels, filters)``.

    Example:
        >>> import numpy as np
        >>> from glassnet.layers import Conv1D
        >>> layer = Conv1D(1, 2, kernel_initializer="ones", use_bias=False)
        >>> layer(np.array([[[1.0], [2.0], [4.0]]])).numpy()[..., 0]
        array([[3., 6.]], dtype=float32)
    """

    replay_safe = True

    rank = 1
    _layout = "(batch, steps, channels)"

    def _convolve(self, inputs, activation):
        return conv1d(inputs, self.kernel, self.bias, strides=self.strides[0], padding=self.padding,
                      dilation_rate=self.dilation_rate[0], activation=activation)


class Conv2D(_Conv):
    """2D convolution over ``(batch, height, width, channels)`` images.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of 2 ints, the window's (height, width).
        strides: int or tuple of 2 ints (default 1).
        padding: 'valid' (default, no padding) or 'same' (output size ceil(input / strides)).
        data_format: 'channels_last' (or None); 'channels_first' is not supported.
        dilation_rate: int or tuple of 2 ints (default 1); cannot exceed 1 together with strides.
        activation: name or function applied after the bias (default None: linear).
        use_bias: whether to add a bias vector (default True).
        kernel_initializer: default 'glorot_uniform'. bias_initializer: default 'zeros'.
        kernel_regularizer, bias_regularizer: optional penalties added to the loss.
        **kwargs: ``name``, ``trainable``, ``dtype``, ``input_shape``.

    Input: ``(batch, height, width, channels)``. Output: ``(batch, new_height, new_width, filters)``.
    Kernel: ``(kh, kw, channels, filters)``.

    Example:
        >>> from glassnet.layers import Conv2D
        >>> Conv2D(32, 3, activation="relu").compute_output_shape((None, 28, 28, 1))
        (None, 26, 26, 32)
    """

    replay_safe = True

    rank = 2
    _layout = "(batch, height, width, channels)"

    def _convolve(self, inputs, activation):
        return conv2d(inputs, self.kernel, self.bias, strides=self.strides, padding=self.padding,
                      dilation_rate=self.dilation_rate, activation=activation)
