"""`Tensor`: an array, the gradient it receives, and the graph node that made it.

A tensor made by an operation remembers that operation (its *node*); the node
remembers its input tensors. Following those links from a result walks the
computation graph right to left, which is exactly what the reverse pass does.

Example:
    >>> import glassnet as gn
    >>> w = gn.tensor(3.0, requires_grad=True)
    >>> J = w ** 2
    >>> J.backward()
    >>> w.grad
    glassnet.Tensor(6.0, shape=(), dtype=float32)
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .tensor_shape import TensorShape

__all__ = ["Tensor", "Variable", "tensor", "as_array"]

_ndarray = np.ndarray
_new_tuple = tuple.__new__


def as_array(data, dtype=None):
    """Convert ``data`` (Tensor, array, list or scalar) to an array.

    Python floats and lists of them become the default float dtype
    (:func:`glassnet.backend.floatx`); arrays keep their dtype unless ``dtype`` is given.
    """
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, _ndarray) or hasattr(data, "__cuda_array_interface__"):
        array = data
    elif isinstance(data, np.generic):
        array = np.asarray(data)
    else:
        try:
            array = np.asarray(data)
        except ValueError as error:  # ragged nested lists
            raise ValueError(
                f"Cannot make a tensor from ragged or mixed data: {error}"
            ) from None
        if array.dtype == np.float64 and dtype is None:  # with a dtype, convert once, below
            array = array.astype(backend.floatx())
        elif array.dtype == object:
            raise TypeError(
                "Cannot make a tensor from objects of type "
                f"{type(array.flat[0]).__name__ if array.size else 'object'}; "
                "expected numbers, nested lists of numbers or an array."
            )
    if dtype is not None:
        dtype = np.dtype(dtype)
        if array.dtype != dtype:
            array = array.astype(dtype)
    return array


class Tensor:
    """An n-dimensional array that can take part in backpropagation.

    Args:
        data: array, nested list, scalar or Tensor.
        dtype: optional dtype; floats default to ``backend.floatx()`` (float32).
        requires_grad: record operations on this tensor so ``backward`` reaches it.

    Attributes:
        data: the underlying array (NumPy, or CuPy on a GPU).
        grad: the gradient accumulated by ``backward()`` (a Tensor), or None.

    Example:
        >>> import glassnet as gn
        >>> x = gn.Tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> (x * 2 + 1).numpy()
        array([[3., 5.],
               [7., 9.]], dtype=float32)
    """

    __slots__ = ("data", "requires_grad", "grad", "_node", "_retains_grad", "name", "__weakref__")
    # NumPy defers `ndarray + tensor` to Tensor.__radd__ when this is higher than its own.
    __array_priority__ = 1000

    def __init__(self, data, dtype=None, requires_grad=False, name=None):
        self.data = as_array(data, dtype)
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(
                "Only floating-point tensors can require gradients. "
                f"Received: dtype={self.data.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._node = None
        self._retains_grad = False
        self.name = name

    @classmethod
    def _from_op(cls, data, node):
        """Wrap an operation's result; ``node`` is the recorded Function or None."""
        t = object.__new__(Tensor)
        t.data = data if type(data) is _ndarray else backend.get_xp(data).asarray(data)
        t.requires_grad = node is not None
        t.grad = None
        t._node = node
        t._retains_grad = False
        t.name = None
        return t

    # ----- array-like properties -------------------------------------------------
    @property
    def shape(self) -> TensorShape:
        return _new_tuple(TensorShape, self.data.shape)  # already ints: skip the conversion

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def node(self):
        """The operation (a ``Function`` instance) that produced this tensor, or None for a leaf."""
        return self._node

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    def numpy(self):
        """Return the values as a NumPy array (the same memory on the CPU)."""
        data = self.data
        return data if isinstance(data, _ndarray) else data.get()

    def item(self):
        """Return the value of a one-element tensor as a Python number."""
        return self.data.item()

    def detach(self) -> "Tensor":
        """Return a tensor sharing the values but cut from the graph."""
        return Tensor._from_op(self.data, None)

    def retain_grad(self) -> "Tensor":
        """Keep the gradient of this intermediate tensor in ``.grad`` after ``backward()``."""
        if self._node is not None:
            self._retains_grad = True
        return self

    def zero_grad(self) -> None:
        """Forget the accumulated gradient."""
        self.grad = None

    def backward(self, grad=None, retain_graph: bool = False) -> None:
        """Backpropagate from this tensor, adding d(self)/d(leaf) into each leaf's ``.grad``.

        Args:
            grad: upstream gradient shaped like this tensor; may be omitted for a scalar.
            retain_graph: keep the saved arrays so a second ``backward`` can run.
        """
        _engine.backward(self, grad, retain_graph=retain_graph)

    # ----- conversions -------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)
        return array.copy() if copy else array

    def __float__(self):
        return float(self._scalar("float"))

    def __int__(self):
        return int(self._scalar("int"))

    def __index__(self):
        if self.data.dtype.kind not in "iub":
            raise TypeError(f"Only integer tensors can be used as an index. Received: dtype={self.dtype}")
        return int(self._scalar("int"))

    def __bool__(self):
        return bool(self._scalar("bool"))

    def _scalar(self, kind):
        if self.data.size != 1:
            raise TypeError(
                f"Only one-element tensors can be converted to Python {kind}. "
                f"Received: shape={self.shape}"
            )
        return self.data.reshape(()).item()

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    # Tensors hash by identity, like PyTorch's, even though == is elementwise.
    __hash__ = object.__hash__

    def __repr__(self):
        array = self.numpy()
        values = str(array[()]) if array.ndim == 0 else np.array2string(array, separator=" ", threshold=1000)
        prefix = "glassnet.Tensor(\n" if self.data.ndim >= 2 else "glassnet.Tensor("
        return f"{prefix}{values}, shape={self.shape}, dtype={self.dtype})"

    __str__ = __repr__

    def __format__(self, spec):
        array = self.numpy()
        if not spec:
            return str(array)
        if array.size == 1:
            return format(array.reshape(()).item(), spec)
        return format(array, spec)


