"""Convolutions over channels-last inputs: ``conv2d`` and ``conv1d``.

Both are computed as im2col plus a matrix product: a strided view of the (padded)
input holds every window without copying, one copy lays it out as the columns
``cols`` of shape (N*H'*W', kh*kw*C), and ``cols @ kernel`` (kernel reshaped to
(kh*kw*C, F)) gives the outputs. The backward pass computes the kernel's gradient as
``cols^T @ grad`` and scatters ``grad @ kernel^T`` back through the windows (col2im),
with one product and one add per kernel offset. A 3x3 kernel at stride 1 (most of a
CNN's convolutions) computes its forward pass and both gradients with Winograd's
F(2x2, 3x3) instead, 2.25x fewer multiply-adds (:mod:`glassnet.ops.winograd`). On NumPy
this runs over blocks of a few images on glassnet's threads, sized so each block's
columns stay in cache (:mod:`glassnet.ops.conv_blocks`); no Python loop runs over single
output positions. An activation whose derivative follows from its output (relu,
sigmoid, tanh) can be fused in, as in ``glassnet.nn.dense``.

Padding follows TensorFlow: 'valid' uses no padding; 'same' gives ``ceil(in / stride)``
outputs, padding with zeros split evenly and the odd one at the bottom/right; conv1d
also takes 'causal' (zeros on the left only, Keras's Conv1D option).

Example:
    >>> import numpy as np
    >>> import glassnet as gn
    >>> x = gn.tensor(np.arange(16.0).reshape(1, 4, 4, 1))
    >>> kernel = gn.tensor(np.ones((2, 2, 1, 1)), requires_grad=True)
    >>> y = gn.nn.conv2d(x, kernel, strides=2)
    >>> y.numpy()[0, :, :, 0]
    array([[10., 18.],
           [42., 50.]])
    >>> gn.sum(y).backward(); kernel.grad.numpy()[:, :, 0, 0]
    array([[20., 24.],
           [36., 40.]])
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..autograd import Function, Tensor
from . import conv_blocks, winograd
from .activation import KERNEL_CODES, OUTPUT_RULES
from .conv_blocks import each_block, offset_slices

__all__ = ["conv1d", "conv2d"]

_PADDINGS = ("valid", "same")


# ----- shared geometry (pooling uses it too) ----------------------------------------
def spatial_tuple(value, n, name, op):
    """``value`` as a tuple of ``n`` positive ints (an int is repeated), else ValueError."""
    values = (value,) * n if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != n or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in values
    ):
        raise ValueError(
            f"{op}: {name} must be a positive integer or a tuple of {n} positive integers. "
            f"Received: {name}={value!r}"
        )
    return tuple(int(v) for v in values)


def check_padding(padding, op, allowed=_PADDINGS):
    """The padding name in lower case, or a ValueError naming the op and the choices."""
    name = padding.lower() if isinstance(padding, str) else None
    if name not in allowed:
        raise ValueError(f"{op}: padding must be one of {allowed}. Received: padding={padding!r}")
    return name


def output_size(size, window, stride=1, padding="valid", dilation=1):
    """Output length of one spatial axis, and the zeros to pad before and after it.

    ``window`` is the kernel or pool size; with ``dilation`` d its reach is
    ``(window - 1) * d + 1``. 'valid': ``(size - reach) // stride + 1`` (0 or less when
    the window does not fit); 'same': ``ceil(size / stride)``, padded as TensorFlow does
    (the odd zero goes after); 'causal': every zero before, then as 'valid'.

    Returns:
        ``(out, pad_before, pad_after)``.

    Example:
        >>> output_size(7, 3, stride=2, padding="same")
        (4, 1, 1)
        >>> output_size(6, 2, stride=2, padding="same")
        (3, 0, 0)
        >>> output_size(5, 3, padding="valid", dilation=2)
        (1, 0, 0)
    """
    reach = (window - 1) * dilation + 1
    if padding == "same":
        out = -(-size // stride)
        total = max((out - 1) * stride + reach - size, 0)
        return out, total // 2, total - total // 2
    before = reach - 1 if padding == "causal" else 0
    return (size + before - reach) // stride + 1, before, 0


def _shape(a):
    return tuple(a.shape) if hasattr(a, "shape") else np.shape(a)


def _pad(xp, x, pads, fill=0):
    """x with ``pads`` ((before, after) per spatial axis) added around axes 1..2, or x itself."""
    if not any(any(p) for p in pads):
        return x
    (top, bottom), (left, right) = pads
    n, h, w, c = x.shape
    padded = xp.full((n, h + top + bottom, w + left + right, c), fill, dtype=x.dtype)
    padded[:, top:top + h, left:left + w] = x
    return padded


# ----- conv2d ---------------------------------------------------------------------
class Conv2D(Function):
    """z = activation(sum over (a, b, c) of x_padded[n, s*i + d*a, s*j + d*b, c] *
    kernel[a, b, c, f] + bias[f]): one node computed with im2col and matrix products (a
    3x3 kernel's forward pass and gradients with Winograd's F(2x2, 3x3),
    glassnet.ops.winograd), for speed (composed from slicing, multiply and sum it would
    take kh*kw*3 nodes and a Python-level product per kernel offset). As in the fused
    dense op, the activation is
    optional and limited to those whose derivative follows from their output (relu,
    sigmoid, tanh): it is applied to each block of outputs while that block is still in
    cache, and in backward the gradient is masked block by block, so no separate
    activation node allocates and sweeps a full-size array each way."""

    @staticmethod
    def forward(ctx, x, kernel, bias=None, *, strides=(1, 1), padding="valid", dilation_rate=(1, 1),
                activation=None):
        xp = ctx.xp
        kh, kw, _, f = kernel.shape
        n, h, w, _ = x.shape
        rows = output_size(h, kh, strides[0], padding, dilation_rate[0])
        columns = output_size(w, kw, strides[1], padding, dilation_rate[1])
        out_shape = (rows[0], columns[0])
        x = _pad(xp, x, (rows[1:], columns[1:]))
        out = xp.empty((n, *out_shape, f), dtype=xp.result_type(x.dtype, kernel.dtype))
        if (winograd.fits(xp, kernel.shape, strides, dilation_rate, out.dtype) and x.dtype == kernel.dtype
                and (bias is None or bias.dtype == kernel.dtype) and min(out_shape) > 0):
            winograd.convolve(x, kernel, bias, activation, out)
        else:
            conv_blocks.im2col_forward(xp, x, kernel, bias, strides, dilation_rate, activation, out)
        ctx.derivative = None if activation is None else OUTPUT_RULES[activation][1]
        ctx.activation = activation
        ctx.save(x, kernel, out if activation is not None else None)
        ctx.geometry = ((rows[1], columns[1]), (h, w), out_shape, strides, dilation_rate)
        return out

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        x, kernel, out = ctx.saved
        (top, left), (h, w), out_shape, strides, dilation = ctx.geometry
        kh, kw, c, f = kernel.shape
        flat_kernel = kernel.reshape(-1, f)
        needs = ctx.needs_grad
        need_x, need_kernel = needs[0], needs[1]
        need_bias = len(needs) > 2 and needs[2]
        gx = gkernel = gbias = None
        width = flat_kernel.shape[0]
        dtype = xp.result_type(x.dtype, grad.dtype, kernel.dtype)
        # a 3x3 kernel's gradient by Winograd's transforms too: for each of the 16 positions,
        # the input's tiles against the gradient's, summed over tiles (ops/winograd.py)
        tiled_kernel = need_kernel and winograd.fits(xp, kernel.shape, strides, dilation, dtype) and kernel.dtype == dtype
        # else, with a column of ones beside the columns, one product gives the kernel's and
        # the bias's gradients (the bias's is the ones' row) instead of a product and a sum;
        # on narrow columns (3x3 of one channel: 9) the extra column cost more than the sum
        # (measured), so only from 32 on
        ones = bool(need_kernel and need_bias and width >= 32 and not tiled_kernel)
        blocks, block_rows = conv_blocks.blocks(xp, x.shape[0], out_shape[0] * out_shape[1], width + ones, dtype)
        # each block's kernel (and bias) gradient apart, summed in block order after: the
        # sum of the blocks one after another, however the threads took them
        kernel_parts = None
        if need_kernel:
            kernel_parts = xp.empty((len(blocks), 16, c, f) if tiled_kernel else (len(blocks), width + ones, f),
                                    dtype=dtype)
        bias_parts = xp.empty((len(blocks), f), dtype=dtype) if need_bias and not ones else None
        # the input's gradient is the gradient (bordered by two zeros) convolved with the
        # kernel turned half a turn, its channels and filters swapped: for 3x3 kernels, by
        # Winograd's algorithm as forward computes (conv2 of the benchmark CNN: 53 -> 39 us an image)
        rotated = None
        if need_x and winograd.fits(xp, (kh, kw, f, c), strides, dilation, dtype) and kernel.dtype == dtype:
            rotated = winograd.transform_kernel(kernel[::-1, ::-1].transpose(0, 1, 3, 2))
            gx = np.empty(x.shape, dtype=dtype)  # every element written
        elif need_x:
            gx = xp.zeros(x.shape, dtype=dtype)
            offsets = [(slice(None), *offset_slices((a * dilation[0], b * dilation[1]), out_shape, strides))
                       for a in range(kh) for b in range(kw)]
            # kernel[a, b]^T for each offset, (kh*kw, f, c): one product per offset gives that
            # offset's gradient contiguous, so col2im adds whole rows instead of strided pieces
            offset_kernels = xp.ascontiguousarray(kernel.reshape(kh * kw, c, f).transpose(0, 2, 1))
            col2im = kernels.native.col2im if kernels.native is not None and kernels.takes(gx) else None
        compiled = None
        im2col = (need_kernel and not tiled_kernel) or (need_x and rotated is None)  # columns wanted
        shapes = [(block_rows if im2col else 0, width + ones)]
        if ctx.derivative is not None:  # a block's gradient before the activation
            shapes.append((block_rows, f))
            compiled = kernels.native if grad.dtype == dtype and kernels.takes(grad, out) else None
        images = blocks[0].stop - blocks[0].start
        input_tiles = kernel_tiles = len(shapes)  # where Winograd's two scratch buffers start
        if rotated is not None:
            shapes += winograd.scratch_shapes(images, *x.shape[1:3], f, c, dtype.itemsize)
        if tiled_kernel:
            kernel_tiles = len(shapes)
            shapes += winograd.scratch_shapes(images, *out_shape, c, f, dtype.itemsize)
        spaces = conv_blocks.Workspaces(xp, shapes, dtype)

        def backward_block(i):
            block = blocks[i]
            buffers = spaces.take()
            scratch = buffers[0]
            try:
                flat_grad = grad[block].reshape(-1, f)
                bias_part = None if bias_parts is None else bias_parts[i]
                if compiled is not None:  # the same product in one pass, no mask array, and
                    # d/dbias (grad summed over every position) beside it (see kernels)
                    flat_grad = buffers[1][: len(flat_grad)]
                    compiled.dense_grad(grad[block].reshape(-1, f), out[block].reshape(-1, f),
                                        KERNEL_CODES[ctx.activation], flat_grad, bias_part)
                    bias_part = None
                elif ctx.derivative is not None:
                    # d/d(pre-activation) = grad * activation'(pre-activation), written from the output
                    flat_grad = xp.multiply(flat_grad, ctx.derivative(out[block].reshape(-1, f)),
                                            out=buffers[1][: len(flat_grad)])
                if bias_part is not None:  # d/dbias, summed as the kernel sums it
                    xp.sum(flat_grad, axis=0, out=bias_part)
                if tiled_kernel or rotated is not None:  # the gradient before the activation, as images
                    pre = np.ascontiguousarray(flat_grad).reshape(-1, *out_shape, f)
                if tiled_kernel:
                    winograd.kernel_gradient_block(np.ascontiguousarray(x[block]), pre,
                                                   *buffers[kernel_tiles:kernel_tiles + 2], kernel_parts[i])
                # d/dkernel = cols^T @ grad, the columns rebuilt block by block
                elif kernel_parts is not None:
                    cols = conv_blocks.columns(xp, x[block], (kh, kw), out_shape, strides, dilation, scratch, width)
                    if ones:  # set per block: the input's gradient below reuses the scratch
                        scratch[:len(cols), width] = 1
                        cols = scratch[:len(cols)]
                    xp.matmul(cols.T, flat_grad, out=kernel_parts[i])
                if rotated is not None:
                    winograd.forward_block(pre, rotated, None, False, gx[block],
                                           *buffers[input_tiles:input_tiles + 2], pad=kh - 1)
                elif need_x:
                    # d/dcols = grad @ kernel^T, one offset (a, b) at a time; col2im adds each
                    # offset's gradient back where the windows read it
                    grad_cols = scratch.reshape(-1)[: len(flat_grad) * kh * kw * c].reshape(kh * kw, len(flat_grad), c)
                    xp.matmul(flat_grad, offset_kernels, out=grad_cols)
                    gx_block = gx[block]
                    if col2im is not None:  # the same additions in one call (see kernels)
                        col2im(grad_cols, gx_block, (len(gx_block), *gx.shape[1:], *out_shape, kh, kw,
                                                     *strides, *dilation))
                    else:
                        for where, grad_offset in zip(offsets, grad_cols):
                            gx_block[where] += grad_offset.reshape(-1, *out_shape, c)
            finally:
                spaces.give(buffers)

        each_block(xp, backward_block, len(blocks))
        if kernel_parts is not None:
            gkernel = xp.zeros(kernel_parts.shape[1:], dtype=dtype)
            for part in kernel_parts:
                gkernel += part
            if tiled_kernel:
                gkernel = winograd.kernel_gradient(gkernel)
        if bias_parts is not None:
            gbias = xp.zeros((f,), dtype=dtype)
            for part in bias_parts:
                gbias += part
        if gkernel is not None:
            if ones:
                gkernel, gbias = gkernel[:width], gkernel[width]
            gkernel = gkernel.reshape(kernel.shape)
        if need_x and gx.shape[1:3] != (h, w):  # drop the padding's gradient
            gx = gx[:, top:top + h, left:left + w]
        return gx, gkernel, gbias


class Conv1D(Function):
    """conv1d as :class:`Conv2D` over a height-1 view of the input and kernel (no copy);
    its own node so graphs and gradient tables name it."""

    @staticmethod
    def forward(ctx, x, kernel, bias=None, *, strides=(1,), padding="valid", dilation_rate=(1,), activation=None):
        out = Conv2D.forward(ctx, x[:, None], kernel[None], bias, strides=(1, *strides),
                             padding=padding, dilation_rate=(1, *dilation_rate), activation=activation)
        return out[:, 0]

    @staticmethod
    def backward(ctx, grad):
        gx, gkernel, gbias = Conv2D.backward(ctx, grad[:, None])
        return (None if gx is None else gx[:, 0]), (None if gkernel is None else gkernel[0]), gbias


def _check_conv(op, x, kernel, bias, strides, padding, dilation_rate, activation, rank):
    """Validate a convolution's arguments; return strides, padding, dilation normalized."""
    if activation is not None and activation not in OUTPUT_RULES:
        raise ValueError(
            f"{op}: cannot fuse activation {activation!r}; expected None or one of "
            f"{sorted(OUTPUT_RULES)}. Apply other activations after {op}()."
        )
    x_shape, k_shape = _shape(x), _shape(kernel)
    layout = "(batch, length, channels)" if rank == 1 else "(batch, height, width, channels)"
    if len(x_shape) != rank + 2:
        raise ValueError(f"{op}: expected inputs of rank {rank + 2} {layout}. Received: input shape {x_shape}")
    if len(k_shape) != rank + 2:
        kernel_layout = "(width, in_channels, filters)" if rank == 1 else "(height, width, in_channels, filters)"
        raise ValueError(
            f"{op}: expected a kernel of rank {rank + 2} {kernel_layout}. Received: kernel shape {k_shape}"
        )
    if x_shape[-1] != k_shape[-2]:
        raise ValueError(
            f"{op}: input channels {x_shape[-1]} do not match kernel's {k_shape[-2]} "
            f"(input shape {x_shape}, kernel shape {k_shape})"
        )
    if bias is not None and _shape(bias) != (k_shape[-1],):
        raise ValueError(
            f"{op}: bias must have shape ({k_shape[-1]},), one value per filter. "
            f"Received: bias shape {_shape(bias)} with kernel shape {k_shape}"
        )
    strides = spatial_tuple(strides, rank, "strides", op)
    dilation_rate = spatial_tuple(dilation_rate, rank, "dilation_rate", op)
    padding = check_padding(padding, op, _PADDINGS + (("causal",) if rank == 1 else ()))
    sizes = x_shape[1:-1]
    if padding == "valid" and any(
        output_size(n, k, s, padding, d)[0] < 1
        for n, k, s, d in zip(sizes, k_shape[:rank], strides, dilation_rate)
    ):
        reach = tuple((k - 1) * d + 1 for k, d in zip(k_shape[:rank], dilation_rate))
        raise ValueError(
            f"{op}: the kernel's reach {reach} (kernel shape {k_shape}, dilation_rate {dilation_rate}) "
            f"is larger than the input's spatial size {tuple(sizes)} with padding='valid'. "
            f"Received: input shape {x_shape}"
        )
    return strides, padding, dilation_rate


