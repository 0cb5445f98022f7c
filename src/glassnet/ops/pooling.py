"""Max and average pooling over channels-last inputs, 1-D and 2-D.

Each op visits the pool window's offsets, taking for every offset one strided view of
the input (the element at that offset of every window at once), so the only Python
loop runs over the ph*pw offsets of a window, never over the batch or the positions.

Padding follows TensorFlow: 'valid' uses only whole windows; 'same' gives
``ceil(size / stride)`` outputs, the windows hanging over the edge as for conv2d. The
padding never counts: max pooling ignores it, average pooling divides by the number
of real elements in each window, as TensorFlow does.

Example:
    >>> import numpy as np
    >>> import glassnet as gn
    >>> x = gn.tensor(np.arange(16, dtype="float32").reshape(1, 4, 4, 1), requires_grad=True)
    >>> y = gn.nn.max_pool2d(x)
    >>> y.numpy()[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    >>> gn.sum(y).backward(); x.grad.numpy()[0, :, :, 0]
    array([[0., 0., 0., 0.],
           [0., 1., 0., 1.],
           [0., 0., 0., 0.],
           [0., 1., 0., 1.]], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from .. import kernels, parallel
from ..autograd import Function, Tensor
from .conv import _pad, _shape, check_padding, output_size, spatial_tuple
from .conv_blocks import offset_slices

__all__ = ["avg_pool1d", "avg_pool2d", "max_pool1d", "max_pool2d"]


def _geometry(ctx, x, pool_size, strides, padding):
    """Output size and padding of both spatial axes; kept on ctx for backward."""
    rows = output_size(x.shape[1], pool_size[0], strides[0], padding)
    columns = output_size(x.shape[2], pool_size[1], strides[1], padding)
    ctx.out_shape = (rows[0], columns[0])
    ctx.pads = (rows[1:], columns[1:])
    ctx.in_shape = x.shape[1:3]
    ctx.pool_size, ctx.strides = pool_size, strides
    return ctx.pads


def _views(ctx, a):
    """For each window offset (row-major), the view of ``a`` holding that element of every window."""
    offsets = np.ndindex(*ctx.pool_size)
    return [a[(slice(None), *offset_slices(o, ctx.out_shape, ctx.strides))] for o in offsets]


def _crop(ctx, padded):
    """The input's part of a padded gradient (the array itself when there is no padding)."""
    (top, _), (left, _) = ctx.pads
    h, w = ctx.in_shape
    return padded if padded.shape[1:3] == (h, w) else padded[:, top:top + h, left:left + w]


