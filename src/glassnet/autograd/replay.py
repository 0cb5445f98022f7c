"""Replaying a recorded step: the same rules on new data, without building the graph again.

A training step of one model on batches of one shape draws the same graph every
time: the same ops wired the same way, only the batch's arrays and the weights'
values change. :meth:`StepPlan.record` reads that graph once, noting for each input
of each node where it comes from (an earlier node, a weight, one of the step's
inputs, or a scalar constant); :meth:`StepPlan.run` then calls each op's own
``forward`` and, in reverse, its ``backward`` directly on arrays. No Tensor is made,
no order is sorted, no layer re-checks its input, so on the course's small models a
step costs about half as much. The arithmetic is the engine's, in the engine's
order, so the numbers are bit for bit those of the recorded path.

A plan is only as good as its recording: a graph that reads any array the plan
cannot name (an array derived from the batch in Python, a mask computed outside an
op) cannot be replayed, and :meth:`StepPlan.record` returns None for it. Callers
also replay only graphs made by code that keeps no state outside its ops (see
``Layer.replayable``).

Example:
    >>> import numpy as np
    >>> import glassnet as gn
    >>> w = gn.Variable([[1.0], [2.0]])
    >>> x = np.array([[1.0, 1.0]], dtype=np.float32)
    >>> plan = StepPlan.record(gn.sum(gn.tensor(x) @ w), feeds=(x,), variables=[w])
    >>> loss, grads = plan.run((np.array([[3.0, 4.0]], dtype=np.float32),), [w])
    >>> float(loss), grads[0].ravel().tolist()
    (11.0, [3.0, 4.0])
"""

from __future__ import annotations

import numpy as np

from .engine import _unbroadcast, topological_order
from .tensor import Tensor

__all__ = ["StepPlan"]

# where one input of a node comes from
NODE, VARIABLE, FEED, FEED_RESHAPED, CONSTANT = range(5)
_SCALARS = (int, float, bool, complex, np.generic)


def _constant(value):
    """``(CONSTANT, value)`` for values that cannot hide per-batch data (None, Python and
    NumPy scalars, 0-d arrays); None for anything else."""
    if value is None or isinstance(value, _SCALARS):
        return (CONSTANT, value)
    if type(value) is np.ndarray and value.ndim == 0:
        return (CONSTANT, value)
    return None


def _reshaped_feed(data, feeds):
    """The index of the feed that ``data`` is a reshaped view of (same memory, same size,
    both contiguous), or None."""
    if type(data) is not np.ndarray or not data.flags.c_contiguous:
        return None
    address = data.__array_interface__["data"][0]
    for f, feed in enumerate(feeds):
        if (type(feed) is np.ndarray and feed.size == data.size and feed.dtype == data.dtype
                and feed.flags.c_contiguous and feed.__array_interface__["data"][0] == address):
            return f
    return None


def _fixed_attrs(attrs) -> bool:
    """Whether a node's keyword settings are all static (no array that could be per-batch)."""
    return not any(isinstance(v, np.ndarray) and v.ndim > 0 for v in attrs.values())


