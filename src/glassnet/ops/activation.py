"""Elementwise activations, with TensorFlow's names: sigmoid, tanh, the relu family, gelu ...

(softmax and its relatives normalise along an axis: :mod:`glassnet.ops.softmax_ops`.)

A dedicated Function exists only where stability or speed asks for one (each says
which); the rest are composed from existing ops and get their gradient for free.
Each function takes ``x`` (a tensor, array, list or number) and, unless it says
otherwise, returns a tensor of ``x``'s shape and float dtype; Python numbers, lists
and integer arrays become the default float dtype (float32).

Example:
    >>> import glassnet as gn
    >>> x = gn.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    >>> gn.sum(gn.nn.relu(x)).backward()
    >>> x.grad.numpy()
    array([0., 1., 1.], dtype=float32)
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function, Tensor, as_array
from ..backend import floatx
from .elementwise import abs, add, clip, divide, exp, multiply

__all__ = [
    "elu", "exponential", "gelu", "hard_sigmoid", "leaky_relu", "relu", "relu6", "selu", "sigmoid",
    "silu", "softplus", "softsign", "swish", "tanh",
]

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715
# SELU's fixed point constants (Klambauer et al., 2017), to double precision
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _float_input(x):
    """Tensors and arrays of floats pass as they are; anything else becomes floatx."""
    if isinstance(x, Tensor):
        return x if x.dtype.kind == "f" else Tensor(x.data, dtype=floatx())
    array = as_array(x)
    return array if array.dtype.kind == "f" else array.astype(floatx())


def _erf(xp, x):
    """erf elementwise via math.erf (NumPy has none): exact, but ~100x slower than a ufunc."""
    host = x.get() if hasattr(x, "get") else x  # CuPy: compute on the host, move back
    values = xp.asarray(list(map(math.erf, host.ravel().tolist())), dtype=x.dtype)
    return values.reshape(x.shape)


# ----- Functions --------------------------------------------------------------------
def _sigmoid(xp, x):
    # 1 / (1 + e^-x), in place on one fresh array: for x below about -88 (float32) e^-x
    # overflows to inf, and 1 / inf = 0 is the right answer, so the overflow is expected
    # (sigmoid runs twice per step in the course's small networks: 4 calls, not 7)
    with np.errstate(over="ignore"):
        out = xp.empty(x.shape, dtype=x.dtype if x.dtype.kind == "f" else np.float64)  # as np.exp would
        xp.negative(x, out=out)
        xp.exp(out, out=out)
        out += 1
        return xp.reciprocal(out, out=out)


# Activations whose derivative is a function of their output alone: name ->
# (forward on arrays, dy/dx from y). Their Functions below and the fused dense
# op (``glassnet.nn.dense(..., activation=...)``) share these rules.
OUTPUT_RULES = {
    "sigmoid": (_sigmoid, lambda y: y * (1 - y)),
    "tanh": (lambda xp, x: xp.tanh(x), lambda y: 1 - y * y),
    "relu": (lambda xp, x: xp.maximum(x, 0), lambda y: y > 0),
}
# The same derivatives' codes in the compiled kernels (glassnet.kernels: dense_grad).
KERNEL_CODES = {"relu": 1, "sigmoid": 2, "tanh": 3}


class Sigmoid(Function):
    """y = 1 / (1 + e^-x). Own rule for stability: e^-|x| never overflows, and y' = y (1 - y)."""

    @staticmethod
    def forward(ctx, x):
        out = _sigmoid(ctx.xp, x)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * out * (1 - out)


class Tanh(Function):
    """y = tanh(x), a primitive (no existing op composes it)."""

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.tanh(x)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * (1 - out * out)  # d/dx tanh(x) = 1 - tanh(x)^2


class Relu(Function):
    """y = max(x, 0). Own rule for speed: one node whose mask comes from the output."""

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.maximum(x, 0)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * (out > 0)


class LeakyRelu(Function):
    """y = x if x > 0 else alpha x. Own rule for speed: one node instead of where + multiply."""

    @staticmethod
    def forward(ctx, x, *, alpha=0.2):
        positive = x > 0
        ctx.alpha = alpha
        ctx.save(positive)
        return ctx.xp.where(positive, x, x * alpha)

    @staticmethod
    def backward(ctx, grad):
        (positive,) = ctx.saved
        return ctx.xp.where(positive, grad, grad * ctx.alpha)


