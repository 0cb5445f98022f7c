"""CNN and friends: Conv1D/2D, pooling, reshaping, Dropout, Batch/LayerNormalization, Embedding.

One table (``ROWS``) holds every layer configuration; each row runs forward against a
NumPy formula written here in float64 (convolution and pooling as direct loops), through
``check_grad`` with respect to its input and every trainable weight, through a
``get_config``/``from_config`` round trip, and against ``compute_output_shape``.
Further tables cover construction defaults, invalid arguments and output shapes
(Keras's numbers); the rest are the behaviours a table cannot show: moving statistics,
training vs inference, dropout's randomness, embedding indices, ``summary()`` of CNNs,
and the ``training`` flag that ``fit``/``predict``/``evaluate`` pass down.

Random layers in the gradient check: a ``Dropout(seed=...)`` row re-creates the
layer's generator (``layer.generator = default_rng(seed)``) before every evaluation
(the row's ``reset``), so the finite differences see the same mask as backprop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import glassnet as gn
from glassnet import initializers
from glassnet.keras import Sequential
from glassnet.keras.layers import (
    AveragePooling1D, AveragePooling2D, BatchNormalization, Conv1D, Conv2D, Dense, Dropout, Embedding, Flatten,
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, Input, Layer,
    LayerNormalization, MaxPooling1D, MaxPooling2D, Reshape, UpSampling2D, ZeroPadding2D,
)
from glassnet.models.summary import summary_lines
from glassnet.testing import check_grad, check_model_gradients
from gradrows import distinct, normal

# ----- NumPy references, written independently of glassnet ----------------------------


def _same_pads(n, window, stride, dilation=1):
    """TensorFlow's 'same' padding of one axis: ceil(n / stride) outputs, the odd zero after."""
    reach = (window - 1) * dilation + 1
    out = -(-n // stride)
    total = max((out - 1) * stride + reach - n, 0)
    return total // 2, total - total // 2


def _conv2d_ref(x, kernel, bias, strides=(1, 1), padding="valid", dilation=(1, 1)):
    """out[n, i, j, :] = sum over (a, b) of x[n, s*i + d*a, s*j + d*b, :] @ kernel[a, b] (+ bias), by loops."""
    kh, kw, _, filters = kernel.shape
    (sh, sw), (dh, dw) = strides, dilation
    pads = [(0, 0), (0, 0)]
    if padding == "same":
        pads = [_same_pads(x.shape[1], kh, sh, dh), _same_pads(x.shape[2], kw, sw, dw)]
    elif padding == "causal":  # 1-D only (height 1): every zero on the left of the width axis
        pads = [(0, 0), ((kw - 1) * dw, 0)]
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    oh = (xp.shape[1] - (kh - 1) * dh - 1) // sh + 1
    ow = (xp.shape[2] - (kw - 1) * dw - 1) // sw + 1
    out = np.zeros((x.shape[0], oh, ow, filters))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    out[:, i, j, :] += xp[:, i * sh + a * dh, j * sw + b * dw, :] @ kernel[a, b]
    return out if bias is None else out + bias


def _conv1d_ref(x, kernel, bias, stride=1, padding="valid", dilation=1):
    return _conv2d_ref(x[:, None], kernel[None], bias, (1, stride), padding, (1, dilation))[:, 0]


def _pool2d_ref(x, pool, strides, padding, reduce):
    """``reduce`` (np.nanmax / np.nanmean) over each window; NaN padding never counts."""
    (ph, pw), (sh, sw) = pool, strides
    pads = [(0, 0), (0, 0)]
    if padding == "same":
        pads = [_same_pads(x.shape[1], ph, sh), _same_pads(x.shape[2], pw, sw)]
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=np.nan)
    oh, ow = (xp.shape[1] - ph) // sh + 1, (xp.shape[2] - pw) // sw + 1
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j, :] = reduce(xp[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :], axis=(1, 2))
    return out


def _pool1d_ref(x, pool, stride, padding, reduce):
    return _pool2d_ref(x[:, None], (1, pool), (1, stride), padding, reduce)[:, 0]


def _normalize_ref(x, axes, epsilon, gamma=None, beta=None, shape=None, mean=None, variance=None):
    """(x - mean) / sqrt(var + eps) * gamma + beta, statistics over ``axes`` unless given."""
    mean = x.mean(axis=axes, keepdims=True) if mean is None else mean.reshape(shape)
    variance = x.var(axis=axes, keepdims=True) if variance is None else variance.reshape(shape)
    y = (x - mean) / np.sqrt(variance + epsilon)
    if gamma is not None:
        y = y * gamma.reshape(shape)
    if beta is not None:
        y = y + beta.reshape(shape)
    return y


def _weights(layer):
    return [w.astype(np.float64) for w in layer.get_weights()]


def _conv_expected(rank, strides=1, padding="valid", dilation=1, act=lambda z: z):
    def expected(x, layer):
        weights = _weights(layer)
        bias = weights[1] if len(weights) == 2 else None
        if rank == 1:
            return act(_conv1d_ref(x, weights[0], bias, strides, padding, dilation))
        return act(_conv2d_ref(x, weights[0], bias, strides, padding, dilation))

    return expected


def _bn_expected(axis=-1, training=True, epsilon=1e-3):
    def expected(x, layer):
        axis_ = axis % x.ndim
        axes = tuple(i for i in range(x.ndim) if i != axis_)
        shape = tuple(-1 if i == axis_ else 1 for i in range(x.ndim))
        gamma = layer.gamma.numpy().astype(np.float64) if layer.scale else None
        beta = layer.beta.numpy().astype(np.float64) if layer.center else None
        if training:
            return _normalize_ref(x, axes, epsilon, gamma, beta, shape)
        return _normalize_ref(x, axes, epsilon, gamma, beta, shape, mean=layer.moving_mean.numpy(),
                              variance=layer.moving_variance.numpy())

    return expected


def _ln_expected(axes, epsilon=1e-3):
    def expected(x, layer):
        shape = tuple(n if i in axes else 1 for i, n in enumerate(x.shape))
        gamma = layer.gamma.numpy().astype(np.float64) if layer.scale else None
        beta = layer.beta.numpy().astype(np.float64) if layer.center else None
        return _normalize_ref(x, axes, epsilon, gamma, beta, shape)

    return expected