def _by_batch_blocks(kernel, arrays, geometry):
    """kernel(*arrays, geometry) over blocks of the batch (axis 0 of every array) on
    glassnet's threads: each window is its own, so the blocks give the whole call's bits.
    Blocks of 8 images or more, at most 8 of them."""
    n = geometry[0]
    step = max(8, -(-n // 8))
    if step >= n:
        kernel(*arrays, geometry)
        return
    starts = range(0, n, step)

    def block(i):
        part = slice(starts[i], min(starts[i] + step, n))
        kernel(*(a[part] for a in arrays), (part.stop - part.start, *geometry[1:]))

    parallel.run(block, len(starts))


def _lowest(dtype):
    """The padding of max pooling: a value no real element is below."""
    return -np.inf if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).min


class MaxPool2D(Function):
    """z = the largest element of each window; one node computed on strided views, for
    speed. The gradient goes to one element per window: the first maximum in row-major
    window order (ties, such as windows of zeros after a relu, send it to one element only,
    as TensorFlow's CPU kernel does, not to each)."""

    @staticmethod
    def forward(ctx, x, *, pool_size=(2, 2), strides=(2, 2), padding="valid"):
        xp = ctx.xp
        pads = _geometry(ctx, x, pool_size, strides, padding)
        x = _pad(xp, x, pads, fill=_lowest(x.dtype))
        compiled = kernels.native
        if compiled is not None and kernels.takes(x):
            # one pass, keeping which element of each window backward routes to (see kernels)
            out = np.empty((x.shape[0], *ctx.out_shape, x.shape[3]), x.dtype)
            first = np.empty(out.shape, np.int32)
            ctx.geometry = (*x.shape, *ctx.out_shape, *ctx.pool_size, *ctx.strides)
            _by_batch_blocks(compiled.maxpool2d_forward, (x, out, first), ctx.geometry)
            ctx.padded_shape = x.shape
            ctx.save(first)
            return out
        ctx.geometry = None
        views = _views(ctx, x)
        out = views[0].copy()
        for view in views[1:]:
            xp.maximum(out, view, out=out)
        ctx.save(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        if ctx.geometry is not None:
            (first,) = ctx.saved
            grad = np.ascontiguousarray(grad)
            compiled = kernels.native
            if compiled is not None and grad.dtype in kernels.FLOAT_DTYPES:
                # windows that tile the input exactly (2x2 at stride 2 on an even size) have the
                # kernel write every element: no pass to zero it first (0.2 ms of 5.5 MB)
                tiled = ctx.strides == ctx.pool_size and all(
                    o * s == size for o, s, size in zip(ctx.out_shape, ctx.strides, ctx.padded_shape[1:3]))
                gx = (np.empty if tiled else np.zeros)(ctx.padded_shape, dtype=grad.dtype)
                _by_batch_blocks(compiled.maxpool2d_backward, (grad, first, gx), ctx.geometry)
            else:  # the kernels were turned off since forward: the same numbers, in NumPy
                gx = np.zeros(ctx.padded_shape, dtype=grad.dtype)
                _route_from_offsets(ctx, grad, first, gx)
            return _crop(ctx, gx)
        x, out = ctx.saved
        gx = xp.zeros(x.shape, dtype=grad.dtype)
        overlapping = any(s < p for s, p in zip(ctx.strides, ctx.pool_size))
        unrouted = xp.ones(out.shape, dtype=bool)  # windows whose max is not yet found
        for view, target in zip(_views(ctx, x), _views(ctx, gx)):
            first = view == out
            first &= unrouted
            unrouted ^= first
            if overlapping:
                target += grad * first
            else:  # each input element is in at most one window: write, don't add
                xp.multiply(grad, first, out=target)
        return _crop(ctx, gx)


def _route_from_offsets(ctx, grad, first, gx):
    """Backward from the window offsets the compiled forward kept, in NumPy: offset by
    offset, ``grad * (offset == first)`` into that offset's view of ``gx``."""
    overlapping = any(s < p for s, p in zip(ctx.strides, ctx.pool_size))
    for k, target in enumerate(_views(ctx, gx)):
        chosen = first == k
        if overlapping:
            target += grad * chosen
        else:
            np.multiply(grad, chosen, out=target)
    return gx


class AvgPool2D(Function):
    """z = the mean of the real (unpadded) elements of each window; one node computed on
    strided views, for speed. Each element's gradient is the sum, over the windows
    holding it, of that window's upstream gradient divided by its element count."""

    @staticmethod
    def forward(ctx, x, *, pool_size=(2, 2), strides=(2, 2), padding="valid"):
        xp = ctx.xp
        pads = _geometry(ctx, x, pool_size, strides, padding)
        views = _views(ctx, _pad(xp, x, pads))
        out = views[0] + views[1] if len(views) > 1 else views[0].copy()
        for view in views[2:]:
            out += view
        if any(any(p) for p in pads):  # count the real elements of each window
            ones = _pad(xp, xp.ones((1, *ctx.in_shape, 1), dtype=out.dtype), pads)
            counts = _views(ctx, ones)
            count = sum(counts[1:], counts[0].copy())
            ctx.scale = 1 / count  # (1, H', W', 1)
            out *= ctx.scale
        else:
            ctx.scale = 1 / len(views)  # a Python float keeps the dtype
            out *= ctx.scale
        return out

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        (top, bottom), (left, right) = ctx.pads
        h, w = ctx.in_shape
        gx = xp.zeros((grad.shape[0], h + top + bottom, w + left + right, grad.shape[-1]), dtype=grad.dtype)
        share = grad * ctx.scale
        for target in _views(ctx, gx):
            target += share
        return _crop(ctx, gx)


class MaxPool1D(Function):
    """max_pool1d as :class:`MaxPool2D` over a height-1 view (no copy); its own node."""

    @staticmethod
    def forward(ctx, x, *, pool_size=(2,), strides=(2,), padding="valid"):
        return MaxPool2D.forward(ctx, x[:, None], pool_size=(1, *pool_size), strides=(1, *strides),
                                 padding=padding)[:, 0]

    @staticmethod
    def backward(ctx, grad):
        return MaxPool2D.backward(ctx, grad[:, None])[:, 0]


class AvgPool1D(Function):
    """avg_pool1d as :class:`AvgPool2D` over a height-1 view (no copy); its own node."""

    @staticmethod
    def forward(ctx, x, *, pool_size=(2,), strides=(2,), padding="valid"):
        return AvgPool2D.forward(ctx, x[:, None], pool_size=(1, *pool_size), strides=(1, *strides),
                                 padding=padding)[:, 0]

    @staticmethod
    def backward(ctx, grad):
        return AvgPool2D.backward(ctx, grad[:, None])[:, 0]


def _pool(op, cls, x, pool_size, strides, padding, rank):
    """Validate a pooling call and apply ``cls``."""
    shape = _shape(x)
    if len(shape) != rank + 2:
        layout = "(batch, steps, channels)" if rank == 1 else "(batch, height, width, channels)"
        raise ValueError(f"{op}: expected inputs of rank {rank + 2} {layout}. Received: input shape {shape}")
    pool_size = spatial_tuple(pool_size, rank, "pool_size", op)
    strides = pool_size if strides is None else spatial_tuple(strides, rank, "strides", op)
    padding = check_padding(padding, op)
    if padding == "valid" and any(p > n for p, n in zip(pool_size, shape[1:-1])):
        raise ValueError(
            f"{op}: pool_size {pool_size} is larger than the input's spatial size {shape[1:-1]} "
            f"with padding='valid'. Received: input shape {shape}"
        )
    return cls.apply(x, pool_size=pool_size, strides=strides, padding=padding)


def max_pool2d(x, pool_size=(2, 2), strides=None, padding="valid") -> Tensor:
    """The maximum of each pool window of channels-last images.

    Args:
        x: inputs of shape (batch, height, width, channels).
        pool_size: int or (height, width) of the window; default (2, 2).
        strides: int or pair; default None, meaning ``pool_size``.
        padding: 'valid' or 'same' (TensorFlow's; the padding never wins the max).

    Returns:
        A tensor of shape (batch, out_height, out_width, channels). In backward, each
        window's gradient goes to its first maximum (row-major) only.

    Example:
        >>> import numpy as np
        >>> import glassnet as gn
        >>> x = gn.tensor(np.arange(9, dtype="float32").reshape(1, 3, 3, 1))
        >>> gn.nn.max_pool2d(x, padding="same").numpy()[0, :, :, 0]
        array([[4., 5.],
               [7., 8.]], dtype=float32)
    """
    return _pool("max_pool2d", MaxPool2D, x, pool_size, strides, padding, rank=2)


def avg_pool2d(x, pool_size=(2, 2), strides=None, padding="valid") -> Tensor:
    """The mean of each pool window of channels-last images.

    Args:
        x: inputs of shape (batch, height, width, channels).
        pool_size: int or (height, width) of the window; default (2, 2).
        strides: int or pair; default None, meaning ``pool_size``.
        padding: 'valid' or 'same' (TensorFlow's: each mean is over the window's real
            elements only, never the padding).

    Returns:
        A tensor of shape (batch, out_height, out_width, channels).

    Example:
        >>> import numpy as np
        >>> import glassnet as gn
        >>> x = gn.tensor(np.arange(9, dtype="float32").reshape(1, 3, 3, 1))
        >>> gn.nn.avg_pool2d(x, padding="same").numpy()[0, :, :, 0]
        array([[2. , 3.5],
               [6.5, 8. ]], dtype=float32)
    """
    return _pool("avg_pool2d", AvgPool2D, x, pool_size, strides, padding, rank=2)


def max_pool1d(x, pool_size=2, strides=None, padding="valid") -> Tensor:
    """The maximum of each pool window of channels-last sequences.

    Args:
        x: inputs of shape (batch, steps, channels).
        pool_size: int window length; default 2.
        strides: int; default None, meaning ``pool_size``.
        padding: 'valid' or 'same'.

    Returns:
        A tensor of shape (batch, out_steps, channels).

    Example:
        >>> import glassnet as gn
        >>> gn.nn.max_pool1d(gn.tensor([[[1.0], [3.0], [2.0], [0.0], [5.0]]])).numpy()[0, :, 0]
        array([3., 2.], dtype=float32)
    """
    return _pool("max_pool1d", MaxPool1D, x, pool_size, strides, padding, rank=1)


def avg_pool1d(x, pool_size=2, strides=None, padding="valid") -> Tensor:
    """The mean of each pool window of channels-last sequences.

    Args:
        x: inputs of shape (batch, steps, channels).
        pool_size: int window length; default 2.
        strides: int; default None, meaning ``pool_size``.
        padding: 'valid' or 'same' (means over the real elements only).

    Returns:
        A tensor of shape (batch, out_steps, channels).

    Example:
        >>> import glassnet as gn
        >>> gn.nn.avg_pool1d(gn.tensor([[[1.0], [3.0], [2.0], [0.0], [5.0]]]), padding="same").numpy()[0, :, 0]
        array([2., 1., 5.], dtype=float32)
    """
    return _pool("avg_pool1d", AvgPool1D, x, pool_size, strides, padding, rank=1)
