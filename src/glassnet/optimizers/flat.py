"""Weights, gradients and optimizer state in one flat buffer each, so a step is a few calls.

Every optimizer's update is elementwise, so running it once over the concatenation of
all the variables gives the same numbers, bit for bit, as running it variable by
variable: IEEE arithmetic rounds each element alone. A model with six weight arrays
then pays for one Adam update instead of six, each a dozen NumPy calls; on the
course's small models that per-call cost is most of an optimizer step.

Each variable's array becomes a view into the flat weight buffer (its values kept),
each slot a view into its flat slot buffer, so everything that reads or writes them
in place (``get_weights``, ``set_state``, saving) sees one set of numbers. Code that
rebinds ``variable.data`` to a new array of the same shape and dtype is followed: the
new values are copied in and the variable pointed back at its view. A variable
rebound to another dtype or shape (the float64 gradient checker does this) takes the
step variable by variable instead, through the same views.

Example:
    >>> import numpy as np
    >>> import glassnet as gn
    >>> a, b = gn.Variable([1.0, 2.0]), gn.Variable([[3.0]])
    >>> flat = FlatBuffers.for_variables([a, b], slot_names=("m",), slot_initial=lambda name: 0.0)
    >>> flat.weights
    array([1., 2., 3.], dtype=float32)
    >>> a.data.base is flat.weights
    True
"""

from __future__ import annotations

import operator

import numpy as np

from .. import parallel
from ..autograd import Tensor

__all__ = ["FlatBuffers", "run_compiled"]

#: Numbers from which a compiled update is cut into runs for glassnet's threads: Adam
#: over 256K float32s takes about 0.15 ms, worth a hand-over.
SPLIT_MIN = 1 << 18

_ndarray = np.ndarray
_data = operator.attrgetter("data")