def _seeded(seed, stddev=0.7):
    """Deterministic non-zero weights, so rows do not depend on the global stream."""
    return initializers.RandomNormal(stddev=stddev, seed=seed)


def _indices(input_dim):
    def draw(rng, shape):
        return rng.integers(0, input_dim, shape)

    return draw


@dataclass
class LayerRow:
    """One layer configuration.

    Attributes:
        id: the test id.
        make: ``make(dtype=None)`` returns a fresh layer.
        shape: the input shape, batch axis first.
        expected: ``expected(x, layer)``: the output by a NumPy formula in float64 (None:
            random, checked by the Dropout tests instead).
        domain: ``(rng, shape) -> array`` for inputs (ties kept apart for max pooling).
        n_trainable: how many trainable weights the built layer has.
        training: the ``training`` flag the row calls the layer with.
        reset: ``reset(layer)`` before each call, for random layers (re-seeds the mask).
        input_grad: whether the input is differentiable (not for Embedding's indices).
    """

    id: str
    make: Callable
    shape: tuple
    expected: Callable | None
    domain: Callable = normal
    n_trainable: int = 0
    training: bool = False
    reset: Callable = lambda layer: None
    input_grad: bool = True

    def draw(self, seed=0):
        x = self.domain(np.random.default_rng(seed), self.shape)
        return x if x.dtype.kind in "iu" else x.astype(np.float64)

    def call(self, layer, x):
        self.reset(layer)
        return layer(x, training=self.training)


def _conv_row(id_, cls, shape, filters, kernel_size, *, activation=None, act=lambda z: z, use_bias=True, **kwargs):
    def make(dtype=None):
        return cls(filters, kernel_size, activation=activation, use_bias=use_bias, kernel_initializer=_seeded(1),
                   bias_initializer=_seeded(2), dtype=dtype, **kwargs)

    strides, dilation = kwargs.get("strides", 1), kwargs.get("dilation_rate", 1)
    if cls is Conv1D:
        expected = _conv_expected(1, strides, kwargs.get("padding", "valid"), dilation, act)
    else:  # the 2-D reference takes pairs
        pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
        expected = _conv_expected(2, pair(strides), kwargs.get("padding", "valid"), pair(dilation), act)
    return LayerRow(id_, make, shape, expected, n_trainable=2 if use_bias else 1)


def _plain(cls, *args, **kwargs):
    """``make`` for a layer without weights."""
    return lambda dtype=None: cls(*args, dtype=dtype, **kwargs)


def _pool_row(id_, cls, shape, kind, *, pool=2, strides=None, padding="valid"):
    reduce = np.nanmax if kind == "max" else np.nanmean
    if cls in (MaxPooling1D, AveragePooling1D):
        expected = lambda x, _: _pool1d_ref(x, pool, strides or pool, padding, reduce)  # noqa: E731
    else:
        pairs = (pool, pool) if isinstance(pool, int) else pool
        stride_pairs = pairs if strides is None else ((strides, strides) if isinstance(strides, int) else strides)
        expected = lambda x, _: _pool2d_ref(x, pairs, stride_pairs, padding, reduce)  # noqa: E731
    return LayerRow(id_, _plain(cls, pool, strides=strides, padding=padding), shape, expected,
                    distinct if kind == "max" else normal)


def _bn(dtype=None, **kwargs):
    kwargs.setdefault("gamma_initializer", _seeded(3))
    kwargs.setdefault("beta_initializer", _seeded(4))
    return BatchNormalization(dtype=dtype, **kwargs)


def _bn_inference(dtype=None):
    # moving statistics away from their zeros/ones defaults, so the formula is really exercised
    return _bn(dtype, moving_mean_initializer=_seeded(5),
               moving_variance_initializer=initializers.RandomUniform(0.5, 2.0, seed=6))


def _ln(dtype=None, **kwargs):
    kwargs.setdefault("gamma_initializer", _seeded(7))
    kwargs.setdefault("beta_initializer", _seeded(8))
    return LayerNormalization(dtype=dtype, **kwargs)


def _reseed(seed):
    def reset(layer):
        layer.generator = np.random.default_rng(seed)

    return reset


