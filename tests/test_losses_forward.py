"""Fused cross-entropies forward: NumPy formulas written here, dtypes, ±1e4 logits, offsets, errors.

Gradients against finite differences live in the shared table (grad_rows_activation.py);
here the values, TensorFlow's gradient semantics and the error messages.
"""


import numpy as np
import pytest

import glassnet as gn
from gradrows import strict_numerics



def _softmax(x):
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def _sparse_labels(rng, shape):
    return rng.integers(0, shape[-1], shape[:-1])


def _soft_labels(rng, shape):
    p = rng.uniform(0.0, 1.0, shape)
    return p / p.sum(axis=-1, keepdims=True)


def _binary_labels(rng, shape):
    return rng.uniform(0.0, 1.0, shape)


def _sparse_reference(labels, x):
    probs = _softmax(x)
    return -np.log(np.take_along_axis(probs, labels[..., None], axis=-1)[..., 0])


def _sigmoid_reference(z, x):
    s = 1.0 / (1.0 + np.exp(-x))
    return -z * np.log(s) - (1 - z) * np.log(1 - s)


# (id, loss, label maker, NumPy reference, output shape for logits of shape (B..., C))
LOSSES = [
    ("sparse_softmax", gn.nn.sparse_softmax_cross_entropy_with_logits, _sparse_labels, _sparse_reference,
     lambda shape: shape[:-1]),
    ("softmax", gn.nn.softmax_cross_entropy_with_logits, _soft_labels,
     lambda y, x: -(y * np.log(_softmax(x))).sum(axis=-1), lambda shape: shape[:-1]),
    ("sigmoid", gn.nn.sigmoid_cross_entropy_with_logits, _binary_labels, _sigmoid_reference,
     lambda shape: shape),
]
IDS = [row[0] for row in LOSSES]
SHAPES = [(5,), (4, 3), (2, 3, 4)]
SOFTMAX_LOSSES = LOSSES[:2]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name, loss, make_labels, reference, out_shape", LOSSES, ids=IDS)
def test_matches_numpy_formula_in_float64(name, loss, make_labels, reference, out_shape, shape):
    rng = np.random.default_rng(0)
    labels, x = make_labels(rng, shape), rng.uniform(-5.0, 5.0, shape)
    out = loss(labels, gn.tensor(x))
    assert out.shape == out_shape(shape), f"{name}: per-example shape"
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), reference(labels, x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, loss, make_labels, reference, out_shape", LOSSES, ids=IDS)
def test_keeps_the_logits_dtype(name, loss, make_labels, reference, out_shape, dtype):
    rng = np.random.default_rng(1)
    labels, x = make_labels(rng, (4, 3)), rng.uniform(-5.0, 5.0, (4, 3))
    logits = gn.tensor(x.astype(dtype), requires_grad=True)
    out = loss(labels, logits)  # float64 soft labels do not promote float32 logits
    assert out.dtype == dtype
    gn.sum(out).backward()
    assert logits.grad.dtype == dtype
    np.testing.assert_allclose(out.numpy(), reference(labels, x), rtol=1e-5, atol=1e-5)


EXTREME_LOGITS = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4], [9999.0, 1e4, -1e4]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, loss, make_labels, reference, out_shape", LOSSES, ids=IDS)
def test_extreme_logits_give_finite_losses_and_gradients(name, loss, make_labels, reference, out_shape,
                                                         dtype):
    labels = make_labels(np.random.default_rng(2), EXTREME_LOGITS.shape)
    logits = gn.tensor(EXTREME_LOGITS.astype(dtype), requires_grad=True)
    differentiable_labels = name != "sparse_softmax"
    if differentiable_labels:
        labels = gn.tensor(labels.astype(dtype), requires_grad=True)
    with strict_numerics():
        out = loss(labels, logits)
        out.backward(np.linspace(0.5, 1.5, out.size).reshape(out.shape).astype(dtype))
    assert np.all(np.isfinite(out.numpy())), out.numpy()
    assert np.all(np.isfinite(logits.grad.numpy())), logits.grad.numpy()
    if differentiable_labels:
        assert np.all(np.isfinite(labels.grad.numpy())), labels.grad.numpy()


