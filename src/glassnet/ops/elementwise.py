"""Elementwise arithmetic with NumPy broadcasting, and the comparisons.

Every rule returns gradients shaped like the broadcast output; the engine sums
them back to each input's shape.

Example:
    >>> import glassnet as gn
    >>> x = gn.tensor([1.0, 4.0], requires_grad=True)
    >>> gn.sum(gn.sqrt(x) * 2.0).backward()
    >>> x.grad.numpy()
    array([1. , 0.5], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function, Tensor

__all__ = [
    "abs", "add", "cast", "clip", "divide", "equal", "exp", "greater", "greater_equal", "less",
    "less_equal", "log", "log1p", "maximum", "minimum", "multiply", "negative", "not_equal",
    "power", "sqrt", "square", "subtract", "where",
]


# ----- binary ---------------------------------------------------------------------
class Add(Function):
    """z = x + y"""

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Subtract(Function):
    """z = x - y (one node rather than add + negative: it sits on every loss's hot path)."""

    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_grad[1] else None)


class Multiply(Function):
    """z = x * y"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved
        gx = grad * y if ctx.needs_grad[0] else None
        gy = grad * x if ctx.needs_grad[1] else None
        return gx, gy


class Divide(Function):
    """z = x / y"""

    @staticmethod
    def forward(ctx, x, y):
        out = x / y
        ctx.save(y, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        y, out = ctx.saved
        gx = grad / y
        # d/dy (x / y) = -x / y^2 = -z / y
        gy = -gx * out if ctx.needs_grad[1] else None
        return (gx if ctx.needs_grad[0] else None), gy


class Power(Function):
    """z = x ** y"""

    @staticmethod
    def forward(ctx, x, y):
        out = x ** y
        ctx.save(x, y, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, y, out = ctx.saved
        # d/dx x^y = y x^(y-1);  d/dy x^y = x^y log(x)
        gx = grad * y * x ** (y - 1) if ctx.needs_grad[0] else None
        gy = grad * out * ctx.xp.log(x) if ctx.needs_grad[1] else None
        return gx, gy


class _Choose(Function, register=False):
    """Shared rule of maximum and minimum: the gradient goes to the chosen input, to x at ties."""

    pick = "maximum"

    @classmethod
    def forward(cls, ctx, x, y):
        ctx.save(x >= y if cls.pick == "maximum" else x <= y)
        return getattr(ctx.xp, cls.pick)(x, y)

    @staticmethod
    def backward(ctx, grad):
        (x_wins,) = ctx.saved
        gx = grad * x_wins if ctx.needs_grad[0] else None
        return gx, (grad * ~x_wins if ctx.needs_grad[1] else None)


class Maximum(_Choose):
    """z = max(x, y) elementwise; at ties the gradient goes to x."""

    pick = "maximum"


class Minimum(_Choose):
    """z = min(x, y) elementwise; at ties the gradient goes to x."""

    pick = "minimum"


# ----- unary ----------------------------------------------------------------------
class Negative(Function):
    """z = -x"""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Exp(Function):
    """z = e^x"""

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.exp(x)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * out  # d/dx e^x = e^x


class Log(Function):
    """z = ln(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad / x  # d/dx log(x) = 1/x


class Log1p(Function):
    """z = ln(1 + x), accurate for small x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.log1p(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad / (1 + x)


class Sqrt(Function):
    """z = sqrt(x)"""

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.sqrt(x)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad / (2 * out)  # d/dx sqrt(x) = 1 / (2 sqrt(x))


class Abs(Function):
    """z = |x|; the gradient at 0 is 0."""

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return ctx.xp.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * ctx.xp.sign(x)


class Clip(Function):
    """z = min(max(x, lo), hi); the gradient passes where lo <= x <= hi."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = ctx.xp
        out = xp.clip(x, lo, hi)
        inside = x == out
        ctx.save(inside)
        return out

    @staticmethod
    def backward(ctx, grad):
        (inside,) = ctx.saved
        return grad * inside, None, None


class Where(Function):
    """z = x where cond else y; cond is not differentiable."""

    @staticmethod
    def forward(ctx, cond, x, y):
        cond = ctx.xp.asarray(cond, dtype=bool)
        ctx.save(cond)
        return ctx.xp.where(cond, x, y)

    @staticmethod
    def backward(ctx, grad):
        (cond,) = ctx.saved
        gx = grad * cond if ctx.needs_grad[1] else None
        gy = grad * ~cond if ctx.needs_grad[2] else None
        return None, gx, gy


class Cast(Function):
    """z = x converted to ``dtype``; the gradient is converted back."""

    @staticmethod
    def forward(ctx, x, *, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.astype(ctx.dtype)


# ----- public functions -----------------------------------------------------------
def add(x, y) -> Tensor:
    """Return x + y elementwise, with broadcasting.

    Example:
        >>> import glassnet as gn
        >>> gn.add(gn.tensor([1.0, 2.0]), 1.0).numpy()
        array([2., 3.], dtype=float32)
    """
    return Add.apply(x, y)


def subtract(x, y) -> Tensor:
    """Return x - y elementwise, with broadcasting."""
    return Subtract.apply(x, y)


def multiply(x, y) -> Tensor:
    """Return x * y elementwise, with broadcasting."""
    return Multiply.apply(x, y)


def divide(x, y) -> Tensor:
    """Return x / y elementwise, with broadcasting."""
    return Divide.apply(x, y)


def negative(x) -> Tensor:
    """Return -x."""
    return Negative.apply(x)


def power(x, y) -> Tensor:
    """Return x ** y elementwise (differentiable in both; d/dy needs x > 0)."""
    return Power.apply(x, y)


def square(x) -> Tensor:
    """Return x * x.

    Example:
        >>> import glassnet as gn
        >>> gn.square(gn.tensor([3.0])).numpy()
        array([9.], dtype=float32)
    """
    return Multiply.apply(x, x)


def sqrt(x) -> Tensor:
    """Return the elementwise square root."""
    return Sqrt.apply(x)


def exp(x) -> Tensor:
    """Return e ** x elementwise."""
    return Exp.apply(x)


def log(x) -> Tensor:
    """Return the natural logarithm elementwise."""
    return Log.apply(x)


def log1p(x) -> Tensor:
    """Return log(1 + x) elementwise, accurate near 0."""
    return Log1p.apply(x)


def abs(x) -> Tensor:  # noqa: A001 - NumPy's name
    """Return |x| elementwise."""
    return Abs.apply(x)


def maximum(x, y) -> Tensor:
    """Return the elementwise maximum of x and y, with broadcasting."""
    return Maximum.apply(x, y)


def minimum(x, y) -> Tensor:
    """Return the elementwise minimum of x and y, with broadcasting."""
    return Minimum.apply(x, y)


def clip(x, min=None, max=None) -> Tensor:  # noqa: A002 - NumPy's and TF's names
    """Limit x to [min, max]; either bound may be None.

    Example:
        >>> import glassnet as gn
        >>> gn.clip(gn.tensor([-2.0, 0.5, 3.0]), 0.0, 1.0).numpy()
        array([0. , 0.5, 1. ], dtype=float32)
    """
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given.")
    return Clip.apply(x, min, max)


def cast(x, dtype) -> Tensor:
    """Return x converted to ``dtype`` (differentiable between float types).

    Example:
        >>> import glassnet as gn
        >>> gn.cast(gn.tensor([1.5]), "float64").dtype
        dtype('float64')
    """
    return Cast.apply(x, dtype=np.dtype(dtype))


def where(condition, x, y) -> Tensor:
    """Choose x where ``condition`` is true, else y (broadcast together)."""
    return Where.apply(condition, x, y)


# ----- comparisons: boolean tensors, outside the graph ---------------------------
def _compare(op):
    def compare(x, y) -> Tensor:
        x = x.data if isinstance(x, Tensor) else x
        y = y.data if isinstance(y, Tensor) else y
        return Tensor._from_op(op(x, y), None)

    return compare


equal = _compare(lambda x, y: x == y)
not_equal = _compare(lambda x, y: x != y)
less = _compare(lambda x, y: x < y)
less_equal = _compare(lambda x, y: x <= y)
greater = _compare(lambda x, y: x > y)
greater_equal = _compare(lambda x, y: x >= y)
for _name, _fn in [("equal", equal), ("not_equal", not_equal), ("less", less),
                   ("less_equal", less_equal), ("greater", greater), ("greater_equal", greater_equal)]:
    _fn.__name__ = _name
    _fn.__doc__ = f"Return the boolean tensor of x {_name.replace('_', ' ')} y (not differentiable)."
