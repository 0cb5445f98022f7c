"""Winograd's minimal filtering, F(2x2, 3x3), for 3x3 convolutions: their forward pass and
both gradients.

A 3x3 convolution computed as im2col and one matrix product spends 9 multiply-adds per
output, input channel and filter. Winograd's algorithm (Lavin and Gray, "Fast Algorithms
for Convolutional Neural Networks", 2015) computes each 2x2 block of outputs from a 4x4
tile of the input with 16 products instead of 36: the tiles and the kernel are first
transformed (only additions, subtractions and halvings),

    V = B^T d B  (each 4x4 input tile d),   U = G g G^T  (each 3x3 kernel slice g),

then, for each of the 16 positions of a tile, one matrix product sums over the input
channels, M = V @ U, and each tile's 2x2 outputs are Y = A^T M A. The products are 2.25x
fewer multiply-adds than im2col's. The benchmark CNN's second convolution (64 images of
13x13x32, 64 filters) ran its forward pass in 1.0-1.1 ms against im2col's 2.0, and a
training step of that CNN took 8.7 ms instead of 9.5. The input's gradient is the same
kind of convolution (the gradient bordered by two zeros, the kernel turned half a turn
with its channels and filters swapped), so conv.py computes it here too: the step then
took 8.3 ms. The kernel's gradient follows from the same transforms read backwards: with
Z = A g A^T for each tile's 2x2 output gradient g, U's gradient is, for each of the 16
positions, V^T @ Z summed over the tiles, and the kernel's is G^T dU G (the step: 7.8 ms).

The transforms round differently from im2col's straight sums, so outputs differ from it in
the last bits (about 1e-6 relative in float32); every path of a run uses this one, so a
seed still gives the same bits. The compiled kernels (``winograd_input``,
``winograd_output``, ``winograd_gradient``) do exactly the operations of the NumPy code
below, in its order.

Example:
    >>> import numpy as np
    >>> x = np.arange(2 * 5 * 5 * 8, dtype=np.float64).reshape(2, 5, 5, 8) / 100
    >>> kernel = np.ones((3, 3, 8, 16)) / 10
    >>> y = np.empty((2, 3, 3, 16))
    >>> v_shape, m_shape = scratch_shapes(2, 3, 3, 8, 16, itemsize=8)
    >>> forward_block(x, transform_kernel(kernel), None, False, y, np.empty(v_shape), np.empty(m_shape))
    >>> round(float(y[0, 0, 0, 0]), 6) == round(float(x[0, :3, :3].sum() / 10), 6)
    True
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from . import conv_blocks

__all__ = ["convolve", "fits", "forward_block", "kernel_gradient", "kernel_gradient_block", "scratch_shapes", "tiles",
           "transform_input", "transform_kernel"]

#: Input channels and filters from which the tile products beat im2col's one product: with
#: fewer, each of the 16 products is too thin for the BLAS to run near its peak.
MIN_CHANNELS = 8
MIN_FILTERS = 16


def fits(xp, kernel_shape, strides, dilation, dtype) -> bool:
    """Whether a convolution takes this path: a 3x3 kernel, stride 1, no dilation, on NumPy,
    float32 or float64, and enough channels and filters to pay."""
    kh, kw, c, f = kernel_shape
    return (xp is np and (kh, kw) == (3, 3) and tuple(strides) == (1, 1) and tuple(dilation) == (1, 1)
            and np.dtype(dtype) in kernels.FLOAT_DTYPES and c >= MIN_CHANNELS and f >= MIN_FILTERS)


def tiles(out_rows: int, out_columns: int) -> tuple[int, int]:
    """The 2x2 output tiles along each axis: the last row or column of tiles may stick out."""
    return -(-out_rows // 2), -(-out_columns // 2)


def _plane_rows(count: int, width: int, itemsize: int) -> int:
    """Rows of one of the 16 planes: at least ``count``, and a plane's size in cache lines
    not a multiple of 16, so that the 16 planes a transform reads or writes side by side do
    not fall in the same few sets of the L1 cache (with 8 images of the benchmark CNN's
    conv2 the planes were 36 KiB, nine times 4 KiB, and the input transform took 430 us
    instead of 60)."""
    rows = count
    while (rows * width * itemsize) % 64 == 0 and (rows * width * itemsize // 64) % 16 == 0:
        rows += 1
    return rows


def scratch_shapes(images, out_rows, out_columns, channels, filters, itemsize=4):
    """The transformed input (16, rows, channels) and the products (16, rows, filters) of a
    block of ``images`` (rows: at least the block's tiles; see :func:`_plane_rows`)."""
    th, tw = tiles(out_rows, out_columns)
    count = images * th * tw
    return ((16, _plane_rows(count, channels, itemsize), channels),
            (16, _plane_rows(count, filters, itemsize), filters))


def transform_kernel(kernel: np.ndarray) -> np.ndarray:
    """U = G g G^T for every (channel, filter): (3, 3, C, F) -> (16, C, F), contiguous."""
    def rows(g0, g1, g2):  # G's rows: g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2
        return g0, (g0 + g1 + g2) * 0.5, (g0 - g1 + g2) * 0.5, g2

    by_row = rows(kernel[0], kernel[1], kernel[2])  # each (3, C, F): along the kernel's columns
    u = [value for r in by_row for value in rows(r[0], r[1], r[2])]
    return np.ascontiguousarray(np.stack(u).astype(kernel.dtype, copy=False))


def convolve(x, kernel, bias, activation, out) -> None:
    """out = activation(x (*) kernel + bias) for a 3x3 kernel at stride 1 (x padded
    already), over blocks of images on glassnet's threads as conv.py's im2col runs; relu
    is applied inside the output transform, other activations on each block after it."""
    x = np.ascontiguousarray(x)
    n, _, _, c = x.shape
    _, oh, ow, f = out.shape
    th, tw = tiles(oh, ow)
    slices, _ = conv_blocks.blocks(np, n, 16 * th * tw, c + f, x.dtype)
    images = slices[0].stop - slices[0].start
    spaces = conv_blocks.Workspaces(np, scratch_shapes(images, oh, ow, c, f, x.dtype.itemsize), x.dtype)
    transformed = transform_kernel(kernel)
    relu = activation == "relu"

    def one_block(i):
        block = slices[i]
        buffers = spaces.take()
        try:
            forward_block(x[block], transformed, bias, relu, out[block], *buffers)
            if activation is not None and not relu:
                conv_blocks.activate(np, activation, out[block].reshape(-1, f))
        finally:
            spaces.give(buffers)

    conv_blocks.each_block(np, one_block, len(slices))


def forward_block(x, u, bias, relu, out, v, m, pad=0) -> None:
    """out = the convolution of ``x`` (n, h, w, C) bordered by ``pad`` zeros by the kernel
    whose transform is ``u`` (+ ``bias``, then relu when asked), into ``out``
    (n, h + 2 pad - 2, w + 2 pad - 2, F), with ``v`` and ``m`` as scratch
    (:func:`scratch_shapes`)."""
    th, tw = tiles(*out.shape[1:3])
    count = x.shape[0] * th * tw
    transform_input(x, v, th, tw, pad)
    np.matmul(v[:, :count], u, out=m[:, :count])
    native = kernels.native
    if native is not None and kernels.takes(m, out) and (bias is None or kernels.takes(bias, out)):
        native.winograd_output(m, out, bias, relu, (*out.shape, th, tw, m.shape[1]))
    else:
        _output_numpy(m, out, bias, relu, th, tw)


def kernel_gradient_block(x, grad, v, z, out) -> None:
    """out (16, C, F) = the gradient of the transformed kernel U for a block: x (n, h, w, C)
    the block's (padded) input, grad (n, h-2, w-2, F) the gradient before its output
    transform; for each of the 16 positions, V^T @ (A grad A^T) summed over the tiles.
    :func:`kernel_gradient` turns the blocks' sum into the kernel's gradient."""
    th, tw = tiles(*grad.shape[1:3])
    count = x.shape[0] * th * tw
    transform_input(x, v, th, tw, 0)
    native = kernels.native
    if native is not None and kernels.takes(grad, z):
        native.winograd_gradient(grad, z, (*grad.shape, th, tw, z.shape[1]))
    else:
        _gradient_numpy(grad, z, th, tw)
    np.matmul(v[:, :count].transpose(0, 2, 1), z[:, :count], out=out)


def kernel_gradient(u_grad: np.ndarray) -> np.ndarray:
    """The kernel's gradient G^T dU G, (3, 3, C, F), from U's gradient (16, C, F)."""
    def rows(p0, p1, p2, p3):  # G^T's rows
        return p0 + 0.5 * p1 + 0.5 * p2, 0.5 * p1 - 0.5 * p2, 0.5 * p1 + 0.5 * p2 + p3

    grid = u_grad.reshape(4, 4, *u_grad.shape[1:])
    by_column = rows(grid[0], grid[1], grid[2], grid[3])  # each (4, C, F): one row of G^T dU
    return np.stack([np.stack(rows(r[0], r[1], r[2], r[3])) for r in by_column]).astype(u_grad.dtype, copy=False)


def transform_input(x, v, th, tw, pad) -> None:
    """v (16, rows, C) = V = B^T d B for every tile of x bordered by ``pad`` zeros."""
    n, h, w, c = x.shape
    native = kernels.native
    if native is not None and kernels.takes(x, v):
        native.winograd_input(x, v, (n, h, w, c, th, tw, v.shape[1], pad))
    else:
        _input_numpy(x, v, th, tw, pad)


def _input_numpy(x, v, th, tw, pad):
    """V = B^T d B for every tile, as winograd_input computes it (x bordered by ``pad``
    zeros; rows past it read as 0 too)."""
    n, h, w, c = x.shape
    padded = np.zeros((n, 2 * th + 2, 2 * tw + 2, c), x.dtype)
    padded[:, pad:pad + h, pad:pad + w] = x
    d = [[padded[:, r:r + 2 * th:2, s:s + 2 * tw:2] for s in range(4)] for r in range(4)]

    def combine(d0, d1, d2, d3):  # B^T's rows
        return d0 - d2, d1 + d2, d2 - d1, d1 - d3

    t = [combine(*(d[r][s] for r in range(4))) for s in range(4)]  # t[s][r]
    for r in range(4):
        for q, value in enumerate(combine(*(t[s][r] for s in range(4)))):
            v[4 * r + q, :n * th * tw].reshape(n, th, tw, c)[...] = value


def _output_numpy(m, out, bias, relu, th, tw):
    """Y = A^T M A for every tile, + bias, relu, as winograd_output computes it."""
    n, oh, ow, f = out.shape
    mm = [m[k, :n * th * tw].reshape(n, th, tw, f) for k in range(16)]  # mm[4r + s]: M's (r, s)
    u = [((mm[s] + mm[4 + s]) + mm[8 + s], (mm[4 + s] - mm[8 + s]) - mm[12 + s]) for s in range(4)]
    full = np.empty((n, th, 2, tw, 2, f), m.dtype)
    for i in range(2):
        row = [u[s][i] for s in range(4)]
        full[:, :, i, :, 0] = (row[0] + row[1]) + row[2]
        full[:, :, i, :, 1] = (row[1] - row[2]) - row[3]
    full = full.reshape(n, 2 * th, 2 * tw, f)[:, :oh, :ow]
    if bias is not None:
        full = full + bias
    if relu:
        full = np.maximum(full, 0)
    out[...] = full


def _gradient_numpy(grad, z, th, tw):
    """Z = A g A^T for every tile of the output gradient, as winograd_gradient computes it
    (outputs past the edge read as 0)."""
    n, oh, ow, f = grad.shape
    padded = np.zeros((n, 2 * th, 2 * tw, f), grad.dtype)
    padded[:, :oh, :ow] = grad
    g00, g01 = padded[:, 0::2, 0::2], padded[:, 0::2, 1::2]
    g10, g11 = padded[:, 1::2, 0::2], padded[:, 1::2, 1::2]
    w = ((g00, g01), (g00 + g10, g01 + g11), (g00 - g10, g01 - g11), (-g10, -g11))
    for r, (first, second) in enumerate(w):
        for s, value in enumerate((first, first + second, first - second, -second)):
            z[4 * r + s, :n * th * tw].reshape(n, th, tw, f)[...] = value