class StepPlan:
    """A recorded graph, replayed by calling its ops' rules in order (see the module docstring).

    Attributes:
        steps: one ``(op class, attrs, sources, needs_grad, input shapes and dtypes)``
            per node, inputs before outputs; the last node is the root.
        outputs: node positions of extra tensors :meth:`run` returns (e.g. predictions).
    """

    def __init__(self, steps, outputs=()):
        self.steps = steps
        self.outputs = tuple(outputs)
        self._compiled = None

    @classmethod
    def record(cls, root: Tensor, feeds, variables, outputs=()):
        """Read the graph below ``root`` into a plan, or return None when it cannot be replayed.

        Args:
            root: the scalar the step differentiates (the loss).
            feeds: the step's input arrays, found in the graph by identity.
            variables: the weights the graph may read (gradients are kept for those a
                node needed them for).
            outputs: other tensors of the graph whose values :meth:`run` should return.
        """
        order = topological_order(root)
        if not order or order[-1] is not root:
            return None
        position = {id(t): i for i, t in enumerate(order)}
        variable_index = {id(v): k for k, v in enumerate(variables)}
        feed_index = {id(a): f for f, a in enumerate(feeds) if a is not None}
        steps = []
        for t in order:
            node = t._node
            if not _fixed_attrs(node.attrs):
                return None
            sources, meta = [], []
            for x in node.inputs:
                data = x.data if isinstance(x, Tensor) else x
                if isinstance(x, Tensor) and x._node is not None:
                    source = (NODE, position[id(x)])
                elif isinstance(x, Tensor) and id(x) in variable_index:
                    source = (VARIABLE, variable_index[id(x)])
                elif id(data) in feed_index:
                    source = (FEED, feed_index[id(data)])
                elif _reshaped_feed(data, feeds) is not None:  # e.g. labels (n,) read as (n, 1)
                    source = (FEED_RESHAPED, (_reshaped_feed(data, feeds), data.shape))
                elif isinstance(x, Tensor) and x.requires_grad:
                    return None  # a trained leaf the caller did not name
                else:
                    source = _constant(data)
                    if source is None:
                        return None
                sources.append(source)
                meta.append((getattr(data, "shape", ()), getattr(data, "dtype", None)))
            steps.append((type(node), node.attrs, tuple(sources), tuple(node.needs_grad), tuple(meta)))
        extra = []
        for tensor in outputs:
            if tensor._node is None or id(tensor) not in position:
                return None
            extra.append(position[id(tensor)])
        return cls(steps, extra)

    def _program(self, n_feeds, n_variables):
        """The plan as slot numbers, made once: every value a replay reads lives in one list
        (feeds, variables, constants, reshaped feeds, then node outputs), so an input is
        fetched with one index instead of a chain of tests."""
        constants = [i for _, _, sources, _, _ in self.steps for kind, i in sources if kind == CONSTANT]
        reshaped = list(dict.fromkeys((i[0], tuple(i[1])) for _, _, sources, _, _ in self.steps
                                      for kind, i in sources if kind == FEED_RESHAPED))
        first_constant = n_feeds + n_variables
        first_reshaped = first_constant + len(constants)
        first_node = first_reshaped + len(reshaped)
        forward, backward, constant_count = [], [], 0
        for op, attrs, sources, needs, meta in self.steps:
            slots = []
            for kind, i in sources:
                if kind == NODE:
                    slots.append(first_node + i)
                elif kind == VARIABLE:
                    slots.append(n_feeds + i)
                elif kind == FEED:
                    slots.append(i)
                elif kind == CONSTANT:
                    slots.append(first_constant + constant_count)
                    constant_count += 1
                else:
                    slots.append(first_reshaped + reshaped.index((i[0], tuple(i[1]))))
            forward.append((op, op.forward, attrs, needs, tuple(slots)))
            routes = tuple((k, kind == NODE, i, shape, dtype)
                           for k, ((kind, i), needed, (shape, dtype)) in enumerate(zip(sources, needs, meta))
                           if needed and kind in (NODE, VARIABLE))
            backward.append((op.backward, routes))
        self._compiled = (n_feeds, n_variables, constants, reshaped, forward, backward)
        return self._compiled

    def run(self, feeds, variables):
        """Forward and backward on new ``feeds`` and the ``variables``' current values.

        Returns ``(root value, gradients, *outputs)``: gradients as a list with one
        array (or None) per variable, summed where a variable feeds several nodes.
        """
        program = self._compiled
        if program is None or program[0] != len(feeds) or program[1] != len(variables):
            program = self._program(len(feeds), len(variables))
        _, _, constants, reshaped, forward, backward = program
        env = list(feeds)
        env += [v.data for v in variables]
        env += constants
        env += [feeds[f].reshape(shape) for f, shape in reshaped]
        first_node = len(env)
        contexts = []
        new, numpy = object.__new__, np
        for op, rule, attrs, needs, slots in forward:
            ctx = new(op)
            ctx.xp = numpy
            ctx.needs_grad = needs
            ctx.attrs = attrs
            env.append(rule(ctx, *[env[i] for i in slots], **attrs))
            contexts.append(ctx)
        root = env[-1]
        pending = [None] * len(contexts)
        pending[-1] = np.ones(root.shape, dtype=root.dtype)
        grads = [None] * len(variables)
        for j in range(len(contexts) - 1, -1, -1):
            g = pending[j]
            if g is None:
                continue
            pending[j] = None
            rule, routes = backward[j]
            ctx = contexts[j]
            out = rule(ctx, g)
            if type(out) is not tuple:
                out = (out,)
            ctx.saved = None
            for k, to_node, i, shape, dtype in routes:
                gx = out[k]
                if gx is None:
                    continue
                if gx.shape != shape:
                    gx = _unbroadcast(gx, shape)
                if gx.dtype != dtype:
                    gx = gx.astype(dtype)
                if to_node:
                    pending[i] = gx if pending[i] is None else pending[i] + gx
                else:
                    grads[i] = gx if grads[i] is None else grads[i] + gx
        return (root, grads) + tuple(env[first_node + i] for i in self.outputs)
