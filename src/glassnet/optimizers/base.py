"""`Optimizer`: what every optimizer shares (Keras 3's surface), with the math left to subclasses.

One step, ``apply(grads, variables)``, does what Keras 3 does, in this order:

1. skip variables whose gradient is None (all None is an error);
2. clip the gradients: ``clipvalue`` elementwise, ``clipnorm`` per variable,
   or ``global_clipnorm`` over all of them;
3. read the learning rate ``lr`` (a schedule is evaluated at ``iterations``);
4. decoupled weight decay, when set: ``w = w - w * weight_decay * lr``;
5. the optimizer's own update of each variable, in place;
6. ``iterations += 1``.

A subclass supplies three things, so its update math lives in one place:
``_slot_names()`` (the per-variable state it keeps, e.g. ``("momentum", "velocity")``),
``_step_scalars(lr, t)`` (the Python floats one step needs, computed once per
step, with ``t = iterations + 1``) and ``_update(w, grad, slots, scratch, scalars)``
(the in-place array math for one variable; ``scratch`` holds ``_scratch_count``
work arrays shaped like ``w``, kept between steps so a step allocates nothing).
Slots are created in the variable's dtype, and only Python floats meet the
arrays, so a float32 variable stays float32. Where the variables share one float
dtype, weights, gradients and slots live in flat buffers and ``_update`` runs once
over all of them (:mod:`glassnet.optimizers.flat`); a subclass may also offer a compiled
stand-in for it there (``_native_update``, see :mod:`glassnet.kernels`).

State for saving: ``variables`` lists the live state arrays (``iterations``
first, then ``learning_rate`` when it is a number, then each slot for every
variable in build order, then any per-step scalars); ``get_state()`` returns
copies keyed by name (``'iterations'``, ``'learning_rate'``, ``'momentum/0'``,
...) and ``set_state(state)`` writes them back in place.
"""

from __future__ import annotations

import numbers
import operator
import re
import warnings

import numpy as np

from .. import backend
from ..autograd import GradientTape, Tensor
from .arguments import array_of, check_learning_rate, name_of, optional_float, pop_legacy_options
from .clipping import clip_by_global_norm, clip_by_norm, clip_by_value
from .flat import FlatBuffers
from .schedules import LearningRateSchedule
from .schedules import deserialize as _deserialize_schedule
from .schedules import serialize as _serialize_schedule

__all__ = ["Optimizer"]

_ndarray = np.ndarray

