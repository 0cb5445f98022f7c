"""Learning-rate schedules: the learning rate as a function of the optimizer's step.

An optimizer given a schedule as its ``learning_rate`` calls ``schedule(step)``
with its ``iterations`` (the number of updates already applied, 0 for the first
one) before every update. Names, arguments and formulas follow Keras 3's
``keras.optimizers.schedules``.

Example:
    >>> from glassnet.optimizers import SGD
    >>> from glassnet.optimizers.schedules import ExponentialDecay
    >>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> schedule(0), schedule(10), schedule(20)
    (0.1, 0.05, 0.025)
    >>> SGD(learning_rate=schedule).learning_rate
    0.1
"""

from __future__ import annotations

import bisect
import math
import numbers

__all__ = [
    "CosineDecay", "ExponentialDecay", "InverseTimeDecay", "LearningRateSchedule",
    "PiecewiseConstantDecay", "PolynomialDecay", "deserialize", "get", "serialize",
]


def _real(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Argument `{name}` must be a number. Received: {name}={value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"Argument `{name}` must be finite. Received: {name}={value}")
    return value


def _plain(value):
    """An int stays an int (step counts read better in configs), anything else becomes a float."""
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _non_negative(name, value):
    if _real(name, value) < 0:
        raise ValueError(f"Argument `{name}` must be >= 0. Received: {name}={value}")
    return _plain(value)


def _positive(name, value):
    if _real(name, value) <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")
    return _plain(value)


class LearningRateSchedule:
    """Base class: ``__call__(step)`` returns the learning rate (a float) at ``step``.

    Subclasses implement ``__call__`` and ``get_config``; ``from_config(config)``
    rebuilds one from its config.

    Example:
        >>> class Halving(LearningRateSchedule):
        ...     def __call__(self, step):
        ...         return 0.1 / 2 ** int(step)
        >>> Halving()(3)
        0.0125
    """

    def __call__(self, step) -> float:  # pragma: no cover - the contract
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self) -> dict:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` "
            "to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        try:
            options = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            options = ""
        return f"{type(self).__name__}({options})"


class ExponentialDecay(LearningRateSchedule):
    """lr(step) = initial_learning_rate * decay_rate ** (step / decay_steps).

    With ``staircase=True`` the exponent is ``floor(step / decay_steps)``, so the
    rate drops in jumps every ``decay_steps`` steps.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: steps per factor of ``decay_rate``; must be > 0.
        decay_rate: the factor applied every ``decay_steps`` steps.
        staircase: decay at discrete intervals. Defaults to False.
        name: a name kept in the config.

    Example:
        >>> s = ExponentialDecay(1.0, decay_steps=2, decay_rate=0.5, staircase=True)
        >>> [s(step) for step in range(5)]
        [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        self.initial_learning_rate = _real("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive("decay_steps", decay_steps)
        self.decay_rate = _real("decay_rate", decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step) -> float:
        p = float(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate ** p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """lr(step) = initial_learning_rate / (1 + decay_rate * step / decay_steps).

    With ``staircase=True``, ``step / decay_steps`` is floored. With
    ``decay_steps=1`` this is the old Keras ``decay=`` argument.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: must be > 0.
        decay_rate: how fast the rate falls.
        staircase: decay at discrete intervals. Defaults to False.
        name: a name kept in the config.

    Example:
        >>> s = InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)
        >>> s(0), s(2)
        (0.1, 0.05)
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        self.initial_learning_rate = _real("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive("decay_steps", decay_steps)
        self.decay_rate = _real("decay_rate", decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step) -> float:
        p = float(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """lr(step) = values[i] for the first i with step <= boundaries[i], else values[-1].

    That is ``values[0]`` while ``step <= boundaries[0]``, ``values[1]`` while
    ``boundaries[0] < step <= boundaries[1]``, ..., and ``values[-1]`` once
    ``step > boundaries[-1]``.

    Args:
        boundaries: strictly increasing step numbers.
        values: one more value than there are boundaries.
        name: a name kept in the config.

    Example:
        >>> s = PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.1])
        >>> [s(step) for step in range(6)]
        [1.0, 1.0, 1.0, 0.5, 0.5, 0.1]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, "
                f"and values={values} of length {len(values)}."
            )
        for b in boundaries:
            _real("boundaries", b)
        if any(b >= c for b, c in zip(boundaries, boundaries[1:])):
            raise ValueError(f"Argument `boundaries` must be strictly increasing. Received: boundaries={boundaries}")
        for v in values:
            _real("values", v)
        self.boundaries = [_plain(b) for b in boundaries]
        self.values = [float(v) for v in values]
        self.name = name

    def __call__(self, step) -> float:
        return float(self.values[bisect.bisect_left(self.boundaries, float(step))])

    def get_config(self):
        return {"boundaries": list(self.boundaries), "values": list(self.values), "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """lr(step) = (initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end.

    With ``cycle=True``, ``decay_steps`` is replaced by the first multiple of it
    that is >= step (``decay_steps`` itself at step 0), and ``step`` is not capped.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: must be > 0.
        end_learning_rate: the final rate. Defaults to 0.0001.
        power: the polynomial's power. Defaults to 1.0 (linear).
        cycle: restart the decay every ``decay_steps``. Defaults to False.
        name: a name kept in the config.

    Example:
        >>> s = PolynomialDecay(1.0, decay_steps=4, end_learning_rate=0.0)
        >>> [s(step) for step in (0, 2, 4, 8)]
        [1.0, 0.5, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        self.initial_learning_rate = _real("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive("decay_steps", decay_steps)
        self.end_learning_rate = _real("end_learning_rate", end_learning_rate)
        self.power = _real("power", power)
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step) -> float:
        step, decay_steps = float(step), float(self.decay_steps)
        if self.cycle:
            decay_steps *= 1.0 if step == 0 else math.ceil(step / decay_steps)
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        return (self.initial_learning_rate - self.end_learning_rate) * (1.0 - p) ** self.power + self.end_learning_rate

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power,
                "cycle": self.cycle, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup, then cosine decay (Keras 3 semantics).

    Without ``warmup_target`` (warmup skipped), with s = min(step, decay_steps):

        lr(step) = initial_learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)

    With ``warmup_target``, s = min(step, warmup_steps + decay_steps), and

        lr = initial_learning_rate + (warmup_target - initial_learning_rate) * s / warmup_steps
             while s < warmup_steps, then the decay above run from ``warmup_target``
             over s - warmup_steps.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: steps to decay over; must be > 0.
        alpha: the final rate as a fraction of the decay's starting rate. Defaults to 0.0.
        name: a name kept in the config (Keras's fourth positional argument).
        warmup_target: the rate reached at the end of warmup; None skips warmup.
        warmup_steps: steps of linear warmup. Defaults to 0.

    Example:
        >>> s = CosineDecay(0.0, decay_steps=4, warmup_target=1.0, warmup_steps=2)
        >>> [round(s(step), 4) for step in range(8)]
        [0.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = _real("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive("decay_steps", decay_steps)
        self.alpha = _real("alpha", alpha)
        self.name = name
        self.warmup_target = None if warmup_target is None else _real("warmup_target", warmup_target)
        self.warmup_steps = _non_negative("warmup_steps", warmup_steps)

    def _decay(self, step, start_lr):
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return start_lr * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step) -> float:
        step = float(step)
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            fraction = step / self.warmup_steps
            return (self.warmup_target - self.initial_learning_rate) * fraction + self.initial_learning_rate
        return self._decay(step - self.warmup_steps, self.warmup_target)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


_BY_NAME = {cls.__name__: cls for cls in (
    CosineDecay, ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay)}


def serialize(schedule) -> dict:
    """Return ``{'class_name': ..., 'config': ...}`` for a config file."""
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config, custom_objects=None) -> LearningRateSchedule:
    """Rebuild a schedule from :func:`serialize`'s output (extra Keras keys such as 'module' are ignored)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "Expected a dict with keys 'class_name' and 'config' describing a learning rate schedule. "
            f"Received: config={config!r}"
        )
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _BY_NAME.get(name)
    if cls is None:
        raise ValueError(f"Unknown learning rate schedule: {name!r}. Expected one of {sorted(_BY_NAME)}.")
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier):
    """Resolve a schedule from an instance or a config dict."""
    if isinstance(identifier, LearningRateSchedule):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise TypeError(f"Could not interpret learning rate schedule identifier: {identifier!r}")
