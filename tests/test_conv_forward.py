"""Forward values of conv1d/conv2d, pooling, dropout and batch_norm against references
written here as plain loops over output positions, in float64; TF 'same' sizes;
dtypes; validation messages. Gradients are checked in the shared table
(tests/grad_rows_conv.py), over the same configurations as here.
"""

import math

import numpy as np
import pytest

import glassnet as gn
from grad_rows_conv import CONV1D_CASES, CONV2D_CASES, POOL1D_CASES, POOL2D_CASES


# ----- references: nested loops over output positions ---------------------------------
def _pairs(value, n):
    return (value,) * n if isinstance(value, int) else tuple(value)


def _axis_geometry(size, window, stride, padding, dilation=1):
    """(out, pad_before) from TensorFlow's definitions, written independently of glassnet."""
    reach = (window - 1) * dilation + 1
    if padding == "valid":
        return (size - reach) // stride + 1, 0
    if padding == "causal":
        return (size - 1) // stride + 1, reach - 1
    out = math.ceil(size / stride)
    return out, max((out - 1) * stride + reach - size, 0) // 2


def reference_conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    n_batch, h, w, _ = x.shape
    kh, kw, _, filters = kernel.shape
    (sh, sw), (dh, dw) = _pairs(strides, 2), _pairs(dilation_rate, 2)
    out_h, top = _axis_geometry(h, kh, sh, padding, dh)
    out_w, left = _axis_geometry(w, kw, sw, padding, dw)
    out = np.zeros((n_batch, out_h, out_w, filters))
    for n in range(n_batch):
        for i in range(out_h):
            for j in range(out_w):
                for f in range(filters):
                    total = 0.0 if bias is None else bias[f]
                    for a in range(kh):
                        for b in range(kw):
                            row, col = i * sh + a * dh - top, j * sw + b * dw - left
                            if 0 <= row < h and 0 <= col < w:  # outside: a zero of the padding
                                total += np.dot(x[n, row, col, :], kernel[a, b, :, f])
                    out[n, i, j, f] = total
    return out


def reference_conv1d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    n_batch, length, _ = x.shape
    k, _, filters = kernel.shape
    s, d = _pairs(strides, 1)[0], _pairs(dilation_rate, 1)[0]
    out_len, before = _axis_geometry(length, k, s, padding, d)
    out = np.zeros((n_batch, out_len, filters))
    for n in range(n_batch):
        for i in range(out_len):
            for f in range(filters):
                total = 0.0 if bias is None else bias[f]
                for a in range(k):
                    t = i * s + a * d - before
                    if 0 <= t < length:
                        total += np.dot(x[n, t, :], kernel[a, :, f])
                out[n, i, f] = total
    return out


def reference_pool2d(x, reduce, pool_size=(2, 2), strides=None, padding="valid"):
    """Pool with ``reduce`` over the real elements of each window (padding never counts)."""
    n_batch, h, w, channels = x.shape
    ph, pw = _pairs(pool_size, 2)
    sh, sw = (ph, pw) if strides is None else _pairs(strides, 2)
    out_h, top = _axis_geometry(h, ph, sh, padding)
    out_w, left = _axis_geometry(w, pw, sw, padding)
    out = np.zeros((n_batch, out_h, out_w, channels))
    for n in range(n_batch):
        for i in range(out_h):
            for j in range(out_w):
                for c in range(channels):
                    window = [x[n, r, q, c]
                              for r in range(i * sh - top, i * sh - top + ph)
                              for q in range(j * sw - left, j * sw - left + pw)
                              if 0 <= r < h and 0 <= q < w]
                    out[n, i, j, c] = reduce(window)
    return out


def reference_pool1d(x, reduce, pool_size=2, strides=None, padding="valid"):
    pool_size = _pairs(pool_size, 1)[0]
    strides = None if strides is None else (1, _pairs(strides, 1)[0])
    return reference_pool2d(x[:, None], reduce, (1, pool_size), strides, padding)[:, 0]


