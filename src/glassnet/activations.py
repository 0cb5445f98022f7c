"""Keras's activation functions, as objects a layer can hold and a test can compare.

``Dense(25, activation='relu').activation is glassnet.activations.relu`` holds, as
the course's graded labs check. Each function accepts Tensors, NumPy arrays and
Python numbers, returns a Tensor (``linear`` returns its input unchanged), and keeps
the input's float dtype.

Example:
    >>> import glassnet as gn
    >>> from glassnet.activations import relu, get
    >>> relu([-1.0, 2.0]).numpy()
    array([0., 2.], dtype=float32)
    >>> get("relu") is relu
    True
"""

from __future__ import annotations

from . import nn
from .autograd import Tensor
from .backend import floatx
from .ops import minimum, where

__all__ = [
    "elu", "exponential", "gelu", "get", "hard_sigmoid", "leaky_relu", "linear", "log_softmax",
    "relu", "relu6", "selu", "serialize", "sigmoid", "silu", "softmax", "softplus", "softsign",
    "swish", "tanh",
]


def linear(x):
    """Identity: returns ``x`` itself ("no activation").

    Example:
        >>> from glassnet.activations import linear
        >>> x = [1.0, -2.0]; linear(x) is x
        True
    """
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0), with Keras's options: a slope below ``threshold``, a cap at ``max_value``.

    Example:
        >>> from glassnet.activations import relu
        >>> relu([-1.0, 0.5, 7.0], max_value=6.0).numpy()
        array([0. , 0.5, 6. ], dtype=float32)
    """
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return nn.relu(x)
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.dtype.kind != "f":
        x = Tensor(x.data, dtype=floatx())
    below = (x - threshold) * negative_slope if negative_slope else 0.0
    out = where(x.data < threshold, below, x)
    return out if max_value is None else minimum(out, max_value)


def sigmoid(x):
    """1 / (1 + e^-x), computed without overflow."""
    return nn.sigmoid(x)


def tanh(x):
    """Hyperbolic tangent."""
    return nn.tanh(x)


def softmax(x, axis=-1):
    """e^x / sum(e^x) along ``axis`` (the max subtracted first)."""
    return nn.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """log(softmax(x)) along ``axis``, computed stably."""
    return nn.log_softmax(x, axis=axis)


def leaky_relu(x, negative_slope=0.2):
    """x for x > 0, else ``negative_slope`` * x (Keras 3's default slope 0.2)."""
    return nn.leaky_relu(x, alpha=negative_slope)


def relu6(x):
    """min(max(x, 0), 6)."""
    return nn.relu6(x)


def elu(x, alpha=1.0):
    """x for x > 0, else alpha (e^x - 1)."""
    return nn.elu(x, alpha=alpha)


def selu(x):
    """Scaled ELU with the self-normalising constants."""
    return nn.selu(x)


def gelu(x, approximate=False):
    """x * Phi(x), exact (erf) or with the tanh approximation."""
    return nn.gelu(x, approximate=approximate)


def silu(x):
    """x * sigmoid(x) (also called swish)."""
    return nn.silu(x)


swish = silu


def softplus(x):
    """log(1 + e^x), computed stably."""
    return nn.softplus(x)


def softsign(x):
    """x / (1 + |x|)."""
    return nn.softsign(x)


def hard_sigmoid(x):
    """A piecewise-linear sigmoid (Keras 3's relu6(x + 3) / 6)."""
    return nn.hard_sigmoid(x)


def exponential(x):
    """e^x."""
    return nn.exponential(x)


_BY_NAME = {
    "linear": linear, "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax,
    "log_softmax": log_softmax, "leaky_relu": leaky_relu, "relu6": relu6, "elu": elu,
    "selu": selu, "gelu": gelu, "silu": silu, "swish": swish, "softplus": softplus,
    "softsign": softsign, "hard_sigmoid": hard_sigmoid, "exponential": exponential,
}


def get(identifier):
    """Resolve an activation: None and 'linear' give ``linear``, a name gives its function,
    a callable is returned as is.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier.lower()]
        except KeyError:
            raise ValueError(
                f"Unknown activation function: {identifier!r}. "
                f"Expected one of {sorted(_BY_NAME)} or a callable."
            ) from None
    if callable(identifier):
        return identifier
    raise TypeError(
        f"Could not interpret activation function identifier: {identifier!r}. "
        "Expected a name, a callable or None."
    )


def fused_name(activation):
    """The name under which the dense and conv ops fuse ``activation`` into their own node
    ('relu', 'sigmoid', 'tanh': those whose derivative follows from their output), else None."""
    for name, fn in (("relu", relu), ("sigmoid", sigmoid), ("tanh", tanh)):
        if fn is activation:
            return name
    return None


def is_builtin(activation) -> bool:
    """Whether ``activation`` is one of this module's functions (not a user's callable)."""
    return any(fn is activation for fn in _BY_NAME.values())


def serialize(activation) -> str:
    """Return the name under which ``activation`` is known (for configs and summaries)."""
    for name, fn in _BY_NAME.items():
        if fn is activation:
            return "silu" if name == "swish" else name
    name = getattr(activation, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize activation {activation!r}: it has no name.")
    return name
