"""Layers: Keras's contract (defaults, validation, names, weights, config) and their math.

One table (``ROWS``) holds every layer configuration; each row runs forward against a
NumPy formula written here (float64), forward in float32 for float64 input, through
``check_grad`` with respect to its input and every trainable weight, through a
``get_config``/``from_config`` round trip and ``compute_output_shape``. Further tables
cover construction defaults, invalid arguments and automatic names; the rest are the
Dense and Normalization specifics the course relies on (COURSE_API items 4, 7, 23, 24, 30, 31).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import glassnet as gn
from glassnet import activations, initializers, regularizers
from glassnet.layers import Activation, Dense, LeakyReLU, Normalization, ReLU, Softmax
from glassnet.testing import check_grad
from gradrows import away_from_zero, normal

# ----- NumPy references, written independently of glassnet ----------------------------


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _dense(act=lambda z: z):
    def expected(x, layer):
        weights = layer.get_weights()
        z = x @ weights[0].astype(np.float64)
        if len(weights) == 2:
            z = z + weights[1]
        return act(z)

    return expected


def _relu(max_value=None, negative_slope=0.0, threshold=0.0):
    def expected(x, layer):
        y = np.where(x >= threshold, x, negative_slope * (x - threshold))
        return y if max_value is None else np.minimum(y, max_value)

    return expected


def away_from(*kinks, gap=0.05):
    """Uniform in [-2, 2], redrawn within ``gap`` of any kink (no finite difference straddles one)."""

    def draw(rng, shape):
        x = rng.uniform(-2.0, 2.0, shape)
        near = np.zeros(shape, dtype=bool)
        for _ in range(100):
            near = np.any([np.abs(x - k) < gap for k in kinks], axis=0)
            if not near.any():
                return x
            x[near] = rng.uniform(-2.0, 2.0, int(near.sum()))
        raise AssertionError("could not draw points away from the kinks")

    return draw


# Data the Normalization rows adapt to: features with different offsets and scales.
_ADAPT_2D = np.random.default_rng(7).normal([5.0, -3.0, 0.0], [2.0, 0.5, 10.0], size=(50, 3))
_ADAPT_3D = np.random.default_rng(8).normal(1.0, 3.0, size=(20, 2, 3))


def _adapted(data, **kwargs):
    def make(dtype=None):
        layer = Normalization(dtype=dtype, **kwargs)
        layer.adapt(data)
        return layer

    return make


def _seeded(seed):
    """Deterministic non-zero weights, so gradient rows do not depend on the global stream."""
    return initializers.RandomNormal(stddev=0.7, seed=seed)


def _dense_row(id_, shape, act_name, act_ref, **kwargs):
    def make(dtype=None):
        return Dense(3 if len(shape) == 2 else 2, activation=act_name, kernel_initializer=_seeded(1),
                     bias_initializer=_seeded(2), dtype=dtype, **kwargs)

    n_trainable = 2 if kwargs.get("use_bias", True) else 1
    return LayerRow(id_, make, shape, _dense(act_ref), normal, n_trainable=n_trainable)


@dataclass
class LayerRow:
    """One layer configuration.

    Attributes:
        id: the test id.
        make: ``make(dtype=None)`` returns a fresh layer (adapted, for Normalization).
        shape: the input shape, batch axis first.
        expected: ``expected(x, layer)``: the output by a NumPy formula, in float64.
        domain: ``(rng, shape) -> array`` for inputs (away from kinks where needed).
        n_trainable: how many trainable weights the built layer has.
    """

    id: str
    make: Callable
    shape: tuple
    expected: Callable
    domain: Callable = normal
    n_trainable: int = 0

    def draw(self, seed=0):
        return self.domain(np.random.default_rng(seed), self.shape).astype(np.float64)


ROWS = [
    # Dense: linear, without bias, each fused activation, a non-fused one, 3-D input
    _dense_row("dense_linear", (4, 5), None, lambda z: z),
    _dense_row("dense_no_bias", (4, 5), None, lambda z: z, use_bias=False),
    # with these seeds no pre-activation lies within 1e-3 of relu's kink
    _dense_row("dense_relu", (4, 5), "relu", lambda z: np.maximum(z, 0.0)),
    _dense_row("dense_relu_no_bias", (4, 5), "relu", lambda z: np.maximum(z, 0.0), use_bias=False),
    _dense_row("dense_sigmoid", (4, 5), "sigmoid", _sigmoid),
    _dense_row("dense_tanh", (4, 5), "tanh", np.tanh),
    _dense_row("dense_softplus", (4, 5), "softplus", lambda z: np.log1p(np.exp(z))),
    _dense_row("dense_softmax", (4, 5), "softmax", _softmax),
    _dense_row("dense_3d_tanh", (2, 3, 4), "tanh", np.tanh),
    # Activation
    LayerRow("activation_linear", lambda dtype=None: Activation(None, dtype=dtype), (3, 4), lambda x, _: x),
    LayerRow("activation_relu", lambda dtype=None: Activation("relu", dtype=dtype), (3, 4),
             lambda x, _: np.maximum(x, 0.0), away_from_zero),
    LayerRow("activation_sigmoid", lambda dtype=None: Activation("sigmoid", dtype=dtype), (3, 4),
             lambda x, _: _sigmoid(x)),
    LayerRow("activation_softplus", lambda dtype=None: Activation("softplus", dtype=dtype), (3, 4),
             lambda x, _: np.log1p(np.exp(x))),
    LayerRow("activation_softmax", lambda dtype=None: Activation("softmax", dtype=dtype), (3, 4),
             lambda x, _: _softmax(x)),
    # ReLU and its options, inputs kept off every kink
    LayerRow("relu_default", lambda dtype=None: ReLU(dtype=dtype), (3, 4), _relu(), away_from(0.0)),
    LayerRow("relu_max_value", lambda dtype=None: ReLU(max_value=0.8, dtype=dtype), (3, 4), _relu(max_value=0.8),
             away_from(0.0, 0.8)),
    LayerRow("relu_negative_slope", lambda dtype=None: ReLU(negative_slope=0.2, dtype=dtype), (3, 4),
             _relu(negative_slope=0.2), away_from(0.0)),
    LayerRow("relu_threshold", lambda dtype=None: ReLU(threshold=0.5, dtype=dtype), (3, 4), _relu(threshold=0.5),
             away_from(0.5)),
    LayerRow("relu_all_options",
             lambda dtype=None: ReLU(max_value=1.5, negative_slope=0.1, threshold=0.5, dtype=dtype), (4, 4),
             _relu(max_value=1.5, negative_slope=0.1, threshold=0.5), away_from(0.5, 1.5)),
    # LeakyReLU: Keras 3's default slope 0.3, and Keras 2's alpha=
    LayerRow("leaky_relu_default", lambda dtype=None: LeakyReLU(dtype=dtype), (3, 4),
             lambda x, _: np.where(x > 0, x, 0.3 * x), away_from_zero),
    LayerRow("leaky_relu_alpha", lambda dtype=None: LeakyReLU(alpha=0.1, dtype=dtype), (3, 4),
             lambda x, _: np.where(x > 0, x, 0.1 * x), away_from_zero),
    # Softmax over the last axis, another axis, two axes at once
    LayerRow("softmax_default", lambda dtype=None: Softmax(dtype=dtype), (3, 4), lambda x, _: _softmax(x)),
    LayerRow("softmax_axis0", lambda dtype=None: Softmax(axis=0, dtype=dtype), (3, 4),
             lambda x, _: _softmax(x, axis=0)),
    LayerRow("softmax_axes_1_2", lambda dtype=None: Softmax(axis=(1, 2), dtype=dtype), (2, 3, 2),
             lambda x, _: _softmax(x, axis=(1, 2))),
    # Normalization: adapted, inverted, one scalar statistic, given statistics, several kept axes
    LayerRow("normalization", _adapted(_ADAPT_2D), (4, 3),
             lambda x, _: (x - _ADAPT_2D.mean(axis=0)) / np.sqrt(_ADAPT_2D.var(axis=0))),
    LayerRow("normalization_invert", _adapted(_ADAPT_2D, invert=True), (4, 3),
             lambda x, _: _ADAPT_2D.mean(axis=0) + x * np.sqrt(_ADAPT_2D.var(axis=0))),
    LayerRow("normalization_axis_none", _adapted(_ADAPT_2D, axis=None), (4, 3),
             lambda x, _: (x - _ADAPT_2D.mean()) / _ADAPT_2D.std()),
    LayerRow("normalization_given", lambda dtype=None: Normalization(mean=[1.0, -2.0], variance=[4.0, 0.25],
                                                                     dtype=dtype), (3, 2),
             lambda x, _: (x - np.array([1.0, -2.0])) / np.array([2.0, 0.5])),
    LayerRow("normalization_axes_1_2", _adapted(_ADAPT_3D, axis=(1, 2)), (4, 2, 3),
             lambda x, _: (x - _ADAPT_3D.mean(axis=0)) / _ADAPT_3D.std(axis=0)),
]


def test_row_ids_are_unique():
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_forward_matches_numpy_in_float64(row):
    layer = row.make(dtype="float64")
    x = row.draw()
    y = layer(x)
    assert isinstance(y, gn.Tensor) and y.dtype == np.float64
    np.testing.assert_allclose(y.numpy(), row.expected(x, layer), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_float64_input_gives_float32_output(row):
    layer = row.make()
    x = row.draw()
    y = layer(x)
    assert y.dtype == np.float32 and all(w.dtype == np.float32 for w in layer.weights if w.dtype.kind == "f")
    np.testing.assert_allclose(y.numpy(), row.expected(x, layer), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_gradient_wrt_input_and_each_trainable_weight(row):
    layer = row.make(dtype="float64")
    x = row.draw()
    layer(x)  # build
    assert len(layer.trainable_weights) == row.n_trainable
    result = check_grad(layer, [x], params=layer.trainable_weights, name=row.id)
    assert len(result.per_input) == 1 + row.n_trainable


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_config_round_trip_gives_an_equivalent_layer(row):
    layer = row.make()
    x = row.draw()
    y = layer(x).numpy()
    config = layer.get_config()
    assert {"name", "trainable", "dtype"} <= set(config)
    clone = type(layer).from_config(config)
    assert type(clone) is type(layer) and clone.get_config() == config
    clone.build_from_shape(x.shape)
    clone.set_weights(layer.get_weights())  # a config holds no weights (nor adapted statistics)
    np.testing.assert_array_equal(clone(x).numpy(), y)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_compute_output_shape_and_symbolic_output(row):
    layer = row.make()
    x = row.draw()
    y = layer(x)
    assert tuple(layer.compute_output_shape(x.shape)) == tuple(y.shape)
    assert tuple(layer.compute_output_shape((None,) + x.shape[1:])) == (None,) + tuple(y.shape[1:])
    assert layer.output.shape.as_list() == [None, *y.shape[1:]]


# ----- construction: defaults, validation, names --------------------------------------

DEFAULTS = [
    ("dense", lambda: Dense(3), dict(units=3, activation=activations.linear, use_bias=True, kernel=None,
                                     kernel_regularizer=None, bias_regularizer=None)),
    ("activation", lambda: Activation("tanh"), dict(activation=activations.tanh)),
    ("relu", ReLU, dict(max_value=None, negative_slope=0.0, threshold=0.0)),
    ("leaky_relu", LeakyReLU, dict(negative_slope=0.3, alpha=0.3)),
    ("softmax", Softmax, dict(axis=-1)),
    ("normalization", Normalization, dict(axis=(-1,), invert=False, input_mean=None, input_variance=None,
                                          mean=None, variance=None)),
]


@pytest.mark.parametrize("make, expected", [row[1:] for row in DEFAULTS], ids=[row[0] for row in DEFAULTS])
def test_construction_defaults(make, expected):
    layer = make()
    assert (layer.built, layer.trainable, layer.dtype, layer.weights) == (False, True, "float32", [])
    assert layer.get_weights() == []
    for attribute, value in expected.items():
        assert getattr(layer, attribute) == value, attribute


def test_dense_default_initializers_are_glorot_uniform_and_zeros():
    layer = Dense(2)
    assert isinstance(layer.kernel_initializer, initializers.GlorotUniform)
    assert isinstance(layer.bias_initializer, initializers.Zeros)


INVALID = [
    ("dense_zero_units", lambda: Dense(0), ValueError, "Received: units=0"),
    ("dense_negative_units", lambda: Dense(-1), ValueError, "Received: units=-1"),
    ("dense_fractional_units", lambda: Dense(2.5), ValueError, "Received: units=2.5"),
    ("dense_none_units", lambda: Dense(None), ValueError, "Received: units=None"),
    ("dense_unknown_activation", lambda: Dense(2, activation="nope"), ValueError, "Unknown activation.*'nope'"),
    ("dense_unknown_kwarg", lambda: Dense(2, foo=1), TypeError, "foo"),
    ("dense_empty_name", lambda: Dense(2, name=""), ValueError, "Received: name=''"),
    ("activation_unknown", lambda: Activation("nope"), ValueError, "Unknown activation.*'nope'"),
    ("activation_not_callable", lambda: Activation(3), TypeError, "3"),
    ("relu_negative_max_value", lambda: ReLU(max_value=-1.0), ValueError, "Received: max_value=-1.0"),
    ("relu_negative_slope", lambda: ReLU(negative_slope=-0.5), ValueError, "Received: negative_slope=-0.5"),
    ("relu_negative_threshold", lambda: ReLU(threshold=-1.0), ValueError, "Received: threshold=-1.0"),
    ("relu_none_threshold", lambda: ReLU(threshold=None), ValueError, "Received: threshold=None"),
    ("relu_unknown_kwarg", lambda: ReLU(alpha=0.1), TypeError, "alpha"),
    ("leaky_relu_negative", lambda: LeakyReLU(-0.1), ValueError, "Received: negative_slope=-0.1"),
    ("leaky_relu_none", lambda: LeakyReLU(None), ValueError, "Received: negative_slope=None"),
    ("leaky_relu_negative_alpha", lambda: LeakyReLU(alpha=-1.0), ValueError, "Received: negative_slope=-1.0"),
    ("leaky_relu_both_names", lambda: LeakyReLU(0.2, alpha=0.1), TypeError, "negative_slope=0.2, alpha=0.1"),
    ("softmax_float_axis", lambda: Softmax(axis=1.0), ValueError, "Received: axis=1.0"),
    ("softmax_empty_axes", lambda: Softmax(axis=()), ValueError, r"Received: axis=\(\)"),
    ("normalization_string_axis", lambda: Normalization(axis="x"), ValueError, "Received: axis='x'"),
    ("normalization_mean_only", lambda: Normalization(mean=1.0), ValueError, "both `mean` and `variance`"),
    ("normalization_negative_variance", lambda: Normalization(mean=0.0, variance=[1.0, -1.0]), ValueError,
     r"Received: variance=\[1.0, -1.0\]"),
    ("normalization_unknown_kwarg", lambda: Normalization(epsilon=1e-3), TypeError, "epsilon"),
]


@pytest.mark.parametrize("make, error, message", [row[1:] for row in INVALID], ids=[row[0] for row in INVALID])
def test_invalid_arguments_fail_at_construction(make, error, message):
    with pytest.raises(error, match=message):
        make()


NAMES = [
    (lambda **kw: Dense(1, **kw), "dense"),
    (lambda **kw: Activation("relu", **kw), "activation"),
    (ReLU, "re_lu"),
    (LeakyReLU, "leaky_re_lu"),
    (Softmax, "softmax"),
    (Normalization, "normalization"),
]


def _counter(name, base):
    match = re.fullmatch(rf"{base}(?:_(\d+))?", name)
    assert match, f"{name!r} is not {base!r} or {base}_<n>"
    return int(match.group(1) or 0)


@pytest.mark.parametrize("make, base", NAMES, ids=[row[1] for row in NAMES])
def test_automatic_names_count_up_per_class(make, base):
    first, second = make(), make()  # the counter is per process: compare with a fresh layer
    assert _counter(second.name, base) == _counter(first.name, base) + 1
    assert make(name="L1").name == "L1"


# ----- Dense specifics ----------------------------------------------------------------


def test_dense_builds_lazily_from_the_last_input_axis():
    layer = Dense(3)
    assert not layer.built and layer.get_weights() == [] and layer.weights == []
    y = layer(np.ones((2, 4)))  # float64 in
    assert layer.built and y.dtype == np.float32 and y.shape == (2, 3)
    kernel, bias = layer.get_weights()
    assert (kernel.shape, bias.shape, kernel.dtype, bias.dtype) == ((4, 3), (3,), np.float32, np.float32)
    assert layer.kernel is layer.weights[0] and layer.bias is layer.weights[1]
    assert layer.count_params() == 15


def test_dense_weights_are_named_after_the_layer():
    layer = Dense(1, name="L3")
    layer(np.ones((1, 15)))
    assert [w.name for w in layer.weights] == ["L3/kernel:0", "L3/bias:0"]
    expected = "<glassnet.Variable 'L3/kernel:0' shape=(15, 1) dtype=float32, numpy="
    assert repr(layer.weights[0]).startswith(expected)
    assert repr(layer) == "<Dense name=L3, built=True>"
    unnamed = Dense(2)
    unnamed(np.ones((1, 3)))
    assert [w.name for w in unnamed.weights] == [f"{unnamed.name}/kernel:0", f"{unnamed.name}/bias:0"]


@pytest.mark.parametrize("activation, function", [
    ("relu", activations.relu), ("sigmoid", activations.sigmoid), ("linear", activations.linear),
    (None, activations.linear), ("softmax", activations.softmax), ("tanh", activations.tanh),
    (activations.relu, activations.relu),
])
def test_dense_activation_is_the_keras_function_object(activation, function):
    assert Dense(2, activation=activation).activation is function
    assert Activation(activation).activation is function


SET_WEIGHTS = [
    ("float64", [np.full((3, 2), 0.5), np.array([1.0, 2.0])]),
    ("ints", [np.ones((3, 2), dtype=np.int64), [1, 2]]),
    ("float32", [np.full((3, 2), 0.5, dtype=np.float32), np.zeros(2, dtype=np.float32)]),
]


@pytest.mark.parametrize("values", [row[1] for row in SET_WEIGHTS], ids=[row[0] for row in SET_WEIGHTS])
def test_set_weights_casts_to_float32_and_copies(values):
    values = [np.array(v) for v in values]  # our own copies: the table stays untouched
    layer = Dense(2)
    layer(np.ones((1, 3)))
    layer.set_weights(values)
    got = layer.get_weights()
    assert [w.dtype for w in got] == [np.float32, np.float32]
    for g, v in zip(got, values):
        np.testing.assert_array_equal(g, v.astype(np.float32))
    kernel = got[0].copy()
    values[0][...] = 7  # the layer keeps its own copy ...
    got[0][...] = 9  # ... and hands out copies
    np.testing.assert_array_equal(layer.get_weights()[0], kernel)
    np.testing.assert_allclose(layer(np.ones((1, 3))).numpy(), kernel.sum(axis=0, keepdims=True) + got[1])


@pytest.mark.parametrize("values, message", [
    ([np.ones((3, 3)), np.zeros(2)], r"kernel:0 has shape \(3, 2\).*\(3, 3\)"),
    ([np.ones((3, 2)), np.zeros(3)], r"bias:0 has shape \(2,\).*\(3,\)"),
    ([np.ones((3, 2))], r"expects 2 weight arrays, but received 1.*\[\(3, 2\), \(2,\)\]"),
    ([np.ones((3, 2)), np.zeros(2), np.zeros(2)], r"expects 2 weight arrays, but received 3"),
], ids=["kernel_shape", "bias_shape", "too_few", "too_many"])
def test_set_weights_rejects_wrong_shapes_and_counts(values, message):
    layer = Dense(2)
    layer(np.ones((1, 3)))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=message):
        layer.set_weights(values)
    for b, a in zip(before, layer.get_weights()):  # nothing half-set
        np.testing.assert_array_equal(a, b)


def test_set_weights_before_build_expects_nothing():
    layer = Dense(2)
    layer.set_weights([])
    with pytest.raises(ValueError, match="expects 0 weight arrays"):
        layer.set_weights([np.ones((3, 2)), np.zeros(2)])


@pytest.mark.parametrize("freeze_after_build", [False, True])
def test_trainable_false_moves_weights_to_non_trainable(freeze_after_build):
    layer = Dense(2) if freeze_after_build else Dense(2, trainable=False)
    layer(np.ones((1, 3)))
    layer.trainable = False
    assert layer.trainable_weights == []
    assert [w.name for w in layer.non_trainable_weights] == [w.name for w in layer.weights]
    assert len(layer.weights) == 2 and layer.count_params() == 8
    layer.trainable = True
    assert len(layer.trainable_weights) == 2 and layer.non_trainable_weights == []


def test_incompatible_feature_count_names_the_layer_and_both_sizes():
    layer = Dense(3, name="L1")
    layer(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r'"L1".*value 4.*shape \(2, 5\)'):
        layer(np.ones((2, 5)))


def test_dense_applies_to_the_last_axis_of_3d_input():
    layer = Dense(2)
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    y = layer(x)
    kernel, bias = layer.get_weights()
    assert y.shape == (2, 3, 2) and layer.compute_output_shape((None, 3, 4)) == (None, 3, 2)
    np.testing.assert_allclose(y.numpy(), x @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_dense_kernel_is_glorot_uniform_and_bias_zero():
    gn.random.set_seed(0)  # a fixed draw: the statistical bounds below then cannot flake
    layer = Dense(50)
    layer(np.ones((1, 200)))
    kernel, bias = layer.get_weights()
    limit = math.sqrt(6 / (200 + 50))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.98 * limit
    assert abs(kernel.var() - limit**2 / 3) < 0.05 * limit**2 / 3  # uniform(-l, l) has variance l^2 / 3
    assert abs(kernel.mean()) < 0.03 * limit  # 5 standard errors of the mean of 10,000 draws
    np.testing.assert_array_equal(bias, np.zeros(50, dtype=np.float32))


def test_dense_regularizers_add_losses():
    layer = Dense(2, kernel_regularizer=regularizers.L2(0.1), bias_regularizer=regularizers.L1(0.5))
    assert layer.losses == []
    layer(np.ones((1, 3)))
    kernel = np.arange(6, dtype=np.float32).reshape(3, 2) - 2.5
    bias = np.array([1.0, -3.0], dtype=np.float32)
    layer.set_weights([kernel, bias])
    l2, l1 = layer.losses
    np.testing.assert_allclose([float(l2), float(l1)], [0.1 * np.sum(kernel**2), 0.5 * np.sum(np.abs(bias))],
                               rtol=1e-6)
    (l2 + l1).backward()
    np.testing.assert_allclose(layer.kernel.grad.numpy(), 0.2 * kernel, rtol=1e-6)
    np.testing.assert_allclose(layer.bias.grad.numpy(), 0.5 * np.sign(bias), rtol=1e-6)
    assert Dense(2, kernel_regularizer="l2").get_config()["kernel_regularizer"]["class_name"] == "L2"
    plain = Dense(2)
    plain(np.ones((1, 3)))
    assert plain.losses == []


def test_dense_records_the_input_shape_it_was_given():
    assert Dense(2, input_shape=(3,)).batch_input_shape == (None, 3)
    assert Dense(2, input_dim=3).get_config()["batch_input_shape"] == [None, 3]


# ----- the activation layers ------------------------------------------------------------


def test_activation_layers_have_no_weights_and_cast_ints():
    for layer in [Activation("relu"), ReLU(), LeakyReLU(), Softmax()]:
        y = layer([[1, -2]])
        assert y.dtype == np.float32 and layer.weights == [] and layer.count_params() == 0


def test_a_float64_layer_keeps_python_floats_at_full_precision():
    # Python lists go straight to float64, not through float32 (a bug the base layer had)
    assert Activation(None, dtype="float64")([1.0 + 1e-12]).numpy()[0] == 1.0 + 1e-12


def test_leaky_relu_alpha_is_an_alias_for_negative_slope():
    layer = LeakyReLU(alpha=0.1)
    assert layer.negative_slope == layer.alpha == 0.1
    assert layer.get_config()["negative_slope"] == 0.1 and "alpha" not in layer.get_config()
    keras2_config = {"name": "old", "trainable": True, "dtype": "float32", "alpha": 0.05}
    assert LeakyReLU.from_config(keras2_config).negative_slope == 0.05
    assert LeakyReLU(0.2).negative_slope == 0.2  # the first positional argument, in both Keras versions


def test_relu_matches_the_keras_documented_examples():
    x = [-3.0, -1.0, 0.0, 2.0]
    cases = [(dict(), [0.0, 0.0, 0.0, 2.0]), (dict(max_value=1.0), [0.0, 0.0, 0.0, 1.0]),
             (dict(negative_slope=1.0), [-3.0, -1.0, 0.0, 2.0])]
    for kwargs, expected in cases:
        assert ReLU(**kwargs)(x).numpy().tolist() == expected
    assert ReLU(threshold=1.5)([-3.0, -1.0, 1.0, 2.0]).numpy().tolist() == [0.0, 0.0, 0.0, 2.0]


def test_softmax_mask_gives_masked_positions_zero():
    x = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]])
    mask = np.array([[True, False, True], [True, True, False]])
    y = Softmax(dtype="float64")(x, mask=mask).numpy()
    expected = np.where(mask, np.exp(x), 0.0)
    np.testing.assert_allclose(y, expected / expected.sum(axis=-1, keepdims=True), rtol=1e-12)


# ----- Normalization specifics (COURSE_API item 24) --------------------------------------

_COURSE_X = np.random.default_rng(2).normal([200.0, 14.0], [40.0, 1.5], size=(200, 2))  # like the coffee data


def test_adapt_stores_mean_and_population_variance():
    layer = Normalization(axis=-1)
    layer.adapt(_COURSE_X)
    mean, variance, count = layer.get_weights()
    np.testing.assert_allclose(mean, np.mean(_COURSE_X, axis=0), rtol=1e-6)
    np.testing.assert_allclose(variance, np.var(_COURSE_X, axis=0, ddof=0), rtol=1e-6)
    assert count == 200 and count.dtype == np.int64
    assert (layer.mean.shape, layer.variance.shape) == ((1, 2), (1, 2))
    assert layer.mean.dtype == np.float32
    np.testing.assert_allclose(layer.mean.numpy(), [np.mean(_COURSE_X, axis=0)], rtol=1e-6)
    np.testing.assert_allclose(layer.variance.numpy(), [np.var(_COURSE_X, axis=0)], rtol=1e-6)


@pytest.mark.parametrize("rows", [200, 2, 1])
def test_normalization_on_the_course_input_shapes(rows):
    layer = Normalization(axis=-1)
    layer.adapt(_COURSE_X)
    x = _COURSE_X[:rows]
    y = layer(x)
    assert isinstance(y, gn.Tensor) and y.dtype == np.float32 and y.shape == (rows, 2)
    expected = (x - _COURSE_X.mean(axis=0)) / np.sqrt(_COURSE_X.var(axis=0))
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.tile(y, (2, 1))[:rows], y.numpy())  # NumPy accepts the result


STATISTIC_SHAPES = [
    # axis, data shape, shape of .mean / .variance, shape of the mean weight
    (-1, (200, 2), (1, 2), (2,)),
    (1, (200, 2), (1, 2), (2,)),
    (None, (200, 2), (1, 1), ()),
    (-1, (10, 3, 4), (1, 1, 4), (4,)),
    (1, (10, 3, 4), (1, 3, 1), (3,)),
    ((1, 2), (10, 3, 4), (1, 3, 4), (3, 4)),
    ([-1, 1], (10, 3, 4), (1, 3, 4), (3, 4)),
    (-1, (5,), (5,), (5,)),  # batched scalars: each index kept apart, as Keras documents
]


@pytest.mark.parametrize("axis, data_shape, broadcast_shape, weight_shape", STATISTIC_SHAPES)
def test_statistic_shapes_follow_keras(axis, data_shape, broadcast_shape, weight_shape):
    data = np.random.default_rng(0).normal(size=data_shape)
    layer = Normalization(axis=axis)
    layer.adapt(data)
    assert layer.mean.shape == broadcast_shape and layer.variance.shape == broadcast_shape
    assert layer.get_weights()[0].shape == weight_shape
    reduce = tuple(d for d in range(len(data_shape)) if broadcast_shape[d] == 1 and data_shape[d] != 1)
    np.testing.assert_allclose(layer.mean.numpy(), data.mean(axis=reduce, keepdims=True), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.variance.numpy(), data.var(axis=reduce, keepdims=True), rtol=1e-5)


def test_normalization_statistics_are_non_trainable_weights():
    layer = Normalization()
    layer.adapt(_COURSE_X)
    assert layer.trainable_weights == []
    assert [w.name for w in layer.non_trainable_weights] == [
        f"{layer.name}/mean:0", f"{layer.name}/variance:0", f"{layer.name}/count:0"]
    assert layer.count_params() == 5  # Keras's summary: 'Non-trainable params: 5' for 2 features
    given = Normalization(mean=0.0, variance=1.0)
    given(np.ones((1, 2)))
    assert given.weights == [] and given.count_params() == 0


def test_invert_maps_standardized_values_back():
    norm, inverse = Normalization(), Normalization(invert=True)
    norm.adapt(_COURSE_X)
    inverse.adapt(_COURSE_X)
    np.testing.assert_allclose(inverse(norm(_COURSE_X)).numpy(), _COURSE_X, rtol=1e-5)


def test_calling_before_adapt_raises_a_clear_error():
    layer = Normalization(name="norm_l")
    assert layer.mean is None
    with pytest.raises(ValueError, match=r'"norm_l" has no statistics yet: call norm_l.adapt\(data\)'):
        layer(_COURSE_X)
    assert layer.built and layer.count_params() == 5  # built (so a summary can count it), not adapted
    with pytest.raises(ValueError, match="adapt"):
        layer(_COURSE_X)
    layer.adapt(_COURSE_X)
    assert layer(_COURSE_X).shape == (200, 2)


def test_epsilon_bounds_the_standard_deviation_not_the_variance():
    # Keras divides by max(sqrt(var), 1e-7): a constant feature maps x - mean to (x - mean) / 1e-7
    layer = Normalization(dtype="float64")
    layer.adapt([[1.0, 0.0], [1.0, 2.0]])
    np.testing.assert_allclose(layer([[1.0 + 1e-6, 1.0]]).numpy(), [[10.0, 0.0]], rtol=1e-6)


NORMALIZATION_ERRORS = [
    ("call_wrong_features", lambda l: l(np.ones((2, 3))), r'"norm".*\(None, 2\).*\(2, 3\)'),
    ("call_wrong_rank", lambda l: l(np.ones(2)), r'"norm".*\(None, 2\).*\(2,\)'),
    ("adapt_wrong_features", lambda l: l.adapt(np.ones((5, 3))), r'"norm".*\(None, 2\).*\(5, 3\)'),
    ("adapt_empty", lambda l: l.adapt(np.ones((0, 2))), "at least one value"),
    ("adapt_strings", lambda l: l.adapt(np.array([["a", "b"]])), "numeric"),
]


@pytest.mark.parametrize("action, message", [row[1:] for row in NORMALIZATION_ERRORS],
                         ids=[row[0] for row in NORMALIZATION_ERRORS])
def test_normalization_shape_and_data_errors(action, message):
    layer = Normalization(name="norm")
    layer.adapt(_COURSE_X)
    with pytest.raises((ValueError, TypeError), match=message):
        action(layer)


def test_given_statistics_cannot_be_adapted_and_must_broadcast():
    with pytest.raises(ValueError, match="given `mean` and `variance`"):
        Normalization(mean=0.0, variance=1.0).adapt(_COURSE_X)
    with pytest.raises(ValueError, match=r"shape \(3,\).*\(2,\)"):
        Normalization(mean=[1.0, 2.0, 3.0], variance=1.0)(np.ones((2, 2)))
    scalar = Normalization(mean=3.0, variance=4.0)
    np.testing.assert_allclose(scalar(np.array([[5.0, 1.0]])).numpy(), [[1.0, -1.0]])
    assert scalar.mean.shape == (1, 2) and scalar.get_config()["mean"] == 3.0


def test_adapt_accepts_lists_tensors_ints_and_steps_and_replaces_old_statistics():
    layer = Normalization()
    layer.adapt([[1, 10], [3, 30]])
    np.testing.assert_array_equal(layer.get_weights()[0], [2.0, 20.0])
    layer.adapt(gn.tensor(_COURSE_X))  # a second adapt starts afresh
    np.testing.assert_allclose(layer.get_weights()[0], _COURSE_X.mean(axis=0), rtol=1e-6)
    layer.adapt(_COURSE_X, batch_size=10, steps=2)  # Keras 2: the first steps * batch_size samples
    np.testing.assert_allclose(layer.get_weights()[0], _COURSE_X[:20].mean(axis=0), rtol=1e-6)
    assert layer.get_weights()[2] == 20


def test_set_weights_restores_an_adapted_layer():
    source = Normalization()
    source.adapt(_COURSE_X)
    target = Normalization()
    target.build((None, 2))
    target.set_weights(source.get_weights())
    np.testing.assert_array_equal(target(_COURSE_X).numpy(), source(_COURSE_X).numpy())