def _draw(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ----- convolutions -------------------------------------------------------------------
@pytest.mark.parametrize("name, x_shape, k_shape, with_bias, options", CONV2D_CASES, ids=[c[0] for c in CONV2D_CASES])
def test_conv2d_matches_loops(name, x_shape, k_shape, with_bias, options):
    x, kernel, bias = _draw(x_shape, 1), _draw(k_shape, 2), (_draw(k_shape[-1:], 3) if with_bias else None)
    out = gn.nn.conv2d(x, kernel, bias, **options)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), reference_conv2d(x, kernel, bias, **options), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, x_shape, k_shape, with_bias, options", CONV1D_CASES, ids=[c[0] for c in CONV1D_CASES])
def test_conv1d_matches_loops(name, x_shape, k_shape, with_bias, options):
    x, kernel, bias = _draw(x_shape, 1), _draw(k_shape, 2), (_draw(k_shape[-1:], 3) if with_bias else None)
    out = gn.nn.conv1d(x, kernel, bias, **options)
    np.testing.assert_allclose(out.numpy(), reference_conv1d(x, kernel, bias, **options), rtol=1e-12, atol=1e-12)


def test_conv1d_equals_conv2d_on_a_height_1_image():
    x, kernel, bias = _draw((2, 9, 3)), _draw((3, 3, 2), 1), _draw((2,), 2)
    one_d = gn.nn.conv1d(x, kernel, bias, strides=2, padding="same", dilation_rate=1)
    two_d = gn.nn.conv2d(x[:, None], kernel[None], bias, strides=(1, 2), padding="same")
    np.testing.assert_allclose(one_d.numpy(), two_d.numpy()[:, 0])


def test_same_padding_puts_the_odd_zero_at_the_end():
    # length 4, kernel 3, stride 2: 2 outputs, one zero of padding, after the input (TensorFlow)
    x = np.array([[[1.0], [2.0], [3.0], [4.0]]])
    out = gn.nn.conv1d(x, np.ones((3, 1, 1)), strides=2, padding="same")
    np.testing.assert_array_equal(out.numpy()[0, :, 0], [1 + 2 + 3, 3 + 4])
    # even kernel, stride 1: the one zero goes at the bottom/right
    image = np.arange(9.0).reshape(1, 3, 3, 1)
    out = gn.nn.conv2d(image, np.ones((2, 2, 1, 1)), padding="same").numpy()[0, :, :, 0]
    np.testing.assert_array_equal(out, [[0 + 1 + 3 + 4, 1 + 2 + 4 + 5, 2 + 5],
                                        [3 + 4 + 6 + 7, 4 + 5 + 7 + 8, 5 + 8],
                                        [6 + 7, 7 + 8, 8]])


def test_causal_conv1d_sees_only_the_past():
    x = np.array([[[1.0], [2.0], [3.0], [4.0]]])
    out = gn.nn.conv1d(x, np.ones((2, 1, 1)), padding="causal", dilation_rate=2)
    np.testing.assert_array_equal(out.numpy()[0, :, 0], [1, 2, 1 + 3, 2 + 4])


@pytest.mark.parametrize("size, kernel, stride, padding, dilation, expected", [
    (28, 3, 1, "same", 1, 28), (28, 3, 2, "same", 1, 14), (7, 3, 2, "same", 1, 4), (7, 2, 3, "same", 1, 3),
    (5, 4, 1, "same", 1, 5), (3, 5, 1, "same", 1, 3), (28, 3, 1, "valid", 1, 26), (7, 3, 2, "valid", 1, 3),
    (8, 3, 3, "valid", 1, 2), (9, 3, 1, "valid", 2, 5), (9, 3, 2, "same", 2, 5),
])
def test_output_sizes_follow_tensorflow(size, kernel, stride, padding, dilation, expected):
    x = np.zeros((1, size, 6, 1))
    out = gn.nn.conv2d(x, np.zeros((kernel, 1, 1, 1)), strides=(stride, 1), padding=padding,
                       dilation_rate=(dilation, 1))
    assert out.shape[1] == expected
    assert gn.ops.conv.output_size(size, kernel, stride, padding, dilation)[0] == expected


