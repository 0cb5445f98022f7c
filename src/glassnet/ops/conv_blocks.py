"""Convolutions on NumPy by blocks of images: the blocks, their scratch buffers, im2col.

conv.py's Conv2D and winograd.py both run a batch as tasks for glassnet's threads, one
block of images each, with scratch buffers each thread reuses; this module holds what
they share, and the im2col forward pass.

Example:
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> out = np.empty((1, 3, 3, 1))
    >>> im2col_forward(np, x, np.ones((2, 2, 1, 1)), None, (1, 1), (1, 1), None, out)
    >>> out[0, :, :, 0].tolist()[0]
    [10.0, 14.0, 18.0]
"""

from __future__ import annotations

import threading

import numpy as np

from .. import kernels, parallel
from .activation import OUTPUT_RULES

__all__ = ["BLOCK_BYTES", "MIN_BLOCKS", "Workspaces", "activate", "blocks", "columns", "each_block",
           "im2col_forward", "offset_slices"]


def offset_slices(offset, out, stride):
    """Slices of axes 1..2 taking, for each output position, the element at ``offset``
    of its window: ``offset + stride * o`` for o in range(out)."""
    return tuple(slice(i, i + (o - 1) * s + 1 if o else i, s) for i, o, s in zip(offset, out, stride))


# On NumPy the columns are built and multiplied a few images at a time, into a scratch
# buffer each thread reuses: each block is still in cache when the matrix product reads
# it, no (N*H'*W', kh*kw*C) array is ever kept, and fresh memory (whose first touch costs
# page faults) is not requested per block. Measured on the 64x26x26x32 benchmark: forward
# 14 -> 8 ms, backward 34 -> 21 ms; blocks of 2 to 4 images (of 24x24 outputs, 288
# columns, float32) were best. The blocks are tasks for glassnet's threads
# (glassnet.parallel), so a batch is cut into at least MIN_BLOCKS of them when it has
# the images; where they are cut depends on the shapes alone.
BLOCK_BYTES = 3 << 20
MIN_BLOCKS = 8


def blocks(xp, n, rows_per_image, width, dtype):
    """Slices of the batch axis to process together, and the rows of a scratch buffer
    big enough for one block. Off NumPy, one block: a GPU wants one big product."""
    if xp is np:
        step = max(1, BLOCK_BYTES // max(1, rows_per_image * width * dtype.itemsize))
        step = min(step, -(-n // MIN_BLOCKS))
    else:
        step = n
    step = max(1, min(step, n))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)], step * rows_per_image


class Workspaces:
    """Scratch buffers for the blocks in flight: a set per thread that asks, reused."""

    def __init__(self, xp, shapes, dtype, prepare=None):
        self.xp, self.shapes, self.dtype, self.prepare = xp, shapes, dtype, prepare
        self.free, self.lock = [], threading.Lock()

    def take(self):
        with self.lock:
            if self.free:
                return self.free.pop()
        buffers = tuple(self.xp.empty(shape, dtype=self.dtype) for shape in self.shapes)
        if self.prepare is not None:
            self.prepare(buffers)
        return buffers

    def give(self, buffers):
        with self.lock:
            self.free.append(buffers)


def each_block(xp, do, count):
    """do(0), ..., do(count - 1): on glassnet's threads on NumPy (each block writes its own
    part of the result), one after another elsewhere."""
    if xp is np:
        parallel.run(do, count)
    else:
        for block in range(count):
            do(block)


def columns(xp, x, kernel_size, out_shape, strides, dilation, scratch, width):
    """im2col into the first ``width`` numbers of ``scratch``'s rows: the (n*H'*W', kh*kw*C)
    matrix whose row (n, i, j) holds the window x[n, s*i + d*a, s*j + d*b, c] over (a, b, c).
    The compiled kernels copy it without the GIL (NumPy's copies of one-channel windows hold
    it: the first convolution's blocks then took turns on two threads, its forward pass
    0.76 ms a batch of the benchmark CNN against 0.6 so); else a strided view of x is copied
    in one go, or with one channel one copy per kernel offset (NumPy copies the
    single-channel window view element by element, about 3x slower on 28x28 images)."""
    n, _, _, c = x.shape
    rows = n * out_shape[0] * out_shape[1]
    native = kernels.native
    if native is not None and kernels.takes(x, scratch) and scratch.ndim == 2:
        native.im2col(x, scratch, (*x.shape, *out_shape, *kernel_size, *strides, *dilation, scratch.shape[1]))
        return scratch[:rows, :width]
    shape = (n, *out_shape, *kernel_size, c)
    cols = scratch[:rows, :width]
    if c == 1:
        grid = cols.reshape(shape)
        for a in range(kernel_size[0]):
            for b in range(kernel_size[1]):
                where = offset_slices((a * dilation[0], b * dilation[1]), out_shape, strides)
                grid[:, :, :, a, b] = x[(slice(None), *where)]
        return cols
    sn, sh, sw, sc = x.strides
    windows = xp.lib.stride_tricks.as_strided(
        x, shape, (sn, sh * strides[0], sw * strides[1], sh * dilation[0], sw * dilation[1], sc)
    )
    xp.copyto(cols.reshape(shape), windows)
    return cols


def activate(xp, name, y):
    """Apply the fused activation ``name`` to the block ``y`` (a matrix) in place."""
    if name == "relu":
        native = kernels.native
        if native is not None and kernels.takes(y):  # np.maximum's bits, 4x faster (its NaN checks)
            native.bias_act(y, None, kernels.BIAS_ACT_RELU)
        else:
            xp.maximum(y, 0, out=y)
    else:
        y[...] = OUTPUT_RULES[name][0](xp, y)


def im2col_forward(xp, x, kernel, bias, strides, dilation, activation, out):
    """out = activation(x (*) kernel + bias) by im2col and one product per block of images."""
    kh, kw, _, f = kernel.shape
    n, out_shape = x.shape[0], out.shape[1:3]
    flat_kernel = kernel.reshape(-1, f)
    width = flat_kernel.shape[0]
    with_bias = bias is not None
    slices, block_rows = blocks(xp, n, out_shape[0] * out_shape[1], width + with_bias, x.dtype)
    if with_bias:  # the bias rides in the product: a column of ones beside the columns and
        # the bias as the kernel's last row, so no pass over the output adds it (conv1 of
        # the benchmark CNN: forward 1.36 -> 1.05 ms)
        flat_kernel = xp.concatenate([flat_kernel, bias.reshape(1, f)])

    def ones_column(buffers):
        if with_bias:
            buffers[0][:, width] = 1

    spaces = Workspaces(xp, [(block_rows, width + with_bias)], x.dtype, ones_column)

    def forward_block(i):
        block = slices[i]
        (scratch,) = buffers = spaces.take()
        try:
            columns(xp, x[block], (kh, kw), out_shape, strides, dilation, scratch, width)
            flat_out = out[block].reshape(-1, f)  # a view: out is contiguous
            xp.matmul(scratch[:len(flat_out)], flat_kernel, out=flat_out)
            if activation is not None:
                activate(xp, activation, flat_out)
        finally:
            spaces.give(buffers)

    each_block(xp, forward_block, len(slices))