class Optimizer:
    """Base class of the optimizers (Keras 3's ``keras.optimizers.Optimizer`` surface).

    Args:
        learning_rate: a float >= 0, a ``LearningRateSchedule`` (called with
            ``iterations`` before each step), or a callable of no arguments.
        weight_decay: if set, decoupled weight decay ``w -= w * weight_decay * lr``
            before each update.
        clipnorm: if set, clip each gradient to this L2 norm.
        clipvalue: if set, clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: if set, scale all gradients together so their joint L2
            norm is at most this. At most one of the three clipping options may be set;
            0 means no clipping, as in Keras.
        name: a name for the optimizer.

    Attributes:
        iterations: the number of updates applied (an int).
        learning_rate: the current rate (a float; settable, e.g. by ReduceLROnPlateau).
        built: whether the state has been created (on the first ``apply``).

    Example:
        >>> import numpy as np
        >>> import glassnet as gn
        >>> from glassnet.optimizers import SGD
        >>> w = gn.Variable([1.0, 2.0])
        >>> opt = SGD(0.1, momentum=0.9)
        >>> opt.apply([np.ones(2, dtype=np.float32)], [w])
        >>> opt.iterations, opt.learning_rate, list(opt.get_state())
        (1, 0.1, ['iterations', 'learning_rate', 'momentum/0'])
        >>> opt.learning_rate = 0.01  # as ReduceLROnPlateau does
        >>> opt.get_config()["learning_rate"]
        0.01
    """

    _default_name = "optimizer"
    _scratch_count = 1

    def __init__(self, learning_rate, *, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        learning_rate, given_as = pop_legacy_options(type(self).__name__, learning_rate, kwargs)
        learning_rate = check_learning_rate(learning_rate, given_as)
        self.name = self._default_name if name is None else str(name)
        self.weight_decay = optional_float("weight_decay", weight_decay)
        self.clipnorm = optional_float("clipnorm", clipnorm)
        self.clipvalue = optional_float("clipvalue", clipvalue)
        self.global_clipnorm = optional_float("global_clipnorm", global_clipnorm)
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        self._iterations = np.zeros((), dtype=np.int64)
        self._lr_value = None   # 0-d float64 array when the rate is a number
        self._lr_source = None  # the schedule or callable otherwise
        self._set_learning_rate(learning_rate)
        self.built = False
        self._variables = ()
        self._index = {}
        self._slot_arrays = {}
        self._slots = []
        self._scratch = []
        self._flat = None  # FlatBuffers, when the variables allow (optimizers.flat)
        self._decays = []
        self._scalar_state = {}
        self._xp = np
        self._exclude_ids = frozenset()
        self._exclude_pattern = None

    # ----- what subclasses supply ---------------------------------------------------
    def _slot_names(self) -> tuple:
        """Names of the per-variable state arrays this optimizer keeps, in state order."""
        return ()

    def _slot_initial_value(self, slot_name) -> float:
        return 0.0

    def _build_scalars(self) -> dict:
        """Per-optimizer (not per-variable) state arrays, e.g. Nadam's running product."""
        return {}

    def _step_scalars(self, lr, t):
        """The Python floats one step needs (computed once per step); ``t = iterations + 1``."""
        return (lr,)

    def _update(self, w, grad, slots, scratch, scalars) -> None:  # pragma: no cover - the contract
        """Update ``w`` (and its ``slots``) in place from ``grad``; ``scratch`` is work space."""
        raise NotImplementedError(f"{type(self).__name__} must implement _update.")

    # ----- learning rate and iterations -----------------------------------------------
    def _native_update(self):
        """A compiled stand-in for ``_update`` over the flat buffers, when there is one and
        it is in use: ``update(flat, grads, scalars)``, ``grads`` one contiguous array per
        variable (see :mod:`glassnet.kernels`); None means ``_update``."""
        return None

    def _set_learning_rate(self, value):
        if isinstance(value, float):
            self._lr_source = None
            if self._lr_value is None:
                self._lr_value = np.array(value, dtype=np.float64)
            else:
                self._lr_value[...] = value
        else:
            self._lr_source, self._lr_value = value, None

    def _current_learning_rate(self) -> float:
        if self._lr_value is not None:
            return float(self._lr_value)
        source = self._lr_source
        if isinstance(source, LearningRateSchedule):
            return float(source(int(self._iterations)))
        return float(source())

    @property
    def learning_rate(self) -> float:
        """The learning rate for the next step (a schedule is evaluated at ``iterations``)."""
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value):
        value = check_learning_rate(value)
        if isinstance(value, float) and isinstance(self._lr_source, LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` as its `learning_rate`, "
                "so its learning rate is not settable to a number. Create the optimizer with a "
                f"float `learning_rate` to change it during training. Received: learning_rate={value!r}"
            )
        self._set_learning_rate(value)

    lr = learning_rate  # Keras 2's alias, still used by older callbacks and tutorials

    @property
    def iterations(self) -> int:
        """The number of updates applied so far."""
        return int(self._iterations)

    @iterations.setter
    def iterations(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"`iterations` must be an integer >= 0. Received: iterations={value!r}")
        self._iterations[...] = value

    # ----- building ---------------------------------------------------------------------
    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Exempt variables from weight decay: those in ``var_list``, or whose name contains
        any string of ``var_names`` (e.g. ``['bias']``). Call before the optimizer is built."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be called before the optimizer is built.")
        self._exclude_ids = frozenset(id(v) for v in (var_list or ()))
        names = [str(n) for n in (var_names or ())]
        self._exclude_pattern = re.compile("|".join(map(re.escape, names))) if names else None

    def _use_weight_decay(self, variable) -> bool:
        if id(variable) in self._exclude_ids:
            return False
        name = getattr(variable, "name", None)
        return not (self._exclude_pattern is not None and name and self._exclude_pattern.search(name))

    def build(self, variables) -> None:
        """Create the state (slots) for ``variables``; ``apply`` calls this on first use.

        Later calls do nothing: an optimizer serves the variables it was built with.
        """
        if self.built:
            return
        variables = tuple(variables)
        arrays = [array_of(v) for v in variables]
        if len({id(v) for v in variables}) != len(variables):
            raise ValueError("The same variable appears more than once in the list given to the optimizer.")
        xp = backend.get_xp(*arrays) if arrays else np
        names = self._slot_names()
        self._flat = FlatBuffers.for_variables(variables, names, self._slot_initial_value, self._scratch_count)
        if self._flat is not None:
            self._slot_arrays = self._flat.slot_views
            self._scratch = self._flat.scratch_views
        else:
            self._slot_arrays = {
                name: [xp.full_like(a, self._slot_initial_value(name)) for a in arrays] for name in names
            }
            self._scratch = [tuple(xp.empty_like(a) for _ in range(self._scratch_count)) for a in arrays]
        self._slots = [tuple(self._slot_arrays[name][i] for name in names) for i in range(len(arrays))]
        self._variables = variables
        self._index = {id(v): i for i, v in enumerate(variables)}
        self._decays = [self._use_weight_decay(v) for v in variables]
        self._scalar_state = self._build_scalars()
        self._xp = xp
        self.built = True

    def _positions(self, variables):
        built = self._variables
        if len(variables) == len(built) and all(map(operator.is_, variables, built)):
            return range(len(built))
        index = self._index
        positions = []
        for v in variables:
            i = index.get(id(v))
            if i is None:
                raise ValueError(
                    f"Unknown variable: {name_of(v, '?')!r}. This optimizer can only update the "
                    "variables it was first built with; create a new optimizer for new variables."
                )
            positions.append(i)
        return positions

    # ----- one step -----------------------------------------------------------------------
    def apply(self, grads, trainable_variables=None, *, check=None):
        """Update ``trainable_variables`` in place from ``grads`` (one step).

        Args:
            grads: list of gradients (NumPy arrays, glassnet Tensors, or None to
                skip a variable), one per variable.
            trainable_variables: the Variables (or float arrays) to update; may be
                omitted once the optimizer is built, meaning the variables it was built with.
            check: optional callable given the list of gradient arrays about to be
                applied (one flat array when the flat buffers serve the step; one per
                variable when the compiled update reads them where they lie); if it
                raises, nothing has changed. ``train_step`` checks for NaN and Inf here.
        """
        grads = grads if isinstance(grads, (list, tuple)) else list(grads)
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `trainable_variables`, the optimizer must already "
                    "be built. Call `optimizer.build(trainable_variables)` first."
                )
            variables = self._variables
        else:
            variables = trainable_variables if isinstance(trainable_variables, (list, tuple)) \
                else list(trainable_variables)
            if not self.built:
                self.build(variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"Expected one gradient per variable. Received: {len(grads)} gradients "
                f"for {len(variables)} variables."
            )
        if not grads:
            return
        positions = self._positions(variables)
        flat, flat_step, native = self._flat, False, None
        if (flat is not None and type(positions) is range and not self.clipnorm
                and (not self.weight_decay or all(self._decays)) and flat.in_place(self._variables)):
            # one update over the flat buffers (see optimizers.flat): the same numbers, fewer calls
            native = None if self.clipvalue or self.global_clipnorm else self._native_update()
            parts = flat.parts(grads, self._variables) if native is not None else None
            if parts is not None:  # the compiled update reads each gradient where it lies
                ws, gs = [flat.weights], parts
                flat_step = True
            else:
                native = None
                flat_grads = flat.gather(grads, self._variables)
                if flat_grads is not None:
                    ws, gs, ss, ts, ds = [flat.weights], [flat_grads], [tuple(flat.slots.values())], \
                        [flat.scratch], [True]
                    flat_step = True
        if not flat_step:
            ws, gs, ss, ts, ds = self._collect(positions, variables, grads)
        if check is not None:
            check(gs)
        if self.clipvalue:
            gs = clip_by_value(gs, self.clipvalue)
        elif self.clipnorm:
            gs = clip_by_norm(gs, self.clipnorm)
        elif self.global_clipnorm:
            gs = clip_by_global_norm(gs, self.global_clipnorm)
        lr = self._current_learning_rate()
        if self.weight_decay:
            keep = 1.0 - self.weight_decay * lr  # w - w * weight_decay * lr
            if native is not None:
                ws[0] *= keep
            else:
                for w, decays_w in zip(ws, ds):
                    if decays_w:
                        w *= keep
        step = int(self._iterations) + 1
        scalars = self._step_scalars(lr, step)
        update = self._update
        if native is not None:
            native(flat, gs, scalars)
        elif flat_step:
            self._flat.update(update, gs[0], scalars)
        else:
            for w, grad, s, scratch_w in zip(ws, gs, ss, ts):
                update(w, grad, s, scratch_w, scalars)
        self._iterations.fill(step)  # in place (the state holds this array); += costs 1.8 us on a 0-d array

    def _collect(self, positions, variables, grads):
        """Per variable: the weights, checked gradients, slots, scratch and decay flags of
        those with a gradient (a warning names those without; none at all is an error)."""
        slots, scratch, decays = self._slots, self._scratch, self._decays
        ws, gs, ss, ts, ds = [], [], [], [], []
        missing = []
        for i, variable, grad in zip(positions, variables, grads):
            if grad is None:
                missing.append(name_of(variable, i))
                continue
            w = variable.data if isinstance(variable, Tensor) else variable
            grad = _gradient_array(grad, w, self._xp, lambda: name_of(variable, i))
            ws.append(w)
            gs.append(grad)
            ss.append(slots[i])
            ts.append(scratch[i])
            ds.append(decays[i])
        if not gs:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the loss.",
                          stacklevel=3)
        return ws, gs, ss, ts, ds

    def apply_gradients(self, grads_and_vars):
        """Apply an iterable of ``(grad, variable)`` pairs (TensorFlow's form); returns ``iterations``."""
        pairs = list(grads_and_vars)
        if not pairs:
            return self.iterations
        grads, variables = zip(*pairs)
        self.apply(list(grads), list(variables))
        return self.iterations

    def minimize(self, loss, var_list, tape=None):
        """Compute gradients of ``loss`` (a callable of no arguments, or a tensor recorded
        on ``tape``) with respect to ``var_list`` and apply them (one step)."""
        var_list = list(var_list)
        if callable(loss):
            with GradientTape() as tape:
                loss = loss()
        elif tape is None:
            raise ValueError("`tape` is required when `loss` is a tensor rather than a callable.")
        self.apply(tape.gradient(loss, var_list), var_list)
        return self.iterations

    # ----- state, for saving and restoring ---------------------------------------------------
    def _state_items(self):
        items = [("iterations", self._iterations)]
        if self._lr_value is not None:
            items.append(("learning_rate", self._lr_value))
        for name, arrays in self._slot_arrays.items():
            items.extend((f"{name}/{i}", a) for i, a in enumerate(arrays))
        items.extend(self._scalar_state.items())
        return items

    @property
    def variables(self) -> list:
        """The live state arrays: iterations, learning_rate (when a number), slots, scalars."""
        return [a for _, a in self._state_items()]

    def get_state(self) -> dict:
        """Return copies of the state as ``{name: array}`` in the order of :attr:`variables`.

        Names are ``'iterations'``, ``'learning_rate'`` (when it is a number), then
        ``'<slot>/<i>'`` for slot ``<slot>`` of the i-th variable in build order,
        then per-step scalars such as Nadam's ``'u_product'``.
        """
        return {name: array.copy() for name, array in self._state_items()}

    def set_state(self, state) -> None:
        """Restore state saved by :meth:`get_state`, in place (slots must exist: build first)."""
        items = self._state_items()
        expected = [name for name, _ in items]
        missing = [n for n in expected if n not in state]
        unexpected = [n for n in state if n not in expected]
        if missing or unexpected:
            hint = "" if self.built else " The optimizer is not built yet: call `optimizer.build(variables)` first."
            raise ValueError(
                f"Optimizer state does not match {self.name!r}: missing {missing}, "
                f"unexpected {unexpected}.{hint}"
            )
        values = [_like(array, state[name]) for name, array in items]
        for (name, array), value in zip(items, values):
            if value.shape != array.shape:
                raise ValueError(
                    f"Optimizer state {name!r} has shape {tuple(value.shape)}; "
                    f"expected {tuple(array.shape)}."
                )
        for (_, array), value in zip(items, values):
            array[...] = value

    # ----- config ------------------------------------------------------------------------------
    def get_config(self) -> dict:
        """Return the constructor arguments (a schedule is serialized; a callable rate is saved
        as its current value)."""
        if self._lr_value is not None:
            learning_rate = float(self._lr_value)
        elif isinstance(self._lr_source, LearningRateSchedule):
            learning_rate = _serialize_schedule(self._lr_source)
        else:
            learning_rate = self._current_learning_rate()
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Create an optimizer from :meth:`get_config`'s output (no state)."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _deserialize_schedule(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self):
        rate = self._lr_source if self._lr_value is None else float(self._lr_value)
        return f"<glassnet.optimizers.{type(self).__name__} name={self.name!r} learning_rate={rate!r}>"


def _gradient_array(grad, w, xp, name):
    """``grad`` as an array of ``w``'s dtype, checked against ``w``'s shape (``name()`` for the error)."""
    if type(grad) is not _ndarray:
        grad = grad.data if isinstance(grad, Tensor) else xp.asarray(grad)
    if grad.dtype != w.dtype:
        grad = grad.astype(w.dtype)
    if grad.shape != w.shape:
        raise ValueError(
            f"Gradient shape {tuple(grad.shape)} does not match variable {name()!r} of shape {tuple(w.shape)}."
        )
    return grad


def _like(array, value):
    """``value`` as an array of the same library as ``array`` (host counters stay NumPy)."""
    if isinstance(array, _ndarray):
        return np.asarray(value.get() if hasattr(value, "__cuda_array_interface__") else value)
    return backend.get_xp(array).asarray(value)

