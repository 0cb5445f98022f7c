"""The reverse pass: derivatives computed right to left, each node once.

Backpropagation visits the graph in reverse topological order, so when a node is
reached every gradient flowing into it has already arrived and been summed; its
``backward`` rule then runs once. A graph of N nodes and P parameters costs about
N + P rule applications, not one forward pass per parameter as finite differences do.

The order is found iteratively (an explicit stack, no recursion), so a chain of
100,000 operations is as fine as a chain of three.

Example:
    >>> import glassnet as gn
    >>> a = gn.tensor(1.0, requires_grad=True)
    >>> b = a + a
    >>> c = b + b
    >>> c.backward()
    >>> float(a.grad)
    4.0
"""

from __future__ import annotations

import operator

from ..backend import get_xp
from .tensor import Tensor

__all__ = ["backward", "gradients", "topological_order"]


class GraphFreedError(RuntimeError):
    """Raised when a graph whose saved arrays were freed is traversed again."""


def topological_order(root: Tensor) -> list:
    """Return the recorded tensors that ``root`` depends on, inputs before outputs.

    Leaves (tensors no operation made) are not included. Nodes are numbered as they
    are created, and an op's inputs always exist before it, so collecting the
    reachable tensors and sorting them by that number is a topological order.
    """
    if root._node is None:
        return []
    found = {id(root): root}
    stack = [root]
    while stack:
        for parent in stack.pop()._node.inputs:
            if isinstance(parent, Tensor) and parent._node is not None:
                key = id(parent)
                if key not in found:
                    found[key] = parent
                    stack.append(parent)
    return sorted(found.values(), key=_creation_number)


_creation_number = operator.attrgetter("_node.order")


def _unbroadcast(grad, shape):
    """Sum ``grad`` back to ``shape``, undoing NumPy broadcasting."""
    extra = grad.ndim - len(shape)
    if extra == 1 and grad.shape[1:] == shape:  # the common case: a bias over a batch
        return grad.sum(axis=0)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if grad.shape != shape:
        grad = grad.reshape(shape)
    return grad


def _add_into_leaf(t: Tensor, grad, owned: bool = False) -> None:
    """Add ``grad`` into ``t.grad``, which must own its memory: a first gradient is copied
    unless ``owned``, since rules pass their incoming gradient through (add) or return views."""
    if t.grad is None:
        t.grad = Tensor._from_op(grad if owned else grad.copy(), None)
    else:
        t.grad = Tensor._from_op(t.grad.data + grad, None)


def _run(root: Tensor, grad, *, retain_graph: bool, targets: dict | None):
    """Propagate ``grad`` from ``root`` through the graph.

    With ``targets`` (id -> Tensor) given, return their gradients and leave every
    ``.grad`` untouched (``GradientTape``, ``glassnet.grad``). Without, add the
    gradients into the ``.grad`` of leaves that require them and of intermediate
    tensors that asked with ``retain_grad()``.

    Gradients still being summed wait on their node (``node.pending``); in reverse
    creation order every contribution has arrived before a node is reached.
    """
    found = {}
    accumulate = targets is None
    if root._node is None:  # backward() on a leaf: d(root)/d(root) = 1
        if accumulate:
            _add_into_leaf(root, grad)
        elif id(root) in targets:
            found[id(root)] = grad
        return found
    order = topological_order(root)
    root._node.pending = grad
    try:
        _propagate(order, retain_graph, targets, found)
    except BaseException:
        for t in order:  # leave no half-summed gradient behind for the next pass
            t._node.pending = None
        raise
    return found


def _propagate(order, retain_graph, targets, found):
    accumulate = targets is None
    for t in reversed(order):
        node = t._node
        g = node.pending
        if g is None:
            continue
        node.pending = None
        if accumulate:
            if t._retains_grad:
                _add_into_leaf(t, g)
        elif id(t) in targets:
            found[id(t)] = g
        if node.saved is None:
            raise GraphFreedError(
                f"Trying to backpropagate through the graph a second time, but the arrays "
                f"saved by {node.name} were freed after the first backward(). "
                "Pass retain_graph=True to the first call to keep them."
            )
        grads = node.backward(node, g)  # rules never write into g: it may be shared
        if type(grads) is not tuple:
            grads = (grads,)
        if not retain_graph:
            node.saved = None
        for x, needed, gx in zip(node.inputs, node.needs_grad, grads):
            if not needed or gx is None:
                continue
            data = x.data
            if gx.shape != data.shape:
                gx = _unbroadcast(gx, data.shape)
            if gx.dtype is not data.dtype and gx.dtype != data.dtype:
                gx = gx.astype(data.dtype)
            parent = x._node
            if parent is not None:
                parent.pending = gx if parent.pending is None else parent.pending + gx
            elif accumulate:
                if x.requires_grad:
                    _add_into_leaf(x, gx, owned=gx is not g and gx.base is None)
            elif id(x) in targets:
                key = id(x)
                found[key] = gx if key not in found else found[key] + gx


def _initial_grad(root: Tensor, grad):
    """The upstream gradient to start from: ones for a scalar root, else ``grad`` checked."""
    xp_data = root.data
    if grad is None:
        if xp_data.size != 1:
            raise ValueError(
                "backward() without an upstream gradient needs a scalar (one-element) tensor; "
                f"this one has shape {root.shape}. Pass grad= shaped like it."
            )
        return get_xp(xp_data).ones(xp_data.shape, dtype=xp_data.dtype)
    data = grad.data if isinstance(grad, Tensor) else grad
    if not hasattr(data, "shape"):
        data = get_xp(xp_data).asarray(data)
    if data.shape != root.shape:
        raise ValueError(
            f"backward(): the upstream gradient has shape {data.shape} but the tensor has "
            f"shape {root.shape}; they must match."
        )
    return data.astype(xp_data.dtype, copy=False)


def backward(root: Tensor, grad=None, *, retain_graph: bool = False) -> None:
    """Add d(root)/d(leaf) (times ``grad``) into the ``.grad`` of every leaf that requires it."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward(): this tensor does not require a gradient and has no graph. "
            "Create the inputs with requires_grad=True (or as glassnet.Variable) "
            "and compute it outside no_grad()."
        )
    _run(root, _initial_grad(root, grad), retain_graph=retain_graph, targets=None)


def gradients(root: Tensor, sources, grad=None, *, retain_graph: bool = False) -> list:
    """Return d(root)/d(source) arrays for each source (None where unconnected).

    Leaves' ``.grad`` are left untouched. Sources may be leaves or intermediate tensors.
    """
    targets = {id(s): s for s in sources}
    found = _run(root, _initial_grad(root, grad), retain_graph=retain_graph, targets=targets)
    return [found.get(id(s)) for s in sources]
