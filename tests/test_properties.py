"""Property-based tests (hypothesis): random shapes and values against NumPy and against the math.

- Binary ops follow NumPy's broadcasting rules and values; their gradients come back
  summed to each input's shape and, where written out here, equal the calculus.
- Unary ops and reductions agree with NumPy; gradients are finite where the function
  is smooth (inputs are drawn from each op's smooth domain, away from kinks and ties).
- Cross-entropies from logits are invariant to a shared shift of the logits (value
  and gradient), and softmax rows sum to 1 within 1e-6 for logits up to +-1e4.

Every test is derandomized (the same examples each run, so the suite cannot flake)
and keeps no example database on disk.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet as gn
from glassnet import losses, ops

SETTINGS = settings(max_examples=40, deadline=None, database=None, derandomize=True)


def floats(low, high):
    return st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)


def arrays(shape, low=-5.0, high=5.0):
    return hnp.arrays(np.float64, shape, elements=floats(low, high))


def leaf(array):
    return gn.tensor(np.array(array, dtype=np.float64), requires_grad=True)


def unbroadcast(grad, shape):
    """Sum ``grad`` back to ``shape`` (what the engine must do for a broadcast input)."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


# ----- binary ops: broadcasting, values, gradients -------------------------------------------
def _positive(a):
    return np.abs(a) + 0.5


BINARY = [
    # (name, glassnet op, NumPy op, input transform, analytic d/dx, d/dy given (x, y))
    ("add", ops.add, np.add, None, lambda x, y: np.ones_like(x + y), lambda x, y: np.ones_like(x + y)),
    ("subtract", ops.subtract, np.subtract, None, lambda x, y: np.ones_like(x + y), lambda x, y: -np.ones_like(x + y)),
    ("multiply", ops.multiply, np.multiply, None, lambda x, y: y + 0 * x, lambda x, y: x + 0 * y),
    ("divide", ops.divide, np.divide, _positive, lambda x, y: 1 / y + 0 * x, lambda x, y: -x / y ** 2),
    ("power", ops.power, np.power, _positive, lambda x, y: y * x ** (y - 1), lambda x, y: x ** y * np.log(x)),
    ("maximum", ops.maximum, np.maximum, None, lambda x, y: (x > y) * 1.0, lambda x, y: (y > x) * 1.0),
    ("minimum", ops.minimum, np.minimum, None, lambda x, y: (x < y) * 1.0, lambda x, y: (y < x) * 1.0),
]


@pytest.mark.parametrize("name, op, reference, transform, dx, dy", BINARY, ids=[b[0] for b in BINARY])
@SETTINGS
@given(data=st.data())
def test_binary_ops_broadcast_like_numpy_with_exact_gradients(name, op, reference, transform, dx, dy, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4))
    x = data.draw(arrays(shapes.input_shapes[0]))
    y = data.draw(arrays(shapes.input_shapes[1]))
    if transform is not None:
        x, y = transform(x), transform(y)
    if name in ("maximum", "minimum"):
        assume(np.all(np.broadcast_to(x, shapes.result_shape) != np.broadcast_to(y, shapes.result_shape)))
    tx, ty = leaf(x), leaf(y)
    out = op(tx, ty)
    expected = reference(x, y)
    assert tuple(out.shape) == np.broadcast_shapes(x.shape, y.shape) == shapes.result_shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    upstream = data.draw(arrays(shapes.result_shape, -2.0, 2.0))
    (out * gn.tensor(upstream)).sum().backward()
    for tensor, rule in ((tx, dx), (ty, dy)):
        grad = tensor.grad.numpy()
        assert grad.shape == tensor.shape and np.isfinite(grad).all()
        np.testing.assert_allclose(grad, unbroadcast(upstream * rule(x, y), tensor.shape), rtol=1e-10, atol=1e-10)