EXACT_AT_EXTREMES = [  # (id, loss, labels, logits, expected)
    ("sparse_winner", gn.nn.sparse_softmax_cross_entropy_with_logits, [0, 1, 2],
     [[1e4, -1e4, 0.0]] * 3, [0.0, 2e4, 1e4]),
    ("softmax_one_hot", gn.nn.softmax_cross_entropy_with_logits, np.eye(3),
     [[1e4, -1e4, 0.0]] * 3, [0.0, 2e4, 1e4]),
    ("sigmoid", gn.nn.sigmoid_cross_entropy_with_logits, [1.0, 0.0, 1.0, 0.0, 0.5],
     [1e4, 1e4, -1e4, -1e4, 1e4], [0.0, 1e4, 1e4, 0.0, 5e3]),
]


@pytest.mark.parametrize("name, loss, labels, logits, expected", EXACT_AT_EXTREMES,
                         ids=[r[0] for r in EXACT_AT_EXTREMES])
def test_values_at_extreme_logits(name, loss, labels, logits, expected):
    out = loss(np.asarray(labels), gn.tensor(np.array(logits, dtype=np.float64)))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=0.0)


@pytest.mark.parametrize("offset", [-1e3, 1.0, 1e3])
@pytest.mark.parametrize("name, loss, make_labels, reference, out_shape", SOFTMAX_LOSSES, ids=IDS[:2])
def test_softmax_losses_ignore_a_shared_offset(name, loss, make_labels, reference, out_shape, offset):
    rng = np.random.default_rng(3)
    labels, x = make_labels(rng, (4, 5)), rng.standard_normal((4, 5))
    shifted = x + rng.standard_normal((4, 1)) * offset  # one offset per row
    np.testing.assert_allclose(loss(labels, gn.tensor(shifted)).numpy(), loss(labels, gn.tensor(x)).numpy(),
                               rtol=1e-9, atol=1e-9)


def test_sigmoid_cross_entropy_matches_the_log_sigmoid_formula():
    x = np.linspace(-15.0, 15.0, 31)
    z = np.random.default_rng(4).uniform(0.0, 1.0, x.shape)
    out = gn.nn.sigmoid_cross_entropy_with_logits(z, gn.tensor(x)).numpy()
    np.testing.assert_allclose(out, _sigmoid_reference(z, x), rtol=1e-9, atol=1e-12)


def _grads(loss, labels, x):
    """Gradients of the loss (upstream gradient 2) w.r.t. labels (None if integer) and logits."""
    labels = gn.tensor(labels, requires_grad=labels.dtype.kind == "f")
    logits = gn.tensor(x, requires_grad=True)
    out = loss(labels, logits)
    out.backward(np.full(out.shape, 2.0))
    return labels.grad, logits.grad