def conv2d(x, kernel, bias=None, *, strides=(1, 1), padding="valid", dilation_rate=(1, 1),
           activation=None) -> Tensor:
    """2-D convolution (cross-correlation, as in TensorFlow) over channels-last images.

    Args:
        x: inputs of shape (batch, height, width, channels).
        kernel: shape (kernel_height, kernel_width, channels, filters).
        bias: optional, shape (filters,).
        strides: int or (stride_height, stride_width); default (1, 1).
        padding: 'valid' (no padding) or 'same' (``ceil(size / stride)`` outputs, zeros
            split as TensorFlow does, the odd one at the bottom/right).
        dilation_rate: int or pair; the kernel taps are this far apart. Default (1, 1).
        activation: None (linear, the default), 'relu', 'sigmoid' or 'tanh', applied
            inside the same node (as :func:`glassnet.nn.dense` does).

    Returns:
        A tensor of shape (batch, out_height, out_width, filters), in the inputs' dtype.

    Example:
        >>> import numpy as np
        >>> import glassnet as gn
        >>> x = gn.tensor(np.ones((2, 5, 5, 3), dtype="float32"))
        >>> kernel = gn.tensor(np.ones((3, 3, 3, 4), dtype="float32"))
        >>> tuple(gn.nn.conv2d(x, kernel, padding="same").shape)
        (2, 5, 5, 4)
        >>> gn.nn.conv2d(x, kernel, strides=2).numpy()[0, :, :, 0]
        array([[27., 27.],
               [27., 27.]], dtype=float32)
        >>> gn.nn.conv2d(x, -kernel, strides=2, activation="relu").numpy()[0, :, :, 0]
        array([[0., 0.],
               [0., 0.]], dtype=float32)
    """
    strides, padding, dilation_rate = _check_conv(
        "conv2d", x, kernel, bias, strides, padding, dilation_rate, activation, rank=2)
    inputs = (x, kernel) if bias is None else (x, kernel, bias)
    return Conv2D.apply(*inputs, strides=strides, padding=padding, dilation_rate=dilation_rate,
                        activation=activation)