def test_non_contiguous_inputs_give_the_values_of_their_copies():
    x = _draw((5, 7, 2, 3)).transpose(2, 1, 0, 3)  # (2, 7, 5, 3), not contiguous
    dense = np.ascontiguousarray(x)
    kernel = _draw((3, 2, 3, 4), 1)
    for fn in (lambda a: gn.nn.conv2d(a, kernel, strides=2, padding="same"), lambda a: gn.nn.max_pool2d(a, 3, 2),
               lambda a: gn.nn.avg_pool2d(a, padding="same"), lambda a: gn.ops.batch_norm(a)):
        np.testing.assert_allclose(fn(x).numpy(), fn(dense).numpy(), rtol=1e-12, atol=1e-12)


# ----- pooling ------------------------------------------------------------------------
@pytest.mark.parametrize("name, x_shape, options", POOL2D_CASES, ids=[c[0] for c in POOL2D_CASES])
@pytest.mark.parametrize("op, reduce", [(gn.nn.max_pool2d, max), (gn.nn.avg_pool2d, np.mean)], ids=["max", "avg"])
def test_pool2d_matches_loops(name, x_shape, options, op, reduce):
    x = _draw(x_shape)
    np.testing.assert_allclose(op(x, **options).numpy(), reference_pool2d(x, reduce, **options), rtol=1e-12)


@pytest.mark.parametrize("name, x_shape, options", POOL1D_CASES, ids=[c[0] for c in POOL1D_CASES])
@pytest.mark.parametrize("op, reduce", [(gn.nn.max_pool1d, max), (gn.nn.avg_pool1d, np.mean)], ids=["max", "avg"])
def test_pool1d_matches_loops(name, x_shape, options, op, reduce):
    x = _draw(x_shape)
    np.testing.assert_allclose(op(x, **options).numpy(), reference_pool1d(x, reduce, **options), rtol=1e-12)


def test_same_pooling_ignores_the_padding():
    x = -np.ones((1, 3, 3, 1))  # a padding of zeros would win every edge max and shrink every edge mean
    np.testing.assert_array_equal(gn.nn.max_pool2d(x, padding="same").numpy(), -np.ones((1, 2, 2, 1)))
    np.testing.assert_array_equal(gn.nn.avg_pool2d(x, 3, 2, padding="same").numpy(), -np.ones((1, 2, 2, 1)))


def test_max_pool_sends_a_tied_window_gradient_to_its_first_maximum_only():
    x = gn.tensor(np.zeros((1, 4, 4, 1)), requires_grad=True)  # every window ties (zeros after relu)
    gn.sum(gn.nn.max_pool2d(x) * 3.0).backward()
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 3.0
    np.testing.assert_array_equal(x.grad.numpy()[0, :, :, 0], expected)
    # overlapping windows: each window still routes its gradient to one element
    y = gn.tensor(np.zeros((1, 5, 1)), requires_grad=True)
    gn.sum(gn.nn.max_pool1d(y, 3, 2)).backward()
    np.testing.assert_array_equal(y.grad.numpy()[0, :, 0], [1.0, 0.0, 1.0, 0.0, 0.0])


def test_avg_pool_same_spreads_the_gradient_over_real_elements():
    x = gn.tensor(np.zeros((1, 3, 1)), requires_grad=True)
    gn.sum(gn.nn.avg_pool1d(x, 2, padding="same")).backward()  # windows {0, 1} and {2}
    np.testing.assert_array_equal(x.grad.numpy()[0, :, 0], [0.5, 0.5, 1.0])


