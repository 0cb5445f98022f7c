"""Batch normalization: the fused training-mode op, and TensorFlow's formula from given statistics.

``batch_norm`` normalizes with the batch's own mean and (biased) variance over every
axis except the channel ``axis``, then scales by gamma and shifts by beta, as one graph
node. ``batch_normalization`` is ``tf.nn.batch_normalization``: the same formula with a
mean and variance passed in (the moving statistics at inference), composed from
existing ops.

Example:
    >>> import glassnet as gn
    >>> x = gn.tensor([[1.0, 10.0], [3.0, 30.0]])
    >>> gn.ops.batch_norm(x, None, None, epsilon=0.0).numpy()
    array([[-1., -1.],
           [ 1.,  1.]], dtype=float32)
"""

from __future__ import annotations

from ..autograd import Function, Tensor
from .elementwise import add, divide, multiply, sqrt, subtract

__all__ = ["batch_norm", "batch_normalization"]


def _channel_sum(xp, a, b, flat, axes):
    """Per-channel sum of ``a`` (or of ``a * b``), shaped to broadcast against ``a``.
    ``flat`` arrays are (count, channels): there einsum sums 2-3x faster than
    ``sum(axis=0)`` and makes no temporary for the product."""
    if flat:
        return xp.einsum("ij->j", a) if b is None else xp.einsum("ij,ij->j", a, b)
    return (a if b is None else a * b).sum(axis=axes, keepdims=True)


