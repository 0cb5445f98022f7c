"""Softmax and its relatives, which normalise along an axis: softmax, log_softmax, logsumexp.

Each is one Function with its own rule for stability (the max is taken out before any
exponential), so logits anywhere in [-1e4, 1e4] give finite values and gradients.

Example:
    >>> import glassnet as gn
    >>> x = gn.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    >>> gn.sum(gn.nn.softmax(x) * gn.tensor([[0.0, 0.0, 1.0]])).backward()
    >>> x.grad.numpy().round(4)
    array([[-0.0599, -0.1628,  0.2227]], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..autograd import Function, Tensor
from .activation import _float_input
from .reduction import normalize_axes

__all__ = ["log_softmax", "logsumexp", "softmax"]


def _axis(axis, ndim, op):
    """Validate a single class axis and return it non-negative."""
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise TypeError(f"{op}: axis must be an int. Received: axis={axis!r}")
    return normalize_axes(axis, ndim, op)[0]



class Softmax(Function):
    """y = e^x / sum(e^x) along ``axis``. Own rule for stability: the max is subtracted first."""

    @staticmethod
    def forward(ctx, x, *, axis=-1):
        ctx.axis = axis = _axis(axis, x.ndim, "softmax")
        rows = _compiled_rows(x, axis)
        if rows is None:
            e = ctx.xp.exp(x - x.max(axis=axis, keepdims=True))
            out = e / e.sum(axis=axis, keepdims=True)
        else:  # the same arithmetic, its row loops compiled (see kernels): 7.0 -> 2.7 us on 32 x 10
            out = np.empty(rows.shape, x.dtype)
            kernels.native.xent_step(1, rows, out)
            np.exp(out, out=out)
            kernels.native.softmax_step(1, out)
            out = out.reshape(x.shape)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        # Jacobian-vector product: y * (g - sum(g * y))
        rows = _compiled_rows(out, ctx.axis)
        if rows is None or not kernels.takes(grad, out):
            return out * (grad - (grad * out).sum(axis=ctx.axis, keepdims=True))
        d = np.empty(out.shape, out.dtype)
        kernels.native.softmax_step(2, grad.reshape(rows.shape), rows, d.reshape(rows.shape))
        return d

    @classmethod
    def specialize(cls, attrs, inputs, needs_grad):
        """The compiled path above, chosen once, for a (rows, classes) float matrix taken
        along its classes (a classifier's softmax output; see Function.specialize)."""
        native = kernels.native
        (shape, dtype), = inputs
        if native is None or len(shape) != 2 or not shape[0] or not shape[1] or not kernels.computes_in(dtype):
            return None
        try:
            if _axis(attrs.get("axis", -1), 2, "softmax") != 1:
                return None
        except (ValueError, TypeError):
            return None
        empty, exp, xent_step, softmax_step = np.empty, np.exp, native.xent_step, native.softmax_step

        def forward(ctx, x):
            if not x.flags.c_contiguous:
                return cls.forward(ctx, x, **attrs)
            ctx.axis = 1
            out = empty(shape, dtype)
            xent_step(1, x, out)
            exp(out, out=out)
            softmax_step(1, out)
            ctx.saved = (out,)
            return out

        def backward(ctx, grad):
            (out,) = ctx.saved
            if not (grad.flags.c_contiguous and out.flags.c_contiguous and grad.dtype == dtype):
                return (cls.backward(ctx, grad),)
            d = empty(shape, dtype)
            softmax_step(2, grad, out, d)
            return (d,)

        return forward, backward


def _compiled_rows(x, axis):
    """``x`` as a (rows, classes) matrix when the compiled kernels can take its last axis
    (``axis``) as rows: a contiguous float array with classes; else None."""
    if kernels.native is None or axis != x.ndim - 1 or not x.size or not kernels.takes(x):
        return None
    return x if x.ndim == 2 else x.reshape(-1, x.shape[-1])  # a view costs 0.2 us


class LogSoftmax(Function):
    """y = x - logsumexp(x) along ``axis``, fused: log(softmax(x)) in two steps gives -inf."""

    @staticmethod
    def forward(ctx, x, *, axis=-1):
        xp = ctx.xp
        ctx.axis = _axis(axis, x.ndim, "log_softmax")
        shifted = x - x.max(axis=ctx.axis, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=ctx.axis, keepdims=True))
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        # d/dx_j y_i = [i == j] - softmax_j, and softmax = e^y
        return grad - ctx.xp.exp(out) * grad.sum(axis=ctx.axis, keepdims=True)


class LogSumExp(Function):
    """y = log(sum(e^x)) over ``axis``. Own rule for stability: the max is taken out first."""

    @staticmethod
    def forward(ctx, x, *, axis=None, keepdims=False):
        xp = ctx.xp
        ctx.axes = normalize_axes(axis, x.ndim, "logsumexp")
        ctx.keepdims = keepdims
        m = x.max(axis=ctx.axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        e = xp.exp(x - m)
        total = e.sum(axis=ctx.axes, keepdims=True)
        # a slice of all -inf sums to 0: its logsumexp is -inf and its gradient 0, with no 0/0
        filled = total > 0
        total = xp.where(filled, total, 1)
        ctx.save(e / total)  # softmax over the axes: the gradient
        out = xp.where(filled, xp.log(total) + m, -xp.inf)
        return out if keepdims else out.reshape([n for i, n in enumerate(x.shape) if i not in ctx.axes])

    @staticmethod
    def backward(ctx, grad):
        (probs,) = ctx.saved
        if not ctx.keepdims and ctx.axes:
            grad = ctx.xp.expand_dims(grad, ctx.axes)
        return grad * probs


# ----- public functions ---------------------------------------------------------------
def softmax(x, axis=-1) -> Tensor:
    """e^x / sum(e^x) along ``axis``, computed after subtracting the max.

    Args:
        x: tensor of rank >= 1.
        axis: the axis that sums to 1.

    Example:
        >>> import glassnet as gn
        >>> gn.nn.softmax(gn.tensor([[1e4, 0.0], [1.0, 1.0]])).numpy()
        array([[1. , 0. ],
               [0.5, 0.5]], dtype=float32)
    """
    return Softmax.apply(_float_input(x), axis=axis)


def log_softmax(x, axis=-1) -> Tensor:
    """log(softmax(x)) along ``axis`` in one stable step (finite for finite x).

    Args:
        x: tensor of rank >= 1.
        axis: the class axis.

    Example:
        >>> import glassnet as gn
        >>> gn.nn.log_softmax(gn.tensor([0.0, 1e4])).numpy()
        array([-10000.,      0.], dtype=float32)
    """
    return LogSoftmax.apply(_float_input(x), axis=axis)


def logsumexp(x, axis=None, keepdims=False) -> Tensor:
    """log(sum(e^x)) over ``axis`` (TensorFlow's ``reduce_logsumexp``), without overflow.

    Args:
        x: tensor, any shape.
        axis: None (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with length 1.

    Returns:
        A tensor with ``axis`` reduced; its gradient is softmax over those axes.

    Example:
        >>> import glassnet as gn
        >>> gn.nn.logsumexp(gn.tensor([[0.0, 0.0], [1.0, 1.0]]), axis=1).numpy().round(4)
        array([0.6931, 1.6931], dtype=float32)
        >>> round(float(gn.nn.logsumexp(gn.tensor([1e4, 1e4]))), 3)
        10000.693
    """
    return LogSumExp.apply(_float_input(x), axis=axis, keepdims=bool(keepdims))
