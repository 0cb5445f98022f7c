"""Activations forward: against NumPy formulas written here, dtypes, and extreme inputs.

Gradients are checked by the shared table (grad_rows_activation.py); here the values.
"""

import math

import numpy as np
import pytest

import glassnet as gn
from gradrows import strict_numerics
from glassnet.ops import activation, softmax_ops

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946



def _erf(x):
    return np.array([math.erf(v) for v in x.ravel()]).reshape(x.shape)


def _softmax(x, axis=-1):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# (id, glassnet function, independent float64 reference, safe at ±1e4)
ACTIVATIONS = [
    ("sigmoid", gn.nn.sigmoid, _sigmoid, True),
    ("tanh", gn.nn.tanh, lambda x: (np.exp(2 * x) - 1) / (np.exp(2 * x) + 1), True),
    ("relu", gn.nn.relu, lambda x: np.where(x > 0, x, 0.0), True),
    ("relu6", gn.nn.relu6, lambda x: np.where(x > 6, 6.0, np.where(x > 0, x, 0.0)), True),
    ("leaky_relu", gn.nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), True),
    ("leaky_relu_alpha", lambda x: gn.nn.leaky_relu(x, alpha=0.01), lambda x: np.where(x > 0, x, 0.01 * x),
     True),
    ("elu", gn.nn.elu, lambda x: np.where(x > 0, x, np.exp(x) - 1), True),
    ("elu_alpha", lambda x: gn.nn.elu(x, alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1)),
     True),
    ("selu", gn.nn.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1)), True),
    ("gelu", gn.nn.gelu, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), True),
    ("gelu_tanh", lambda x: gn.nn.gelu(x, approximate=True),
     lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))), True),
    ("silu", gn.nn.silu, lambda x: x / (1 + np.exp(-x)), True),
    ("swish", gn.nn.swish, lambda x: x / (1 + np.exp(-x)), True),
    ("softplus", gn.nn.softplus, lambda x: np.log(1 + np.exp(x)), True),
    ("softsign", gn.nn.softsign, lambda x: x / (1 + np.abs(x)), True),
    ("hard_sigmoid", gn.nn.hard_sigmoid, lambda x: np.minimum(np.maximum(x / 6 + 0.5, 0.0), 1.0), True),
    ("exponential", gn.nn.exponential, np.exp, False),  # e^1e4 is inf by definition
    ("softmax", gn.nn.softmax, _softmax, True),
    ("softmax_axis0", lambda x: gn.nn.softmax(x, axis=0), lambda x: _softmax(x, axis=0), True),
    ("log_softmax", gn.nn.log_softmax, lambda x: np.log(_softmax(x)), True),
    ("log_softmax_axis0", lambda x: gn.nn.log_softmax(x, axis=0), lambda x: np.log(_softmax(x, axis=0)),
     True),
    ("logsumexp", gn.nn.logsumexp, lambda x: np.log(np.exp(x).sum()), True),
    ("logsumexp_axis1", lambda x: gn.nn.logsumexp(x, axis=1), lambda x: np.log(np.exp(x).sum(axis=1)), True),
    ("logsumexp_keepdims", lambda x: gn.nn.reduce_logsumexp(x, axis=0, keepdims=True),
     lambda x: np.log(np.exp(x).sum(axis=0, keepdims=True)), True),
]
IDS = [row[0] for row in ACTIVATIONS]
EXTREME = [row for row in ACTIVATIONS if row[3]]


def _moderate(seed=0):
    """Values in (-8, 8): past relu6's 6 and hard_sigmoid's ±3, where exp cannot overflow."""
    return np.random.default_rng(seed).uniform(-8.0, 8.0, (4, 6))