def conv1d(x, kernel, bias=None, *, strides=1, padding="valid", dilation_rate=1, activation=None) -> Tensor:
    """1-D convolution (cross-correlation) over channels-last sequences.

    Args:
        x: inputs of shape (batch, length, channels).
        kernel: shape (kernel_width, channels, filters).
        bias: optional, shape (filters,).
        strides: int (or a 1-tuple); default 1.
        padding: 'valid', 'same' (as in :func:`conv2d`) or 'causal' (zeros on the left
            only, so output t sees inputs up to t).
        dilation_rate: int (or a 1-tuple); default 1.
        activation: None (linear, the default), 'relu', 'sigmoid' or 'tanh', applied
            inside the same node.

    Returns:
        A tensor of shape (batch, out_length, filters).

    Example:
        >>> import numpy as np
        >>> import glassnet as gn
        >>> x = gn.tensor([[[1.0], [2.0], [3.0], [4.0]]])
        >>> gn.nn.conv1d(x, gn.tensor([[[1.0]], [[-1.0]]])).numpy()[0, :, 0]
        array([-1., -1., -1.], dtype=float32)
    """
    strides, padding, dilation_rate = _check_conv(
        "conv1d", x, kernel, bias, strides, padding, dilation_rate, activation, rank=1)
    inputs = (x, kernel) if bias is None else (x, kernel, bias)
    return Conv1D.apply(*inputs, strides=strides, padding=padding, dilation_rate=dilation_rate,
                        activation=activation)
