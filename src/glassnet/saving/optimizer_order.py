"""Optimizer state in Keras 3's variable order, so ``optimizer/vars/<i>`` means the same in both.

glassnet's ``get_state()`` lists ``iterations``, ``learning_rate`` (when it is a
number), then each slot for every variable (slot-major: ``momentum/0``,
``momentum/1``, ..., ``velocity/0``, ...), then per-step scalars (Nadam's
``u_product``). Keras 3 lists ``iterations`` and ``learning_rate`` too, then the
slots in the order its ``build`` creates them: one call to
``add_optimizer_variables`` per slot group, each walking the variables and, inside
a variable, the group's slots. Adam, AdamW and Nadam create ``momentum`` and
``velocity`` in one group (interleaved per variable: ``m0, v0, m1, v1, ...``), then
AMSGrad's ``velocity_hat`` in its own; SGD, RMSprop and Adagrad create one slot per
group (slot-major, the same as glassnet's). Nadam's ``u_product`` comes last in both.

Checked against Keras 3.15 for all six optimizers (the fixtures' manifest lists the
Keras variable paths): every glassnet state array has a Keras counterpart, so no
glassnet-only group is needed.
"""

from __future__ import annotations

__all__ = ["keras_order"]

# Optimizers whose first two slots Keras creates together, per variable.
_INTERLEAVED = {"Adam": ("momentum", "velocity"), "AdamW": ("momentum", "velocity"),
                "Nadam": ("momentum", "velocity")}
_HEAD = ("iterations", "learning_rate")


def keras_order(optimizer, names) -> list:
    """``names`` (glassnet ``get_state()`` keys of ``optimizer``) in Keras 3's variable order.

    Example:
        >>> from glassnet.optimizers import Adam
        >>> keras_order(Adam(), ["iterations", "learning_rate", "momentum/0", "momentum/1",
        ...                      "velocity/0", "velocity/1"])
        ['iterations', 'learning_rate', 'momentum/0', 'velocity/0', 'momentum/1', 'velocity/1']
    """
    names = list(names)
    head = [n for n in _HEAD if n in names]
    slots, count = [], 0
    for name in names:
        if "/" in name:
            slot, index = name.rsplit("/", 1)
            if slot not in slots:
                slots.append(slot)
            count = max(count, int(index) + 1)
    scalars = [n for n in names if n not in _HEAD and "/" not in n]
    together = _INTERLEAVED.get(type(optimizer).__name__, ())
    if tuple(slots[:len(together)]) == together and together:
        groups = [list(together)] + [[s] for s in slots[len(together):]]
    else:
        groups = [[s] for s in slots]
    ordered = head + [f"{slot}/{i}" for group in groups for i in range(count) for slot in group] + scalars
    if sorted(ordered) != sorted(names):  # pragma: no cover - an internal invariant
        raise AssertionError(f"optimizer state names {names} do not map onto Keras's order")
    return ordered
