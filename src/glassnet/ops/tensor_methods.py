"""The operators and methods of `Tensor`, bound here to the ops of this floor.

Tensor lives on the floor below the ops, so its arithmetic is attached once, at
import, from this one explicit table.
"""

from __future__ import annotations

from ..autograd import Tensor
from . import elementwise as ew
from . import linalg, reduction, shape


def _reflected(fn):
    return lambda self, other: fn(other, self)


def _reduction(fn):
    def method(self, axis=None, keepdims=False, out=None, **unused):
        # NumPy's np.sum(t) / np.max(t) call these with out=None
        if out is not None:
            raise TypeError(f"{fn.__name__}: out= is not supported on tensors")
        return fn(self, axis=axis, keepdims=keepdims)

    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


def _reshape(self, *shape):
    return shape_ops_reshape(self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape)


def _transpose(self, *axes):
    if len(axes) == 1 and not isinstance(axes[0], int):
        axes = axes[0]
    return shape.transpose(self, axes or None)


shape_ops_reshape = shape.reshape

_METHODS = {
    "__add__": ew.add, "__radd__": _reflected(ew.add),
    "__sub__": ew.subtract, "__rsub__": _reflected(ew.subtract),
    "__mul__": ew.multiply, "__rmul__": _reflected(ew.multiply),
    "__truediv__": ew.divide, "__rtruediv__": _reflected(ew.divide),
    "__pow__": ew.power, "__rpow__": _reflected(ew.power),
    "__matmul__": linalg.matmul, "__rmatmul__": _reflected(linalg.matmul),
    "__neg__": ew.negative, "__pos__": lambda self: self, "__abs__": ew.abs,
    "__lt__": ew.less, "__le__": ew.less_equal, "__gt__": ew.greater, "__ge__": ew.greater_equal,
    "__eq__": ew.equal, "__ne__": ew.not_equal,
    "__getitem__": shape.getitem,
    "T": property(lambda self: shape.transpose(self)),
    "sum": _reduction(reduction.sum), "mean": _reduction(reduction.mean),
    "max": _reduction(reduction.max), "min": _reduction(reduction.min),
    "reshape": _reshape, "transpose": _transpose,
    "exp": ew.exp, "log": ew.log, "sqrt": ew.sqrt, "abs": ew.abs,
}

for _name, _method in _METHODS.items():
    setattr(Tensor, _name, _method)
