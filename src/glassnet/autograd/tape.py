"""Gradients as return values: TensorFlow's ``GradientTape`` and a JAX-style ``grad``.

Both read the same recorded graph as ``Tensor.backward`` but return gradients
instead of adding them into ``.grad``.

Example:
    >>> import glassnet as gn
    >>> x = gn.Variable(3.0)
    >>> with gn.GradientTape() as tape:
    ...     y = x * x
    >>> float(tape.gradient(y, x))
    6.0
    >>> float(gn.grad(lambda w: w ** 3)(2.0))
    12.0
"""

from __future__ import annotations

from ..backend import get_xp
from .engine import gradients
from .grad_mode import GRAD_ENABLED, WATCHED
from .tensor import Tensor, as_array

__all__ = ["GradientTape", "grad"]

# Tapes inside their ``with`` block. Nested tapes share one graph and one WATCHED set.
_OPEN: list = []


def _unwatch(tensors) -> None:
    """Stop recording ops on ``tensors``, except those another open tape still watches."""
    kept = {id(t) for tape in _OPEN for t in tape._watched}
    for t in tensors:
        if id(t) not in kept:
            WATCHED.discard(id(t))


def _flatten(structure):
    """Return (list of leaves, rebuild function) for a tensor, list, tuple or dict."""
    if isinstance(structure, dict):
        keys = list(structure)
        return [structure[k] for k in keys], lambda values: dict(zip(keys, values))
    if isinstance(structure, (list, tuple)):
        kind = type(structure)
        return list(structure), lambda values: kind(values)
    return [structure], lambda values: values[0]


class GradientTape:
    """Record operations so gradients can be asked for afterwards (TensorFlow semantics).

    Trainable variables are watched automatically; other tensors need :meth:`watch`.
    A non-persistent tape answers one :meth:`gradient` call, then frees the graph.

    Args:
        persistent: allow several ``gradient`` calls.
        watch_accessed_variables: accepted for compatibility; trainable variables
            always take part in the graph.

    Example:
        >>> import glassnet as gn
        >>> x = gn.tensor(2.0)
        >>> with gn.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x ** 2
        >>> float(tape.gradient(y, x))
        4.0
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self._watched: list = []
        self._recording = False
        self._used = False

    def __enter__(self):
        self._recording = True
        self._previous_mode = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = True
        _OPEN.append(self)
        for t in self._watched:
            WATCHED.add(id(t))
        return self

    def __exit__(self, *exc_info):
        self._recording = False
        GRAD_ENABLED[0] = self._previous_mode
        if self in _OPEN:
            _OPEN.remove(self)
        _unwatch(self._watched)
        return False

    def watch(self, tensor) -> None:
        """Ensure gradients with respect to ``tensor`` (or a list of tensors) can be taken."""
        for t in _flatten(tensor)[0]:
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"GradientTape.watch expects tensors. Received: {type(t).__name__}"
                )
            self._watched.append(t)
            if self._recording:
                WATCHED.add(id(t))

    def watched_variables(self) -> list:
        """Return the tensors passed to :meth:`watch`."""
        return list(self._watched)

    def stop_recording(self):
        """Context manager: operations inside are not recorded."""
        from .grad_mode import no_grad

        return no_grad()

    def reset(self) -> None:
        """Forget what was watched."""
        watched, self._watched = self._watched, []
        _unwatch(watched)

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """Return d(target)/d(sources), shaped like ``sources`` (a tensor, list, tuple or dict).

        A non-scalar target is summed (its upstream gradient is ones), as in TensorFlow;
        a list of targets adds their gradients. Unconnected sources give None, or zeros
        with ``unconnected_gradients='zero'``.
        """
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(
                "unconnected_gradients must be 'none' or 'zero'. "
                f"Received: unconnected_gradients={unconnected_gradients!r}"
            )
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set of "
                "gradients (create it with persistent=True for more)."
            )
        self._used = True
        flat_sources, rebuild = _flatten(sources)
        for s in flat_sources:
            if not isinstance(s, Tensor):
                raise TypeError(f"gradient() sources must be tensors. Received: {type(s).__name__}")
        targets = _flatten(target)[0]
        upstream = _flatten(output_gradients)[0] if output_gradients is not None else [None] * len(targets)
        # Keep the graph while another target or another open (nested) tape may still need it.
        keep = self.persistent or any(tape is not self for tape in _OPEN)
        total = [None] * len(flat_sources)
        for i, (t, g) in enumerate(zip(targets, upstream)):
            if not isinstance(t, Tensor) or (t._node is None and not any(t is s for s in flat_sources)):
                continue
            if g is None:
                g = get_xp(t.data).ones_like(t.data)
            found = gradients(t, flat_sources, g, retain_graph=keep or i < len(targets) - 1)
            total = [a if b is None else (b if a is None else a + b) for a, b in zip(total, found)]
        # As in TensorFlow, a constant counts only if this tape watched it (not an outer tape).
        watched = {id(t) for t in self._watched}
        results = []
        for s, g in zip(flat_sources, total):
            if not (s.requires_grad or id(s) in watched):
                g = None
            if g is None and unconnected_gradients == "zero":
                g = get_xp(s.data).zeros_like(s.data)
            results.append(None if g is None else Tensor._from_op(g, None))
        return rebuild(results)


def grad(f, argnums=0):
    """Return a function computing the gradient of scalar-valued ``f`` (JAX's ``grad``).

    Args:
        f: function of tensors returning a one-element tensor.
        argnums: which positional argument(s) to differentiate, an int or a tuple.

    Returns:
        A function with ``f``'s signature returning a Tensor (or a tuple of them
        when ``argnums`` is a tuple).

    Example:
        >>> import glassnet as gn
        >>> df = gn.grad(lambda x, y: x * y, argnums=(0, 1))
        >>> [float(g) for g in df(3.0, 4.0)]
        [4.0, 3.0]
    """
    several = isinstance(argnums, (tuple, list))
    indices = tuple(argnums) if several else (argnums,)

    def grad_f(*args, **kwargs):
        args = list(args)
        sources = []
        for i in indices:
            if i >= len(args):
                raise ValueError(f"grad: argnums={argnums} but only {len(args)} arguments were given.")
            leaf = Tensor(as_array(args[i]), requires_grad=True)
            args[i] = leaf
            sources.append(leaf)
        previous = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = True
        try:
            out = f(*args, **kwargs)
        finally:
            GRAD_ENABLED[0] = previous
        if not isinstance(out, Tensor) or out.size != 1:
            raise ValueError(
                "grad: the function must return a one-element tensor. Received: "
                f"{type(out).__name__} of shape {getattr(out, 'shape', ())}"
            )
        found = gradients(out, sources) if out.requires_grad else [None] * len(sources)
        results = tuple(
            Tensor._from_op(get_xp(s.data).zeros_like(s.data) if g is None else g, None)
            for s, g in zip(sources, found)
        )
        return results if several else results[0]

    return grad_f