class BatchNorm(Function):
    """z = gamma * (x - mean) / sqrt(var + epsilon) + beta with the batch's mean and biased
    variance over every axis but ``axis``; one node for speed: composed from mean, subtract,
    square, sqrt, divide, multiply and add it would be about ten nodes each keeping an
    x-sized array, where this one keeps x_hat, and its backward rule below needs two
    per-channel sums and three passes over x."""

    @staticmethod
    def forward(ctx, x, gamma=None, beta=None, *, axis=-1, epsilon=1e-3):
        xp = ctx.xp
        axis = axis % x.ndim
        channels = x.shape[axis]
        # channels last and contiguous (the common case): work on a (count, channels) view
        flat = axis == x.ndim - 1 and x.flags.c_contiguous
        if flat:
            work, axes, channel_shape = x.reshape(-1, channels), (0,), (channels,)
        else:
            work, axes = x, tuple(i for i in range(x.ndim) if i != axis)
            channel_shape = tuple(n if i == axis else 1 for i, n in enumerate(x.shape))
        count = max(1, work.size // max(1, channels))
        x_hat = work - _channel_sum(xp, work, None, flat, axes) / count
        inv_std = 1 / xp.sqrt(_channel_sum(xp, x_hat, x_hat, flat, axes) / count + epsilon)
        x_hat *= inv_std  # x_hat is fresh, so scaling in place is safe
        if gamma is not None:
            out = x_hat * gamma.reshape(channel_shape)
            if beta is not None:
                out += beta.reshape(channel_shape)  # out is fresh
        else:
            out = x_hat if beta is None else x_hat + beta.reshape(channel_shape)
        ctx.save(x_hat, inv_std, gamma)
        ctx.layout = (flat, axes, channel_shape, count, x.shape)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        x_hat, inv_std, gamma = ctx.saved
        flat, axes, channel_shape, count, shape = ctx.layout
        needs = ctx.needs_grad
        grad = grad.reshape(x_hat.shape)
        # d/dbeta = sum(grad), d/dgamma = sum(grad * x_hat); the x rule below reuses both
        sum_grad = _channel_sum(xp, grad, None, flat, axes)
        sum_grad_x_hat = _channel_sum(xp, grad, x_hat, flat, axes)
        g_gamma = sum_grad_x_hat.reshape(-1) if len(needs) > 1 and needs[1] else None
        g_beta = sum_grad.reshape(-1) if len(needs) > 2 and needs[2] else None
        g_x = None
        if needs[0]:
            # with g = grad * gamma, the mean and variance's dependence on x gives
            # dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + epsilon)
            scale = inv_std if gamma is None else gamma.reshape(channel_shape) * inv_std
            g_x = grad * scale
            g_x -= x_hat * (scale * sum_grad_x_hat / count)
            g_x -= scale * sum_grad / count
            g_x = g_x.reshape(shape)
        return g_x, g_gamma, g_beta


def _channel_vector(name, value, channels, x_shape, axis):
    if value is not None and tuple(getattr(value, "shape", ())) != (channels,):
        raise ValueError(
            f"batch_norm: {name} must have shape ({channels},), one value per channel of axis {axis}. "
            f"Received: {name} shape {tuple(getattr(value, 'shape', ()))} with input shape {x_shape}"
        )


def batch_norm(x, gamma=None, beta=None, *, axis=-1, epsilon=1e-3) -> Tensor:
    """Training-mode batch normalization: normalize with this batch's statistics.

    ``(x - mean) / sqrt(variance + epsilon) * gamma + beta``, where mean and the biased
    variance (divided by the count, as Keras's training mode does) are taken over every
    axis except ``axis``. The caller updates any moving statistics itself.

    Args:
        x: inputs of any rank >= 1, e.g. (batch, features) or (batch, height, width, channels).
        gamma: scale of shape (channels,), or None for none (Keras's ``scale=False``).
        beta: shift of shape (channels,), or None for none (Keras's ``center=False``).
        axis: the channel axis, kept; default -1 (channels last).
        epsilon: added to the variance; default 1e-3 (Keras's default).

    Returns:
        A tensor shaped like x.

    Example:
        >>> import glassnet as gn
        >>> x = gn.tensor([[0.0, 1.0], [2.0, 5.0]])
        >>> gn.ops.batch_norm(x, gn.tensor([1.0, 2.0]), gn.tensor([0.0, 10.0]), epsilon=0.0).numpy()
        array([[-1.,  8.],
               [ 1., 12.]], dtype=float32)
    """
    shape = tuple(getattr(x, "shape", ()))
    if not shape:
        raise ValueError(f"batch_norm: expected inputs of rank >= 1. Received: input shape {shape}")
    if not isinstance(axis, int) or not -len(shape) <= axis < len(shape):
        raise ValueError(
            f"batch_norm: axis must be an integer in [{-len(shape)}, {len(shape)}) for inputs of "
            f"shape {shape}. Received: axis={axis!r}"
        )
    if not epsilon >= 0:
        raise ValueError(f"batch_norm: epsilon must be >= 0. Received: epsilon={epsilon!r}")
    channels = shape[axis]
    _channel_vector("gamma", gamma, channels, shape, axis)
    _channel_vector("beta", beta, channels, shape, axis)
    return BatchNorm.apply(x, gamma, beta, axis=axis, epsilon=epsilon)


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon) -> Tensor:
    """TensorFlow's ``tf.nn.batch_normalization``: normalize with given statistics.

    ``(x - mean) / sqrt(variance + variance_epsilon) * scale + offset``, composed from
    existing ops (so its gradient comes for free); the statistics broadcast against x.

    Args:
        x: inputs.
        mean, variance: statistics broadcastable to x (e.g. moving averages of shape (channels,)).
        offset: beta, or None.
        scale: gamma, or None.
        variance_epsilon: small float added to the variance.

    Returns:
        A tensor shaped like x.

    Example:
        >>> import glassnet as gn
        >>> gn.nn.batch_normalization(gn.tensor([[3.0, 4.0]]), gn.tensor([1.0, 2.0]),
        ...                           gn.tensor([4.0, 1.0]), None, None, 0.0).numpy()
        array([[1., 2.]], dtype=float32)
    """
    inv = divide(1.0, sqrt(add(variance, variance_epsilon)))
    if scale is not None:
        inv = multiply(inv, scale)
    out = multiply(subtract(x, mean), inv)
    return out if offset is None else add(out, offset)