ROWS = [
    # Conv2D: valid, same with uneven strides/kernel, dilation, no bias with an activation
    _conv_row("conv2d_valid", Conv2D, (2, 5, 5, 2), 3, 3),
    _conv_row("conv2d_same_strides", Conv2D, (2, 7, 6, 2), 3, (3, 2), strides=2, padding="same"),
    _conv_row("conv2d_same_even_kernel", Conv2D, (1, 5, 4, 2), 2, 4, padding="same"),
    _conv_row("conv2d_dilation", Conv2D, (1, 6, 5, 2), 2, 2, dilation_rate=(2, 1)),
    _conv_row("conv2d_no_bias_tanh", Conv2D, (2, 4, 4, 3), 2, 3, use_bias=False, activation="tanh",
              act=np.tanh, padding="same"),
    # Conv1D: valid, same with strides, causal with dilation
    _conv_row("conv1d_valid", Conv1D, (2, 7, 2), 3, 3),
    _conv_row("conv1d_same_strides", Conv1D, (2, 9, 3), 2, 4, strides=2, padding="same"),
    _conv_row("conv1d_causal_dilated", Conv1D, (2, 8, 2), 2, 3, padding="causal", dilation_rate=2),
    # pooling: default windows, 'same' with overlapping windows, uneven sizes
    _pool_row("max_pool2d", MaxPooling2D, (2, 4, 4, 3), "max"),
    _pool_row("max_pool2d_same", MaxPooling2D, (2, 5, 5, 2), "max", pool=3, strides=2, padding="same"),
    _pool_row("avg_pool2d", AveragePooling2D, (2, 4, 5, 2), "avg"),
    _pool_row("avg_pool2d_same", AveragePooling2D, (1, 5, 4, 2), "avg", pool=(3, 2), strides=(2, 1),
              padding="same"),
    _pool_row("max_pool1d", MaxPooling1D, (2, 7, 3), "max"),
    _pool_row("max_pool1d_same", MaxPooling1D, (2, 7, 2), "max", pool=3, strides=2, padding="same"),
    _pool_row("avg_pool1d", AveragePooling1D, (2, 6, 2), "avg", pool=3, strides=1),
    _pool_row("avg_pool1d_same", AveragePooling1D, (2, 5, 2), "avg", padding="same"),
    LayerRow("global_avg_pool2d", _plain(GlobalAveragePooling2D), (2, 3, 4, 2), lambda x, _: x.mean(axis=(1, 2))),
    LayerRow("global_avg_pool2d_keepdims", _plain(GlobalAveragePooling2D, keepdims=True), (2, 3, 4, 2),
             lambda x, _: x.mean(axis=(1, 2), keepdims=True)),
    LayerRow("global_max_pool2d", _plain(GlobalMaxPooling2D), (2, 3, 4, 2), lambda x, _: x.max(axis=(1, 2)),
             distinct),
    LayerRow("global_avg_pool1d", _plain(GlobalAveragePooling1D), (2, 5, 3), lambda x, _: x.mean(axis=1)),
    LayerRow("global_max_pool1d_keepdims", _plain(GlobalMaxPooling1D, keepdims=True), (2, 5, 3),
             lambda x, _: x.max(axis=1, keepdims=True), distinct),
    # reshaping
    LayerRow("flatten_4d", _plain(Flatten), (2, 3, 4, 2), lambda x, _: x.reshape(2, -1)),
    LayerRow("flatten_2d", _plain(Flatten), (3, 4), lambda x, _: x),
    LayerRow("reshape_inferred", _plain(Reshape, (3, -1)), (2, 12), lambda x, _: x.reshape(2, 3, 4)),
    LayerRow("reshape_3d", _plain(Reshape, (4, 3, 1)), (2, 3, 4), lambda x, _: x.reshape(2, 4, 3, 1)),
    LayerRow("zero_padding_int", _plain(ZeroPadding2D, 1), (2, 3, 2, 2),
             lambda x, _: np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))),
    LayerRow("zero_padding_pairs", _plain(ZeroPadding2D, ((1, 0), (2, 3))), (1, 2, 3, 2),
             lambda x, _: np.pad(x, ((0, 0), (1, 0), (2, 3), (0, 0)))),
    LayerRow("upsampling_2", _plain(UpSampling2D), (2, 2, 3, 2),
             lambda x, _: np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)),
    LayerRow("upsampling_2_3", _plain(UpSampling2D, (2, 3)), (1, 3, 2, 2),
             lambda x, _: np.repeat(np.repeat(x, 2, axis=1), 3, axis=2)),
    # Dropout: the identity at inference; in training a re-seeded mask (forward tested below)
    LayerRow("dropout_inference", _plain(Dropout, 0.5, seed=1), (3, 4), lambda x, _: x),
    LayerRow("dropout_training", _plain(Dropout, 0.4, seed=3), (4, 5), None, training=True, reset=_reseed(3)),
    LayerRow("dropout_noise_shape", _plain(Dropout, 0.5, noise_shape=(None, 1, 3), seed=4), (3, 4, 3), None,
             training=True, reset=_reseed(4)),
    # BatchNormalization: training (batch statistics) on 2-D, 4-D and a middle axis; inference
    LayerRow("batch_norm_train_2d", _bn, (6, 3), _bn_expected(), n_trainable=2, training=True),
    LayerRow("batch_norm_train_4d", _bn, (4, 3, 3, 2), _bn_expected(), n_trainable=2, training=True),
    LayerRow("batch_norm_train_axis1", lambda dtype=None: _bn(dtype, axis=1), (4, 3, 5), _bn_expected(axis=1),
             n_trainable=2, training=True),
    LayerRow("batch_norm_train_plain", lambda dtype=None: _bn(dtype, center=False, scale=False, epsilon=1e-2),
             (5, 2), _bn_expected(epsilon=1e-2), training=True),
    LayerRow("batch_norm_inference", _bn_inference, (4, 3), _bn_expected(training=False), n_trainable=2),
    LayerRow("batch_norm_inference_axis1", lambda dtype=None: _bn(dtype, axis=1, moving_mean_initializer=_seeded(9)),
             (2, 3, 4), _bn_expected(axis=1, training=False), n_trainable=2),
    # LayerNormalization: last axis, two axes, without gamma/beta
    LayerRow("layer_norm", _ln, (4, 5), _ln_expected((1,)), n_trainable=2),
    LayerRow("layer_norm_axes_1_2", lambda dtype=None: _ln(dtype, axis=(1, 2)), (2, 3, 4), _ln_expected((1, 2)),
             n_trainable=2),
    LayerRow("layer_norm_plain", lambda dtype=None: _ln(dtype, center=False, scale=False), (3, 4),
             _ln_expected((1,)), training=True),
    # Embedding: indices in, rows out (an index repeats, so the gradient must add up)
    LayerRow("embedding", lambda dtype=None: Embedding(5, 4, embeddings_initializer=_seeded(10), dtype=dtype),
             (3, 4), lambda x, layer: _weights(layer)[0][x], _indices(5), n_trainable=1, input_grad=False),
]

FORWARD_ROWS = [row for row in ROWS if row.expected is not None]


