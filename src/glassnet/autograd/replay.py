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

from .. import kernels
from .engine import _unbroadcast, topological_order
from .tensor import Tensor

__all__ = ["StepPlan"]

# where one input of a node comes from
NODE, VARIABLE, FEED, FEED_RESHAPED, CONSTANT = range(5)
_SCALARS = (int, float, bool, complex, np.generic)
_CODE = {}  # compiled replay functions by their source text


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


def _conform(grad, shape, dtype):
    """A gradient summed back to its input's ``shape`` (undoing broadcasting) and cast to
    its ``dtype``, as the engine's backward pass does."""
    if grad.shape != shape:
        grad = _unbroadcast(grad, shape)
    return grad.astype(dtype) if grad.dtype != dtype else grad


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
        self.source = None  # the replay function's Python text, once compiled

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

    def _compile(self, n_feeds, n_variables):
        """Write the plan out as one straight-line Python function and compile it.

        Each node becomes two or three lines calling its op's own rules; each input is a
        local name. The function has no loop and no test of where an input comes from, so a
        replay costs the rules' arithmetic and little else. :attr:`source` keeps the text,
        for anyone who wants to read what a training step does.
        """
        names = {}  # objects the code refers to, by the name it uses
        lines = [f"def replay(feeds, variables):"]
        lines.append(f"    {', '.join(f'f{i}' for i in range(n_feeds))}{',' if n_feeds == 1 else ''} = feeds")
        used = sorted({i for _, _, sources, _, _ in self.steps for kind, i in sources if kind == VARIABLE})
        for k in used:
            lines.append(f"    w{k} = variables[{k}].data")
        reshaped = {}

        def fetch(kind, i, j, slot):
            if kind == NODE:
                return f"v{i}"
            if kind == VARIABLE:
                return f"w{i}"
            if kind == FEED:
                return f"f{i}"
            if kind == CONSTANT:
                names[f"K{j}_{slot}"] = i
                return f"K{j}_{slot}"
            key = (i[0], tuple(i[1]))
            if key not in reshaped:
                reshaped[key] = f"r{len(reshaped)}"
                lines.append(f"    {reshaped[key]} = f{i[0]}.reshape({tuple(i[1])!r})")
            return reshaped[key]

        last = len(self.steps) - 1
        backward_rules, exact = [], set()  # exact: nodes whose gradients need no wrapping or conforming
        for j, (op, attrs, sources, needs, meta) in enumerate(self.steps):
            names[f"OP{j}"], names[f"N{j}"] = op, needs
            args = [fetch(kind, i, j, slot) for slot, (kind, i) in enumerate(sources)]
            rules = op.specialize(attrs, meta, needs)  # see Function.specialize
            if rules is not None:
                names[f"F{j}"], names[f"B{j}"] = rules
                forward, note = f"F{j}", " (specialized)"
                backward_rules.append(f"B{j}")
                exact.add(j)
            else:
                if attrs:
                    args.append(f"**A{j}")
                forward, note = f"OP{j}.forward", ""
                backward_rules.append(f"OP{j}.backward")
            if attrs:
                names[f"A{j}"] = attrs
            # the ctx is complete either way: a specialized rule may fall back on the general one
            lines.append(f"    c{j} = new(OP{j}); c{j}.xp = np; c{j}.needs_grad = N{j}"
                         + (f"; c{j}.attrs = A{j}" if attrs else ""))
            lines.append(f"    v{j} = {forward}(c{j}, {', '.join(args)})  # {op.__name__}{note}")
        pending = [f"p{j}" for j in range(last)]
        grads = [f"g{k}" for k in used]
        if pending or grads:  # a node no gradient reaches is skipped; a weight gets None
            lines.append(f"    {' = '.join(pending + grads)} = None")
        # a loss is a scalar: np.array(1, dtype) makes its seed in 0.4 us, np.ones in 1.5 us
        lines.append(f"    p{last} = np.array(1, v{last}.dtype) if v{last}.shape == () "
                     f"else np.ones(v{last}.shape, dtype=v{last}.dtype)")
        assigned = set()  # gradients given a value already, in the backward order
        for j in range(last, -1, -1):
            op, _, sources, needs, meta = self.steps[j]
            routes = [(slot, kind, i, shape, dtype) for slot, ((kind, i), needed, (shape, dtype))
                      in enumerate(zip(sources, needs, meta)) if needed and kind in (NODE, VARIABLE)]
            indent = "    " if j == last else "        "
            if j != last:
                lines.append(f"    if p{j} is not None:")
            lines.append(f"{indent}out = {backward_rules[j]}(c{j}, p{j}); c{j}.saved = None  # {op.__name__}")
            if routes and j not in exact:  # a specialized rule returns a tuple (Function.specialize)
                lines.append(f"{indent}if type(out) is not tuple: out = (out,)")
            for slot, kind, i, shape, dtype in routes:
                target = f"p{i}" if kind == NODE else f"g{i}"
                s, d = f"S{j}_{slot}", f"D{j}_{slot}"
                names[s], names[d] = shape, dtype
                if target not in assigned:  # the first gradient to arrive: taken as it is (None too)
                    assigned.add(target)
                    lines.append(f"{indent}{target} = out[{slot}]")
                    if j not in exact:  # ... and as its input is, which a specialized rule promises
                        lines.append(f"{indent}if {target} is not None and ({target}.shape != {s} or "
                                     f"{target}.dtype != {d}): {target} = conform({target}, {s}, {d})")
                    continue
                lines.append(f"{indent}gx = out[{slot}]")
                lines.append(f"{indent}if gx is not None:")
                if j not in exact:
                    lines.append(f"{indent}    if gx.shape != {s} or gx.dtype != {d}: gx = conform(gx, {s}, {d})")
                lines.append(f"{indent}    {target} = gx if {target} is None else {target} + gx")
        grad_list = ", ".join(f"g{k}" if k in used else "None" for k in range(n_variables))
        outputs = "".join(f", v{i}" for i in self.outputs)
        lines.append(f"    return v{last}, [{grad_list}]{outputs}")
        self.source = "\n".join(lines) + "\n"
        namespace = dict(names, np=np, new=object.__new__, conform=_conform)
        code = _CODE.get(self.source)
        if code is None:  # plans of one model differing only in batch size share their text
            code = compile(self.source, "<glassnet replayed step>", "exec")
            if len(_CODE) < 256:
                _CODE[self.source] = code
        exec(code, namespace)
        self._compiled = (n_feeds, n_variables, namespace["replay"], kernels.native)
        return self._compiled

    def run(self, feeds, variables):
        """Forward and backward on new ``feeds`` and the ``variables``' current values.

        Returns ``(root value, gradients, *outputs)``: gradients as a list with one
        array (or None) per variable, summed where a variable feeds several nodes.
        """
        compiled = self._compiled
        if (compiled is None or compiled[0] != len(feeds) or compiled[1] != len(variables)
                or compiled[3] is not kernels.native):  # specialized rules chose by the kernels
            compiled = self._compile(len(feeds), len(variables))
        return compiled[2](feeds, variables)
