"""Winograd's F(2x2, 3x3) for 3x3 convolutions (glassnet.ops.winograd), forward and for the
input's gradient: the compiled transforms give the NumPy code's bits, the results agree
with im2col's, and Conv2D takes this path exactly where it should. Its gradients are in
the shared table (grad_rows_conv.py: the winograd_* rows)."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import kernels
from glassnet.ops import conv, conv_blocks, winograd

needs_kernels = pytest.mark.skipif(not kernels.available(), reason="glassnet was built without its C kernels")
pytestmark = pytest.mark.usefixtures("native_on_where_built")


def _run(x, kernel, bias, relu, native):
    n, h, w, c = x.shape
    f = kernel.shape[-1]
    out = np.full((n, h - 2, w - 2, f), np.nan, x.dtype)
    v_shape, m_shape = winograd.scratch_shapes(n, h - 2, w - 2, c, f, x.dtype.itemsize)
    previous = kernels.use_native(native)
    try:
        winograd.forward_block(x, winograd.transform_kernel(kernel), bias, relu, out,
                               np.empty(v_shape, x.dtype), np.empty(m_shape, x.dtype))
    finally:
        kernels.use_native(previous)
    return out


def _case(rng, shape, filters, dtype):
    x = rng.standard_normal(shape).astype(dtype)
    kernel = (rng.standard_normal((3, 3, shape[-1], filters)) * 0.3).astype(dtype)
    return x, kernel, rng.standard_normal(filters).astype(dtype)


def _im2col(x, kernel, bias, activation):
    out = np.empty((x.shape[0], x.shape[1] - 2, x.shape[2] - 2, kernel.shape[-1]), x.dtype)
    conv_blocks.im2col_forward(np, x, kernel, bias, (1, 1), (1, 1), activation, out)
    return out


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, filters", [((3, 13, 13, 32), 64), ((2, 6, 7, 8), 16), ((1, 5, 4, 9), 17),
                                            ((2, 3, 3, 8), 16)])
@pytest.mark.parametrize("with_bias, relu", [(True, True), (True, False), (False, True), (False, False)])
def test_compiled_transforms_give_numpys_bits(shape, filters, dtype, with_bias, relu):
    x, kernel, bias = _case(np.random.default_rng(1), shape, filters, dtype)
    x[0, 0, 0, :3] = [np.nan, -0.0, np.inf]  # NaN and infinities travel the same way too
    bias = bias if with_bias else None
    compiled, numpy = _run(x, kernel, bias, relu, True), _run(x, kernel, bias, relu, False)
    assert compiled.tobytes() == numpy.tobytes()


@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 2e-6), (np.float64, 1e-14)])
@pytest.mark.parametrize("activation", [None, "relu"])
def test_agrees_with_im2col(dtype, tolerance, activation):
    x, kernel, bias = _case(np.random.default_rng(2), (4, 13, 11, 32), 64, dtype)
    expected = _im2col(x, kernel, bias, activation)
    got = _run(x, kernel, bias, activation == "relu", kernels.available())
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=0, atol=tolerance * np.abs(expected).max())


def test_kernel_transform_matches_its_definition():
    kernel = np.random.default_rng(3).standard_normal((3, 3, 2, 5))
    g = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
    expected = np.einsum("ra,abcf,sb->rscf", g, kernel, g).reshape(16, 2, 5)
    np.testing.assert_allclose(winograd.transform_kernel(kernel), expected, rtol=1e-14)
    assert winograd.transform_kernel(kernel.astype(np.float32)).dtype == np.float32


def test_planes_never_start_a_multiple_of_1_kib_apart():
    # 8 images of 11x11 outputs, 32 channels: 288 tiles of 128 bytes is nine times 4 KiB
    for images in range(1, 20):
        for width in (8, 16, 32, 64, 128):
            v_shape, m_shape = winograd.scratch_shapes(images, 11, 11, width, width)
            tiles = images * 36
            for shape in (v_shape, m_shape):
                assert shape[1] >= tiles
                assert (shape[1] * shape[2] * 4) % 1024 != 0


@pytest.mark.parametrize("kernel_shape, strides, dilation, dtype, fits", [
    ((3, 3, 32, 64), (1, 1), (1, 1), np.float32, True),
    ((3, 3, 8, 16), (1, 1), (1, 1), np.float64, True),
    ((3, 3, 7, 16), (1, 1), (1, 1), np.float32, False),   # too few channels to pay
    ((3, 3, 8, 15), (1, 1), (1, 1), np.float32, False),   # too few filters
    ((3, 3, 1, 32), (1, 1), (1, 1), np.float32, False),   # a first layer on images
    ((3, 3, 32, 64), (2, 2), (1, 1), np.float32, False),
    ((3, 3, 32, 64), (1, 1), (2, 2), np.float32, False),
    ((5, 5, 32, 64), (1, 1), (1, 1), np.float32, False),
    ((3, 3, 32, 64), (1, 1), (1, 1), np.float16, False),
])
def test_which_convolutions_take_it(kernel_shape, strides, dilation, dtype, fits):
    assert winograd.fits(np, kernel_shape, strides, dilation, dtype) is fits


def test_conv2d_uses_it_for_its_3x3_layers_and_im2col_elsewhere(monkeypatch):
    calls = []
    original = winograd.forward_block
    monkeypatch.setattr(winograd, "forward_block", lambda *args: calls.append(1) or original(*args))
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 9, 9, 8)).astype(np.float32)
    gn.nn.conv2d(x, rng.standard_normal((3, 3, 8, 16)).astype(np.float32), padding="same")
    assert calls
    calls.clear()
    gn.nn.conv2d(x, rng.standard_normal((3, 3, 8, 16)).astype(np.float32), strides=2)
    gn.nn.conv2d(x, rng.standard_normal((3, 3, 8, 4)).astype(np.float32))
    gn.nn.conv2d(x, rng.standard_normal((3, 3, 8, 16)))  # float64 kernel, float32 input: im2col
    assert not calls


def test_conv2d_output_is_winograds_bits():
    rng = np.random.default_rng(5)
    x, kernel, bias = _case(rng, (3, 10, 9, 16), 32, np.float32)
    layer_out = gn.nn.conv2d(x, kernel, bias, activation="relu").numpy()
    assert layer_out.tobytes() == _run(x, kernel, bias, True, kernels.available()).tobytes()


@needs_kernels
def test_compiled_transforms_refuse_bad_geometry():
    x = np.zeros((1, 6, 6, 8), np.float32)
    v = np.zeros((16, 4, 8), np.float32)
    with pytest.raises(ValueError, match="fewer rows than there are tiles"):
        kernels.native.winograd_input(x, v, (1, 6, 6, 8, 3, 3, 4, 0))
    with pytest.raises(ValueError, match="reach past the input"):
        kernels.native.winograd_input(x, np.zeros((16, 16, 8), np.float32), (1, 6, 6, 8, 4, 4, 16, 0))
    with pytest.raises(ValueError, match="size differs"):
        kernels.native.winograd_input(x, v, (1, 6, 6, 8, 2, 2, 5, 0))
    with pytest.raises(ValueError, match="do not cover the output"):
        kernels.native.winograd_output(np.zeros((16, 4, 8), np.float32), np.zeros((1, 5, 4, 8), np.float32),
                                       None, True, (1, 5, 4, 8, 2, 2, 4))
    with pytest.raises(TypeError):
        kernels.native.winograd_output(np.zeros((16, 4, 8), np.float64), np.zeros((1, 4, 4, 8), np.int32),
                                       None, True, (1, 4, 4, 8, 2, 2, 4))


def _conv_backward(x, kernel, bias, grad, native):
    previous = kernels.use_native(native)
    try:
        ctx = object.__new__(conv.Conv2D)
        ctx.xp, ctx.needs_grad = np, (True, True, True)
        conv.Conv2D.forward(ctx, x, kernel, bias, activation="relu")
        return conv.Conv2D.backward(ctx, grad)
    finally:
        kernels.use_native(previous)


def test_input_gradient_uses_it_with_16_channels_and_8_filters(monkeypatch):
    rng = np.random.default_rng(6)
    calls = []
    original = winograd.forward_block
    monkeypatch.setattr(winograd, "forward_block", lambda *args, **kw: calls.append(args[4].shape) or original(*args, **kw))
    x, kernel, bias = _case(rng, (2, 7, 6, 16), 8, np.float32)  # forward: im2col (8 filters)
    _conv_backward(x, kernel, bias, rng.standard_normal((2, 5, 4, 8)).astype(np.float32), kernels.available())
    # the input's gradient only, in blocks of the input's shape covering the batch
    assert {shape[1:] for shape in calls} == {(7, 6, 16)} and sum(shape[0] for shape in calls) == 2


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_backward_gives_numpys_bits(dtype):
    rng = np.random.default_rng(7)
    x, kernel, bias = _case(rng, (3, 9, 8, 16), 24, dtype)
    grad = rng.standard_normal((3, 7, 6, 24)).astype(dtype)
    with_kernels, without = _conv_backward(x, kernel, bias, grad, True), _conv_backward(x, kernel, bias, grad, False)
    for a, b in zip(with_kernels, without):
        assert a.tobytes() == b.tobytes()


def test_input_gradient_agrees_with_im2col(monkeypatch):
    rng = np.random.default_rng(8)
    x, kernel, bias = _case(rng, (4, 13, 11, 32), 64, np.float32)
    grad = rng.standard_normal((4, 11, 9, 64)).astype(np.float32)
    by_winograd = _conv_backward(x, kernel, bias, grad, kernels.available())[0]
    monkeypatch.setattr(winograd, "fits", lambda *args: False)
    by_im2col = _conv_backward(x, kernel, bias, grad, kernels.available())[0]
    np.testing.assert_allclose(by_winograd, by_im2col, rtol=0, atol=2e-6 * np.abs(by_im2col).max())


def test_kernel_gradient_agrees_with_im2col(monkeypatch):
    rng = np.random.default_rng(9)
    x, kernel, bias = _case(rng, (4, 13, 11, 32), 64, np.float32)
    grad = rng.standard_normal((4, 11, 9, 64)).astype(np.float32)
    by_winograd = _conv_backward(x, kernel, bias, grad, kernels.available())
    monkeypatch.setattr(winograd, "fits", lambda *args: False)
    by_im2col = _conv_backward(x, kernel, bias, grad, kernels.available())
    for got, expected in zip(by_winograd[1:], by_im2col[1:]):  # the kernel's and the bias's
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=0, atol=2e-6 * np.abs(expected).max())


def test_kernel_gradient_of_transformed_kernel_matches_its_definition():
    u_grad = np.random.default_rng(10).standard_normal((16, 3, 5))
    g = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
    expected = np.einsum("ra,rscf,sb->abcf", g, u_grad.reshape(4, 4, 3, 5), g)
    np.testing.assert_allclose(winograd.kernel_gradient(u_grad), expected, rtol=0, atol=1e-14)


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("out_rows, out_columns", [(11, 11), (4, 6), (5, 3), (1, 1)])
def test_compiled_gradient_transform_gives_numpys_bits(dtype, out_rows, out_columns):
    grad = np.random.default_rng(11).standard_normal((2, out_rows, out_columns, 16)).astype(dtype)
    grad[0, 0, 0, :2] = [-0.0, np.nan]
    th, tw = winograd.tiles(out_rows, out_columns)
    _, z_shape = winograd.scratch_shapes(2, out_rows, out_columns, 16, 16, grad.dtype.itemsize)
    results = []
    for native in (True, False):
        z = np.full(z_shape, 7.0, dtype)
        previous = kernels.use_native(native)
        try:
            x = np.zeros((2, out_rows + 2, out_columns + 2, 16), dtype)
            winograd.kernel_gradient_block(x, grad, np.empty(z_shape, dtype), z, np.empty((16, 16, 16), dtype))
        finally:
            kernels.use_native(previous)
        results.append(z[:, :2 * th * tw])
    assert results[0].tobytes() == results[1].tobytes()