def test_row_ids_are_unique():
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("row", FORWARD_ROWS, ids=lambda row: row.id)
def test_forward_matches_numpy_in_float64(row):
    layer = row.make(dtype="float64")
    x = row.draw()
    y = row.call(layer, x)
    assert isinstance(y, gn.Tensor) and y.dtype == np.float64
    np.testing.assert_allclose(y.numpy(), row.expected(x, layer), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("row", FORWARD_ROWS, ids=lambda row: row.id)
def test_float32_layer_matches_numpy_loosely(row):
    layer = row.make()
    x = row.draw()
    y = row.call(layer, x)
    assert y.dtype == np.float32 and all(w.dtype == np.float32 for w in layer.weights)
    np.testing.assert_allclose(y.numpy(), row.expected(x, layer), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_gradient_wrt_input_and_each_trainable_weight(row):
    layer = row.make(dtype="float64")
    x = row.draw()
    row.call(layer, x)  # build
    assert len(layer.trainable_weights) == row.n_trainable
    if row.input_grad:
        result = check_grad(lambda t: row.call(layer, t), [x], params=layer.trainable_weights, name=row.id)
    else:
        result = check_grad(lambda: row.call(layer, x), [], params=layer.trainable_weights, name=row.id)
    assert len(result.per_input) == int(row.input_grad) + row.n_trainable


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_config_round_trip_gives_an_equivalent_layer(row):
    layer = row.make()
    x = row.draw()
    y = row.call(layer, x).numpy()
    config = layer.get_config()
    assert {"name", "trainable", "dtype"} <= set(config)
    clone = type(layer).from_config(config)
    assert type(clone) is type(layer) and clone.get_config() == config
    clone.build_from_shape(x.shape)
    clone.set_weights(layer.get_weights())  # a config holds no weights
    np.testing.assert_array_equal(row.call(clone, x).numpy(), y)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_compute_output_shape_and_symbolic_output(row):
    layer = row.make()
    x = row.draw()
    y = row.call(layer, x)
    assert tuple(layer.compute_output_shape(x.shape)) == tuple(y.shape)
    assert tuple(layer.compute_output_shape((None,) + x.shape[1:])) == (None,) + tuple(y.shape[1:])
    assert layer.output.shape.as_list() == [None, *y.shape[1:]]


# ----- output shapes: Keras's numbers, and unknown sizes ----------------------------------

SHAPES = [
    # (layer, input shape, Keras's output shape)
    (lambda: Conv2D(32, 3), (None, 28, 28, 1), (None, 26, 26, 32)),
    (lambda: Conv2D(8, 3, padding="same"), (None, 28, 28, 3), (None, 28, 28, 8)),
    (lambda: Conv2D(8, 3, strides=2), (None, 28, 28, 3), (None, 13, 13, 8)),
    (lambda: Conv2D(8, 3, strides=2, padding="same"), (None, 28, 27, 3), (None, 14, 14, 8)),
    (lambda: Conv2D(4, (5, 3), dilation_rate=2), (None, 20, 20, 1), (None, 12, 16, 4)),
    (lambda: Conv2D(4, 3, strides=(1, 3)), (None, 10, 10, 2), (None, 8, 3, 4)),
    (lambda: Conv2D(4, 3, padding="same"), (None, None, None, 2), (None, None, None, 4)),
    (lambda: Conv1D(16, 5), (None, 100, 8), (None, 96, 16)),
    (lambda: Conv1D(16, 5, strides=3, padding="same"), (None, 100, 8), (None, 34, 16)),
    (lambda: Conv1D(16, 3, padding="causal", dilation_rate=4), (None, 100, 8), (None, 100, 16)),
    (lambda: Conv1D(2, 3), (None, None, 8), (None, None, 2)),
    (lambda: MaxPooling2D(), (None, 26, 26, 32), (None, 13, 13, 32)),
    (lambda: MaxPooling2D(2), (None, 11, 11, 64), (None, 5, 5, 64)),
    (lambda: MaxPooling2D(3, strides=2), (None, 7, 7, 1), (None, 3, 3, 1)),
    (lambda: AveragePooling2D(3, strides=2, padding="same"), (None, 7, 8, 1), (None, 4, 4, 1)),
    (lambda: AveragePooling2D((2, 3)), (None, 6, 6, 2), (None, 3, 2, 2)),
    (lambda: MaxPooling1D(), (None, 9, 4), (None, 4, 4)),
    (lambda: AveragePooling1D(3, strides=1, padding="same"), (None, 9, 4), (None, 9, 4)),
    (lambda: GlobalAveragePooling2D(), (None, 5, 5, 64), (None, 64)),
    (lambda: GlobalMaxPooling2D(keepdims=True), (None, 5, 5, 64), (None, 1, 1, 64)),
    (lambda: GlobalMaxPooling1D(), (None, None, 7), (None, 7)),
    (lambda: Flatten(), (None, 5, 5, 64), (None, 1600)),
    (lambda: Flatten(), (None, 7), (None, 7)),
    (lambda: Flatten(), (None, None, 3), (None, None)),
    (lambda: Reshape((2, -1)), (None, 3, 4), (None, 2, 6)),
    (lambda: Reshape((-1, 3)), (None, None, 3), (None, None, 3)),
    (lambda: ZeroPadding2D(), (None, 28, 28, 1), (None, 30, 30, 1)),
    (lambda: ZeroPadding2D((1, 2)), (None, 4, 4, 1), (None, 6, 8, 1)),
    (lambda: ZeroPadding2D(((0, 1), (2, 0))), (None, None, 4, 1), (None, None, 6, 1)),
    (lambda: UpSampling2D(), (None, 7, 7, 3), (None, 14, 14, 3)),
    (lambda: UpSampling2D((3, 1)), (None, 2, 5, 3), (None, 6, 5, 3)),
    (lambda: Dropout(0.5), (None, 10), (None, 10)),
    (lambda: BatchNormalization(), (None, 5, 5, 3), (None, 5, 5, 3)),
    (lambda: LayerNormalization(), (None, 6), (None, 6)),
    (lambda: Embedding(100, 8), (None, 12), (None, 12, 8)),
    (lambda: Embedding(100, 8, input_length=5), (None, None), (None, None, 8)),
]


@pytest.mark.parametrize("make, input_shape, expected", SHAPES,
                         ids=[f"{i}-{row[2]}" for i, row in enumerate(SHAPES)])
def test_output_shapes_follow_keras(make, input_shape, expected):
    layer = make()
    assert layer.compute_output_shape(input_shape) == expected
    if None not in input_shape[1:]:  # the computed tensor agrees
        x = np.random.default_rng(0).integers(0, 5, (2,) + input_shape[1:]).astype(np.float32)
        assert tuple(layer(x).shape) == (2,) + expected[1:]


# ----- construction: defaults and validation ------------------------------------------------

# (the automatic name's base, make, expected attributes)
DEFAULTS = [
    ("conv2d", lambda: Conv2D(4, 3), dict(filters=4, kernel_size=(3, 3), strides=(1, 1), padding="valid",
                                          dilation_rate=(1, 1), data_format="channels_last", use_bias=True,
                                          activation=gn.activations.linear, kernel_regularizer=None)),
    ("conv1d", lambda: Conv1D(4, 5), dict(filters=4, kernel_size=(5,), strides=(1,), padding="valid",
                                          dilation_rate=(1,), use_bias=True)),
    ("max_pooling2d", MaxPooling2D, dict(pool_size=(2, 2), strides=(2, 2), padding="valid")),
    ("average_pooling2d", lambda: AveragePooling2D(3), dict(pool_size=(3, 3), strides=(3, 3))),
    ("max_pooling1d", MaxPooling1D, dict(pool_size=(2,), strides=(2,), padding="valid")),
    ("average_pooling1d", lambda: AveragePooling1D(strides=1), dict(pool_size=(2,), strides=(1,))),
    ("global_average_pooling2d", GlobalAveragePooling2D, dict(keepdims=False, data_format="channels_last")),
    ("global_max_pooling1d", GlobalMaxPooling1D, dict(keepdims=False)),
    ("flatten", Flatten, dict(data_format="channels_last")),
    ("reshape", lambda: Reshape([2, -1]), dict(target_shape=(2, -1))),
    ("zero_padding2d", ZeroPadding2D, dict(padding=((1, 1), (1, 1)))),
    ("up_sampling2d", UpSampling2D, dict(size=(2, 2), interpolation="nearest")),
    ("dropout", lambda: Dropout(0.3), dict(rate=0.3, noise_shape=None, seed=None, generator=None)),
    ("batch_normalization", BatchNormalization, dict(axis=-1, momentum=0.99, epsilon=1e-3, center=True,
                                                     scale=True, gamma=None, moving_mean=None)),
    ("layer_normalization", LayerNormalization, dict(axis=-1, epsilon=1e-3, center=True, scale=True)),
    ("embedding", lambda: Embedding(10, 3), dict(input_dim=10, output_dim=3, input_length=None, embeddings=None)),
]


@pytest.mark.parametrize("base, make, expected", DEFAULTS, ids=[row[0] for row in DEFAULTS])
def test_construction_defaults(base, make, expected):
    layer = make()
    assert (layer.built, layer.trainable, layer.dtype, layer.weights) == (False, True, "float32", [])
    for attribute, value in expected.items():
        assert getattr(layer, attribute) == value, attribute


# Keras splits only a lower-case letter from a capital: 'conv2d', 'max_pooling2d', 're_lu'.
@pytest.mark.parametrize("base, make", [pytest.param(*row[:2], id=row[0]) for row in DEFAULTS])
def test_automatic_names_are_keras_snake_case(base, make):
    names = [make().name for _ in range(2)]
    assert all(re.fullmatch(rf"{base}(_\d+)?", name) for name in names), names


def test_default_initializers_are_keras():
    conv = Conv2D(2, 3)
    assert isinstance(conv.kernel_initializer, initializers.GlorotUniform)
    assert isinstance(conv.bias_initializer, initializers.Zeros)
    bn = BatchNormalization()
    assert [type(i) for i in (bn.gamma_initializer, bn.beta_initializer, bn.moving_mean_initializer,
                              bn.moving_variance_initializer)] == [initializers.Ones, initializers.Zeros,
                                                                   initializers.Zeros, initializers.Ones]
    embedding = Embedding(10, 3)  # Keras's 'uniform': RandomUniform(-0.05, 0.05)
    assert isinstance(embedding.embeddings_initializer, initializers.RandomUniform)
    assert (embedding.embeddings_initializer.minval, embedding.embeddings_initializer.maxval) == (-0.05, 0.05)
    gn.random.set_seed(0)
    embedding.build_from_shape((1, 1))
    table = embedding.get_weights()[0]
    assert np.abs(table).max() <= 0.05 and table.std() > 0.02


INVALID = [
    ("conv_zero_filters", lambda: Conv2D(0, 3), ValueError, "Received: filters=0"),
    ("conv_float_filters", lambda: Conv2D(2.5, 3), ValueError, "Received: filters=2.5"),
    ("conv_zero_kernel", lambda: Conv2D(2, (0, 3)), ValueError, r"Received: kernel_size=\(0, 3\)"),
    ("conv_kernel_length", lambda: Conv2D(2, (3, 3, 3)), ValueError, r"tuple of 2 integers.*kernel_size=\(3, 3, 3\)"),
    ("conv_negative_strides", lambda: Conv1D(2, 3, strides=-1), ValueError, "Received: strides=-1"),
    ("conv_bad_padding", lambda: Conv2D(2, 3, padding="full"), ValueError, "Received: padding='full'"),
    ("conv2d_causal", lambda: Conv2D(2, 3, padding="causal"), ValueError, "Received: padding='causal'"),
    ("conv_strides_and_dilation", lambda: Conv2D(2, 3, strides=2, dilation_rate=2), ValueError,
     r"strides=\(2, 2\) and dilation_rate=\(2, 2\)"),
    ("conv_channels_first", lambda: Conv2D(2, 3, data_format="channels_first"), ValueError,
     "only data_format='channels_last'"),
    ("conv_unknown_format", lambda: Conv1D(2, 3, data_format="nhwc"), ValueError, "Received: data_format='nhwc'"),
    ("conv_unknown_activation", lambda: Conv2D(2, 3, activation="nope"), ValueError, "nope"),
    ("conv_unknown_kwarg", lambda: Conv2D(2, 3, groups=2), TypeError, "groups"),
    ("pool_zero", lambda: MaxPooling2D(0), ValueError, "Received: pool_size=0"),
    ("pool_strides_length", lambda: AveragePooling2D(2, strides=(1, 2, 3)), ValueError,
     r"Received: strides=\(1, 2, 3\)"),
    ("pool_padding", lambda: MaxPooling1D(padding="causal"), ValueError, "Received: padding='causal'"),
    ("pool_channels_first", lambda: GlobalAveragePooling2D(data_format="channels_first"), ValueError,
     "channels_last"),
    ("reshape_two_unknowns", lambda: Reshape((-1, -1)), ValueError, r"Received: target_shape=\(-1, -1\)"),
    ("reshape_zero", lambda: Reshape((0, 3)), ValueError, r"Received: target_shape=\(0, 3\)"),
    ("reshape_not_a_shape", lambda: Reshape("ab"), ValueError, "Received: target_shape='ab'"),
    ("zero_padding_negative", lambda: ZeroPadding2D(-1), ValueError, "Received: padding=-1"),
    ("zero_padding_three", lambda: ZeroPadding2D((1, 2, 3)), ValueError, r"Received: padding=\(1, 2, 3\)"),
    ("zero_padding_mixed", lambda: ZeroPadding2D(((1, 2), 3)), ValueError, r"Received: padding=\(\(1, 2\), 3\)"),
    ("upsampling_zero", lambda: UpSampling2D(0), ValueError, "Received: size=0"),
    ("upsampling_bilinear", lambda: UpSampling2D(interpolation="bilinear"), ValueError,
     "Received: interpolation='bilinear'"),
    ("dropout_rate_one", lambda: Dropout(1.0), ValueError, r"Received: rate=1.0"),
    ("dropout_negative", lambda: Dropout(-0.1), ValueError, r"Received: rate=-0.1"),
    ("dropout_string", lambda: Dropout("0.5"), ValueError, "Received: rate='0.5'"),
    ("dropout_noise_shape", lambda: Dropout(0.5, noise_shape=(None, 0)), ValueError,
     r"Received: noise_shape=\(None, 0\)"),
    ("dropout_seed", lambda: Dropout(0.5, seed=1.5), ValueError, "Received: seed=1.5"),
    ("batch_norm_axis_list", lambda: BatchNormalization(axis=[1, 2]), ValueError, r"Received: axis=\[1, 2\]"),
    ("batch_norm_momentum", lambda: BatchNormalization(momentum=1.5), ValueError, "Received: momentum=1.5"),
    ("batch_norm_epsilon", lambda: BatchNormalization(epsilon=-1e-3), ValueError, "Received: epsilon=-0.001"),
    ("layer_norm_axis", lambda: LayerNormalization(axis=()), ValueError, r"Received: axis=\(\)"),
    ("layer_norm_epsilon", lambda: LayerNormalization(epsilon=None), ValueError, "Received: epsilon=None"),
    ("embedding_zero_input_dim", lambda: Embedding(0, 3), ValueError, "Received: input_dim=0"),
    ("embedding_float_output_dim", lambda: Embedding(5, 2.0), ValueError, "Received: output_dim=2.0"),
    ("embedding_input_length", lambda: Embedding(5, 2, input_length=0), ValueError, "Received: input_length=0"),
]


@pytest.mark.parametrize("make, error, message", [row[1:] for row in INVALID], ids=[row[0] for row in INVALID])
def test_invalid_arguments_fail_at_construction(make, error, message):
    with pytest.raises(error, match=message):
        make()


BAD_INPUTS = [
    ("conv2d_rank", lambda: Conv2D(2, 3), (2, 5, 5), r"expected ndim=4.*found ndim=3"),
    ("conv1d_rank", lambda: Conv1D(2, 3), (2, 5, 5, 1), r"expected ndim=3.*found ndim=4"),
    ("conv_kernel_too_large", lambda: Conv2D(2, 5), (1, 3, 8, 1), "does not fit"),
    ("pool_too_large", lambda: MaxPooling2D(4), (1, 3, 8, 1), "does not fit"),
    ("global_pool_rank", lambda: GlobalAveragePooling2D(), (2, 5, 3), "expected ndim=4"),
    ("reshape_size", lambda: Reshape((5,)), (2, 3, 2), r"samples of shape \(3, 2\) \(6 values\)"),
    ("reshape_indivisible", lambda: Reshape((4, -1)), (2, 6), r"samples of shape \(6,\)"),
    ("zero_padding_rank", lambda: ZeroPadding2D(), (2, 3), "expected ndim=4"),
    ("batch_norm_axis_range", lambda: BatchNormalization(axis=3), (2, 3), "axis 3 is out of range"),
]


@pytest.mark.parametrize("make, shape, message", [row[1:] for row in BAD_INPUTS], ids=[row[0] for row in BAD_INPUTS])
def test_incompatible_inputs_name_the_layer(make, shape, message):
    layer = make()
    with pytest.raises(ValueError, match=message):
        layer(np.zeros(shape))


def test_built_layers_reject_inputs_of_another_channel_count():
    conv, bn = Conv2D(2, 3, name="c"), BatchNormalization(axis=1, name="bn")
    conv(np.zeros((1, 5, 5, 3)))
    bn(np.zeros((2, 4, 5)))
    with pytest.raises(ValueError, match=r'"c".*value 3.*\(1, 5, 5, 4\)'):
        conv(np.zeros((1, 5, 5, 4)))
    with pytest.raises(ValueError, match=r'"bn".*\(2, 5, 5\)'):
        bn(np.zeros((2, 5, 5)))


# ----- weights and parameter counts ------------------------------------------------------------


def test_conv_weights_have_keras_shapes_and_names():
    conv = Conv2D(32, 3, name="c1")
    conv(np.zeros((1, 28, 28, 1)))
    assert [(w.name, tuple(w.shape)) for w in conv.weights] == [("c1/kernel:0", (3, 3, 1, 32)), ("c1/bias:0", (32,))]
    assert conv.count_params() == 320
    conv1 = Conv1D(4, 5, use_bias=False)
    conv1(np.zeros((1, 10, 3)))
    assert [tuple(w.shape) for w in conv1.weights] == [(5, 3, 4)] and conv1.count_params() == 60


def test_batch_norm_has_trainable_scale_and_non_trainable_statistics():
    bn = BatchNormalization(name="bn")
    bn(np.zeros((2, 4, 4, 32)))
    assert [w.name for w in bn.trainable_weights] == ["bn/gamma:0", "bn/beta:0"]
    assert [w.name for w in bn.non_trainable_weights] == ["bn/moving_mean:0", "bn/moving_variance:0"]
    assert bn.count_params() == 128
    assert sum(w.data.size for w in bn.non_trainable_weights) == 64
    plain = BatchNormalization(center=False, scale=False)
    plain(np.zeros((2, 3)))
    assert plain.trainable_weights == [] and plain.count_params() == 6


def test_regularizers_add_losses():
    conv = Conv2D(2, 3, kernel_regularizer="l2", bias_regularizer=gn.regularizers.L1(0.5))
    conv(np.zeros((1, 4, 4, 1)))
    assert len(conv.losses) == 2
    embedding = Embedding(4, 2, embeddings_regularizer=gn.regularizers.L2(0.1))
    embedding([0])
    table = embedding.get_weights()[0]
    np.testing.assert_allclose(float(embedding.losses[0]), 0.1 * np.sum(table.astype(np.float64) ** 2), rtol=1e-5)


# ----- BatchNormalization: moving statistics, training vs inference ---------------------------


def test_batch_norm_moving_statistics_follow_keras_formula():
    bn = BatchNormalization(momentum=0.9, dtype="float64")
    rng = np.random.default_rng(0)
    mean, variance = np.zeros(3), np.ones(3)
    for step in range(3):
        x = rng.normal([1.0, -2.0, 5.0], [0.5, 2.0, 3.0], size=(8, 3))
        bn(x, training=True)
        # Keras 3: moving = moving * momentum + batch * (1 - momentum), with the biased variance
        mean = mean * 0.9 + x.mean(axis=0) * 0.1
        variance = variance * 0.9 + x.var(axis=0) * 0.1
    np.testing.assert_allclose(bn.moving_mean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(bn.moving_variance.numpy(), variance, rtol=1e-12)


def test_batch_norm_statistics_per_channel_over_batch_and_space():
    bn = BatchNormalization(momentum=0.0, dtype="float64")  # momentum 0: the moving stats become the batch's
    x = np.random.default_rng(1).normal(size=(4, 3, 3, 2))
    bn(x, training=True)
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(axis=(0, 1, 2)), rtol=1e-12)
    np.testing.assert_allclose(bn.moving_variance.numpy(), x.var(axis=(0, 1, 2)), rtol=1e-12)


def test_batch_norm_inference_uses_moving_statistics_and_changes_nothing():
    bn = BatchNormalization(dtype="float64")
    x = np.random.default_rng(2).normal(3.0, 2.0, size=(16, 2))
    np.testing.assert_allclose(bn(x).numpy(), x / np.sqrt(1 + 1e-3), rtol=1e-12)  # mean 0, variance 1
    assert bn.moving_mean.numpy().tolist() == [0.0, 0.0]  # inference never moves the statistics
    trained = bn(x, training=True).numpy()
    np.testing.assert_allclose(trained.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(trained.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-3), rtol=1e-12)
    assert not np.allclose(bn(x).numpy(), trained)


def test_frozen_batch_norm_runs_in_inference_mode_even_when_training():
    bn = BatchNormalization(dtype="float64")
    x = np.random.default_rng(3).normal(3.0, 2.0, size=(8, 2))
    bn(x)
    bn.trainable = False
    np.testing.assert_allclose(bn(x, training=True).numpy(), bn(x).numpy())
    assert bn.moving_mean.numpy().tolist() == [0.0, 0.0]
    assert bn.trainable_weights == [] and len(bn.non_trainable_weights) == 4


def test_fit_moves_batch_norm_statistics_and_predict_uses_them():
    gn.random.set_seed(0)
    model = Sequential([Input(shape=(2,)), BatchNormalization(momentum=0.5), Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    x = np.random.default_rng(4).normal([10.0, -5.0], [2.0, 0.5], size=(64, 2)).astype(np.float32)
    model.fit(x, np.zeros(64), batch_size=64, epochs=5, verbose=0, shuffle=False)
    bn = model.layers[0]
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(axis=0) * (1 - 0.5 ** 5), rtol=1e-4)
    expected = (x - bn.moving_mean.numpy()) / np.sqrt(bn.moving_variance.numpy() + 1e-3) * bn.gamma.numpy()
    expected = (expected + bn.beta.numpy()) @ model.layers[1].kernel.numpy() + model.layers[1].bias.numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-4, atol=1e-4)


# ----- Dropout: inference, training, seeds ------------------------------------------------------


def test_dropout_is_the_identity_at_inference():
    layer = Dropout(0.5)
    x = gn.tensor(np.ones((4, 5), dtype=np.float32))
    assert layer(x) is x and layer(x, training=False) is x
    assert Dropout(0.0)(x, training=True) is x


def test_dropout_in_training_zeroes_about_rate_and_scales_the_rest():
    layer = Dropout(0.25, seed=0)
    x = np.random.default_rng(0).uniform(1.0, 2.0, size=(200, 50))
    y = layer(x, training=True).numpy().astype(np.float64)
    dropped = y == 0
    assert abs(dropped.mean() - 0.25) < 0.02  # 10,000 draws: the standard error is 0.004
    np.testing.assert_allclose(y[~dropped], x[~dropped] / 0.75, rtol=1e-6)


def test_dropout_with_a_seed_repeats_its_sequence_of_masks():
    x = np.ones((6, 6))
    first, second = Dropout(0.5, seed=7), Dropout(0.5, seed=7)
    masks = [first(x, training=True).numpy() for _ in range(2)]
    assert not np.array_equal(masks[0], masks[1])  # a new mask each call ...
    for mask in masks:  # ... and the same sequence for the same seed
        np.testing.assert_array_equal(second(x, training=True).numpy(), mask)


def test_dropout_without_a_seed_follows_the_global_seed():
    x = np.ones((6, 6))
    layer = Dropout(0.5)
    gn.random.set_seed(11)
    a = layer(x, training=True).numpy()
    gn.random.set_seed(11)
    np.testing.assert_array_equal(Dropout(0.5)(x, training=True).numpy(), a)


def test_dropout_noise_shape_shares_the_mask_along_size_one_axes():
    y = Dropout(0.5, noise_shape=(None, 1, 4), seed=2)(np.ones((3, 5, 4)), training=True).numpy()
    assert np.all(y == y[:, :1, :])  # the same features dropped at every step
    assert set(np.unique(y)) <= {0.0, 2.0}
    with pytest.raises(ValueError, match="noise_shape"):
        Dropout(0.5, noise_shape=(None, 2, 4))(np.ones((3, 5, 4)), training=True)


def test_dropout_gradient_is_the_mask():
    layer = Dropout(0.5, seed=3, dtype="float64")
    x = gn.tensor(np.random.default_rng(0).normal(size=(4, 6)), dtype="float64", requires_grad=True)
    y = layer(x, training=True)
    gn.sum(y).backward()
    np.testing.assert_allclose(x.grad.numpy(), (y.numpy() != 0) * 2.0)


# ----- Embedding: indices ----------------------------------------------------------------------


def test_embedding_gathers_rows_and_scatters_gradients_back():
    layer = Embedding(4, 2, dtype="float64")
    out = layer(np.array([[0, 2, 2], [3, 2, 0]]))
    table = layer.embeddings.numpy()
    np.testing.assert_array_equal(out.numpy(), table[[[0, 2, 2], [3, 2, 0]]])
    gn.sum(out).backward()
    np.testing.assert_array_equal(layer.embeddings.grad.numpy(), [[2, 2], [0, 0], [3, 3], [1, 1]])


def test_embedding_accepts_whole_floats_and_rejects_bad_indices():
    layer = Embedding(5, 3)
    np.testing.assert_array_equal(layer(np.array([[1.0, 4.0]], dtype=np.float32)).numpy(),
                                  layer(np.array([[1, 4]])).numpy())
    with pytest.raises(IndexError, match=r"\[0, input_dim=5\).*e\.g\. 5"):
        layer(np.array([[1, 5]]))
    with pytest.raises(IndexError, match=r"e\.g\. -1"):
        layer(np.array([-1]))
    with pytest.raises(TypeError, match="fractional"):
        layer(np.array([0.5]))
    with pytest.raises(TypeError, match="integer indices"):
        layer(np.array([True]))


def test_embedding_trains_in_a_model():
    gn.random.set_seed(0)
    model = Sequential([Input(shape=(3,)), Embedding(6, 4), GlobalAveragePooling1D(), Dense(1)])
    model.compile(loss="mse", optimizer=gn.keras.optimizers.Adam(0.05))
    x = np.random.default_rng(0).integers(0, 6, size=(32, 3))
    y = (x == 5).sum(axis=1).astype(np.float32)
    history = model.fit(x, y, epochs=20, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


# ----- Sequential CNNs: summary() and counts ---------------------------------------------------


def _row(name, cls, shape, params):
    # Keras 2's layout: columns end at 29, 55 and 65
    return f" {name} ({cls})".ljust(29) + shape.ljust(26) + str(params).ljust(10)


def test_cnn_summary_matches_keras():
    model = Sequential([
        Input(shape=(28, 28, 1)),
        Conv2D(32, (3, 3), activation="relu", name="conv_1"),
        MaxPooling2D((2, 2), name="pool_1"),
        Conv2D(64, (3, 3), activation="relu", name="conv_2"),
        MaxPooling2D((2, 2), name="pool_2"),
        Flatten(name="flatten"),
        Dense(10, name="logits"),
    ], name="cnn")
    lines = summary_lines(model)
    assert lines[4::2][:6] == [
        _row("conv_1", "Conv2D", "(None, 26, 26, 32)", 320),
        _row("pool_1", "MaxPooling2D", "(None, 13, 13, 32)", 0),
        _row("conv_2", "Conv2D", "(None, 11, 11, 64)", 18496),
        _row("pool_2", "MaxPooling2D", "(None, 5, 5, 64)", 0),
        _row("flatten", "Flatten", "(None, 1600)", 0),
        _row("logits", "Dense", "(None, 10)", 16010),
    ]
    assert lines[4] == " conv_1 (Conv2D)             (None, 26, 26, 32)        320       "
    assert lines[-4:-1] == ["Total params: 34,826", "Trainable params: 34,826", "Non-trainable params: 0"]
    assert model.count_params() == 34826
    assert model.predict(np.zeros((3, 28, 28, 1))).shape == (3, 10)


def test_cnn_with_batch_norm_and_dropout_summary_counts_non_trainable():
    model = Sequential([
        Input(shape=(28, 28, 1)),
        Conv2D(32, 3, name="conv"),
        BatchNormalization(name="bn"),
        MaxPooling2D(name="pool"),
        Dropout(0.25, name="drop"),
        Flatten(name="flat"),
        Dense(10, name="out"),
    ], name="cnn_bn")
    lines = summary_lines(model)
    assert lines[4::2][:6] == [
        _row("conv", "Conv2D", "(None, 26, 26, 32)", 320),
        _row("bn", "BatchNormalization", "(None, 26, 26, 32)", 128),
        _row("pool", "MaxPooling2D", "(None, 13, 13, 32)", 0),
        _row("drop", "Dropout", "(None, 13, 13, 32)", 0),
        _row("flat", "Flatten", "(None, 5408)", 0),
        _row("out", "Dense", "(None, 10)", 54090),
    ]
    assert lines[-4:-1] == ["Total params: 54,538", "Trainable params: 54,474", "Non-trainable params: 64"]


# ----- the training flag: fit trains, everything else infers ----------------------------------


class _Spy(Layer):
    """Records the ``training`` flag of every call."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.flags = []

    def call(self, inputs, training=False):
        self.flags.append(training)
        return inputs


def test_fit_calls_layers_with_training_true_and_the_rest_with_false():
    spy = _Spy()
    model = Sequential([Input(shape=(4, 4, 1)), Conv2D(2, 3), spy, Flatten(), Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    x, y = np.random.default_rng(0).normal(size=(8, 4, 4, 1)), np.zeros(8)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert spy.flags.count(True) == 2 and set(spy.flags) == {True, False}  # 2 steps; a False probe of metrics
    for run in (lambda: model.predict(x), lambda: model.evaluate(x, y, verbose=0), lambda: model(x)):
        spy.flags.clear()
        run()
        assert spy.flags and set(spy.flags) == {False}


def test_model_gradient_check_passes_through_dropout_and_batch_norm():
    gn.random.set_seed(1)
    model = Sequential([Input(shape=(5, 5, 1)), Conv2D(2, 3, activation="tanh"), BatchNormalization(),
                        Dropout(0.3), Flatten(), Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    x, y = np.random.default_rng(0).normal(size=(4, 5, 5, 1)), np.ones(4)
    report = check_model_gradients(model, x, y, print_fn=None)
    assert report.ok, str(report)
