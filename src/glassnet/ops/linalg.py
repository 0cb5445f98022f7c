"""Matrix products: ``matmul`` (2-D and batched, NumPy's rules) and ``dot``.

Example:
    >>> import glassnet as gn
    >>> x = gn.tensor([[1.0, 2.0]], requires_grad=True)
    >>> w = gn.tensor([[3.0], [4.0]], requires_grad=True)
    >>> y = gn.matmul(x, w); y.backward(gn.tensor([[1.0]]))
    >>> x.grad.numpy(), w.grad.numpy().ravel()
    (array([[3., 4.]], dtype=float32), array([1., 2.], dtype=float32))
"""

from __future__ import annotations

import numpy as np

from .. import kernels, parallel
from ..autograd import Function, Tensor
from .activation import KERNEL_CODES, OUTPUT_RULES
from .elementwise import multiply
from .shape import reshape, transpose

__all__ = ["dense", "dot", "matmul"]


def _shape_error(x, y):
    shapes = f"{tuple(getattr(x, 'shape', ()))} by {tuple(getattr(y, 'shape', ()))}"
    return ValueError(f"matmul: cannot multiply {shapes}")


def _product(a, b):
    """a @ b; for two NumPy matrices through np.dot, the same BLAS product with less
    dispatch (about 0.5 us of the 1.5 us a small product costs through matmul), or in
    blocks over glassnet's threads when large (glassnet.parallel)."""
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 2 and b.ndim == 2:
        return parallel.product(a, b)
    return a @ b


class MatMul(Function):
    """z = x @ y with NumPy's matmul rules (1-D operands, batch broadcasting)."""

    @staticmethod
    def forward(ctx, x, y):
        try:
            out = _product(x, y)
        except ValueError:
            raise _shape_error(x, y) from None
        ctx.save(x, y)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved
        gx = gy = None
        if x.ndim == 2 and y.ndim == 2:  # the dense-layer case, kept short
            if ctx.needs_grad[0]:
                gx = _product(grad, y.T)
            if ctx.needs_grad[1]:
                gy = _product(x.T, grad)
            return gx, gy
        xp = ctx.xp
        if x.ndim == 1 and y.ndim == 1:  # inner product: a scalar out
            return (grad * y if ctx.needs_grad[0] else None), (grad * x if ctx.needs_grad[1] else None)
        if x.ndim == 1:  # (k,) @ (..., k, n) -> (..., n)
            if ctx.needs_grad[0]:
                gx = (y @ grad[..., None])[..., 0]
            if ctx.needs_grad[1]:
                gy = x[:, None] * grad[..., None, :]
            return gx, gy
        if y.ndim == 1:  # (..., m, k) @ (k,) -> (..., m)
            if ctx.needs_grad[0]:
                gx = grad[..., None] * y
            if ctx.needs_grad[1]:
                gy = (xp.swapaxes(x, -1, -2) @ grad[..., None])[..., 0]
            return gx, gy
        # dL/dx = grad @ y^T,  dL/dy = x^T @ grad; the engine sums broadcast batch axes
        if ctx.needs_grad[0]:
            gx = grad @ xp.swapaxes(y, -1, -2)
        if ctx.needs_grad[1]:
            gy = xp.swapaxes(x, -1, -2) @ grad
        return gx, gy