@pytest.mark.parametrize("name, fn, reference, _", ACTIVATIONS, ids=IDS)
def test_matches_numpy_formula_in_float64(name, fn, reference, _):
    x = _moderate()
    out = fn(gn.tensor(x))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), reference(x), rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("name, fn, reference, _", ACTIVATIONS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_keeps_the_input_dtype(name, fn, reference, _, dtype):
    x = _moderate(1).astype(dtype)
    out = fn(gn.tensor(x))
    assert out.dtype == dtype, f"{name}: {dtype.__name__} in, {out.dtype} out"
    np.testing.assert_allclose(out.numpy(), reference(x.astype(np.float64)), rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("name, fn, reference, _", EXTREME, ids=[row[0] for row in EXTREME])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_inputs_give_finite_values_and_gradients(name, fn, reference, _, dtype):
    x = np.array([[1e4, -1e4, 0.0, 1.0, -1.0, 9999.0], [-1e4, -1e4, -1e4, 1e4, 1e4, 1e4]], dtype=dtype)
    with strict_numerics():
        t = gn.tensor(x, requires_grad=True)
        out = fn(t)
        out.backward(np.linspace(-1.0, 1.0, out.size).reshape(out.shape).astype(dtype))
    assert np.all(np.isfinite(out.numpy())), f"{name}: {out.numpy()}"
    assert np.all(np.isfinite(t.grad.numpy())), f"{name}: gradient {t.grad.numpy()}"
    assert t.grad.dtype == dtype


# (id, function, input, expected) at points where naive formulas overflow or lose everything
EXACT_AT_EXTREMES = [
    ("sigmoid", gn.nn.sigmoid, [-1e4, 1e4, 0.0], [0.0, 1.0, 0.5]),
    ("sigmoid_tiny_tail", gn.nn.sigmoid, [-700.0], [math.exp(-700.0)]),
    ("softplus", gn.nn.softplus, [-1e4, 1e4, -50.0], [0.0, 1e4, math.exp(-50.0)]),
    ("softmax", gn.nn.softmax, [1e4, -1e4, 0.0], [1.0, 0.0, 0.0]),
    ("log_softmax", gn.nn.log_softmax, [1e4, -1e4, 0.0], [0.0, -2e4, -1e4]),
    ("logsumexp", gn.nn.logsumexp, [1e4, 1e4], 1e4 + math.log(2.0)),
    ("logsumexp_all_minus_inf", gn.nn.logsumexp, [-np.inf, -np.inf], -np.inf),
    ("elu", gn.nn.elu, [-1e4, 1e4], [-1.0, 1e4]),
    ("gelu", gn.nn.gelu, [-1e4, 1e4], [0.0, 1e4]),
    ("silu", gn.nn.silu, [-1e4, 1e4], [0.0, 1e4]),
]


@pytest.mark.parametrize("name, fn, x, expected", EXACT_AT_EXTREMES, ids=[r[0] for r in EXACT_AT_EXTREMES])
def test_values_at_extremes(name, fn, x, expected):
    out = fn(gn.tensor(np.array(x, dtype=np.float64)))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=0.0)


def test_logsumexp_of_an_all_minus_inf_slice_is_minus_inf_with_zero_gradient():
    x = gn.tensor(np.array([[-np.inf, -np.inf], [0.0, 0.0]]), requires_grad=True)
    with strict_numerics():
        out = gn.nn.logsumexp(x, axis=1)
        out.backward(np.ones(2))
    np.testing.assert_allclose(out.numpy(), [-np.inf, np.log(2.0)])
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.0], [0.5, 0.5]])


@pytest.mark.parametrize("axis", [-1, 0, 1, 2])
@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_softmax_sums_to_one_along_its_axis(axis, scale):
    x = np.random.default_rng(2).standard_normal((2, 3, 4)) * scale
    with strict_numerics():
        out = gn.nn.softmax(gn.tensor(x), axis=axis).numpy()
    np.testing.assert_allclose(out.sum(axis=axis), 1.0, rtol=1e-12)
    assert np.all(out >= 0)


@pytest.mark.parametrize("fn", [gn.nn.softmax, gn.nn.log_softmax], ids=["softmax", "log_softmax"])
def test_softmax_is_invariant_to_a_shared_offset(fn):
    x = np.random.default_rng(3).standard_normal((3, 5))
    np.testing.assert_allclose(fn(gn.tensor(x + 100.0)).numpy(), fn(gn.tensor(x)).numpy(), atol=1e-12)


CONVERSIONS = [  # (input, expected dtype)
    (0.5, np.float32),
    ([1.0, -2.0], np.float32),
    (np.array([1, -2]), np.float32),
    (gn.tensor([1, -2]), np.float32),
    (np.array([1.0, -2.0], dtype=np.float64), np.float64),
    (np.float64(0.5), np.float64),
]


@pytest.mark.parametrize("value, dtype", CONVERSIONS, ids=[f"case{i}" for i in range(len(CONVERSIONS))])
@pytest.mark.parametrize("fn", [gn.nn.sigmoid, gn.nn.relu6, gn.nn.silu, gn.nn.softsign, gn.nn.softplus])
def test_numbers_lists_and_integers_become_floats(fn, value, dtype):
    assert fn(value).dtype == dtype


BAD_AXES = [  # (function, axis, error, message)
    (gn.nn.softmax, 2, ValueError, "softmax: axis 2 is out of bounds"),
    (gn.nn.log_softmax, -3, ValueError, "log_softmax: axis -3 is out of bounds"),
    (gn.nn.softmax, (0, 1), TypeError, "softmax: axis must be an int"),
    (gn.nn.logsumexp, 5, ValueError, "logsumexp: axis 5 is out of bounds"),
]


@pytest.mark.parametrize("fn, axis, error, message", BAD_AXES, ids=["softmax", "log_softmax", "tuple", "lse"])
def test_bad_axis_is_named(fn, axis, error, message):
    with pytest.raises(error, match=message):
        fn(gn.tensor(np.zeros((2, 3))), axis=axis)


NN_NAMES = [
    "sigmoid", "tanh", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "softplus",
    "softsign", "hard_sigmoid", "exponential", "softmax", "log_softmax", "logsumexp", "reduce_logsumexp",
    "sparse_softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits",
    "sigmoid_cross_entropy_with_logits",
]


@pytest.mark.parametrize("name", NN_NAMES)
def test_nn_face_hands_on_every_name(name):
    assert callable(getattr(gn.nn, name))


def test_aliases_are_the_same_functions():
    assert gn.nn.swish is gn.nn.silu is activation.silu
    assert gn.nn.reduce_logsumexp is gn.nn.logsumexp is softmax_ops.logsumexp
    assert set(activation.__all__) | set(softmax_ops.__all__) <= set(dir(gn.nn))