# ----- dropout ------------------------------------------------------------------------
def test_dropout_keeps_one_minus_rate_and_scales_the_kept():
    x = np.ones((400, 500))
    y = gn.nn.dropout(x, 0.3, np.random.default_rng(0)).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.005
    np.testing.assert_allclose(y[kept], 1 / 0.7)
    assert abs(y.mean() - 1.0) < 0.01  # inverted dropout keeps the expected value


def test_dropout_is_deterministic_given_the_generator_and_rate_zero_is_identity():
    x = gn.tensor(_draw((20, 30)))
    first = gn.nn.dropout(x, 0.5, np.random.default_rng(7)).numpy()
    again = gn.nn.dropout(x, 0.5, np.random.default_rng(7)).numpy()
    other = gn.nn.dropout(x, 0.5, np.random.default_rng(8)).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert gn.nn.dropout(x, 0.0, np.random.default_rng(0)) is x
    generator = np.random.default_rng(3)  # one generator advances: successive masks differ
    assert not np.array_equal(gn.nn.dropout(x, 0.5, generator).numpy(), gn.nn.dropout(x, 0.5, generator).numpy())


def test_dropout_gradient_is_the_mask_and_noise_shape_drops_whole_slices():
    x = gn.tensor(np.ones((8, 6, 4)), requires_grad=True)
    y = gn.nn.dropout(x, 0.5, np.random.default_rng(2), noise_shape=(None, 1, 4))
    gn.sum(y).backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())
    values = y.numpy()
    assert (values == values[:, :1, :]).all()  # each (batch, channel) kept or dropped along axis 1
    assert set(np.unique(values)) == {0.0, 2.0}


def test_dropout_mask_does_not_depend_on_the_dtype():
    x = _draw((10, 10))
    y64 = gn.nn.dropout(x, 0.4, np.random.default_rng(5)).numpy()
    y32 = gn.nn.dropout(x.astype(np.float32), 0.4, np.random.default_rng(5)).numpy()
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, y64, rtol=1e-6)


# ----- batch normalization ------------------------------------------------------------
def test_batch_norm_normalizes_each_channel():
    x = _draw((64, 5)) * np.arange(1.0, 6.0) + np.arange(5.0) * 10
    out = gn.ops.batch_norm(x, epsilon=1e-3).numpy()
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-3), rtol=1e-12)
    assert np.all(np.abs(out.var(axis=0) - 1) < 1e-2)


@pytest.mark.parametrize("shape, axis", [((6, 4), -1), ((3, 4, 5, 2), -1), ((3, 2, 4, 5), 1), ((4, 3, 2), -2)])
def test_batch_norm_matches_the_formula(shape, axis):
    x, channels = _draw(shape) * 3 + 1, shape[axis]
    gamma, beta = _draw((channels,), 1), _draw((channels,), 2)
    axes = tuple(i for i in range(len(shape)) if i != axis % len(shape))
    broadcast = [1] * len(shape)
    broadcast[axis] = channels
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma.reshape(broadcast) + beta.reshape(broadcast)
    np.testing.assert_allclose(gn.ops.batch_norm(x, gamma, beta, axis=axis).numpy(), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gn.ops.batch_norm(x, axis=axis).numpy(), (x - mean) / np.sqrt(var + 1e-3),
                               rtol=1e-10, atol=1e-12)


def test_batch_normalization_with_given_statistics_matches_the_formula():
    x, mean, variance = _draw((4, 3)), _draw((3,), 1), np.array([0.5, 1.0, 2.0])
    offset, scale = _draw((3,), 2), _draw((3,), 3)
    out = gn.nn.batch_normalization(x, mean, variance, offset, scale, 1e-3).numpy()
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(variance + 1e-3) * scale + offset)