class Dense(Function):
    """z = activation(x @ kernel + bias) over the last axis of x, as one node for speed:
    every dense layer runs it on each training step, and three nodes cost three times
    the bookkeeping. Only activations whose derivative follows from their output
    (relu, sigmoid, tanh) are fused."""

    @staticmethod
    def forward(ctx, x, kernel, bias=None, *, activation=None):
        if kernel.ndim != 2 or x.ndim == 0 or x.shape[-1] != kernel.shape[0]:
            raise ValueError(f"dense: cannot multiply inputs {x.shape} by a kernel {kernel.shape}")
        out = _product(x, kernel)
        ctx.derivative = None if activation is None else OUTPUT_RULES[activation][1]
        ctx.activation = activation
        compiled = kernels.native
        if compiled is not None and activation != "tanh" and kernels.takes(out, bias):
            # the bias and the activation's own loops in one pass each (the same bits: see kernels)
            matrix = out if out.ndim == 2 else out.reshape(-1, out.shape[-1])  # a view costs 0.2 us
            if activation == "sigmoid":
                _compiled_sigmoid(compiled, matrix, bias)
            else:
                compiled.bias_act(matrix, bias, _RELU if activation else _BIAS)
        else:
            if bias is not None:
                out += bias  # out is fresh, so adding in place is safe
            if activation is not None:
                out = OUTPUT_RULES[activation][0](ctx.xp, out)
        ctx.save(x, kernel, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, kernel, out = ctx.saved
        needs = ctx.needs_grad
        need_x, need_kernel = needs[0], needs[1]
        need_bias = len(needs) > 2 and needs[2]
        gbias = None
        if ctx.derivative is not None:
            compiled = kernels.native
            if compiled is not None and kernels.takes(grad, out):
                grad, gbias = _compiled_grad(compiled, grad, out, ctx.activation, need_bias)
            else:
                grad = grad * ctx.derivative(out)
        gx = _product(grad, kernel.T) if need_x else None
        flat_grad = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])
        if need_kernel:
            flat_x = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
            gkernel = _product(flat_x.T, flat_grad)
        else:
            gkernel = None
        if need_bias and gbias is None:  # np.add.reduce: the sum without NumPy's Python-level wrapper
            gbias = np.add.reduce(flat_grad, axis=0) if type(flat_grad) is np.ndarray else flat_grad.sum(axis=0)
        return gx, gkernel, gbias

    @classmethod
    def specialize(cls, attrs, inputs, needs_grad):
        """The rules above as they run for a matrix of rows (at least one) in float32 or
        float64, with the kernels on and the activation linear, relu or sigmoid (see
        Function.specialize): the same calls in the same order, without re-checking the
        shapes and re-choosing the path on each call (on the course's models, a step's
        dense layers cost 4-6 us less: 21.0 -> 17.0 us for coffee's forward and backward)."""
        native, activation = kernels.native, attrs.get("activation")
        (x_shape, dtype), (kernel_shape, kernel_dtype) = inputs[:2]
        bias_dtype = inputs[2][1] if len(inputs) > 2 else dtype
        if (native is None or activation not in (None, "relu", "sigmoid") or len(x_shape) != 2
                or not x_shape[0] or not kernels.computes_in(dtype, kernel_dtype, bias_dtype)
                or len(kernel_shape) != 2 or x_shape[1] != kernel_shape[0]):
            return None
        need_x, need_kernel = needs_grad[0], needs_grad[1]
        need_bias = len(needs_grad) > 2 and needs_grad[2]
        derivative = None if activation is None else OUTPUT_RULES[activation][1]
        code = KERNEL_CODES.get(activation)
        # the forward's and backward's three products all do x_shape[0] * k * units multiply-adds
        large = x_shape[0] * kernel_shape[0] * kernel_shape[1] >= parallel.PARALLEL_MIN_WORK
        dot = parallel.product if large else np.dot
        empty, bias_act, dense_grad = np.empty, native.bias_act, native.dense_grad
        mode = _RELU if activation == "relu" else _BIAS

        def forward(ctx, x, kernel, bias=None):
            if bias is not None and not bias.flags.c_contiguous:
                return cls.forward(ctx, x, kernel, bias, activation=activation)
            out = dot(x, kernel)
            if activation == "sigmoid":
                _compiled_sigmoid(native, out, bias)
            else:
                bias_act(out, bias, mode)
            ctx.derivative, ctx.activation, ctx.saved = derivative, activation, (x, kernel, out)
            return out

        def backward(ctx, grad):
            x, kernel, out = ctx.saved
            gbias = None
            if derivative is not None:
                if not grad.flags.c_contiguous:
                    return cls.backward(ctx, grad)
                masked = empty(grad.shape, dtype)
                if need_bias:
                    gbias = empty(grad.shape[1], dtype)
                dense_grad(grad, out, code, masked, gbias)
                grad = masked
            gx = dot(grad, kernel.T) if need_x else None
            gkernel = dot(x.T, grad) if need_kernel else None
            if need_bias and gbias is None:
                gbias = np.add.reduce(grad, axis=0)
            return gx, gkernel, gbias

        return forward, backward


# The compiled kernels (glassnet.kernels) for what follows the product: the forward's
# bias and activation, the backward's activation gradient with the bias gradient beside it.
_BIAS, _RELU = kernels.BIAS_ACT_BIAS, kernels.BIAS_ACT_RELU
_NEGATE, _RECIPROCAL_ONE_PLUS = kernels.BIAS_ACT_NEGATE, kernels.BIAS_ACT_RECIPROCAL_ONE_PLUS


