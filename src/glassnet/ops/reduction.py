"""Reductions over any axes: sum, mean, max, min, var, std.

Example:
    >>> import glassnet as gn
    >>> x = gn.tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
    >>> gn.max(x, axis=1).backward(gn.tensor([1.0, 1.0]))
    >>> x.grad.numpy()
    array([[0., 1.],
           [1., 0.]], dtype=float32)
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from ..autograd import Function, Tensor
from .elementwise import multiply, sqrt, subtract

__all__ = ["max", "mean", "min", "std", "sum", "var"]

_add_reduce = np.add.reduce
_SCALAR_MATH = (np.dtype(np.float32), np.dtype(np.float64))  # dtypes whose scalar division is checked equal


_NORMALIZED = {}  # (axis, ndim) -> axes, for the few settings a model's reductions use


def normalize_axes(axis, ndim: int, op: str):
    """Return ``axis`` as a sorted tuple of non-negative ints (None means every axis)."""
    try:
        return _NORMALIZED[axis, ndim]
    except (KeyError, TypeError):  # not seen yet, or a list (unhashable)
        pass
    axes = _normalize_axes(axis, ndim, op)
    if isinstance(axis, (int, tuple, type(None))) and len(_NORMALIZED) < 1024:
        _NORMALIZED[axis, ndim] = axes
    return axes


def _normalize_axes(axis, ndim: int, op: str):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    result = []
    for a in axes:
        if not isinstance(a, int) or isinstance(a, bool):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints. Received: axis={axis!r}")
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(
                f"{op}: axis {a} is out of bounds for a tensor of rank {ndim}. Received: axis={axis!r}"
            )
        result.append(a % ndim if ndim else 0)
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: repeated axis. Received: axis={axis!r}")
    return tuple(sorted(result))


def _expand_to_input(ctx, grad):
    """Give a reduced gradient back its reduced axes so it broadcasts against the input."""
    if not ctx.keepdims and ctx.axes and grad.ndim != len(ctx.shape):
        grad = grad.reshape([1 if i in ctx.axes else n for i, n in enumerate(ctx.shape)])
    return grad


def _spread(ctx, grad):
    """A gradient shaped like the input, each element receiving its reduced slot's value."""
    full = ctx.xp.empty(ctx.shape, dtype=grad.dtype)
    if grad.ndim == 0:  # a reduction to a scalar (every loss ends in one): a plain fill
        full.fill(grad)
    else:
        full[...] = _expand_to_input(ctx, grad)
    return full