# ----- dtypes -------------------------------------------------------------------------
@pytest.mark.parametrize("fn, shapes", [
    (lambda x, k, b: gn.nn.conv2d(x, k, b, padding="same", strides=2), ((2, 7, 5, 3), (3, 3, 3, 4), (4,))),
    (lambda x, k, b: gn.nn.conv1d(x, k, b, padding="causal", dilation_rate=2), ((2, 7, 3), (3, 3, 4), (4,))),
    (lambda x: gn.nn.max_pool2d(x, 3, 2, "same"), ((2, 7, 5, 3),)),
    (lambda x: gn.nn.avg_pool2d(x, 3, 2, "same"), ((2, 7, 5, 3),)),
    (lambda x: gn.nn.max_pool1d(x, 3, 2, "same"), ((2, 7, 3),)),
    (lambda x: gn.nn.avg_pool1d(x, 3, 2, "same"), ((2, 7, 3),)),
    (lambda x: gn.nn.dropout(x, 0.5, np.random.default_rng(0)), ((4, 5),)),
    (lambda x, g, b: gn.ops.batch_norm(x, g, b), ((8, 3), (3,), (3,))),
], ids=["conv2d", "conv1d", "max_pool2d", "avg_pool2d", "max_pool1d", "avg_pool1d", "dropout", "batch_norm"])
def test_float32_in_float32_out_and_gradients(fn, shapes):
    inputs = [gn.tensor(_draw(s, i).astype(np.float32), requires_grad=True) for i, s in enumerate(shapes)]
    out = fn(*inputs)
    assert out.dtype == np.float32
    gn.sum(out * out).backward()
    assert all(t.grad.dtype == np.float32 for t in inputs)


@pytest.mark.parametrize("op, arrays, attrs", [
    ("Conv2D", ((2, 6, 5, 3), (3, 3, 3, 4), (4,)), {"strides": (2, 1), "padding": "same", "dilation_rate": (1, 1)}),
    ("Conv1D", ((2, 6, 3), (3, 3, 4)), {"strides": (1,), "padding": "causal", "dilation_rate": (2,)}),
    ("MaxPool2D", ((2, 7, 5, 3),), {"pool_size": (3, 3), "strides": (2, 2), "padding": "same"}),
    ("AvgPool2D", ((2, 7, 5, 3),), {"pool_size": (3, 3), "strides": (2, 2), "padding": "same"}),
    ("BatchNorm", ((2, 3, 5), (3,), (3,)), {"axis": 1, "epsilon": 1e-3}),
    ("BatchNorm", ((4, 5, 3), (3,), (3,)), {"axis": -1, "epsilon": 1e-3}),
])
def test_rules_keep_float32_inside(op, arrays, attrs):
    """The engine casts gradients to the inputs' dtype; this checks the rules never make float64."""
    cls = gn.autograd.REGISTRY[op]
    inputs = [_draw(shape, i).astype(np.float32) for i, shape in enumerate(arrays)]
    ctx = object.__new__(cls)
    ctx.xp, ctx.needs_grad = np, (True,) * len(inputs)
    out = cls.forward(ctx, *inputs, **attrs)
    grads = cls.backward(ctx, np.ones_like(out))
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert out.dtype == np.float32 and [g.dtype for g in grads[:len(inputs)]] == [np.float32] * len(inputs)