def _compiled_sigmoid(compiled, matrix, bias):
    """matrix = 1 / (1 + e^-(matrix + bias)) in place, with NumPy's exp as _sigmoid has it."""
    if compiled.bias_act(matrix, bias, _NEGATE):  # some -z large enough to overflow
        with np.errstate(over="ignore"):  # e^-z overflows to inf for z < -88: 1 / inf = 0
            np.exp(matrix, out=matrix)
    else:  # no overflow possible, so no errstate (1 us)
        np.exp(matrix, out=matrix)
    compiled.bias_act(matrix, None, _RECIPROCAL_ONE_PLUS)


def _compiled_grad(compiled, grad, out, activation, need_bias):
    """grad * activation'(out), and its sum over rows when the bias needs it (else None),
    summed as np.add.reduce(d, axis=0) sums (one column pairwise, more row by row)."""
    units = out.shape[-1]
    masked = np.empty(grad.shape, grad.dtype)
    if out.ndim != 2:  # the kernel takes matrices; a dense layer's arrays mostly are
        grad, out = grad.reshape(-1, units), out.reshape(-1, units)
    flat = masked if masked.ndim == 2 else masked.reshape(-1, units)
    gbias = np.empty(units, grad.dtype) if need_bias and len(flat) else None
    compiled.dense_grad(grad, out, KERNEL_CODES[activation], flat, gbias)
    return masked, gbias


def dense(x, kernel, bias=None, activation=None) -> Tensor:
    """Return ``activation(x @ kernel + bias)`` over the last axis of x, as one graph node.

    Args:
        x: inputs of shape (..., in_features).
        kernel: weights of shape (in_features, units).
        bias: optional, shape (units,).
        activation: None (linear), 'relu', 'sigmoid' or 'tanh'.

    Example:
        >>> import glassnet as gn
        >>> gn.nn.dense(gn.tensor([[1.0, 2.0]]), gn.tensor([[1.0], [1.0]]), gn.tensor([0.5])).numpy()
        array([[3.5]], dtype=float32)
    """
    if activation is not None and activation not in OUTPUT_RULES:
        raise ValueError(
            f"dense: cannot fuse activation {activation!r}; expected None or one of "
            f"{sorted(OUTPUT_RULES)}. Apply other activations after dense()."
        )
    if bias is None:
        return Dense.apply(x, kernel, activation=activation)
    return Dense.apply(x, kernel, bias, activation=activation)


def matmul(x, y) -> Tensor:
    """Matrix product with NumPy's rules: 2-D, batched (..., m, k) @ (..., k, n), or 1-D.

    Example:
        >>> import glassnet as gn
        >>> gn.matmul(gn.tensor([[1.0, 2.0]]), gn.tensor([[3.0], [4.0]])).numpy()
        array([[11.]], dtype=float32)
    """
    return MatMul.apply(x, y)


def dot(x, y) -> Tensor:
    """NumPy's ``dot``: scalars multiply, 1-D and 2-D operands use ``matmul``, and for
    N-D operands the last axis of x contracts with the second-to-last axis of y.

    Example:
        >>> import glassnet as gn
        >>> float(gn.dot(gn.tensor([1.0, 2.0]), gn.tensor([3.0, 4.0])))
        11.0
    """
    x_ndim = len(x.shape) if hasattr(x, "shape") else 0
    y_ndim = len(y.shape) if hasattr(y, "shape") else 0
    if x_ndim == 0 or y_ndim == 0:
        return multiply(x, y)
    if y_ndim == 1 or (x_ndim <= 2 and y_ndim <= 2):
        if x.shape[-1] != y.shape[-2 if y_ndim > 1 else 0]:
            raise ValueError(f"dot: shapes {tuple(x.shape)} and {tuple(y.shape)} are not aligned")
        return matmul(x, y)
    # N-D: move y's contracted axis to the front, then one 2-D product and a reshape
    k = x.shape[-1]
    if y.shape[-2] != k:
        raise ValueError(f"dot: shapes {tuple(x.shape)} and {tuple(y.shape)} are not aligned")
    axes = (y_ndim - 2,) + tuple(i for i in range(y_ndim) if i != y_ndim - 2)
    y_front = transpose(y, axes)
    out = matmul(reshape(x, (-1, k)), reshape(y_front, (k, -1)))
    return reshape(out, tuple(x.shape[:-1]) + tuple(y_front.shape[1:]))