class Sum(Function):
    """z = sum of x over ``axis``."""

    @staticmethod
    def forward(ctx, x, *, axis=None, keepdims=False):
        ctx.axes = normalize_axes(axis, x.ndim, "sum")
        ctx.keepdims = keepdims
        ctx.shape = x.shape
        return x.sum(axis=ctx.axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return _spread(ctx, grad)  # every input element contributes with weight 1


class Mean(Function):
    """z = mean of x over ``axis`` (one node rather than sum then divide: losses end in it)."""

    @staticmethod
    def forward(ctx, x, *, axis=None, keepdims=False):
        ctx.axes = normalize_axes(axis, x.ndim, "mean")
        ctx.keepdims = keepdims
        ctx.shape = x.shape
        count = 1
        for a in ctx.axes:
            count *= x.shape[a]
        ctx.count = count
        # sum then divide, as NumPy's mean does, without its Python-level wrappers
        if type(x) is np.ndarray:
            return _add_reduce(x, axis=ctx.axes, keepdims=keepdims) / count
        return x.sum(axis=ctx.axes, keepdims=keepdims) / count

    @staticmethod
    def backward(ctx, grad):
        if type(grad) is np.ndarray and grad.shape == () and grad.dtype in _SCALAR_MATH:
            # a loss's mean: NumPy's scalar division gives the same number in 0.1 us, where
            # dividing a 0-d array costs 1.2 us (the same rounding, the same dtype)
            return _spread(ctx, grad[()] / ctx.count)
        return _spread(ctx, grad / ctx.count)

    @classmethod
    def specialize(cls, attrs, inputs, needs_grad):
        """The rules above for a float32 or float64 array reduced to a scalar (every loss's
        mean over its batch; see Function.specialize), the axes and count worked out once."""
        (shape, dtype), = inputs
        keepdims = attrs.get("keepdims", False)
        if dtype is None or dtype not in _SCALAR_MATH or not shape or keepdims:  # None == float64 in NumPy
            return None
        axes = normalize_axes(attrs.get("axis"), len(shape), "mean")
        if len(axes) != len(shape):
            return None
        count, ndarray, empty = math.prod(shape), np.ndarray, np.empty

        def forward(ctx, x):
            ctx.axes, ctx.keepdims, ctx.shape, ctx.count = axes, False, shape, count
            if type(x) is not ndarray:
                return x.sum(axis=axes) / count
            return _add_reduce(x, axis=axes) / count

        def backward(ctx, grad):
            if type(grad) is not ndarray or grad.shape != () or grad.dtype is not dtype:
                return (cls.backward(ctx, grad).astype(dtype, copy=False),)
            value = grad[()] / count  # as in backward, and _spread's fill
            full = empty(shape, dtype=value.dtype)
            full.fill(value)
            return (full,)

        return forward, backward


class _Extremum(Function, register=False):
    """Shared rule of max and min: the gradient goes to the extreme elements, split evenly at ties."""

    reduce = ""

    @classmethod
    def forward(cls, ctx, x, *, axis=None, keepdims=False):
        if x.size == 0:
            raise ValueError(f"{cls.reduce}: cannot reduce an empty tensor of shape {x.shape}.")
        ctx.axes = normalize_axes(axis, x.ndim, cls.reduce)
        ctx.keepdims = keepdims
        ctx.shape = x.shape
        out = getattr(x, cls.reduce)(axis=ctx.axes, keepdims=True)
        ctx.save(x, out)
        return out if keepdims else out.reshape([n for i, n in enumerate(x.shape) if i not in ctx.axes])

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved
        hits = x == out
        share = hits / hits.sum(axis=ctx.axes, keepdims=True)
        return _expand_to_input(ctx, grad) * share.astype(x.dtype, copy=False)


class Max(_Extremum):
    """z = max of x over ``axis``."""

    reduce = "max"


class Min(_Extremum):
    """z = min of x over ``axis``."""

    reduce = "min"


def sum(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - NumPy's name
    """Sum over ``axis`` (None: all axes; an int or a tuple of ints).

    Example:
        >>> import glassnet as gn
        >>> gn.sum(gn.tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0).numpy()
        array([4., 6.], dtype=float32)
    """
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False) -> Tensor:
    """Arithmetic mean over ``axis`` (None: all axes)."""
    return Mean.apply(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - NumPy's name
    """Maximum over ``axis``; tied elements share the gradient equally."""
    return Max.apply(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - NumPy's name
    """Minimum over ``axis``; tied elements share the gradient equally."""
    return Min.apply(x, axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False, ddof=0) -> Tensor:
    """Variance over ``axis`` (population variance unless ``ddof`` > 0).

    Example:
        >>> import glassnet as gn
        >>> float(gn.var(gn.tensor([1.0, 2.0, 3.0, 4.0])))
        1.25
    """
    centered = subtract(x, mean(x, axis=axis, keepdims=True))
    squares = sum(multiply(centered, centered), axis=axis, keepdims=keepdims)
    shape = x.shape if hasattr(x, "shape") else ()
    count = 1
    for a in normalize_axes(axis, len(shape), "var"):
        count *= shape[a]
    if count - ddof <= 0:
        raise ValueError(f"var: ddof={ddof} leaves no degrees of freedom for {count} elements.")
    return multiply(squares, 1.0 / (count - ddof))


def std(x, axis=None, keepdims=False, ddof=0) -> Tensor:
    """Standard deviation over ``axis``: sqrt(var)."""
    return sqrt(var(x, axis=axis, keepdims=keepdims, ddof=ddof))