@SETTINGS
@given(data=st.data())
def test_matmul_broadcasts_batch_axes_like_numpy(data):
    n, k, m = (data.draw(st.integers(1, 5)) for _ in range(3))
    batch = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    left_batch = data.draw(st.sampled_from([batch, (), batch[-1:]]))
    a, b = data.draw(arrays(left_batch + (n, k))), data.draw(arrays(batch + (k, m)))
    ta, tb = leaf(a), leaf(b)
    out = ops.matmul(ta, tb)
    np.testing.assert_allclose(out.numpy(), np.matmul(a, b), rtol=1e-12, atol=1e-12)
    out.sum().backward()
    assert ta.grad.shape == a.shape and tb.grad.shape == b.shape
    ones = np.ones(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (n, m))
    np.testing.assert_allclose(ta.grad.numpy(), unbroadcast(ones @ np.swapaxes(b, -1, -2), a.shape), rtol=1e-10)
    np.testing.assert_allclose(tb.grad.numpy(), unbroadcast(np.swapaxes(a, -1, -2) @ ones, b.shape), rtol=1e-10)


# ----- unary ops: values against NumPy, finite gradients on the smooth domain -----------------
def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


UNARY = [
    # (name, op, NumPy reference, low, high) on a domain where the op is smooth
    ("exp", ops.exp, np.exp, -30.0, 30.0),
    ("log", ops.log, np.log, 1e-3, 1e3),
    ("log1p", ops.log1p, np.log1p, -0.99, 1e3),
    ("sqrt", ops.sqrt, np.sqrt, 1e-3, 1e3),
    ("square", ops.square, np.square, -1e3, 1e3),
    ("negative", ops.negative, np.negative, -1e3, 1e3),
    ("tanh", ops.tanh, np.tanh, -50.0, 50.0),
    ("sigmoid", ops.sigmoid, _sigmoid, -50.0, 50.0),
    ("softplus", ops.softplus, lambda x: np.logaddexp(0.0, x), -50.0, 50.0),
    ("softsign", ops.softsign, lambda x: x / (1 + np.abs(x)), 0.1, 50.0),
    ("silu", ops.silu, lambda x: x * _sigmoid(x), -50.0, 50.0),
    ("elu_positive", ops.elu, lambda x: x, 0.01, 50.0),
    ("elu_negative", ops.elu, np.expm1, -50.0, -0.01),
    ("relu_positive", ops.relu, lambda x: x, 0.01, 50.0),
    ("abs_negative", ops.abs, np.abs, -50.0, -0.01),
]


@pytest.mark.parametrize("name, op, reference, low, high", UNARY, ids=[u[0] for u in UNARY])
@SETTINGS
@given(data=st.data())
def test_unary_ops_match_numpy_with_finite_gradients(name, op, reference, low, high, data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=5))
    x = data.draw(arrays(shape, low, high))
    tx = leaf(x)
    out = op(tx)
    np.testing.assert_allclose(out.numpy(), reference(x), rtol=1e-12, atol=1e-300)
    out.sum().backward()
    assert tx.grad.shape == x.shape and np.isfinite(tx.grad.numpy()).all()


# ----- reductions ------------------------------------------------------------------------------
REDUCTIONS = [("sum", ops.sum, np.sum), ("mean", ops.mean, np.mean), ("max", ops.max, np.max),
              ("min", ops.min, np.min), ("var", ops.var, np.var), ("std", ops.std, np.std)]


@pytest.mark.parametrize("name, op, reference", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@SETTINGS
@given(data=st.data())
def test_reductions_match_numpy_for_any_axis_and_keepdims(name, op, reference, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    x = data.draw(hnp.arrays(np.float64, shape, elements=floats(-5, 5), unique=name in ("max", "min", "std")))
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1)
                     | st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True).map(tuple))
    keepdims = data.draw(st.booleans())
    if name == "std":
        size = x.size if axis is None else int(np.prod([shape[a] for a in np.atleast_1d(axis)]))
        assume(size > 1)  # sqrt is not smooth at a variance of 0
    tx = leaf(x)
    out = op(tx, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.numpy(), reference(x, axis=axis, keepdims=keepdims), rtol=1e-12, atol=1e-12)
    out.sum().backward()
    assert tx.grad.shape == x.shape and np.isfinite(tx.grad.numpy()).all()