class Elu(Function):
    """y = x if x > 0 else alpha (e^x - 1). Own rule for stability: e^x is taken of min(x, 0) only."""

    @staticmethod
    def forward(ctx, x, *, alpha=1.0):
        xp = ctx.xp
        positive = x > 0
        out = xp.where(positive, x, alpha * xp.expm1(xp.minimum(x, 0)))
        ctx.alpha = alpha
        ctx.save(positive, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        positive, out = ctx.saved
        # for x <= 0: d/dx alpha (e^x - 1) = alpha e^x = y + alpha
        return ctx.xp.where(positive, grad, grad * (out + ctx.alpha))


class Softplus(Function):
    """y = log(1 + e^x). Own rule for stability: log1p(e^-|x|) + max(x, 0) never overflows."""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        out = xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(x, 0)
        ctx.save(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        # y' = sigmoid(x) = 1 - e^-y, taken as -expm1(-y) to stay accurate where y is tiny
        return grad * -ctx.xp.expm1(-out)


class Gelu(Function):
    """y = x Phi(x) (exact, through erf) or its tanh approximation.

    Own rule: erf is no op of ours, and the tanh form would take about ten nodes.
    """

    @staticmethod
    def forward(ctx, x, *, approximate=False):
        xp = ctx.xp
        ctx.approximate = approximate
        if approximate:
            t = xp.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x))
            ctx.save(x, t)
            return 0.5 * x * (1 + t)
        cdf = 0.5 * (1 + _erf(xp, x * _SQRT_HALF))  # Phi(x), the normal CDF
        ctx.save(x, cdf)
        return x * cdf

    @staticmethod
    def backward(ctx, grad):
        x, s = ctx.saved
        if ctx.approximate:
            # d/dx 0.5 x (1 + t) = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 c x^2)
            inner = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x)
            return grad * (0.5 * (1 + s) + 0.5 * x * (1 - s * s) * inner)
        # d/dx x Phi(x) = Phi(x) + x phi(x), phi the normal density
        return grad * (s + x * _INV_SQRT_2PI * ctx.xp.exp(-0.5 * x * x))


# ----- public functions ---------------------------------------------------------------
def sigmoid(x) -> Tensor:
    """Logistic sigmoid 1 / (1 + e^-x), in [0, 1], without overflow for any x.

    Example:
        >>> import glassnet as gn
        >>> gn.nn.sigmoid(gn.tensor([-1e4, 0.0, 2.0])).numpy().round(4)
        array([0.    , 0.5   , 0.8808], dtype=float32)
    """
    return Sigmoid.apply(_float_input(x))


def tanh(x) -> Tensor:
    """Hyperbolic tangent, elementwise.

    Example:
        >>> import glassnet as gn
        >>> gn.nn.tanh(gn.tensor([0.0, 1.0])).numpy().round(4)
        array([0.    , 0.7616], dtype=float32)
    """
    return Tanh.apply(_float_input(x))


def relu(x) -> Tensor:
    """Rectified linear unit max(x, 0); the gradient at 0 is 0.

    Example:
        >>> import glassnet as gn
        >>> gn.nn.relu(gn.tensor([-2.0, 0.0, 3.0])).numpy()
        array([0., 0., 3.], dtype=float32)
    """
    return Relu.apply(_float_input(x))


def relu6(x) -> Tensor:
    """min(max(x, 0), 6), composed as ``clip(x, 0, 6)``.

    Example:
        >>> import glassnet as gn
        >>> gn.nn.relu6(gn.tensor([-1.0, 3.0, 9.0])).numpy()
        array([0., 3., 6.], dtype=float32)
    """
    return clip(_float_input(x), 0.0, 6.0)


def leaky_relu(x, alpha=0.2) -> Tensor:
    """x where x > 0, else ``alpha * x`` (TensorFlow's default alpha=0.2).

    Args:
        alpha: slope for x <= 0.

    Example:
        >>> import glassnet as gn
        >>> gn.nn.leaky_relu(gn.tensor([-2.0, 3.0])).numpy()
        array([-0.4,  3. ], dtype=float32)
    """
    return LeakyRelu.apply(_float_input(x), alpha=float(alpha))