class Variable(Tensor):
    """A named, trainable tensor whose value can be reassigned in place (TF's ``tf.Variable``).

    Args:
        initial_value: array, list or scalar.
        trainable: whether gradients flow to it (``requires_grad``).
        name: optional name shown in its repr.
        dtype: optional dtype; Python floats default to float32.

    Example:
        >>> import glassnet as gn
        >>> v = gn.Variable([1.0, 2.0], name="w")
        >>> v.assign_sub([0.5, 0.5])
        >>> v
        <glassnet.Variable 'w' shape=(2,) dtype=float32, numpy=array([0.5, 1.5], dtype=float32)>
    """

    __slots__ = ("trainable",)

    def __init__(self, initial_value, trainable=True, name=None, dtype=None):
        array = as_array(initial_value, dtype)
        if array is initial_value or (isinstance(initial_value, Tensor) and array is initial_value.data):
            array = array.copy()  # a Variable owns its storage: assign() must not write into the caller's array
        super().__init__(array, requires_grad=bool(trainable) and array.dtype.kind in "fc", name=name)
        self.trainable = bool(trainable)

    def assign(self, value) -> None:
        """Overwrite the values in place; the shape must match."""
        array = as_array(value, self.data.dtype)
        if array.shape != self.data.shape:
            raise ValueError(
                f"Cannot assign a value of shape {array.shape} to variable "
                f"{self.name!r} of shape {self.data.shape}."
            )
        self.data[...] = array

    def assign_add(self, delta) -> None:
        """Add ``delta`` to the values in place."""
        self.assign(self.data + as_array(delta, self.data.dtype))

    def assign_sub(self, delta) -> None:
        """Subtract ``delta`` from the values in place."""
        self.assign(self.data - as_array(delta, self.data.dtype))

    def __repr__(self):
        return (
            f"<glassnet.Variable {self.name!r} shape={self.shape} dtype={self.dtype}, "
            f"numpy={np.array_repr(self.numpy())}>"
        )


def tensor(data, dtype=None, requires_grad=False) -> Tensor:
    """Create a tensor from data (a new leaf of the graph).

    Args:
        data: array, nested list, scalar or Tensor.
        dtype: optional; Python floats become float32 unless told otherwise.
        requires_grad: make ``backward()`` compute this tensor's gradient.

    Example:
        >>> import glassnet as gn
        >>> gn.tensor([1, 2, 3]).dtype
        dtype('int64')
        >>> gn.tensor([1.0, 2.0]).dtype
        dtype('float32')
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


# The engine walks tensors, so it imports this module; bound last to close the loop.
from . import engine as _engine  # noqa: E402