# ----- cross-entropies: invariant to a shared shift of the logits ------------------------------
LOGIT_LOSSES = [
    ("sparse_categorical", lambda labels, logits: losses.SparseCategoricalCrossentropy(from_logits=True)(
        labels, logits)),
    ("categorical", lambda labels, logits: losses.CategoricalCrossentropy(from_logits=True)(
        np.eye(logits.shape[-1])[labels], logits)),
    ("softmax_cross_entropy_op", lambda labels, logits: ops.softmax_cross_entropy_with_logits(
        np.eye(logits.shape[-1])[labels], logits)),
    ("sparse_softmax_cross_entropy_op", lambda labels, logits: ops.sparse_softmax_cross_entropy_with_logits(
        labels, logits)),
]


@pytest.mark.parametrize("loss", [row[1] for row in LOGIT_LOSSES], ids=[row[0] for row in LOGIT_LOSSES])
@SETTINGS
@given(data=st.data())
def test_logit_losses_are_invariant_to_a_shared_shift(loss, data):
    n, classes = data.draw(st.integers(1, 6)), data.draw(st.integers(2, 6))
    logits = data.draw(arrays((n, classes), -20.0, 20.0))
    labels = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, classes - 1)))
    per_row = data.draw(st.booleans())
    shift = data.draw(arrays((n, 1) if per_row else (), -1e3, 1e3))
    values, grads = [], []
    for z in (logits, logits + shift):
        tz = leaf(z)
        value = loss(labels, tz)
        value.sum().backward()
        values.append(value.numpy())
        grads.append(tz.grad.numpy())
    # float64 rounding of z + shift moves the logits by up to |shift| * 2^-53 each
    tolerance = 1e-12 + 4e-16 * (np.abs(shift).max() + np.abs(logits).max())
    np.testing.assert_allclose(values[1], values[0], rtol=0, atol=tolerance * 10)
    np.testing.assert_allclose(grads[1], grads[0], rtol=0, atol=tolerance * 10)


@SETTINGS
@given(data=st.data())
def test_binary_crossentropy_from_logits_is_finite_and_matches_the_stable_formula(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=5))
    logits = data.draw(arrays(shape, -1e4, 1e4))
    targets = data.draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0])))
    tz = leaf(logits)
    out = ops.sigmoid_cross_entropy_with_logits(targets, tz)
    expected = np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    out.sum().backward()
    assert np.isfinite(tz.grad.numpy()).all()


# ----- softmax at extreme logits -----------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@SETTINGS
@given(data=st.data())
def test_softmax_rows_sum_to_one_for_logits_up_to_1e4(dtype, data):
    n, classes = data.draw(st.integers(1, 8)), data.draw(st.integers(1, 12))
    logits = data.draw(hnp.arrays(np.float64, (n, classes), elements=floats(-1e4, 1e4))).astype(dtype)
    tz = gn.tensor(logits, dtype=dtype, requires_grad=True)
    probabilities = ops.softmax(tz)
    p = probabilities.numpy()
    assert p.dtype == np.dtype(dtype) and np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()
    np.testing.assert_allclose(p.astype(np.float64).sum(axis=-1), 1.0, rtol=0, atol=1e-6)
    assert np.isfinite(ops.log_softmax(tz).numpy()).all()
    labels = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, classes - 1)))
    loss = ops.sparse_softmax_cross_entropy_with_logits(labels, tz)
    assert np.isfinite(loss.numpy()).all()
    loss.sum().backward()
    assert np.isfinite(tz.grad.numpy()).all()