class FlatBuffers:
    """The flat weight, gradient, slot and scratch buffers of one optimizer, with per-variable views.

    Attributes:
        weights, grads: the flat buffers; ``weight_views[i]``, ``grad_views[i]`` are
            variable i's part, shaped like it.
        slots: one flat buffer per slot name; ``slot_views[name][i]`` variable i's part.
        scratch: a tuple of flat work buffers for the update.
    """

    def __init__(self, arrays, slot_names, slot_initial, scratch_count=1):
        dtype = arrays[0].dtype
        shapes = [a.shape for a in arrays]
        bounds = np.cumsum([0] + [a.size for a in arrays]).tolist()
        total = bounds[-1]

        def views(flat):
            return [flat[start:stop].reshape(shape) for start, stop, shape in zip(bounds, bounds[1:], shapes)]

        self.weights = np.empty(total, dtype)
        self.weight_views = views(self.weights)
        for view, array in zip(self.weight_views, arrays):
            view[...] = array
        self.grads = np.empty(total, dtype)
        self.grad_views = views(self.grads)
        self.slots = {name: np.full(total, slot_initial(name), dtype) for name in slot_names}
        self.slot_views = {name: views(flat) for name, flat in self.slots.items()}
        self.scratch = tuple(np.empty(total, dtype) for _ in range(scratch_count))
        self._updated = {id(self.weights), *map(id, self.slots.values())}
        self.scratch_views = [tuple(flat_views) for flat_views in zip(*(views(s) for s in self.scratch))] \
            if scratch_count else [() for _ in arrays]

    @classmethod
    def for_variables(cls, variables, slot_names, slot_initial, scratch_count=1):
        """Flat buffers for ``variables`` (Variables of one float dtype, on the CPU), which are
        then pointed at their views; None when they do not qualify (no variables, raw arrays,
        mixed dtypes, device arrays)."""
        if not variables or not all(isinstance(v, Tensor) and type(v.data) is _ndarray for v in variables):
            return None
        dtypes = {v.data.dtype for v in variables}
        if len(dtypes) != 1 or next(iter(dtypes)).kind != "f":
            return None
        flat = cls([v.data for v in variables], slot_names, slot_initial, scratch_count)
        for variable, view in zip(variables, flat.weight_views):
            variable.data = view
        return flat

    def in_place(self, variables) -> bool:
        """True when every variable's array is its view (re-adopting one rebound to an array
        of the same shape and dtype); False when one no longer fits the buffer."""
        if all(map(operator.is_, map(_data, variables), self.weight_views)):
            return True
        rebound = [(variable, view) for variable, view in zip(variables, self.weight_views)
                   if variable.data is not view]
        for variable, view in rebound:  # all checked before any is changed
            data = variable.data
            if type(data) is not _ndarray or data.shape != view.shape or data.dtype != view.dtype:
                return False
        for variable, view in rebound:
            view[...] = variable.data
            variable.data = view
        return True

    def update(self, update, grads, scalars) -> None:
        """Run ``update(w, grad, slots, scratch, scalars)`` once over the flat buffers.

        (Splitting this NumPy update among threads was measured and dropped: right after
        the matrix products, OpenBLAS's threads still held the other core. The compiled
        updates are split: see run_compiled.)"""
        update(self.weights, grads, tuple(self.slots.values()), self.scratch, scalars)

    def parts(self, grads, variables):
        """``grads`` as a list of arrays laid out like the flat buffer's parts (each
        C-contiguous, shaped and typed like its variable's view), for a compiled update
        that reads them where they are; None when one is not (the caller then gathers)."""
        dtype, parts = self.weights.dtype, []
        for view, grad in zip(self.grad_views, grads):
            if type(grad) is not _ndarray:
                if not isinstance(grad, Tensor) or type(grad.data) is not _ndarray:
                    return None
                grad = grad.data
            if grad.shape != view.shape or grad.dtype != dtype or not grad.flags.c_contiguous:
                return None
            if grad.base is not None and id(grad.base) in self._updated:
                return None  # a view of what the update writes: read it from a copy
            parts.append(grad)
        return parts

    def gather(self, grads, variables):
        """Copy ``grads`` (one per variable, each shaped like it; arrays, Tensors or nested
        lists) into the flat gradient buffer and return it; None when some gradient is None
        (the caller then goes variable by variable, and warns)."""
        for view, grad, variable in zip(self.grad_views, grads, variables):
            if grad is None:
                return None
            if type(grad) is not _ndarray:
                grad = grad.data if isinstance(grad, Tensor) else np.asarray(grad)
            if grad.shape != view.shape:
                raise ValueError(
                    f"Gradient shape {tuple(grad.shape)} does not match variable "
                    f"{variable.name!r} of shape {tuple(view.shape)}."
                )
            if grad is not view:
                view[...] = grad
        return self.grads


def run_compiled(kernel, weights, grads, slots, scalars) -> None:
    """``kernel(weights, grads, *slots, *scalars)``, a compiled update over the flat
    buffers (glassnet.kernels), cut into one run of the flat range per thread when the
    model is large (glassnet.parallel): each number is updated alone, so the runs give the
    whole call's bits. Adam over wide_mlp's 1.86M weights: 0.80 -> 0.43 ms alone, 0.98 ->
    0.87 ms inside fit (its arrays then come from memory, not cache: the update is bound by
    memory, which the cores share)."""
    size = len(weights)
    count = parallel.threads() if size >= SPLIT_MIN else 1
    if count < 2:
        kernel(weights, grads, *slots, *scalars)
        return
    flat_grads = [grad.reshape(-1) for grad in grads]
    starts = np.cumsum([0] + [len(grad) for grad in flat_grads])
    bounds = [size * i // count // 16 * 16 for i in range(count)] + [size]

    def run(i):
        low, high = bounds[i], bounds[i + 1]
        pieces = [grad[max(low - start, 0):high - start] for grad, start in zip(flat_grads, starts)
                  if start < high and start + len(grad) > low]
        kernel(weights[low:high], pieces, *(slot if slot is None else slot[low:high] for slot in slots), *scalars)

    parallel.run(run, count)
