"""The `Function` contract: one differentiable operation, forward and backward in one place.

An op subclasses :class:`Function` and writes two static methods over raw arrays::

    class Mul(Function):
        '''z = x * y'''
        @staticmethod
        def forward(ctx, x, y):
            ctx.save(x, y)
            return x * y

        @staticmethod
        def backward(ctx, grad):
            x, y = ctx.saved
            return grad * y, grad * x

``Mul.apply(a, b)`` runs it on Tensors (or arrays and scalars) and, when any input
needs a gradient, records the call as a node of the graph. The instance made for
each call is both the *context* (``ctx``) its rules read and the *node* the graph
viewer shows. ``backward`` returns one gradient per input, or None where an input is
not differentiable; the engine sums each back to its input's shape (un-broadcasting
happens there, once, never in ops).

Every subclass is listed in :data:`REGISTRY` under its class name, which the
gradient checker's tests and the graph viewer read.
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import backend
from .grad_mode import GRAD_ENABLED, WATCHED
from .tensor import Tensor

__all__ = ["Function", "REGISTRY"]

REGISTRY: dict[str, type["Function"]] = {}

_get_xp = backend.get_xp
_NUMPY_ONLY = not backend.cupy_available()
_from_op = Tensor._from_op
_ndarray = np.ndarray
_passthrough = (int, float, bool, complex, np.ndarray, np.generic)
# Every recorded node takes the next number: an op's inputs always exist before it,
# so sorting nodes by this number is a topological order of the graph.
_creation_order = itertools.count()


class Function:
    """Base class of every differentiable operation (see the module docstring).

    Attributes set on each call's instance (the ``ctx``):
        xp: the array module of the inputs (``numpy`` or ``cupy``).
        saved: what ``forward`` kept with :meth:`save`.
        inputs: the input Tensors (None for constants), set when the call is recorded.
        attrs: the keyword settings (``axis``, ``keepdims`` ...) the call was made with.
        needs_grad: one bool per input: whether ``backward`` must compute its gradient.
        order: the node's creation number (a topological order of the graph).
    """

    saved: tuple = ()
    inputs: tuple = ()
    attrs: dict = {}
    needs_grad: tuple = ()
    order: int = -1
    pending = None  # the gradient summed so far during a reverse pass
    differentiable = True

    def __init_subclass__(cls, register: bool = True, **kwargs):
        super().__init_subclass__(**kwargs)
        if register:
            name = cls.__name__
            if name in REGISTRY and REGISTRY[name] is not cls:
                raise RuntimeError(f"Two operations are named {name!r}; op names must be unique.")
            REGISTRY[name] = cls

    def save(self, *arrays) -> None:
        """Keep what ``backward`` will need (outputs rather than inputs where the rule allows)."""
        self.saved = arrays

    @property
    def name(self) -> str:
        return type(self).__name__

    @staticmethod
    def forward(ctx, *arrays, **attrs):  # pragma: no cover - the contract
        raise NotImplementedError("Function subclasses define forward(ctx, *arrays, **attrs).")

    @staticmethod
    def backward(ctx, grad):  # pragma: no cover - the contract
        raise NotImplementedError("Function subclasses define backward(ctx, grad).")

    @classmethod
    def specialize(cls, attrs, inputs, needs_grad):
        """Rules for replaying one recorded call, its inputs' shapes and dtypes fixed; or None.

        A replayed training step (:mod:`glassnet.autograd.replay`) calls each node on
        arrays of the shapes and dtypes it was recorded with, so the choices the general
        rules make on every call (which path, which compiled kernel, which checks) can be
        made once. An op may return a ``(forward, backward)`` pair, written beside its
        general rules: ``forward(ctx, *arrays)`` (no keyword settings: ``attrs`` are fixed)
        and ``backward(ctx, grad)``, giving the general rules' results bit for bit (the
        tests compare them) and falling back on them for whatever their choices did not
        cover. ``backward`` returns a tuple whose entries, one per input, are None or a
        gradient of exactly that input's shape and dtype, which the replay takes as it is.
        ``inputs`` holds one ``(shape, dtype)`` per input (``()`` and None for a scalar or
        None); the choices may also read :data:`glassnet.kernels.native`, and a plan
        remakes its rules when that changes. The default, None, replays the general rules.

        Example:
            >>> import numpy as np
            >>> from glassnet.ops.reduction import Mean
            >>> forward, backward = Mean.specialize({}, (((3,), np.dtype("float32")),), (True,))
            >>> ctx = object.__new__(Mean)
            >>> float(forward(ctx, np.array([1.0, 2.0, 6.0], dtype="float32")))
            3.0
            >>> backward(ctx, np.array(3.0, dtype="float32"))
            (array([1., 1., 1.], dtype=float32),)
        """
        return None

    @classmethod
    def apply(cls, *inputs, **attrs) -> Tensor:
        """Run the op on Tensors, arrays or scalars; record it when a gradient is needed."""
        arrays = []
        needs = []
        record = False
        for x in inputs:
            if isinstance(x, Tensor):
                arrays.append(x.data)
                need = x.requires_grad or (WATCHED and id(x) in WATCHED)
                needs.append(need)
                record = record or need
            else:
                if not isinstance(x, _passthrough) and x is not None:  # lists, tuples, CuPy arrays
                    x = x if hasattr(x, "__cuda_array_interface__") else np.asarray(x)
                arrays.append(x)
                needs.append(False)
        ctx = object.__new__(cls)
        ctx.xp = np if _NUMPY_ONLY else _get_xp(*arrays)
        out = cls.forward(ctx, *arrays, **attrs)
        if record and GRAD_ENABLED[0]:
            ctx.inputs = inputs
            ctx.attrs = attrs
            ctx.needs_grad = needs
            ctx.order = next(_creation_order)
            return _from_op(out, ctx)
        return _from_op(out, None)

    def __repr__(self):
        return f"<{self.name} node>"
