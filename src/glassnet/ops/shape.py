"""Shape and indexing: reshape, transpose, expand_dims, squeeze, broadcast_to,
concatenate, stack, pad, and ``x[index]`` with slices, integer arrays and masks.

None of these change values, so each backward rule only moves the gradient back
to where the values came from.

Example:
    >>> import glassnet as gn
    >>> x = gn.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    >>> gn.sum(gn.transpose(x)[1:] * 2.0).backward()
    >>> x.grad.numpy()
    array([[0., 2., 2.]], dtype=float32)
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function, Tensor

__all__ = [
    "broadcast_to", "concatenate", "expand_dims", "getitem", "pad", "reshape", "squeeze",
    "stack", "transpose",
]


class Reshape(Function):
    """z = x with a new shape (same values, same order)."""

    @staticmethod
    def forward(ctx, x, *, shape):
        ctx.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} values) "
                f"into shape {tuple(shape) if not isinstance(shape, int) else (shape,)}"
            ) from None

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)

    @classmethod
    def specialize(cls, attrs, inputs, needs_grad):
        """The rules above with the shapes fixed (see Function.specialize): a loss's
        (batch, 1) -> (batch,) on every step of a one-unit output."""
        (in_shape, dtype), = inputs
        out_shape = _resolved(attrs.get("shape"), in_shape)
        if dtype is None or out_shape is None:
            return None

        def forward(ctx, x):
            ctx.shape = in_shape
            return x.reshape(out_shape)

        def backward(ctx, grad):
            return (grad.reshape(in_shape),)

        return forward, backward


def _resolved(shape, in_shape):
    """``shape`` as the tuple NumPy's reshape of ``in_shape`` gives (a -1 worked out), or None
    when it does not fit."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape) if shape is not None else None
    if shape is None or not all(isinstance(n, (int, np.integer)) for n in shape) or list(shape).count(-1) > 1:
        return None
    size = math.prod(in_shape)
    known = math.prod(n for n in shape if n != -1)
    if -1 in shape:
        if known <= 0 or size % known:
            return None
        shape = tuple(size // known if n == -1 else n for n in shape)
    return tuple(int(n) for n in shape) if math.prod(shape) == size and min(shape, default=0) >= 0 else None


class Transpose(Function):
    """z = x with its axes permuted (reversed when ``axes`` is None)."""

    @staticmethod
    def forward(ctx, x, *, axes=None):
        if axes is not None:
            axes = tuple(a % x.ndim if x.ndim else a for a in axes)
            if sorted(axes) != list(range(x.ndim)):
                raise ValueError(
                    f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of shape {x.shape}"
                )
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, grad):
        if ctx.axes is None:
            return grad.transpose()
        return grad.transpose(np.argsort(ctx.axes))


class BroadcastTo(Function):
    """z = x repeated along broadcast axes; the engine sums the gradient back."""

    @staticmethod
    def forward(ctx, x, *, shape):
        try:
            return ctx.xp.broadcast_to(x, shape)
        except ValueError:
            raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {tuple(shape)}") from None

    @staticmethod
    def backward(ctx, grad):
        return grad


class Concatenate(Function):
    """z = the inputs joined along ``axis``."""

    @staticmethod
    def forward(ctx, *xs, axis=0):
        if not xs:
            raise ValueError("concatenate: needs at least one tensor")
        try:
            out = ctx.xp.concatenate(xs, axis=axis)
        except (ValueError, np.exceptions.AxisError) as error:
            shapes = [x.shape for x in xs]
            raise ValueError(f"concatenate: cannot join shapes {shapes} along axis {axis}: {error}") from None
        ctx.axis = axis % out.ndim
        ctx.bounds = np.cumsum([x.shape[ctx.axis] for x in xs])[:-1]
        return out

    @staticmethod
    def backward(ctx, grad):
        return tuple(ctx.xp.split(grad, ctx.bounds, axis=ctx.axis))