# ----- validation ---------------------------------------------------------------------
@pytest.mark.parametrize("call, message", [
    (lambda: gn.nn.conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 2, 4))),
     r"conv2d: input channels 3 do not match kernel's 2 \(input shape \(1, 5, 5, 3\), kernel shape \(3, 3, 2, 4\)\)"),
    (lambda: gn.nn.conv2d(np.zeros((5, 5, 3)), np.zeros((3, 3, 3, 4))),
     r"conv2d: expected inputs of rank 4 .*\(5, 5, 3\)"),
    (lambda: gn.nn.conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 4))), r"conv2d: expected a kernel of rank 4"),
    (lambda: gn.nn.conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 3, 4)), padding="full"),
     r"conv2d: padding must be one of \('valid', 'same'\). Received: padding='full'"),
    (lambda: gn.nn.conv2d(np.zeros((1, 2, 5, 3)), np.zeros((3, 3, 3, 4))),
     r"conv2d: the kernel's reach \(3, 3\) .* larger than the input's spatial size \(2, 5\) with padding='valid'"),
    (lambda: gn.nn.conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 3, 4)), dilation_rate=3),
     r"conv2d: the kernel's reach \(7, 7\)"),
    (lambda: gn.nn.conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 3, 4)), strides=0),
     r"conv2d: strides must be a positive integer or a tuple of 2 positive integers. Received: strides=0"),
    (lambda: gn.nn.conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 3, 4)), dilation_rate=(1, 2, 3)),
     r"conv2d: dilation_rate must be .* Received: dilation_rate=\(1, 2, 3\)"),
    (lambda: gn.nn.conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 3, 4)), np.zeros(3)),
     r"conv2d: bias must have shape \(4,\)"),
    (lambda: gn.nn.conv1d(np.zeros((1, 5, 3)), np.zeros((3, 2, 4))),
     r"conv1d: input channels 3 do not match kernel's 2"),
    (lambda: gn.nn.conv1d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 4))), r"conv1d: expected inputs of rank 3"),
    (lambda: gn.nn.conv1d(np.zeros((1, 2, 3)), np.zeros((3, 3, 4))), r"conv1d: the kernel's reach \(3,\)"),
    (lambda: gn.nn.max_pool2d(np.zeros((1, 5, 5, 3)), padding="SAME_LOWER"), r"max_pool2d: padding must be one of"),
    (lambda: gn.nn.max_pool2d(np.zeros((1, 1, 5, 3))), r"max_pool2d: pool_size \(2, 2\) is larger than .* \(1, 5\)"),
    (lambda: gn.nn.avg_pool2d(np.zeros((1, 5, 5, 3)), pool_size=(2, 0)), r"avg_pool2d: pool_size must be"),
    (lambda: gn.nn.avg_pool1d(np.zeros((1, 5, 5, 3))), r"avg_pool1d: expected inputs of rank 3"),
    (lambda: gn.nn.max_pool1d(np.zeros((1, 5, 3)), strides=-1), r"max_pool1d: strides must be"),
    (lambda: gn.nn.dropout(np.zeros(3), 1.0, np.random.default_rng(0)),
     r"dropout: rate must be a number in \[0, 1\). Received: rate=1.0"),
    (lambda: gn.nn.dropout(np.zeros(3), -0.1, np.random.default_rng(0)), r"dropout: rate must be"),
    (lambda: gn.nn.dropout(np.zeros((2, 3)), 0.5, np.random.default_rng(0), noise_shape=(2, 2)),
     r"dropout: noise_shape .* Received: noise_shape=\(2, 2\) with input shape \(2, 3\)"),
    (lambda: gn.ops.batch_norm(np.zeros((4, 3)), np.ones(4)), r"batch_norm: gamma must have shape \(3,\)"),
    (lambda: gn.ops.batch_norm(np.zeros((4, 3)), None, np.ones(2), axis=0), r"batch_norm: beta must have shape \(4,\)"),
    (lambda: gn.ops.batch_norm(np.zeros((4, 3)), axis=2), r"batch_norm: axis must be an integer in \[-2, 2\)"),
    (lambda: gn.ops.batch_norm(np.zeros((4, 3)), epsilon=-1.0), r"batch_norm: epsilon must be >= 0"),
])
def test_validation_errors_name_the_op_and_what_was_received(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_dropout_needs_a_generator():
    with pytest.raises(TypeError, match="dropout: generator must be a random generator"):
        gn.nn.dropout(np.zeros(3), 0.5, 0)