def elu(x, alpha=1.0) -> Tensor:
    """Exponential linear unit: x where x > 0, else ``alpha * (e^x - 1)``.

    Args:
        alpha: the limit -alpha approached as x -> -inf.

    Example:
        >>> import glassnet as gn
        >>> gn.nn.elu(gn.tensor([-1.0, 2.0])).numpy().round(4)
        array([-0.6321,  2.    ], dtype=float32)
    """
    return Elu.apply(_float_input(x), alpha=float(alpha))


def selu(x) -> Tensor:
    """Scaled ELU: ``scale * elu(x, alpha)`` with alpha=1.67326324..., scale=1.05070098...

    Example:
        >>> import glassnet as gn
        >>> gn.nn.selu(gn.tensor([-1.0, 1.0])).numpy().round(4)
        array([-1.1113,  1.0507], dtype=float32)
    """
    return multiply(elu(x, alpha=_SELU_ALPHA), _SELU_SCALE)


def gelu(x, approximate=False) -> Tensor:
    """Gaussian error linear unit x * Phi(x), Phi the standard normal CDF.

    Args:
        approximate: use 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) instead of erf.
            The exact form computes erf with Python's ``math.erf``, element by element:
            about 100 times slower than a NumPy ufunc.

    Example:
        >>> import glassnet as gn
        >>> gn.nn.gelu(gn.tensor([-1.0, 0.0, 1.0])).numpy().round(4)
        array([-0.1587,  0.    ,  0.8413], dtype=float32)
        >>> gn.nn.gelu(gn.tensor([1.0]), approximate=True).numpy().round(4)
        array([0.8412], dtype=float32)
    """
    return Gelu.apply(_float_input(x), approximate=bool(approximate))


def silu(x) -> Tensor:
    """Sigmoid linear unit (swish) ``x * sigmoid(x)``.

    Example:
        >>> import glassnet as gn
        >>> gn.nn.silu(gn.tensor([-1.0, 0.0, 1.0])).numpy().round(4)
        array([-0.2689,  0.    ,  0.7311], dtype=float32)
    """
    x = _float_input(x)
    return multiply(x, sigmoid(x))


swish = silu


def softplus(x) -> Tensor:
    """log(1 + e^x), computed without overflow; its derivative is sigmoid(x).

    Example:
        >>> import glassnet as gn
        >>> gn.nn.softplus(gn.tensor([-1e4, 1e4])).numpy()
        array([    0., 10000.], dtype=float32)
        >>> round(float(gn.nn.softplus(gn.tensor(0.0))), 4)
        0.6931
    """
    return Softplus.apply(_float_input(x))


def softsign(x) -> Tensor:
    """x / (1 + |x|).

    Example:
        >>> import glassnet as gn
        >>> gn.nn.softsign(gn.tensor([-3.0, 1.0])).numpy()
        array([-0.75,  0.5 ], dtype=float32)
    """
    x = _float_input(x)
    return divide(x, add(abs(x), 1.0))


def hard_sigmoid(x) -> Tensor:
    """Piecewise-linear sigmoid, Keras 3's definition ``relu6(x + 3) / 6``.

    That is 0 for x <= -3, 1 for x >= 3 and x / 6 + 0.5 between (Keras 2 used
    ``clip(0.2 x + 0.5, 0, 1)`` instead).

    Example:
        >>> import glassnet as gn
        >>> gn.nn.hard_sigmoid(gn.tensor([-4.0, 0.0, 1.5, 4.0])).numpy()
        array([0.  , 0.5 , 0.75, 1.  ], dtype=float32)
    """
    return divide(relu6(add(_float_input(x), 3.0)), 6.0)


def exponential(x) -> Tensor:
    """e^x (Keras's ``exponential`` activation), the ``exp`` op.

    Example:
        >>> import glassnet as gn
        >>> gn.nn.exponential(gn.tensor([0.0, 1.0])).numpy().round(4)
        array([1.    , 2.7183], dtype=float32)
    """
    return exp(_float_input(x))