class Pad(Function):
    """z = x surrounded by a constant (zeros by default)."""

    @staticmethod
    def forward(ctx, x, *, pad_width, constant_values=0):
        widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2)) if x.ndim else ()
        if np.any(np.asarray(widths) < 0):
            raise ValueError(f"pad: pad widths must be non-negative. Received: pad_width={pad_width!r}")
        ctx.slices = tuple(slice(int(lo), int(lo) + n) for (lo, _), n in zip(widths, x.shape))
        return ctx.xp.pad(x, widths, mode="constant", constant_values=constant_values)

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.slices]


def _selects_once(index) -> bool:
    """True when ``index`` picks each element at most once (slices, ints, None, masks)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer))
        or (hasattr(p, "dtype") and p.dtype == bool)
        for p in parts
    )


class GetItem(Function):
    """z = x[index]: slices, integers, integer arrays and boolean masks."""

    @staticmethod
    def forward(ctx, x, *, index):
        ctx.shape = x.shape
        ctx.index = index
        ctx.dtype = x.dtype
        try:
            return x[index]
        except IndexError as error:
            raise IndexError(f"getitem: {error} (tensor shape {x.shape}, index {index!r})") from None

    @staticmethod
    def backward(ctx, grad):
        full = ctx.xp.zeros(ctx.shape, dtype=grad.dtype)
        if _selects_once(ctx.index):
            full[ctx.index] = grad
        else:  # integer arrays may pick an element twice: add, don't overwrite
            ctx.xp.add.at(full, ctx.index, grad)
        return full


def _unwrap_index(index):
    """Turn tensors inside an index into arrays (they are never differentiated)."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


# ----- public functions -----------------------------------------------------------
def reshape(x, shape) -> Tensor:
    """Give x a new shape with the same number of values (one entry may be -1).

    Example:
        >>> import glassnet as gn
        >>> gn.reshape(gn.tensor([1.0, 2.0, 3.0, 4.0]), (2, -1)).shape
        TensorShape([2, 2])
    """
    return Reshape.apply(x, shape=tuple(shape) if not isinstance(shape, int) else (shape,))


def transpose(x, axes=None) -> Tensor:
    """Permute the axes (reverse them when ``axes`` is None)."""
    return Transpose.apply(x, axes=None if axes is None else tuple(axes))


def expand_dims(x, axis) -> Tensor:
    """Insert a size-1 axis at ``axis`` (an int or a tuple of ints)."""
    shape = tuple(x.shape) if hasattr(x, "shape") else ()
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    ndim = len(shape) + len(axes)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"expand_dims: axis {a} is out of bounds for a result of rank {ndim}")
    positions = sorted(a % ndim for a in axes)
    new_shape = list(shape)
    for p in positions:
        new_shape.insert(p, 1)
    return reshape(x, tuple(new_shape))


def squeeze(x, axis=None) -> Tensor:
    """Remove size-1 axes (all of them, or those named by ``axis``)."""
    shape = tuple(x.shape) if hasattr(x, "shape") else ()
    if axis is None:
        axes = {i for i, n in enumerate(shape) if n == 1}
    else:
        axes = {a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis)}
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"squeeze: cannot remove axis {a} of size {shape[a]} (shape {shape})")
    return reshape(x, tuple(n for i, n in enumerate(shape) if i not in axes))


def broadcast_to(x, shape) -> Tensor:
    """Repeat x along new or size-1 axes to reach ``shape``."""
    return BroadcastTo.apply(x, shape=tuple(shape))


def concatenate(tensors, axis=0) -> Tensor:
    """Join a sequence of tensors along an existing axis.

    Example:
        >>> import glassnet as gn
        >>> gn.concatenate([gn.tensor([1.0]), gn.tensor([2.0, 3.0])]).numpy()
        array([1., 2., 3.], dtype=float32)
    """
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis=0) -> Tensor:
    """Join a sequence of same-shaped tensors along a new axis."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    return concatenate([expand_dims(t, axis) for t in tensors], axis=axis)


def pad(x, pad_width, constant_values=0) -> Tensor:
    """Pad with a constant, NumPy style: ``pad_width`` is ((before, after), ...) per axis."""
    return Pad.apply(x, pad_width=pad_width, constant_values=constant_values)


def getitem(x, index) -> Tensor:
    """Return ``x[index]`` (slices, integers, integer arrays, boolean masks, ``None``, ``...``)."""
    return GetItem.apply(x, index=_unwrap_index(index))