def test_gradients_follow_tensorflow():
    """d/dlogits and, where TensorFlow gives one, d/dlabels, for an upstream gradient of 2."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4))
    sparse = np.array([3, 0, 1])
    _, d_logits = _grads(gn.nn.sparse_softmax_cross_entropy_with_logits, sparse, x)
    np.testing.assert_allclose(d_logits.numpy(), 2 * (_softmax(x) - np.eye(4)[sparse]), atol=1e-12)
    y = rng.uniform(0.1, 1.0, (3, 4))  # not normalised: softmax * sum(labels) - labels
    d_labels, d_logits = _grads(gn.nn.softmax_cross_entropy_with_logits, y, x)
    np.testing.assert_allclose(d_labels.numpy(), -2 * np.log(_softmax(x)), atol=1e-12)
    np.testing.assert_allclose(d_logits.numpy(), 2 * (_softmax(x) * y.sum(-1, keepdims=True) - y), atol=1e-12)
    z = rng.uniform(0.0, 1.0, (3, 4))
    d_labels, d_logits = _grads(gn.nn.sigmoid_cross_entropy_with_logits, z, x)
    np.testing.assert_allclose(d_labels.numpy(), -2 * x, atol=1e-12)
    np.testing.assert_allclose(d_logits.numpy(), 2 * (1 / (1 + np.exp(-x)) - z), atol=1e-12)


def test_softmax_cross_entropy_along_another_axis():
    rng = np.random.default_rng(6)
    y, x = _soft_labels(rng, (5, 3)).T, rng.standard_normal((3, 5))
    out = gn.nn.softmax_cross_entropy_with_logits(y, gn.tensor(x), axis=0)
    expected = gn.nn.softmax_cross_entropy_with_logits(y.T, gn.tensor(x.T))
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)


def test_sparse_labels_may_be_an_integer_tensor_or_a_scalar():
    x = gn.tensor(np.array([[0.0, 1.0], [2.0, 0.0]]))
    a = gn.nn.sparse_softmax_cross_entropy_with_logits(gn.tensor([1, 0]), x)
    b = gn.nn.sparse_softmax_cross_entropy_with_logits(np.array([1, 0], dtype=np.int32), x)
    np.testing.assert_allclose(a.numpy(), b.numpy())
    one = gn.nn.sparse_softmax_cross_entropy_with_logits(1, gn.tensor(np.array([0.0, 1.0])))
    assert one.shape == ()


BAD_INPUTS = [  # (id, loss, labels, logits shape, message)
    ("label_too_large", gn.nn.sparse_softmax_cross_entropy_with_logits, [0, 5], (2, 5),
     r"labels must be in \[0, 5\) for 5 classes\. Received: a label of 5"),
    ("label_negative", gn.nn.sparse_softmax_cross_entropy_with_logits, [-1, 0], (2, 5),
     r"labels must be in \[0, 5\) for 5 classes\. Received: a label of -1"),
    ("float_labels", gn.nn.sparse_softmax_cross_entropy_with_logits, np.array([0.0, 1.0]), (2, 5),
     r"labels must be integer class indices .* Received: labels.dtype=float64"),
    ("bool_labels", gn.nn.sparse_softmax_cross_entropy_with_logits, np.array([True, False]), (2, 5),
     r"labels must be integer class indices"),
    ("sparse_shape", gn.nn.sparse_softmax_cross_entropy_with_logits, [0, 1, 2], (2, 5),
     r"labels must have shape logits.shape\[:-1\] = \(2,\)\. Received: labels.shape=\(3,\)"),
    ("sparse_one_hot_given", gn.nn.sparse_softmax_cross_entropy_with_logits, np.eye(5, dtype=int)[:2],
     (2, 5), r"labels must have shape logits.shape\[:-1\]"),
    ("sparse_scalar_logits", gn.nn.sparse_softmax_cross_entropy_with_logits, 0, (),
     r"logits need a class axis"),
    ("softmax_shape", gn.nn.softmax_cross_entropy_with_logits, np.ones((2, 4)) / 4, (2, 5),
     r"softmax_cross_entropy_with_logits: labels and logits must have the same shape"),
    ("sigmoid_shape", gn.nn.sigmoid_cross_entropy_with_logits, np.ones(3), (2, 3),
     r"sigmoid_cross_entropy_with_logits: labels and logits must have the same shape"),
]


@pytest.mark.parametrize("name, loss, labels, shape, message", BAD_INPUTS, ids=[r[0] for r in BAD_INPUTS])
def test_bad_labels_raise_a_clear_value_error(name, loss, labels, shape, message):
    with pytest.raises(ValueError, match=message):
        loss(labels, gn.tensor(np.zeros(shape)))
